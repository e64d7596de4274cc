package sqlmeta_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/store/sqlmeta"
)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func openPipeline(t *testing.T) (*sqlmeta.Store, *clock) {
	t.Helper()
	s := openTest(t, sqlmeta.Config{Path: filepath.Join(t.TempDir(), "meta.db")})
	c := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	sqlmeta.SetNow(s, c.Now)
	return s, c
}

func claim(t *testing.T, s *sqlmeta.Store, worker string) (store.ClaimedJob, bool) {
	t.Helper()
	j, ok, err := s.ClaimScanJob(t.Context(), worker, time.Minute, true)
	if err != nil {
		t.Fatal(err)
	}
	return j, ok
}

func TestClaimOrderLeaseRetry(t *testing.T) {
	s, c := openPipeline(t)
	ctx := t.Context()
	_, d1 := pushImage(t, s, "reg/a", "v1")
	c.Add(time.Second)
	_, d2 := pushImage(t, s, "reg/b", "v1")
	// A bulk rescan of everything queues nothing for manifests already
	// queued, and its jobs come after the push jobs.
	if n, err := s.EnqueueScans(ctx, store.ScanScope{SubscriptionID: "s1"}, store.ReasonRescan, store.PriorityBulk); err != nil || n != 0 {
		t.Fatalf("enqueue while queued: %d, %v", n, err)
	}
	if ok, err := s.HasDueScanJobs(ctx); err != nil || !ok {
		t.Fatalf("HasDueScanJobs = %v, %v", ok, err)
	}
	j1, ok := claim(t, s, "w1")
	if !ok || j1.Digest != d1 || j1.Attempts != 1 || j1.Repository != "reg/a" || j1.Registry != "reg" ||
		j1.RegistryType != store.RegistryTypeStandard || !j1.ScanningEnabled {
		t.Fatalf("first claim: %+v, %v", j1, ok)
	}
	j2, ok := claim(t, s, "w2")
	if !ok || j2.Digest != d2 {
		t.Fatalf("second claim: %+v, %v", j2, ok)
	}
	if _, ok := claim(t, s, "w3"); ok {
		t.Fatal("claimed a third job from a queue of two")
	}
	// Only the holder may change a job.
	if err := s.FinishScanJob(ctx, j1.ID, "w2", store.JobDone, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("finish by another worker: %v", err)
	}
	// Retry with backoff: not due before runAfter.
	if err := s.RetryScanJob(ctx, j1.ID, "w1", c.Now().Add(10*time.Second), "blob store unreachable"); err != nil {
		t.Fatal(err)
	}
	if _, ok := claim(t, s, "w3"); ok {
		t.Fatal("claimed a job before its backoff ended")
	}
	c.Add(11 * time.Second)
	j1b, ok := claim(t, s, "w3")
	if !ok || j1b.ID != j1.ID || j1b.Attempts != 2 {
		t.Fatalf("claim after backoff: %+v, %v", j1b, ok)
	}
	// w2 crashes: its lease runs out and the job is requeued; a renewed
	// lease keeps w3's.
	c.Add(50 * time.Second)
	if err := s.ExtendScanLease(ctx, j1b.ID, "w3", time.Minute); err != nil {
		t.Fatal(err)
	}
	c.Add(20 * time.Second)
	n, err := s.RequeueScanJobs(ctx, "")
	if err != nil || n != 1 {
		t.Fatalf("requeue expired: %d, %v", n, err)
	}
	if err := s.FinishScanJob(ctx, j2.ID, "w2", store.JobDone, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("finish after losing the lease: %v", err)
	}
	// A worker restarting under its name takes its jobs back at once.
	n, err = s.RequeueScanJobs(ctx, "w3")
	if err != nil || n != 1 {
		t.Fatalf("requeue own jobs: %d, %v", n, err)
	}
	for range 2 {
		j, ok := claim(t, s, "w4")
		if !ok {
			t.Fatal("requeued jobs not claimable")
		}
		if err := s.FinishScanJob(ctx, j.ID, "w4", store.JobDone, ""); err != nil {
			t.Fatal(err)
		}
	}
	// A rescan queues both again, behind a new push.
	if n, err := s.EnqueueScans(ctx, store.ScanScope{SubscriptionID: "s1", Registry: "reg"}, store.ReasonRescan, store.PriorityBulk); err != nil || n != 2 {
		t.Fatalf("rescan: %d, %v", n, err)
	}
	_, d3 := pushImage(t, s, "reg/c", "v1")
	if j, _ := claim(t, s, "w4"); j.Digest != d3 || j.Reason != store.ReasonPush {
		t.Fatalf("push job did not go first: %+v", j)
	}
	if n, err := s.EnqueueScans(ctx, store.ScanScope{SubscriptionID: "s1", Repository: "reg/a", Digest: d1}, store.ReasonRescan, store.PriorityRescan); err != nil || n != 0 {
		t.Fatalf("rescan of a queued image: %d, %v", n, err)
	}
	if _, err := s.EnqueueScans(ctx, store.ScanScope{}, store.ReasonRescan, 0); err == nil {
		t.Fatal("EnqueueScans without a subscription succeeded")
	}
}

