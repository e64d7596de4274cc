package sqlmeta_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/store"
)

func TestPullPolicies(t *testing.T) {
	s, c := openPipeline(t)
	ctx := t.Context()
	repo, d := pushImage(t, s, "reg/app", "v1")

	if _, err := s.GetPullPolicy(ctx, "reg"); !errors.Is(err, store.ErrPullPolicyUnknown) || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetPullPolicy without one: %v", err)
	}
	if _, err := s.GetPullPolicy(ctx, "nope"); !errors.Is(err, store.ErrRegistryUnknown) {
		t.Fatalf("GetPullPolicy of an unknown registry: %v", err)
	}
	if _, err := s.SetPullPolicy(ctx, store.PullPolicy{Registry: "nope", BlockSeverity: 3}); !errors.Is(err, store.ErrRegistryUnknown) {
		t.Fatalf("SetPullPolicy of an unknown registry: %v", err)
	}
	if _, err := s.SetPullPolicy(ctx, store.PullPolicy{Registry: "reg", BlockSeverity: 9}); err == nil {
		t.Fatal("severity rank 9 accepted")
	}
	set, err := s.SetPullPolicy(ctx, store.PullPolicy{Registry: "reg", BlockSeverity: 3, BlockUnscanned: true, BlockUnchecked: true, UpdatedBy: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	want := store.PullPolicy{RegistryID: repo.RegistryID, Registry: "reg", SubscriptionID: "s1", BlockSeverity: 3,
		BlockUnscanned: true, BlockUnchecked: true, UpdatedAt: c.Now(), UpdatedBy: "alice"}
	if diff := cmp.Diff(want, set); diff != "" {
		t.Errorf("SetPullPolicy (-want +got):\n%s", diff)
	}
	got, err := s.GetPullPolicy(ctx, "reg")
	if diff := cmp.Diff(want, got); err != nil || diff != "" {
		t.Errorf("GetPullPolicy %v (-want +got):\n%s", err, diff)
	}
	all, err := s.ListPullPolicies(ctx)
	if diff := cmp.Diff([]store.PullPolicy{want}, all); err != nil || diff != "" {
		t.Errorf("ListPullPolicies %v (-want +got):\n%s", err, diff)
	}
	// Off removes it.
	if _, err := s.SetPullPolicy(ctx, store.PullPolicy{Registry: "reg", BlockSeverity: store.NoSeverityRule}); err != nil {
		t.Fatal(err)
	}
	if all, err := s.ListPullPolicies(ctx); err != nil || len(all) != 0 {
		t.Errorf("policies after switching off: %+v %v", all, err)
	}

	// The image's verdict: none before a result, then its summary.
	if _, ok, err := s.ImagePullState(ctx, repo.ID, d); err != nil || ok {
		t.Fatalf("ImagePullState before a result: %v %v", ok, err)
	}
	ref := store.ImageRef{RepositoryID: repo.ID, Digest: d, Platform: "linux/amd64"}
	if err := s.MarkScanning(ctx, ref, c.Now()); err != nil {
		t.Fatal(err)
	}
	st, ok, err := s.ImagePullState(ctx, repo.ID, d)
	if err != nil || !ok || st.Status != store.StatusScanning || !st.ScannedAt.IsZero() {
		t.Fatalf("ImagePullState while scanning: %+v %v %v", st, ok, err)
	}
	if _, err := s.SaveEvaluation(ctx, store.Evaluation{Image: ref, Status: store.StatusUnhealthy, Inventory: "inv", Packages: 2, Unchecked: 1,
		Summary: store.Summary{High: 1, Exempted: 1}, Findings: []store.FindingRecord{findingRec("CVE-1", "zlib", 3)},
		Fingerprint: "f", DBVersion: "db1", At: c.Now(), Scan: true, Attempts: 1}); err != nil {
		t.Fatal(err)
	}
	st, ok, err = s.ImagePullState(ctx, repo.ID, d)
	wantState := store.PullState{Status: store.StatusUnhealthy, ScannedAt: c.Now(), Summary: store.Summary{High: 1, Exempted: 1},
		Packages: 2, Unchecked: 1}
	if diff := cmp.Diff(wantState, st); err != nil || !ok || diff != "" {
		t.Errorf("ImagePullState after the scan %v %v (-want +got):\n%s", ok, err, diff)
	}
}

func TestBreakGlass(t *testing.T) {
	s, c := openPipeline(t)
	ctx := t.Context()
	pushImage(t, s, "reg/app", "v1")
	pushImage(t, s, "other/app", "v1")
	t0 := c.Now()
	if _, err := s.CreateBreakGlass(ctx, store.BreakGlass{ID: "bg-1", Registry: "nope", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); !errors.Is(err, store.ErrRegistryUnknown) {
		t.Fatalf("break-glass of an unknown registry: %v", err)
	}
	if _, err := s.CreateBreakGlass(ctx, store.BreakGlass{ID: "bg-1", Registry: "reg", CreatedAt: t0, ExpiresAt: t0}); err == nil {
		t.Fatal("break-glass ending when it starts accepted")
	}
	b1, err := s.CreateBreakGlass(ctx, store.BreakGlass{ID: "bg-1", Registry: "reg", Actor: "alice", Reason: "outage", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	if err != nil || b1.SubscriptionID != "s1" || b1.RegistryID == 0 {
		t.Fatalf("CreateBreakGlass: %+v %v", b1, err)
	}
	if _, err := s.CreateBreakGlass(ctx, store.BreakGlass{ID: "bg-1", Registry: "reg", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("duplicate id: %v", err)
	}
	b2, err := s.CreateBreakGlass(ctx, store.BreakGlass{ID: "bg-2", Registry: "other", Actor: "bob", Reason: "demo", CreatedAt: t0.Add(time.Minute), ExpiresAt: t0.Add(10 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(bs []store.BreakGlass) []string {
		out := []string{}
		for _, b := range bs {
			out = append(out, b.ID)
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		at   time.Time
		want []string
	}{
		{t0.Add(-time.Second), []string{}},
		{t0, []string{"bg-1"}},
		{t0.Add(5 * time.Minute), []string{"bg-1", "bg-2"}},
		{t0.Add(10 * time.Minute), []string{"bg-1"}},
		{t0.Add(time.Hour), []string{}},
	} {
		got, err := s.ActiveBreakGlass(ctx, tc.at)
		if diff := cmp.Diff(tc.want, ids(got)); err != nil || diff != "" {
			t.Errorf("ActiveBreakGlass(%s) %v (-want +got):\n%s", tc.at.Sub(t0), err, diff)
		}
		for _, b := range got {
			if !b.ActiveAt(tc.at) {
				t.Errorf("%s listed active at %s but ActiveAt says no", b.ID, tc.at.Sub(t0))
			}
		}
	}
	if b2.ActiveAt(t0) || !b2.ActiveAt(t0.Add(time.Minute)) {
		t.Error("ActiveAt around the start")
	}
	// Ended early: no longer active, recorded who ended it.
	end := t0.Add(2 * time.Minute)
	if n, err := s.EndBreakGlass(ctx, "reg", "carol", end); err != nil || n != 1 {
		t.Fatalf("EndBreakGlass = %d, %v", n, err)
	}
	if n, err := s.EndBreakGlass(ctx, "reg", "carol", end); err != nil || n != 0 {
		t.Fatalf("second EndBreakGlass = %d, %v", n, err)
	}
	if got, _ := s.ActiveBreakGlass(ctx, end.Add(time.Second)); !cmp.Equal([]string{"bg-2"}, ids(got)) {
		t.Errorf("active after ending bg-1: %v", ids(got))
	}
	list, err := s.ListBreakGlass(ctx, "reg", 10)
	if err != nil || len(list) != 1 || list[0].EndedBy != "carol" || !list[0].EndedAt.Equal(end) || list[0].Reason != "outage" || list[0].Actor != "alice" {
		t.Fatalf("ListBreakGlass: %+v %v", list, err)
	}
}

func TestQueryAudit(t *testing.T) {
	s, _ := openPipeline(t)
	ctx := t.Context()
	for _, e := range []store.AuditEvent{
		{Actor: "a", Action: "login", SubscriptionID: ""},
		{Actor: "a", Action: "exemption.create", SubscriptionID: "s1"},
		{Actor: "b", Action: "exemption.delete", SubscriptionID: "s2"},
		{Actor: "a", Action: "exemptionx", SubscriptionID: "s1"},
		{Actor: "a", Action: "plan.change", SubscriptionID: "s1"},
	} {
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	actions := func(f store.AuditFilter) []string {
		t.Helper()
		evs, err := s.QueryAudit(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, e := range evs {
			out = append(out, e.Action)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    store.AuditFilter
		want []string
	}{
		{"everything, newest first", store.AuditFilter{Limit: 10}, []string{"plan.change", "exemptionx", "exemption.delete", "exemption.create", "login"}},
		{"one subscription", store.AuditFilter{Subscriptions: []string{"s1"}, Limit: 10}, []string{"plan.change", "exemptionx", "exemption.create"}},
		{"no subscription", store.AuditFilter{Subscriptions: []string{}, Limit: 10}, []string{}},
		{"action family", store.AuditFilter{Action: "exemption", Limit: 10}, []string{"exemption.delete", "exemption.create"}},
		{"exact action", store.AuditFilter{Action: "exemption.create", Limit: 10}, []string{"exemption.create"}},
		{"before and limit", store.AuditFilter{BeforeID: 4, Limit: 2}, []string{"exemption.delete", "exemption.create"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, actions(tc.f)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
