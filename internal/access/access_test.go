package access

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
)

func TestIdentityCanRead(t *testing.T) {
	tests := []struct {
		name string
		id   *Identity
		sub  string
		repo string
		want bool
	}{
		{name: "nil identity sees nothing", id: nil, sub: "default", repo: "a/b", want: false},
		{name: "all subscriptions", id: &Identity{}, sub: "s1", repo: "a/b", want: true},
		{name: "member", id: &Identity{Subscriptions: []string{"s1", "s2"}}, sub: "s2", repo: "a", want: true},
		{name: "not member", id: &Identity{Subscriptions: []string{"s1"}}, sub: "s2", repo: "a", want: false},
		{name: "empty list sees none", id: &Identity{Subscriptions: []string{}}, sub: "s1", repo: "a", want: false},
		{name: "exact repository", id: &Identity{Repositories: []string{"team/app"}}, sub: "s", repo: "team/app", want: true},
		{name: "other repository", id: &Identity{Repositories: []string{"team/app"}}, sub: "s", repo: "team/app2", want: false},
		{name: "prefix pattern", id: &Identity{Repositories: []string{"team/*"}}, sub: "s", repo: "team/app/api", want: true},
		{name: "prefix pattern is not the prefix itself", id: &Identity{Repositories: []string{"team/*"}}, sub: "s", repo: "team", want: false},
		{name: "prefix pattern needs a slash", id: &Identity{Repositories: []string{"team/*"}}, sub: "s", repo: "teammate/x", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.id.CanRead(tt.sub, tt.repo); got != tt.want {
				t.Errorf("CanRead(%q, %q) = %v, want %v", tt.sub, tt.repo, got, tt.want)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	r := httptest.NewRequest("GET", "/v2/", nil)
	if FromContext(r.Context()) != nil {
		t.Fatal("identity present before Authorize")
	}
	got, err := Open().Authorize(r, []Request{{Repository: "a", Actions: []Action{ActionPush, ActionDelete}}})
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	id := FromContext(got.Context())
	if id == nil || !id.AllSubscriptions() || !id.CanRead("any", "any/repo") {
		t.Fatalf("Open identity = %+v, want one that sees everything", id)
	}
}

func TestWithIdentity(t *testing.T) {
	want := &Identity{Name: "u", Subscriptions: []string{"s"}}
	if got := FromContext(WithIdentity(context.Background(), want)); got != want {
		t.Fatalf("FromContext = %p, want %p", got, want)
	}
	if errors.Is(ErrDenied, ErrUnauthenticated) {
		t.Fatal("sentinels must be distinct")
	}
}
