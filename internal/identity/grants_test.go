package identity

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/store"
)

func TestGrantsAllowed(t *testing.T) {
	alice := store.User{ID: 1, Name: "alice"}
	roles := []store.RoleBinding{
		{SubscriptionID: "s1", Role: "contributor"},
		{SubscriptionID: "s2", Registry: "shared", Role: "reader"},
	}
	user := GrantsFor(alice, roles, nil)
	scoped := GrantsFor(alice, roles, []Scope{{"team/*", Pull}})
	admin := GrantsFor(store.User{ID: 2, Admin: true}, nil, nil)
	anon := AnonymousGrants([]Pattern{"pub/*"})
	tests := []struct {
		name string
		g    Grants
		sub  string
		repo string
		want Actions
	}{
		{"subscription role", user, "s1", "team/app", Pull | Push | Delete},
		{"other subscription", user, "s3", "team/app", 0},
		{"registry role", user, "s2", "shared/app", Pull},
		{"registry role, other registry of the subscription", user, "s2", "private/app", 0},
		{"registry role only in its subscription", user, "s3", "shared/app", 0},
		{"token scope narrows", scoped, "s1", "team/app", Pull},
		{"token scope excludes", scoped, "s1", "other/app", 0},
		{"token scope never widens", scoped, "s3", "team/app", 0},
		{"admin", admin, "any", "x/y", AllActions},
		{"anonymous public", anon, "s1", "pub/app", Pull},
		{"anonymous private", anon, "s1", "team/app", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.g.Allowed(tt.sub, tt.repo); got != tt.want {
				t.Errorf("Allowed(%q, %q) = %v, want %v", tt.sub, tt.repo, got, tt.want)
			}
		})
	}
	if got := user.InSubscription("s2"); got != Pull {
		t.Errorf("InSubscription(s2) = %v", got)
	}
	if sub, ok := GrantsFor(alice, roles[:1], nil).SingleSubscription(); !ok || sub != "s1" {
		t.Errorf("SingleSubscription = %q %v", sub, ok)
	}
	if _, ok := user.SingleSubscription(); ok {
		t.Error("two subscriptions reported as one")
	}
}

func TestGrantsIdentity(t *testing.T) {
	regs := func(sub string) ([]string, error) {
		return map[string][]string{"s1": {"team", "tools"}}[sub], nil
	}
	u := store.User{ID: 1, Name: "alice"}
	tests := []struct {
		name string
		g    Grants
		want *access.Identity
	}{
		{"subscription roles only", GrantsFor(u, []store.RoleBinding{{SubscriptionID: "s1", Role: "reader"}}, nil),
			&access.Identity{Name: "alice", Subscriptions: []string{"s1"}}},
		{"mixed roles spell out registries", GrantsFor(u, []store.RoleBinding{{SubscriptionID: "s1", Role: "reader"}, {SubscriptionID: "s2", Registry: "shared", Role: "reader"}}, nil),
			&access.Identity{Name: "alice", Subscriptions: []string{"s1", "s2"}, Repositories: []string{"shared/*", "team/*", "tools/*"}}},
		{"token scopes", GrantsFor(u, []store.RoleBinding{{SubscriptionID: "s1", Role: "owner"}}, []Scope{{"team/app", Pull | Push}, {"tools/*", Push}}),
			&access.Identity{Name: "alice", Subscriptions: []string{"s1"}, Repositories: []string{"team/app"}}},
		{"token scope everything", GrantsFor(u, []store.RoleBinding{{SubscriptionID: "s1", Role: "owner"}}, []Scope{{"*", Pull}}),
			&access.Identity{Name: "alice", Subscriptions: []string{"s1"}}},
		{"no roles sees nothing", GrantsFor(u, nil, nil), &access.Identity{Name: "alice", Subscriptions: []string{}}},
		{"admin", GrantsFor(store.User{ID: 2, Name: "root", Admin: true}, nil, nil), &access.Identity{Name: "root"}},
		{"anonymous", AnonymousGrants([]Pattern{"pub/*"}), &access.Identity{Subscriptions: []string{"s9"}, Repositories: []string{"pub/*"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.g.Identity(tt.g.nameFor(u), []string{"s9"}, regs)
			if err != nil {
				t.Fatal(err)
			}
			if tt.g.Admin {
				got.Name = "root"
			}
			if got.Roles == nil {
				t.Error("identity without Roles")
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(access.Identity{}, "Roles")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func (g Grants) nameFor(u store.User) string {
	if g.Anonymous {
		return ""
	}
	return u.Name
}
