package projection_test

import (
	"errors"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/projection"
	pt "github.com/drydock/drydock/internal/projection/projectiontest"
)

func newProjector(t *testing.T, f *pt.Fixture, dbVersion func() string) *projection.Projector {
	t.Helper()
	p, err := projection.New(projection.Config{ScanningEnabledByDefault: true},
		projection.Deps{Store: f.Store, Reports: f.Reports, DBVersion: dbVersion, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var (
	alice = &access.Identity{Name: "alice", Subscriptions: []string{pt.TenantA}}
	admin = &access.Identity{Name: "admin"}
)

// TestAssessmentsScope: each registry of the caller's subscriptions has
// both assessments; other tenants' registries never show.
func TestAssessmentsScope(t *testing.T) {
	f := pt.New(t)
	p := newProjector(t, f, nil)
	ctx := t.Context()
	type row struct{ Sub, Registry, Key, Code, Cause string }
	list := func(sc projection.Scope, key string) []row {
		t.Helper()
		rs, err := p.Assessments(ctx, sc, key)
		if err != nil {
			t.Fatal(err)
		}
		out := []row{}
		for _, r := range rs {
			st := r.Properties.(*projection.AssessmentProperties).Status
			out = append(out, row{r.Subscription, r.Registry, r.Key, st.Code, st.Cause})
		}
		return out
	}
	az, old := projection.KeyAzureContainerRegistry, projection.KeyContainerRegistry
	for _, tc := range []struct {
		name string
		sc   projection.Scope
		key  string
		want []row
	}{
		{"alice", projection.Scope{Identity: alice}, "", []row{
			{pt.TenantA, "alpha", az, "Unhealthy", ""}, {pt.TenantA, "alpha", old, "Unhealthy", ""},
			{pt.TenantA, "mirror", az, "NotApplicable", "NotSupported"}, {pt.TenantA, "mirror", old, "NotApplicable", "NotSupported"}}},
		{"alice, one key and registry", projection.Scope{Identity: alice, Registry: "alpha"}, old, []row{{pt.TenantA, "alpha", old, "Unhealthy", ""}}},
		{"alice asks for B", projection.Scope{Identity: alice, Subscription: pt.TenantB}, "", []row{}},
		{"alice asks for B's registry", projection.Scope{Identity: alice, Registry: "beta"}, "", []row{}},
		{"nobody", projection.Scope{}, "", []row{}},
		{"admin, B", projection.Scope{Identity: admin, Subscription: pt.TenantB}, az, []row{{pt.TenantB, "beta", az, "Unhealthy", ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, list(tc.sc, tc.key)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestEachSubAssessment lists from every position and gets the rest of
// the listing, in both keys, only of the caller's images.
func TestEachSubAssessment(t *testing.T) {
	f := pt.New(t)
	p := newProjector(t, f, func() string { return f.Report.DB.Version })
	ctx := t.Context()
	collect := func(sc projection.Scope, keys []string, from projection.Position, limit int) ([]string, []projection.Position) {
		t.Helper()
		var ids []string
		var pos []projection.Position
		err := p.EachSubAssessment(ctx, sc, keys, from, func(r projection.Resource, next projection.Position) error {
			ids, pos = append(ids, r.ID), append(pos, next)
			if len(ids) == limit {
				return projection.ErrStop
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return ids, pos
	}
	all, pos := collect(projection.Scope{Identity: alice}, nil, projection.Position{}, -1)
	if len(all) != 72 {
		t.Fatalf("alice: %d sub-assessments, want 36 findings x 2 keys", len(all))
	}
	for i := range all {
		rest, _ := collect(projection.Scope{Identity: alice}, nil, pos[i], -1)
		if diff := cmp.Diff(all[i+1:], rest); diff != "" && len(rest)+len(all[i+1:]) > 0 {
			t.Fatalf("from position %d %+v (-want +got):\n%s", i, pos[i], diff)
		}
	}
	page, _ := collect(projection.Scope{Identity: alice}, []string{projection.KeyContainerRegistry}, projection.Position{}, 5)
	if len(page) != 5 {
		t.Errorf("stopped after %d, want 5", len(page))
	}
	b, _ := collect(projection.Scope{Identity: &access.Identity{Subscriptions: []string{pt.TenantB}}}, nil, projection.Position{}, -1)
	for _, id := range b {
		for _, a := range all {
			if a == id {
				t.Fatalf("tenant B sees tenant A's %s", id)
			}
		}
	}
	if len(b) != 72 {
		t.Errorf("tenant B: %d, want 72", len(b))
	}
	none, _ := collect(projection.Scope{Identity: alice, Subscription: pt.TenantB}, nil, projection.Position{}, -1)
	repoScoped, _ := collect(projection.Scope{Identity: &access.Identity{Subscriptions: []string{pt.TenantA}, Repositories: []string{"alpha/other"}}},
		nil, projection.Position{}, -1)
	if len(none)+len(repoScoped) != 0 {
		t.Errorf("narrowed away: %d and %d sub-assessments", len(none), len(repoScoped))
	}
	// The reports were rendered once per image: the rest came from the cache.
	if f.Reports.Calls != 2 {
		t.Errorf("%d reports rendered, want 2 (one per image with findings)", f.Reports.Calls)
	}
}

// TestSubAssessmentByName finds a sub-assessment by name in scope and
// nowhere else.
func TestSubAssessmentByName(t *testing.T) {
	f := pt.New(t)
	p := newProjector(t, f, nil)
	ctx := t.Context()
	var want projection.Resource
	p.EachSubAssessment(ctx, projection.Scope{Identity: alice}, []string{projection.KeyAzureContainerRegistry}, projection.Position{},
		func(r projection.Resource, _ projection.Position) error { want = r; return projection.ErrStop })
	got, err := p.SubAssessment(ctx, projection.Scope{Identity: alice, Registry: "alpha"}, projection.KeyAzureContainerRegistry, want.Name)
	if err != nil || got.ID != want.ID {
		t.Fatalf("SubAssessment = %s, %v; want %s", got.ID, err, want.ID)
	}
	for name, sc := range map[string]projection.Scope{
		"tenant B":         {Identity: &access.Identity{Subscriptions: []string{pt.TenantB}}},
		"another registry": {Identity: alice, Registry: "mirror"},
		"nobody":           {},
	} {
		if _, err := p.SubAssessment(ctx, sc, projection.KeyAzureContainerRegistry, want.Name); !errors.Is(err, projection.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
	if _, err := p.SubAssessment(ctx, projection.Scope{Identity: alice}, projection.KeyAzureContainerRegistry, "00000000-0000-0000-0000-000000000000"); !errors.Is(err, projection.ErrNotFound) {
		t.Errorf("unknown name: %v", err)
	}
}

func TestResolveSubscription(t *testing.T) {
	f := pt.New(t)
	p := newProjector(t, f, nil)
	ctx := t.Context()
	for _, in := range []string{pt.TenantA, projection.SubscriptionID(pt.TenantA)} {
		if s, err := p.ResolveSubscription(ctx, alice, in); err != nil || s.ID != pt.TenantA {
			t.Errorf("ResolveSubscription(%s) = %v, %v", in, s, err)
		}
	}
	for _, in := range []string{pt.TenantB, projection.SubscriptionID(pt.TenantB), "nope"} {
		if _, err := p.ResolveSubscription(ctx, alice, in); !errors.Is(err, projection.ErrNotFound) {
			t.Errorf("ResolveSubscription(%s) as alice: %v, want ErrNotFound", in, err)
		}
	}
}
