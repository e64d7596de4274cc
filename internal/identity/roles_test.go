package identity

import (
	"testing"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/store"
)

func TestGrantsAllows(t *testing.T) {
	u := store.User{ID: 1, Name: "u"}
	reader := GrantsFor(u, []store.RoleBinding{{SubscriptionID: "s1", Role: "reader"}}, nil)
	contributor := GrantsFor(u, []store.RoleBinding{{SubscriptionID: "s1", Role: "contributor"}}, nil)
	owner := GrantsFor(u, []store.RoleBinding{{SubscriptionID: "s1", Role: "owner"}}, nil)
	regOwner := GrantsFor(u, []store.RoleBinding{{SubscriptionID: "s1", Role: "reader"}, {SubscriptionID: "s1", Registry: "team", Role: "owner"}}, nil)
	scopedOwner := GrantsFor(u, []store.RoleBinding{{SubscriptionID: "s1", Role: "owner"}}, []Scope{{"team/app", AllActions}})
	regScopedOwner := GrantsFor(u, []store.RoleBinding{{SubscriptionID: "s1", Role: "owner"}}, []Scope{{"team/*", AllActions}})
	pullToken := GrantsFor(u, []store.RoleBinding{{SubscriptionID: "s1", Role: "owner"}}, []Scope{{"*", Pull}})
	admin := GrantsFor(store.User{ID: 2, Admin: true}, nil, nil)
	anon := AnonymousGrants([]Pattern{"*"})
	push, adm := access.ActionPush, access.ActionAdmin
	tests := []struct {
		name   string
		g      Grants
		sub    string
		target string
		a      access.Action
		want   bool
	}{
		{"reader cannot push", reader, "s1", "team/app", push, false},
		{"reader cannot administer", reader, "s1", "*", adm, false},
		{"reader may pull", reader, "s1", "team/*", access.ActionPull, true},
		{"contributor pushes in the subscription", contributor, "s1", "*", push, true},
		{"contributor pushes in a registry", contributor, "s1", "team/*", push, true},
		{"contributor cannot administer", contributor, "s1", "team/*", adm, false},
		{"contributor elsewhere", contributor, "s2", "team/*", push, false},
		{"owner administers the subscription", owner, "s1", "*", adm, true},
		{"owner administers a registry", owner, "s1", "team/*", adm, true},
		{"registry owner administers its registry", regOwner, "s1", "team/*", adm, true},
		{"registry owner administers its repositories", regOwner, "s1", "team/app", adm, true},
		{"registry owner does not administer the subscription", regOwner, "s1", "*", adm, false},
		{"registry owner does not administer another registry", regOwner, "s1", "tools/*", adm, false},
		{"registry role only in its subscription", regOwner, "s2", "team/*", adm, false},
		{"token scoped to a repository: that repository", scopedOwner, "s1", "team/app", adm, true},
		{"token scoped to a repository: not its registry", scopedOwner, "s1", "team/*", adm, false},
		{"token scoped to a registry: the registry", regScopedOwner, "s1", "team/*", adm, true},
		{"token scoped to a registry: not the subscription", regScopedOwner, "s1", "*", adm, false},
		{"pull-only token cannot push", pullToken, "s1", "*", push, false},
		{"admin everywhere", admin, "any", "*", adm, true},
		{"anonymous never writes", anon, "s1", "team/app", push, false},
		{"unknown action", owner, "s1", "*", access.ActionCatalog, false},
		{"empty target", owner, "s1", "", adm, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.g.Allows(tt.sub, tt.target, tt.a); got != tt.want {
				t.Errorf("Allows(%q, %q, %s) = %v, want %v", tt.sub, tt.target, tt.a, got, tt.want)
			}
		})
	}
}

func TestIdentityCan(t *testing.T) {
	g := GrantsFor(store.User{ID: 1, Name: "u"}, []store.RoleBinding{{SubscriptionID: "s1", Role: "contributor"}}, nil)
	id, err := g.Identity("u", nil, func(string) ([]string, error) { return nil, nil })
	if err != nil {
		t.Fatal(err)
	}
	if !id.Can("s1", "*", access.ActionPush) || id.Can("s1", "*", access.ActionAdmin) || id.Can("s2", "*", access.ActionPush) {
		t.Errorf("Can: contributor of s1 got the wrong answers")
	}
	open := &access.Identity{}
	if !open.Can("any", "*", access.ActionAdmin) {
		t.Error("an identity without Roles (authentication off) may do everything it sees")
	}
	var none *access.Identity
	if none.Can("s1", "*", access.ActionPull) {
		t.Error("nil identity can do something")
	}
}