// TestClaimConcurrent: many workers claiming at once get each job once.
func TestClaimConcurrent(t *testing.T) {
	s, _ := openPipeline(t)
	const n = 40
	for i := range n {
		pushImage(t, s, "reg/r"+string(rune('a'+i%26))+string(rune('a'+i/26)), "v1")
	}
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			name := "w" + string(rune('0'+w))
			for {
				j, ok, err := s.ClaimScanJob(t.Context(), name, time.Minute, true)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					return
				}
				mu.Lock()
				if prev, dup := seen[j.ID]; dup {
					t.Errorf("job %d claimed by %s and %s", j.ID, prev, name)
				}
				seen[j.ID] = name
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("%d jobs claimed, want %d", len(seen), n)
	}
}

func TestPlanAndRegistryType(t *testing.T) {
	s, _ := openPipeline(t)
	ctx := t.Context()
	if _, err := s.EnsureSubscription(ctx, "s1", "One"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateRegistry(ctx, "s1", "ext", store.RegistryTypeExternal); err != nil {
		t.Fatal(err)
	}
	pushImage(t, s, "ext/app", "v1")
	j, ok := claim(t, s, "w")
	if !ok || j.RegistryType != store.RegistryTypeExternal {
		t.Fatalf("claim: %+v %v", j, ok)
	}
	// Default off when the installation says so.
	pushImage(t, s, "std/app", "v1")
	j, ok, err := s.ClaimScanJob(ctx, "w", time.Minute, false)
	if err != nil || !ok || j.ScanningEnabled {
		t.Fatalf("claim with default off: %+v %v %v", j, ok, err)
	}
	// External registries are never queued by a rescan.
	if n, err := s.EnqueueScans(ctx, store.ScanScope{SubscriptionID: "s1"}, store.ReasonPlan, store.PriorityBulk); err != nil || n != 1 {
		t.Fatalf("enqueue: %d %v, want 1: std/app (running, not queued) but not the external registry", n, err)
	}
}

func findingRec(id, pkg string, sev int) store.FindingRecord {
	return store.FindingRecord{AdvisoryID: id, PackageType: "apk", PackageName: pkg, PackageVersion: "1.0",
		PackagePath: "lib/apk/db/installed", Severity: sev, FixedVersion: "1.1", FixStatus: "FixAvailable"}
}

func eventTypes(t *testing.T, s *sqlmeta.Store) map[string]int {
	t.Helper()
	evs, err := s.PendingEvents(t.Context(), -1)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range evs {
		out[e.Type]++
	}
	return out
}

// scanningImage pushes reg/app:v1 and marks its scan started.
func scanningImage(t *testing.T, s *sqlmeta.Store, c *clock) (store.Repository, oci.Digest, store.ImageRef) {
	t.Helper()
	repo, d := pushImage(t, s, "reg/app", "v1")
	ref := store.ImageRef{RepositoryID: repo.ID, Digest: d, Platform: "linux/amd64"}
	if err := s.MarkScanning(t.Context(), ref, c.Now()); err != nil {
		t.Fatal(err)
	}
	return repo, d, ref
}

// TestMigration8 upgrades a database written before images.unchecked
// existed: its evaluated images are marked stale, so that the
// re-evaluation that runs at start fills the count in.
func TestMigration8(t *testing.T) {
	s, c := openPipeline(t)
	ctx := t.Context()
	repo, d, ref := scanningImage(t, s, c)
	if _, err := s.SaveEvaluation(ctx, store.Evaluation{Image: ref, Status: store.StatusHealthy, Inventory: "inv1", Packages: 14,
		Fingerprint: "f1", DBVersion: "db1", At: c.Now(), Scan: true, Attempts: 1}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountDueEvaluations(ctx, "db1"); err != nil || n != 0 {
		t.Fatalf("due before the upgrade: %d, %v", n, err)
	}
	if err := sqlmeta.UndoMigration8(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := sqlmeta.Migrate(ctx, s); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountDueEvaluations(ctx, "db1"); err != nil || n != 1 {
		t.Errorf("due after the upgrade: %d, %v; want the evaluated image", n, err)
	}
	if im, err := s.GetImage(ctx, repo.ID, d); err != nil || im.Packages != 14 || im.Unchecked != 0 {
		t.Errorf("image after the upgrade: %+v, %v", im, err)
	}
}

// libc6Rec is a finding of Debian's libc6 for one architecture ("" as
// stored before migration 0010).
func libc6Rec(arch string) store.FindingRecord {
	return store.FindingRecord{AdvisoryID: "CVE-2025-4802", PackageType: "deb", PackageName: "libc6",
		PackageVersion: "2.41-12+deb13u5", PackageArch: arch, PackagePath: "var/lib/dpkg/status", Severity: 3,
		FixedVersion: "2.41-12+deb13u6", FixStatus: "FixAvailable"}
}

// findingKeys lists the stored findings of an image as
// "advisory package:arch" in id order, with their ids.
func findingKeys(t *testing.T, s *sqlmeta.Store, d oci.Digest) ([]string, []int64) {
	t.Helper()
	rows, err := s.ListFindings(t.Context(), store.FindingFilter{Digest: d, Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	var ids []int64
	for _, r := range rows {
		keys = append(keys, r.AdvisoryID+" "+r.PackageName+":"+r.PackageArch)
		ids = append(ids, r.ID)
	}
	return keys, ids
}

// findingEvents lists the finding.new and finding.resolved events as
// "type advisory package:arch".
func findingEvents(t *testing.T, s *sqlmeta.Store) []string {
	t.Helper()
	evs, err := s.PendingEvents(t.Context(), -1)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if e.Type != sqlmeta.EventFindingNew && e.Type != sqlmeta.EventFindingResolved {
			continue
		}
		var p struct {
			Finding struct {
				ID      string
				Package struct{ Name, Arch string }
			}
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, e.Type+" "+p.Finding.ID+" "+p.Finding.Package.Name+":"+p.Finding.Package.Arch)
	}
	return out
}

// TestFindingsByArch stores the findings of libc6:amd64 and libc6:i386
// of a multi-arch Debian image (same advisory, name, version and status
// file) as two findings, and follows each on its own.
func TestFindingsByArch(t *testing.T) {
	s, c := openPipeline(t)
	ctx := t.Context()
	_, d, ref := scanningImage(t, s, c)
	ev := store.Evaluation{Image: ref, Status: store.StatusUnhealthy, Inventory: "inv1", Packages: 2,
		Summary: store.Summary{High: 2}, Findings: []store.FindingRecord{libc6Rec("amd64"), libc6Rec("i386")},
		Fingerprint: "f1", DBVersion: "db1", At: c.Now(), Scan: true, Attempts: 1}
	if res, err := s.SaveEvaluation(ctx, ev); err != nil || res.NewFindings != 2 {
		t.Fatalf("first scan: %+v, %v; want 2 new findings", res, err)
	}
	keys, _ := findingKeys(t, s, d)
	if diff := cmp.Diff([]string{"CVE-2025-4802 libc6:amd64", "CVE-2025-4802 libc6:i386"}, keys); diff != "" {
		t.Errorf("stored findings (-want +got):\n%s", diff)
	}
	// libc6:i386 removed: only its finding is resolved.
	ev2 := ev
	ev2.Findings, ev2.Fingerprint, ev2.At, ev2.Scan = []store.FindingRecord{libc6Rec("amd64")}, "f2", c.Now().Add(time.Hour), false
	if res, err := s.SaveEvaluation(ctx, ev2); err != nil || res.NewFindings != 0 || res.Resolved != 1 {
		t.Fatalf("re-match: %+v, %v; want 1 resolved", res, err)
	}
	if diff := cmp.Diff([]string{"finding.resolved CVE-2025-4802 libc6:i386"}, findingEvents(t, s)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	changes, err := s.FindingChanges(ctx, nil, "", 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ch := range changes {
		got = append(got, ch.Change+" "+ch.PackageName+":"+ch.PackageArch)
	}
	if diff := cmp.Diff([]string{"new libc6:amd64", "new libc6:i386", "resolved libc6:i386"}, got); diff != "" {
		t.Errorf("finding changes (-want +got):\n%s", diff)
	}
}

// TestMigration10 upgrades a database written before findings recorded
// the architecture, where libc6:amd64 and libc6:i386 shared one finding:
// it opens with its findings intact, the images with OS package findings
// are marked stale, and their re-evaluation fills the architecture in on
// the stored finding (same id, first seen unchanged, no event) and adds
// the finding the old key had merged.
func TestMigration10(t *testing.T) {
	s, c := openPipeline(t)
	ctx := t.Context()
	_, d, ref := scanningImage(t, s, c)
	first := c.Now()
	old := store.Evaluation{Image: ref, Status: store.StatusUnhealthy, Inventory: "inv1", Packages: 3,
		Summary: store.Summary{High: 3}, Findings: []store.FindingRecord{libc6Rec(""), findingRec("CVE-1", "zlib", 3)},
		Fingerprint: "f1", DBVersion: "db1", At: first, Scan: true, Attempts: 1}
	if _, err := s.SaveEvaluation(ctx, old); err != nil {
		t.Fatal(err)
	}
	// An image with only language package findings (no architecture)
	// needs no re-evaluation.
	repo2, d2 := pushImage(t, s, "reg/other", "v1")
	ref2 := store.ImageRef{RepositoryID: repo2.ID, Digest: d2, Platform: "linux/amd64"}
	npm := store.FindingRecord{AdvisoryID: "GHSA-1", PackageType: "npm", PackageName: "lodash", PackageVersion: "4.17.20",
		PackagePath: "app/node_modules/lodash/package.json", Severity: 3}
	if _, err := s.SaveEvaluation(ctx, store.Evaluation{Image: ref2, Status: store.StatusUnhealthy, Inventory: "inv2",
		Packages: 1, Findings: []store.FindingRecord{npm}, Fingerprint: "g1", DBVersion: "db1",
		At: first, Scan: true, Attempts: 1}); err != nil {
		t.Fatal(err)
	}
	wantKeys, wantIDs := findingKeys(t, s, d)
	if err := sqlmeta.UndoMigration10(ctx, s); err != nil {
		t.Fatal(err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != 9 {
		t.Fatalf("schema version after the undo: %d, %v", v, err)
	}
	if err := sqlmeta.Migrate(ctx, s); err != nil {
		t.Fatal(err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != 10 {
		t.Fatalf("schema version after the upgrade: %d, %v", v, err)
	}
	keys, ids := findingKeys(t, s, d)
	if diff := cmp.Diff(wantKeys, keys); diff != "" || !slices.Equal(wantIDs, ids) {
		t.Errorf("findings after the upgrade (-want +got):\n%s\nids %v, want %v", diff, ids, wantIDs)
	}
	due, err := s.DueEvaluations(ctx, "db1", 0, 10)
	if err != nil || len(due) != 1 || due[0].Ref.Digest != d {
		t.Fatalf("due after the upgrade: %+v, %v; want the image with OS package findings only", due, err)
	}
	// The re-evaluation from the inventory: both architectures.
	c.Add(time.Hour)
	ev := old
	ev.Findings = []store.FindingRecord{libc6Rec("amd64"), libc6Rec("i386"), findingRec("CVE-1", "zlib", 3)}
	ev.Summary, ev.Fingerprint, ev.At, ev.Scan = store.Summary{High: 4}, "f2", c.Now(), false
	res, err := s.SaveEvaluation(ctx, ev)
	if err != nil || res.NewFindings != 1 || res.Resolved != 0 {
		t.Fatalf("re-evaluation: %+v, %v; want 1 new (libc6:i386), none resolved", res, err)
	}
	keys, ids = findingKeys(t, s, d)
	if diff := cmp.Diff([]string{"CVE-2025-4802 libc6:amd64", "CVE-1 zlib:", "CVE-2025-4802 libc6:i386"}, keys); diff != "" {
		t.Errorf("findings after the re-evaluation (-want +got):\n%s", diff)
	}
	if !slices.Equal(wantIDs, ids[:2]) {
		t.Errorf("finding ids %v, want %v kept", ids, wantIDs)
	}
	rows, err := s.ListFindings(ctx, store.FindingFilter{Digest: d, Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if !rows[0].FirstSeenAt.Equal(first) || !rows[2].FirstSeenAt.Equal(c.Now()) {
		t.Errorf("first seen: %v and %v, want %v and %v", rows[0].FirstSeenAt, rows[2].FirstSeenAt, first, c.Now())
	}
	if diff := cmp.Diff([]string{"finding.new CVE-2025-4802 libc6:i386"}, findingEvents(t, s)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestSaveEvaluationSuperseded: a re-match made from the inventory an
// image had at its Base is not saved once a scan evaluated the image
// since (the scan's newer inventory would be overwritten by the older
// one's result); made from the current evaluation, it is.
func TestSaveEvaluationSuperseded(t *testing.T) {
	s, c := openPipeline(t)
	ctx := t.Context()
	repo, d, ref := scanningImage(t, s, c)
	scan := func(inv string, pkgs int) {
		t.Helper()
		ev := store.Evaluation{Image: ref, Status: store.StatusHealthy, Inventory: inv, Packages: pkgs, Fingerprint: inv,
			DBVersion: "db1", At: c.Now(), Scan: true, Attempts: 1}
		if _, err := s.SaveEvaluation(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	scan("old", 0)
	before, err := s.GetImage(ctx, repo.ID, d)
	if err != nil {
		t.Fatal(err)
	}
	c.Add(time.Minute)
	scan("new", 16) // lands while a re-match of "old" is under way
	c.Add(time.Minute)
	rematch := store.Evaluation{Image: ref, Status: store.StatusUnhealthy, Inventory: "old", Packages: 0, Fingerprint: "old-db2",
		DBVersion: "db2", At: c.Now(), Base: before.ScannedAt}
	res, err := s.SaveEvaluations(ctx, []store.Evaluation{rematch})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].ImageID != 0 {
		t.Errorf("superseded re-match saved: %+v", res[0])
	}
	im, err := s.GetImage(ctx, repo.ID, d)
	if err != nil || im.Inventory != "new" || im.Packages != 16 || im.Status != store.StatusHealthy {
		t.Fatalf("after a superseded re-match: %+v, %v; want the scan's", im, err)
	}
	rematch.Inventory, rematch.Packages, rematch.Base = "new", 16, im.ScannedAt
	if res, err = s.SaveEvaluations(ctx, []store.Evaluation{rematch}); err != nil || res[0].ImageID == 0 {
		t.Fatalf("current re-match: %+v, %v", res, err)
	}
	if im, err := s.GetImage(ctx, repo.ID, d); err != nil || im.Status != store.StatusUnhealthy || im.DBVersion != "db2" {
		t.Errorf("after the current re-match: %+v, %v", im, err)
	}
}

func TestSaveEvaluation(t *testing.T) {
	s, c := openPipeline(t)
	ctx := t.Context()
	repo, d, ref := scanningImage(t, s, c)
	if ok, err := s.ImageEvaluated(ctx, repo.ID, d); err != nil || ok {
		t.Fatalf("ImageEvaluated before any result: %v %v", ok, err)
	}
	ev := store.Evaluation{Image: ref, Status: store.StatusUnhealthy, Inventory: "inv1", Packages: 3, Unchecked: 1,
		Summary: store.Summary{High: 2}, Findings: []store.FindingRecord{findingRec("CVE-1", "zlib", 3), findingRec("CVE-2", "musl", 3)},
		Fingerprint: "f1", DBVersion: "db1", At: c.Now(), Scan: true, Attempts: 1}
	res, err := s.SaveEvaluation(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	want := store.EvaluationResult{ImageID: res.ImageID, NewFindings: 2, Metered: true,
		Assessment: store.AssessmentUnhealthy, AssessmentChanged: true}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("first scan (-want +got):\n%s", diff)
	}
	// First scan: scan.completed, no finding.new; the assessment moved.
	if diff := cmp.Diff(map[string]int{"image.pushed": 1, "scan.completed": 1, "assessment.changed": 1}, eventTypes(t, s)); diff != "" {
		t.Errorf("events after the first scan (-want +got):\n%s", diff)
	}
	if ok, err := s.ImageEvaluated(ctx, repo.ID, d); err != nil || !ok {
		t.Fatalf("ImageEvaluated after the scan: %v %v", ok, err)
	}
	if im, err := s.GetImage(ctx, repo.ID, d); err != nil || im.Packages != 3 || im.Unchecked != 1 || im.Inventory != "inv1" {
		t.Errorf("GetImage after the scan: %+v, %v; want 3 packages, 1 unchecked", im, err)
	}
	// Re-match against a new database: CVE-2 resolved, CVE-3 new; a
	// re-match is not metered and raises no scan event.
	c.Add(time.Hour)
	ev2 := ev
	ev2.Findings = []store.FindingRecord{findingRec("CVE-1", "zlib", 4), findingRec("CVE-3", "busybox", 2)}
	ev2.Fingerprint, ev2.DBVersion, ev2.At, ev2.Scan = "f2", "db2", c.Now(), false
	res, err = s.SaveEvaluation(ctx, ev2)
	if err != nil {
		t.Fatal(err)
	}
	if res.NewFindings != 1 || res.Resolved != 1 || res.Metered || res.AssessmentChanged || res.PreviousStatus != store.StatusUnhealthy {
		t.Errorf("re-match result: %+v", res)
	}
	evs, err := s.PendingEvents(ctx, -1)
	if err != nil {
		t.Fatal(err)
	}
	var news, resolved []string
	for _, e := range evs {
		var p struct {
			Finding               struct{ ID, Severity string }
			Repository, DBVersion string
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatal(err)
		}
		switch e.Type {
		case sqlmeta.EventFindingNew:
			news = append(news, p.Finding.ID+"/"+p.Finding.Severity+"/"+p.DBVersion+"/"+p.Repository)
		case sqlmeta.EventFindingResolved:
			resolved = append(resolved, p.Finding.ID)
		}
	}
	if diff := cmp.Diff([]string{"CVE-3/Medium/db2/reg/app"}, news); diff != "" {
		t.Errorf("finding.new (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"CVE-2"}, resolved); diff != "" {
		t.Errorf("finding.resolved (-want +got):\n%s", diff)
	}
	// A rescan of the same digest is free.
	ev3 := ev2
	ev3.Scan, ev3.At = true, c.Now().Add(time.Minute)
	if res, err := s.SaveEvaluation(ctx, ev3); err != nil || res.Metered || res.NewFindings != 0 {
		t.Fatalf("rescan: %+v %v", res, err)
	}
	// Due evaluations follow the database version and the stale mark.
	due, err := s.DueEvaluations(ctx, "db2", 0, 10)
	if err != nil || len(due) != 0 {
		t.Fatalf("due at db2: %v %v", due, err)
	}
	due, err = s.DueEvaluations(ctx, "db3", 0, 10)
	if err != nil || len(due) != 1 || due[0].Inventory != "inv1" || due[0].Repository != "reg/app" || due[0].Registry != "reg" {
		t.Fatalf("due at db3: %+v %v", due, err)
	}
	if err := s.TouchEvaluations(ctx, []int64{due[0].ImageID}, "db3", c.Now()); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountDueEvaluations(ctx, "db3"); n != 0 {
		t.Fatalf("%d due after touch", n)
	}
	if n, err := s.MarkStale(ctx, "s1"); err != nil || n != 1 {
		t.Fatalf("mark stale: %d %v", n, err)
	}
	if n, _ := s.CountDueEvaluations(ctx, "db3"); n != 1 {
		t.Fatalf("%d due after mark stale", n)
	}
	// Healthy: the assessment follows.
	ev4 := ev2
	ev4.Status, ev4.Findings, ev4.Fingerprint, ev4.At = store.StatusHealthy, nil, "f4", c.Now().Add(2*time.Minute)
	res, err = s.SaveEvaluation(ctx, ev4)
	if err != nil || res.Resolved != 2 || res.Assessment != store.AssessmentHealthy || !res.AssessmentChanged {
		t.Fatalf("healthy: %+v %v", res, err)
	}
	// Deleting the image removes its results at once; the registry has no
	// scanned image left.
	if err := s.DeleteManifest(ctx, repo.ID, d); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.ImageEvaluated(ctx, repo.ID, d); ok {
		t.Fatal("results survived the manifest")
	}
	if _, err := s.SaveEvaluation(ctx, ev4); !errors.Is(err, store.ErrManifestUnknown) {
		t.Fatalf("save for a deleted manifest: %v", err)
	}
	evs, _ = s.PendingEvents(ctx, -1)
	last := evs[len(evs)-1]
	var a struct{ Assessment, Previous string }
	json.Unmarshal(last.Payload, &a)
	if last.Type != "image.deleted" || evs[len(evs)-2].Type != sqlmeta.EventAssessmentChanged {
		types := []string{}
		for _, e := range evs {
			types = append(types, e.Type)
		}
		sort.Strings(types)
		t.Fatalf("events after delete: %v", types)
	}
}

var _ = oci.Digest("")

// TestEnqueueFailedScans: after an upgrade, a job for every manifest
// whose scan failed (the index, for a failed platform), none for the
// others or for manifests already queued.
func TestEnqueueFailedScans(t *testing.T) {
	s, c := openPipeline(t)
	ctx := t.Context()
	ra, da := pushImage(t, s, "reg/a", "v1")
	rb, idx := pushImage(t, s, "reg/b", "v1") // stands for an index
	rc, dc := pushImage(t, s, "reg/c", "v1")
	plats := map[string]oci.Digest{}
	for _, p := range []string{"amd64", "arm64", "s390x"} {
		_, plats[p] = pushVariant(t, s, "reg/b", "", p)
	}
	for range 6 {
		j, ok := claim(t, s, "w1")
		if !ok {
			t.Fatal("push job missing")
		}
		if err := s.FinishScanJob(ctx, j.ID, "w1", store.JobDone, ""); err != nil {
			t.Fatal(err)
		}
	}
	save := func(ref store.ImageRef, status string) {
		t.Helper()
		if err := s.MarkScanning(ctx, ref, c.Now()); err != nil {
			t.Fatal(err)
		}
		ev := store.Evaluation{Image: ref, Status: status, DBVersion: "db1", At: c.Now(), Scan: true, Attempts: 1}
		if status == store.StatusFailed {
			ev.Reason = "layer over max-layer-bytes"
		} else {
			ev.Inventory = "inv"
		}
		if _, err := s.SaveEvaluation(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	save(store.ImageRef{RepositoryID: ra.ID, Digest: da, Platform: "linux/amd64"}, store.StatusFailed)
	plat := func(p string) oci.Digest { return plats[p] }
	save(store.ImageRef{RepositoryID: rb.ID, Digest: plat("amd64"), ParentDigest: idx, Platform: "linux/amd64"}, store.StatusHealthy)
	save(store.ImageRef{RepositoryID: rb.ID, Digest: plat("arm64"), ParentDigest: idx, Platform: "linux/arm64"}, store.StatusFailed)
	save(store.ImageRef{RepositoryID: rb.ID, Digest: plat("s390x"), ParentDigest: idx, Platform: "linux/s390x"}, store.StatusFailed)
	save(store.ImageRef{RepositoryID: rc.ID, Digest: dc, Platform: "linux/amd64"}, store.StatusHealthy)

	if n, err := s.EnqueueFailedScans(ctx, store.ReasonUpgrade, store.PriorityBulk); err != nil || n != 2 {
		t.Fatalf("EnqueueFailedScans = %d, %v; want 2 (reg/a, reg/b's index once)", n, err)
	}
	if n, err := s.EnqueueFailedScans(ctx, store.ReasonUpgrade, store.PriorityBulk); err != nil || n != 0 {
		t.Fatalf("again while queued: %d, %v", n, err)
	}
	var got []string
	for {
		j, ok := claim(t, s, "w2")
		if !ok {
			break
		}
		if j.Reason != store.ReasonUpgrade {
			t.Errorf("%s: reason %q", j.Repository, j.Reason)
		}
		got = append(got, j.Repository+"@"+string(j.Digest))
	}
	sort.Strings(got)
	want := []string{"reg/a@" + string(da), "reg/b@" + string(idx)}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("jobs (-want +got)\n%s", d)
	}
}
