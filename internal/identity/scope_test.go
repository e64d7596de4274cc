package identity

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseScope(t *testing.T) {
	tests := []struct {
		in   string
		want Scope
		err  bool
	}{
		{in: "repository:team/app:pull", want: Scope{"team/app", Pull}},
		{in: "repository:team/*:pull,push", want: Scope{"team/*", Pull | Push}},
		{in: "repository:*:*", want: Scope{"*", AllActions}},
		{in: "repository:a/b/c:delete,admin", want: Scope{"a/b/c", Delete | Admin}},
		{in: "repository:team/app:", err: true},
		{in: "repository:team/app:fly", err: true},
		{in: "repository:Team/app:pull", err: true},
		{in: "repository:team/**:pull", err: true},
		{in: "registry:catalog:*", err: true},
		{in: "repository:team/app", err: true},
		{in: "", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseScope(tt.in)
			if (err != nil) != tt.err {
				t.Fatalf("ParseScope(%q) error %v, want error %v", tt.in, err, tt.err)
			}
			if err != nil {
				if !errors.Is(err, ErrInvalidScope) {
					t.Errorf("error %v does not wrap ErrInvalidScope", err)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if back, err := ParseScope(got.String()); err != nil || back != got {
				t.Errorf("round trip of %q: %v %v", got.String(), back, err)
			}
		})
	}
}

func TestParseRequestScope(t *testing.T) {
	tests := []struct {
		in   string
		want RequestScope
		err  bool
	}{
		{in: "repository:team/app:pull,push", want: RequestScope{"repository", "team/app", []string{"pull", "push"}}},
		{in: "repository(plugin):team/app:pull", want: RequestScope{"repository", "team/app", []string{"pull"}}},
		{in: "registry:catalog:*", want: RequestScope{"registry", "catalog", []string{"*"}}},
		{in: "repository:team/app:pull,pull,", want: RequestScope{"repository", "team/app", []string{"pull"}}},
		{in: "repository:team/app:", want: RequestScope{"repository", "team/app", nil}},
		{in: "repository:Bad:pull", err: true},
		{in: "registry:other:*", err: true},
		{in: "blob:x:pull", err: true},
		{in: "nonsense", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRequestScope(tt.in)
			if (err != nil) != tt.err {
				t.Fatalf("error %v, want error %v", err, tt.err)
			}
			if err == nil {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestPatterns(t *testing.T) {
	match := []struct {
		p    Pattern
		repo string
		want bool
	}{
		{"*", "a/b", true},
		{"team/*", "team/app", true},
		{"team/*", "team/app/api", true},
		{"team/*", "team", false},
		{"team/*", "teammate/app", false},
		{"team/app", "team/app", true},
		{"team/app", "team/app/x", false},
	}
	for _, m := range match {
		if got := m.p.Match(m.repo); got != m.want {
			t.Errorf("%q.Match(%q) = %v", m.p, m.repo, got)
		}
	}
	inter := []struct {
		a, b Pattern
		want Pattern
		ok   bool
	}{
		{"*", "team/*", "team/*", true},
		{"team/*", "team/app/*", "team/app/*", true},
		{"team/app/*", "team/*", "team/app/*", true},
		{"team/*", "team/app", "team/app", true},
		{"team/*", "other/*", "", false},
		{"team/app", "team/app", "team/app", true},
		{"team/app", "team/api", "", false},
		{"team/*", "teammate/*", "", false},
	}
	for _, c := range inter {
		got, ok := c.a.Intersect(c.b)
		if got != c.want || ok != c.ok {
			t.Errorf("%q ∩ %q = %q %v, want %q %v", c.a, c.b, got, ok, c.want, c.ok)
		}
	}
	if got := IntersectPatterns(nil, []Pattern{"a/*"}); !cmp.Equal(got, []Pattern{"a/*"}) {
		t.Errorf("nil ∩ [a/*] = %v", got)
	}
	if got := IntersectPatterns([]Pattern{"a/*"}, []Pattern{"b/*"}); got == nil || len(got) != 0 {
		t.Errorf("[a/*] ∩ [b/*] = %#v, want empty non-nil", got)
	}
}

func TestActionsAndRoles(t *testing.T) {
	a, err := ParseActions("push,pull")
	if err != nil || a != Pull|Push || a.String() != "pull,push" {
		t.Fatalf("ParseActions = %v %v", a, err)
	}
	if _, err := ParseActions("pull,,push"); err == nil {
		t.Error("empty action accepted")
	}
	for role, want := range map[string]Actions{"owner": AllActions, "contributor": Pull | Push | Delete, "reader": Pull} {
		r, err := ParseRole(role)
		if err != nil || r.Actions() != want {
			t.Errorf("role %s: %v %v", role, r.Actions(), err)
		}
	}
	if _, err := ParseRole("god"); err == nil {
		t.Error("unknown role accepted")
	}
}

func FuzzParseScope(f *testing.F) {
	for _, s := range []string{"repository:team/app:pull", "repository:*:*", "repository:a/*:pull,push,delete,admin", "registry:catalog:*", "repository(plugin):x:pull", "::", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if sc, err := ParseScope(s); err == nil {
			back, err := ParseScope(sc.String())
			if err != nil || back != sc {
				t.Fatalf("round trip of %q via %q: %v %v", s, sc.String(), back, err)
			}
			if sc.Actions == 0 {
				t.Fatalf("scope %q without actions accepted", s)
			}
		}
		if rs, err := ParseRequestScope(s); err == nil {
			if rs.Type != "repository" && rs.Type != "registry" {
				t.Fatalf("type %q accepted", rs.Type)
			}
			if _, err := ParseRequestScope(rs.String()); err != nil {
				t.Fatalf("re-parse of %q: %v", rs.String(), err)
			}
		}
	})
}
