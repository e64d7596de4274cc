package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/pipeline"
	"github.com/drydock/drydock/internal/pipeline/objects"
	"github.com/drydock/drydock/internal/registry"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/extract/list"
	"github.com/drydock/drydock/internal/scan/layer"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
	"github.com/drydock/drydock/internal/scan/match"
	st "github.com/drydock/drydock/internal/scan/source/sourcetest"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/store/fs"
	"github.com/drydock/drydock/internal/store/sqlmeta"
	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/vulndb/vulndbtest"
)

var fixture = vulndbtest.Fixture

// busyboxAdvisory is a small OSV record (not a real advisory) affecting
// the busybox of Alpine 3.11.13 (1.31.1-r11): newer advisory data.
const busyboxAdvisory = `{"schema_version":"1.6.0","id":"DRYDOCK-TEST-0001","modified":"2026-08-01T00:00:00Z",
"published":"2026-08-01T00:00:00Z","summary":"test advisory for busybox","details":"Test data.",
"affected":[{"package":{"ecosystem":"Alpine:v3.11","name":"busybox"},
"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.31.1-r20"}]}]}],
"database_specific":{"severity":"HIGH"}}`

// importDB builds an advisory database of the Alpine secdb plus extra OSV
// files.
func importDB(t testing.TB, extra map[string]string) *vulndb.DB {
	t.Helper()
	paths := []string{filepath.Join(vulndbtest.SharedTestdata(), "vulndb", "alpine-secdb")}
	if len(extra) > 0 {
		osv := t.TempDir()
		for name, body := range extra {
			if err := os.WriteFile(filepath.Join(osv, name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		paths = append(paths, osv)
	}
	return vulndbtest.ImportT(t, paths...)
}

// advisories is a settable advisory database.
type advisories struct{ p atomic.Pointer[vulndb.DB] }

func (a *advisories) DB() *vulndb.DB { return a.p.Load() }

// flakyBlobs fails Open for layer blobs while failing is set.
type flakyBlobs struct {
	store.Blobs
	failing atomic.Bool
	fails   atomic.Int64
}

func (f *flakyBlobs) Open(ctx context.Context, d oci.Digest) (io.ReadSeekCloser, error) {
	if f.failing.Load() {
		f.fails.Add(1)
		return nil, errors.New("blob store unreachable")
	}
	return f.Blobs.Open(ctx, d)
}

// env is a registry and a pipeline sharing one store, as in drydock serve.
type env struct {
	t     *testing.T
	meta  *sqlmeta.Store
	blobs *flakyBlobs
	reg   *registry.Registry
	adv   *advisories
	objs  *objects.Dir
	cfg   pipeline.Config
	p     *pipeline.Pipeline
	stop  func()
}

func newEnv(t *testing.T, cfg pipeline.Config, db *vulndb.DB) *env {
	t.Helper()
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	meta, err := sqlmeta.Open(t.Context(), sqlmeta.Config{Path: filepath.Join(dir, "meta.db")}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { meta.Close() })
	fsb, err := fs.Open(fs.Config{Root: filepath.Join(dir, "storage")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := meta.EnsureSubscription(t.Context(), "default", "default"); err != nil {
		t.Fatal(err)
	}
	blobs := &flakyBlobs{Blobs: fsb}
	reg, err := registry.New(registry.Config{AutoCreateRegistries: true, DefaultSubscription: "default"},
		registry.Deps{Meta: meta, Blobs: fsb, Auth: access.Open(), Logger: log, Metrics: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := objects.Open(filepath.Join(dir, "scan"), false)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, meta: meta, blobs: blobs, reg: reg, adv: &advisories{}, objs: objs}
	e.adv.p.Store(db)
	if cfg.Poll == 0 {
		cfg.Poll = 5 * time.Millisecond
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = 20 * time.Millisecond
	}
	e.cfg = cfg
	e.p = e.pipeline(nil)
	return e
}

// pipeline returns a pipeline over e's stores with extractors exs (nil:
// the default), as a drydock serve process starting on e's data.
func (e *env) pipeline(exs []extract.Extractor) *pipeline.Pipeline {
	p, err := pipeline.New(e.cfg, pipeline.Deps{Queue: e.meta, Results: e.meta, Manifests: e.meta, Blobs: e.blobs, Objects: e.objs,
		Advisories: e.adv, Plans: e.meta, Exemptions: e.meta, Artifacts: e.meta, Extractors: exs,
		Logger: slog.New(slog.DiscardHandler), Metrics: prometheus.NewRegistry()})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// start runs the pipeline until the test ends (or stop is called).
func (e *env) start() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.p.Run(ctx)
	}()
	e.stop = func() { cancel(); <-done }
	e.t.Cleanup(e.stop)
}

func (e *env) push(repo, tag string, a *st.Artifact) oci.Digest {
	st.Push(e.t, e.reg, repo, tag, a)
	return a.Root.Desc.Digest
}

func (e *env) repo(name string) store.Repository {
	e.t.Helper()
	r, err := e.meta.ResolveRepository(e.t.Context(), name, store.ResolveOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

var final = map[string]bool{store.StatusHealthy: true, store.StatusUnhealthy: true, store.StatusNotApplicable: true,
	store.StatusFailed: true, store.StatusPending: true}

// waitImage waits until the image has a final status that check accepts.
func (e *env) waitImage(repo string, d oci.Digest, check func(store.ImageRecord) bool) store.ImageRecord {
	e.t.Helper()
	r := e.repo(repo)
	deadline := time.Now().Add(20 * time.Second)
	var last store.ImageRecord
	for time.Now().Before(deadline) {
		im, err := e.meta.GetImage(e.t.Context(), r.ID, d)
		if err == nil {
			last = im
			if final[im.Status] && im.ScanState == "idle" && (check == nil || check(im)) {
				return im
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			e.t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.t.Fatalf("%s@%s: no final status in time; last %+v", repo, d, last)
	return last
}

func alpine(t *testing.T, version string) []lt.Entry {
	es := []lt.Entry{
		lt.File("lib/apk/db/installed", fixture(t, "alpine/"+version+"/installed")),
		lt.File("etc/os-release", fixture(t, "alpine/"+version+"/os-release")),
	}
	return es
}

func advisoryIDs(t *testing.T, meta *sqlmeta.Store, repo string, d oci.Digest) []string {
	t.Helper()
	rows, err := meta.ListFindings(t.Context(), store.FindingFilter{Repository: repo, Digest: d, Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.AdvisoryID)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func events(t *testing.T, meta *sqlmeta.Store) map[string][]json.RawMessage {
	t.Helper()
	evs, err := meta.PendingEvents(t.Context(), -1)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]json.RawMessage{}
	for _, e := range evs {
		out[e.Type] = append(out[e.Type], json.RawMessage(e.Payload))
	}
	return out
}

// TestScanOnPush pushes real images and checks every outcome: Alpine 3.4.6
// unhealthy with its 20 CVEs, Alpine 3.11.13 healthy, an artifact and a
// Windows image notApplicable, an index one result per platform, a
// registry of an unsupported type never scanned nor metered.
func TestScanOnPush(t *testing.T) {
	db := importDB(t, nil)
	e := newEnv(t, pipeline.Config{}, db)
	e.start()
	ctx := t.Context()

	old := e.push("team/alpine", "3.4.6", st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, alpine(t, "3.4.6")...)}}))
	im := e.waitImage("team/alpine", old, nil)
	if im.Status != store.StatusUnhealthy || im.Platform != "linux/amd64" || im.OSFamily != "alpine" || im.Packages != 16 ||
		im.DBVersion != db.Version() || im.ScannedAt.IsZero() || im.PushedAt.IsZero() {
		t.Errorf("alpine 3.4.6: %+v", im)
	}
	want := []string{"CVE-2016-7055", "CVE-2016-9840", "CVE-2016-9841", "CVE-2016-9842", "CVE-2016-9843", "CVE-2017-15650",
		"CVE-2017-15873", "CVE-2017-16544", "CVE-2017-3731", "CVE-2017-3732", "CVE-2017-3735", "CVE-2017-3736", "CVE-2017-3737",
		"CVE-2017-3738", "CVE-2018-0732", "CVE-2018-0733", "CVE-2018-0734", "CVE-2018-0737", "CVE-2018-0739", "CVE-2018-5407"}
	if diff := cmp.Diff(want, advisoryIDs(t, e.meta, "team/alpine", old)); diff != "" {
		t.Errorf("alpine 3.4.6 advisories (-want +got):\n%s", diff)
	}

	fresh := e.push("team/alpine", "3.11.13", st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, alpine(t, "3.11.13")...)}}))
	if im := e.waitImage("team/alpine", fresh, nil); im.Status != store.StatusHealthy || im.Summary != (store.Summary{}) {
		t.Errorf("alpine 3.11.13: %+v", im)
	}

	artifact := e.push("team/sbom", "v1", st.Image(t, st.ImageSpec{ConfigMediaType: "application/vnd.example.sbom.config+json",
		Layers: [][]byte{st.Tar(t, lt.File("sbom.json", "{}"))}}))
	if im := e.waitImage("team/sbom", artifact, nil); im.Status != store.StatusNotApplicable || im.Reason == "" {
		t.Errorf("artifact: %+v", im)
	}
	windows := e.push("team/win", "v1", st.Image(t, st.ImageSpec{Platform: "windows/amd64", Layers: [][]byte{st.Tar(t, lt.File("Windows/x", "x"))}}))
	if im := e.waitImage("team/win", windows, nil); im.Status != store.StatusNotApplicable || im.Reason == "" {
		t.Errorf("windows: %+v", im)
	}

	amd := st.Image(t, st.ImageSpec{Platform: "linux/amd64", Layers: [][]byte{st.Tar(t, alpine(t, "3.4.6")...)}})
	arm := st.Image(t, st.ImageSpec{Platform: "linux/arm64", Layers: [][]byte{st.Tar(t, alpine(t, "3.11.13")...)}})
	idx := e.push("team/multi", "v1", st.Index(t, amd, arm))
	e.waitImage("team/multi", amd.Root.Desc.Digest, nil)
	e.waitImage("team/multi", arm.Root.Desc.Digest, nil)
	deadline := time.Now().Add(10 * time.Second)
	for {
		states, err := e.meta.ManifestStates(ctx, e.repo("team/multi").ID, idx, "", 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(states) == 1 && states[0].Job == store.JobDone {
			var got []string
			for _, im := range states[0].Images {
				got = append(got, im.Platform+" "+im.Status)
			}
			if diff := cmp.Diff([]string{"linux/amd64 unhealthy", "linux/arm64 healthy"}, got); diff != "" || !states[0].Index {
				t.Errorf("index platforms (-want +got):\n%s", diff)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("index job not done: %+v", states)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// A registry of an unsupported type: the job is skipped, nothing is
	// recorded or metered.
	if _, err := e.meta.CreateRegistry(ctx, "default", "mirror", store.RegistryTypeExternal); err != nil {
		t.Fatal(err)
	}
	ext := e.push("mirror/alpine", "v1", st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, alpine(t, "3.4.6")...), st.Tar(t, lt.File("x", "x"))}}))
	waitJob(t, e, "mirror/alpine", ext, store.JobSkipped)
	if _, err := e.meta.GetImage(ctx, e.repo("mirror/alpine").ID, ext); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("external registry image has a result: %v", err)
	}

	// Usage: one record per distinct digest scanned with an inventory
	// (the index's amd64 child is the same digest as team/alpine:3.4.6,
	// in the same subscription: not billed twice).
	usage, err := e.meta.Usage(ctx, store.UsageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	billed := map[string]int{}
	for _, u := range usage {
		billed[u.Registry] += u.Images
	}
	if diff := cmp.Diff(map[string]int{"team": 3}, billed); diff != "" {
		t.Errorf("usage (-want +got):\n%s", diff)
	}
	ev := events(t, e.meta)
	if n := len(ev["scan.completed"]); n != 6 {
		t.Errorf("%d scan.completed events, want 6 (the index children are scanned by their own jobs)", n)
	}
	if n := len(ev["finding.new"]); n != 0 {
		t.Errorf("%d finding.new events on first scans", n)
	}
	as, err := e.meta.Assessments(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range as {
		got = append(got, a.Registry+" "+a.Status)
	}
	if diff := cmp.Diff([]string{"mirror NotApplicable", "team Unhealthy"}, got); diff != "" {
		t.Errorf("assessments (-want +got):\n%s", diff)
	}

	// Deleting an image removes its findings at once.
	if err := e.meta.DeleteManifest(ctx, e.repo("team/alpine").ID, old); err != nil {
		t.Fatal(err)
	}
	if ids := advisoryIDs(t, e.meta, "team/alpine", old); len(ids) != 0 {
		t.Errorf("findings after delete: %v", ids)
	}
}

func waitJob(t *testing.T, e *env, repo string, d oci.Digest, state string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		jobs, err := e.meta.ListScanJobs(t.Context(), e.repo(repo).ID, d)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) > 0 && jobs[0].State == state {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s@%s: job not %s in time", repo, d, state)
}

// TestNewAdvisoryData: a database update flips a healthy image to
// unhealthy without reading its layers, records the new finding and
// raises finding.new; pending images get their verdict when a database
// arrives.
func TestNewAdvisoryData(t *testing.T) {
	e := newEnv(t, pipeline.Config{}, nil)
	e.start()
	img := st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, alpine(t, "3.11.13")...)}})
	d := e.push("team/app", "v1", img)
	im := e.waitImage("team/app", d, nil)
	if im.Status != store.StatusPending || im.Reason == "" || im.Inventory == "" {
		t.Fatalf("without a database: %+v", im)
	}
	e.adv.p.Store(importDB(t, nil))
	e.p.DBChanged()
	im = e.waitImage("team/app", d, func(im store.ImageRecord) bool { return im.Status != store.StatusPending })
	if im.Status != store.StatusHealthy {
		t.Fatalf("with the secdb: %+v", im)
	}
	// No layer may be read from now on.
	e.blobs.failing.Store(true)
	db2 := importDB(t, map[string]string{"DRYDOCK-TEST-0001.json": busyboxAdvisory})
	e.adv.p.Store(db2)
	e.p.DBChanged()
	im = e.waitImage("team/app", d, func(im store.ImageRecord) bool { return im.DBVersion == db2.Version() })
	// busybox and ssl_client are both built from busybox.
	if im.Status != store.StatusUnhealthy || im.Summary.High != 2 {
		t.Fatalf("after the update: %+v", im)
	}
	if n := e.blobs.fails.Load(); n != 0 {
		t.Errorf("re-evaluation read %d blobs", n)
	}
	var got []string
	for _, raw := range events(t, e.meta)["finding.new"] {
		var p struct {
			Repository, DBVersion string
			Finding               struct {
				ID, Severity, FixedVersion string
				Package                    struct{ Name string }
			}
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Repository+" "+p.Finding.Package.Name+" "+p.Finding.ID+" "+p.Finding.Severity+" "+p.Finding.FixedVersion+" "+map[bool]string{true: "db2"}[p.DBVersion == db2.Version()])
	}
	slices.Sort(got)
	if diff := cmp.Diff([]string{"team/app busybox DRYDOCK-TEST-0001 High 1.31.1-r20 db2", "team/app ssl_client DRYDOCK-TEST-0001 High 1.31.1-r20 db2"}, got); diff != "" {
		t.Errorf("finding.new (-want +got):\n%s", diff)
	}
	changes, err := e.meta.FindingChanges(t.Context(), nil, "", 0, -1)
	if err != nil || len(changes) != 2 || changes[0].Change != "new" || changes[0].At.IsZero() {
		t.Errorf("finding changes: %+v %v", changes, err)
	}
	// The image is written before the run's counters: wait for the run to end.
	st := e.p.ReevalState()
	for deadline := time.Now().Add(10 * time.Second); st.Running && time.Now().Before(deadline); st = e.p.ReevalState() {
		time.Sleep(5 * time.Millisecond)
	}
	if st.Running || st.DBVersion != db2.Version() || st.Evaluated != 1 || st.Changed != 1 {
		t.Errorf("re-evaluation state: %+v", st)
	}
}

// glibcAdvisory is a small OSV record (not a real advisory) affecting the
// glibc of Debian 13 up to 2.41-12+deb13u5, the libc6 of the multi-arch
// fixture.
const glibcAdvisory = `{"schema_version":"1.6.0","id":"DRYDOCK-TEST-0002","modified":"2026-08-01T00:00:00Z",
"published":"2026-08-01T00:00:00Z","summary":"test advisory for glibc","details":"Test data.",
"affected":[{"package":{"ecosystem":"Debian:13","name":"glibc"},
"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.41-12+deb13u6"}]}]}],
"database_specific":{"severity":"HIGH"}}`

// multiArchImage is a Debian 13 image whose base layer has libc6:amd64
// and whose second layer added i386 (dpkg --add-architecture i386, then
// libc6:i386): real status files of trixie roots.
func multiArchImage(t *testing.T) *st.Artifact {
	t.Helper()
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	dpkg := filepath.Join("..", "scan", "extract", "dpkg", "testdata", "multiarch")
	base := st.Tar(t, lt.File("etc/os-release", read(filepath.Join("testdata", "trixie", "os-release"))),
		lt.File("var/lib/dpkg/status", read(filepath.Join(dpkg, "status.amd64"))))
	i386 := st.Tar(t, lt.File("var/lib/dpkg/status", read(filepath.Join(dpkg, "status.amd64+i386"))))
	return st.Image(t, st.ImageSpec{Layers: [][]byte{base, i386}})
}

// TestMultiArch scans a multi-arch Debian image through the pipeline: the
// server stores the findings of libc6:amd64 and libc6:i386 (same name,
// version and status file) as two, each with its architecture and layer,
// as the report (the one drydock scan prints) lists them; a
// re-evaluation against new advisory data keeps both without raising
// anything for them.
func TestMultiArch(t *testing.T) {
	db := importDB(t, map[string]string{"DRYDOCK-TEST-0002.json": glibcAdvisory})
	e := newEnv(t, pipeline.Config{}, db)
	e.start()
	ctx := t.Context()
	img := multiArchImage(t)
	d := e.push("team/debian", "multiarch", img)
	im := e.waitImage("team/debian", d, nil)
	if im.Status != store.StatusUnhealthy || im.OSFamily != "debian" || im.OSVersion != "13" || im.Summary.High != 2 {
		t.Fatalf("image: %+v; want unhealthy with 2 high findings", im)
	}
	var m struct{ Layers []oci.Descriptor }
	if err := json.Unmarshal(img.Root.Data, &m); err != nil || len(m.Layers) != 2 {
		t.Fatalf("manifest: %v, %+v", err, m)
	}
	layers := m.Layers
	stored := func() []string {
		t.Helper()
		rows, err := e.meta.ListFindings(ctx, store.FindingFilter{Repository: "team/debian", Digest: d, Limit: -1})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows {
			out = append(out, r.AdvisoryID+" "+r.PackageName+":"+r.PackageArch+" "+r.PackageVersion+" "+r.PackagePath+" "+r.Layer)
		}
		slices.Sort(out)
		return out
	}
	want := []string{
		"DRYDOCK-TEST-0002 libc6:amd64 2.41-12+deb13u5 var/lib/dpkg/status " + string(layers[0].Digest),
		"DRYDOCK-TEST-0002 libc6:i386 2.41-12+deb13u5 var/lib/dpkg/status " + string(layers[1].Digest),
	}
	if diff := cmp.Diff(want, stored()); diff != "" {
		t.Errorf("stored findings (-want +got):\n%s", diff)
	}
	// The report of the stored image lists the same findings.
	rep, err := e.p.Report(ctx, im)
	if err != nil {
		t.Fatal(err)
	}
	var reported []string
	for _, f := range rep.Findings {
		reported = append(reported, f.ID+" "+f.Package.Name+":"+f.Package.Arch+" "+f.Package.Version+" "+f.Package.Path+" "+f.Layer)
	}
	slices.Sort(reported)
	if diff := cmp.Diff(want, reported); diff != "" {
		t.Errorf("report findings (-want +got):\n%s", diff)
	}
	// New advisory data that changes nothing for libc6: re-evaluated,
	// both findings kept, no finding event.
	db2 := importDB(t, map[string]string{"DRYDOCK-TEST-0002.json": glibcAdvisory, "DRYDOCK-TEST-0001.json": busyboxAdvisory})
	e.adv.p.Store(db2)
	e.p.DBChanged()
	e.waitImage("team/debian", d, func(im store.ImageRecord) bool { return im.DBVersion == db2.Version() })
	if diff := cmp.Diff(want, stored()); diff != "" {
		t.Errorf("stored findings after the re-evaluation (-want +got):\n%s", diff)
	}
	ev := events(t, e.meta)
	if n, m := len(ev["finding.new"]), len(ev["finding.resolved"]); n != 0 || m != 0 {
		t.Errorf("%d finding.new and %d finding.resolved events, want none", n, m)
	}
	var p struct{ Summary struct{ High int } }
	if err := json.Unmarshal(ev["scan.completed"][0], &p); err != nil || p.Summary.High != 2 {
		t.Errorf("scan.completed: %s, %v", ev["scan.completed"][0], err)
	}
}

// TestRetries: a transient blob store failure is retried with backoff; a
// lasting one ends failed with the reason after the attempts.
func TestRetries(t *testing.T) {
	e := newEnv(t, pipeline.Config{MaxAttempts: 3, Backoff: 30 * time.Millisecond}, importDB(t, nil))
	e.blobs.failing.Store(true)
	e.start()
	d := e.push("team/app", "v1", st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, alpine(t, "3.11.13")...)}}))
	for e.blobs.fails.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	e.blobs.failing.Store(false)
	if im := e.waitImage("team/app", d, nil); im.Status != store.StatusHealthy || im.Attempts < 2 {
		t.Errorf("after a transient failure: %+v", im)
	}
	e.blobs.failing.Store(true)
	d2 := e.push("team/app", "v2", st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, alpine(t, "3.4.6")...)}}))
	im := e.waitImage("team/app", d2, nil)
	if im.Status != store.StatusFailed || im.Attempts != 3 {
		t.Errorf("after lasting failures: %+v", im)
	}
	waitJob(t, e, "team/app", d2, store.JobFailed)
	if n := len(events(t, e.meta)["scan.failed"]); n != 1 {
		t.Errorf("%d scan.failed events", n)
	}
}

// TestCrashedWorker: a job a crashed worker held is taken back by the
// process restarting under its name.
func TestCrashedWorker(t *testing.T) {
	e := newEnv(t, pipeline.Config{WorkerName: "node1", Lease: time.Hour}, importDB(t, nil))
	d := e.push("team/app", "v1", st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, alpine(t, "3.11.13")...)}}))
	// "node1/0" claims the job and dies.
	if _, ok, err := e.meta.ClaimScanJob(t.Context(), "node1/0", time.Hour, true); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	e.start()
	if im := e.waitImage("team/app", d, nil); im.Status != store.StatusHealthy {
		t.Errorf("after the restart: %+v", im)
	}
}

// TestPlan: with scanning off nothing is scanned or metered; switching it
// on scans what was pushed within the window.
func TestPlan(t *testing.T) {
	e := newEnv(t, pipeline.Config{}, importDB(t, nil))
	ctx := t.Context()
	off := false
	if err := e.meta.SetPlan(ctx, "default", "", &off); err != nil {
		t.Fatal(err)
	}
	e.start()
	d := e.push("team/app", "v1", st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, alpine(t, "3.4.6")...)}}))
	waitJob(t, e, "team/app", d, store.JobSkipped)
	if u, _ := e.meta.Usage(ctx, store.UsageFilter{}); len(u) != 0 {
		t.Fatalf("usage with scanning off: %v", u)
	}
	on := true
	n, err := e.p.SetPlan(ctx, "default", "team", &on)
	if err != nil || n != 1 {
		t.Fatalf("switch on: %d queued, %v", n, err)
	}
	if im := e.waitImage("team/app", d, nil); im.Status != store.StatusUnhealthy {
		t.Errorf("after switching on: %+v", im)
	}
	if u, _ := e.meta.Usage(ctx, store.UsageFilter{}); len(u) != 1 || u[0].Images != 1 || u[0].Registry != "team" {
		t.Errorf("usage: %+v", u)
	}
	p, err := e.meta.GetPlan(ctx, "default")
	if err != nil || p.Enabled == nil || *p.Enabled || !p.Registries["team"] {
		t.Errorf("plan: %+v %v", p, err)
	}
}

// TestExemptions: an exemption silences findings (they stay, exempted)
// and the image turns healthy; when it expires they count again.
func TestExemptions(t *testing.T) {
	e := newEnv(t, pipeline.Config{}, importDB(t, nil))
	e.start()
	ctx := t.Context()
	d := e.push("team/app", "v1", st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, alpine(t, "3.4.6")...)}}))
	im := e.waitImage("team/app", d, nil)
	if im.Status != store.StatusUnhealthy {
		t.Fatalf("before: %+v", im)
	}
	all := im.Summary.Unknown
	rule := store.Exemption{ID: "ex-1", SubscriptionID: "default", Scope: store.ExemptScopeRepository, Repository: "team/*",
		MaxSeverity: 0, Reason: "accepted risk", Author: "alice", CreatedAt: time.Now(), ExpiresAt: time.Now().Add(1500 * time.Millisecond)}
	if err := e.meta.CreateExemption(ctx, rule); err != nil {
		t.Fatal(err)
	}
	e.p.ExemptionsChanged("default")
	im = e.waitImage("team/app", d, func(im store.ImageRecord) bool { return im.Status == store.StatusHealthy })
	if im.Summary.Exempted != all || im.Summary.Unknown != 0 {
		t.Errorf("exempted: %+v", im.Summary)
	}
	exempted := true
	rows, err := e.meta.ListFindings(ctx, store.FindingFilter{Exempted: &exempted, Limit: -1})
	if err != nil || len(rows) != all || rows[0].ExemptionID != "ex-1" {
		t.Errorf("exempt findings: %d of %d, %v", len(rows), all, err)
	}
	// An image outside the scope is not exempted.
	other := e.push("else/app", "v1", st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, alpine(t, "3.4.6")...), st.Tar(t, lt.File("x", "y"))}}))
	if im := e.waitImage("else/app", other, nil); im.Status != store.StatusUnhealthy {
		t.Errorf("out of scope: %+v", im)
	}
	// The rule expires: the findings count again.
	im = e.waitImage("team/app", d, func(im store.ImageRecord) bool { return im.Status == store.StatusUnhealthy })
	if im.Summary.Unknown != all || im.Summary.Exempted != 0 {
		t.Errorf("after expiry: %+v", im.Summary)
	}
}

// TestIndexAttestation: an index as docker buildx pushes it, with an
// attestation manifest beside its platforms (platform unknown/unknown, an
// in-toto statement as its layer). The attestation is pushed before the
// index, so it is scanned on its own (notApplicable), but it is no platform
// of the index: the index lists its Linux platforms only, as drydock scan
// does.
func TestIndexAttestation(t *testing.T) {
	e := newEnv(t, pipeline.Config{}, importDB(t, nil))
	e.start()
	amd := st.Image(t, st.ImageSpec{Platform: "linux/amd64", Layers: [][]byte{st.Tar(t, alpine(t, "3.4.6")...)}})
	arm := st.Image(t, st.ImageSpec{Platform: "linux/arm64/v8", Layers: [][]byte{st.Tar(t, alpine(t, "3.11.13")...)}})
	statement := `{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://spdx.dev/Document","subject":[{"name":"mp","digest":{"sha256":"` +
		amd.Root.Desc.Digest.Encoded() + `"}}],"predicate":{}}`
	att := st.Image(t, st.ImageSpec{Platform: "unknown/unknown", LayerMediaType: "application/vnd.in-toto+json", Layers: [][]byte{[]byte(statement)}})
	idx := e.push("team/multi", "v1", st.Index(t, amd, arm, att))
	if im := e.waitImage("team/multi", att.Root.Desc.Digest, nil); im.Status != store.StatusNotApplicable {
		t.Errorf("attestation on its own: %+v", im)
	}
	// The platforms are scanned by their own jobs, which may end after the
	// index's.
	e.waitImage("team/multi", amd.Root.Desc.Digest, nil)
	e.waitImage("team/multi", arm.Root.Desc.Digest, nil)
	deadline := time.Now().Add(10 * time.Second)
	for {
		states, err := e.meta.ManifestStates(t.Context(), e.repo("team/multi").ID, idx, "", 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(states) == 1 && states[0].Job == store.JobDone {
			var got []string
			for _, im := range states[0].Images {
				got = append(got, im.Platform+" "+im.Status)
			}
			if diff := cmp.Diff([]string{"linux/amd64 unhealthy", "linux/arm64/v8 healthy"}, got); diff != "" {
				t.Errorf("index platforms (-want +got):\n%s", diff)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("index job not done: %+v", states)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestExtractorsUpgraded: images scanned by a drydock whose extractors
// differ from the running one's (an upgrade) are scanned again at start:
// here the first process has no apk extractor and finds Alpine 3.4.6
// without packages; the next, with every extractor, finds its 20 CVEs
// without a push. A third start with the same extractors rescans nothing.
func TestExtractorsUpgraded(t *testing.T) {
	db := importDB(t, nil)
	e := newEnv(t, pipeline.Config{}, db)
	var noApk []extract.Extractor
	for _, ex := range list.All() {
		if ex.Name() != "os/apk" {
			noApk = append(noApk, ex)
		}
	}
	e.p = e.pipeline(noApk)
	e.start()
	d := e.push("team/alpine", "3.4.6", st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, alpine(t, "3.4.6")...)}}))
	if im := e.waitImage("team/alpine", d, nil); im.Packages != 0 || im.Status == store.StatusUnhealthy {
		t.Fatalf("without the apk extractor: %+v", im)
	}
	e.settle("team/alpine", d)
	e.stop()

	e.p = e.pipeline(nil)
	e.start()
	im := e.waitImage("team/alpine", d, func(im store.ImageRecord) bool { return im.Packages > 0 })
	if im.Status != store.StatusUnhealthy || im.Packages != 16 || len(advisoryIDs(t, e.meta, "team/alpine", d)) != 20 {
		t.Errorf("after the upgrade: %+v, %d advisories", im, len(advisoryIDs(t, e.meta, "team/alpine", d)))
	}
	e.settle("team/alpine", d)
	e.stop()

	e.restartQueuesNothing("the same extractors")
	if again := e.waitImage("team/alpine", d, nil); !again.ScannedAt.Equal(im.ScannedAt) {
		t.Errorf("the same extractors scanned the image again: scanned at %v, then %v", im.ScannedAt, again.ScannedAt)
	}
}

// TestMatchingRulesChanged: a start whose matching rules' revision, or
// level of judging Go binaries, differs from the last start's matches
// every stored image again; one with the same rules does not.
func TestMatchingRulesChanged(t *testing.T) {
	e := newEnv(t, pipeline.Config{}, importDB(t, nil))
	e.start()
	d := e.push("team/alpine", "3.4.6", st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, alpine(t, "3.4.6")...)}}))
	e.waitImage("team/alpine", d, nil)
	e.settle("team/alpine", d)
	e.stop()

	const marker = "pipeline/extractors"
	had, err := e.objs.Get(t.Context(), marker)
	if err != nil || !strings.Contains(string(had), fmt.Sprintf("\nmatching %d", match.Revision)) {
		t.Fatalf("start marker %q, %v: want the matching revision", had, err)
	}
	evaluated := func() int {
		e.p = e.pipeline(nil)
		e.start()
		defer e.stop()
		deadline := time.Now().Add(time.Second) // a pass over one image takes milliseconds
		for time.Now().Before(deadline) {
			if st := e.p.ReevalState(); st.Evaluated > 0 && !st.Running {
				return st.Evaluated
			}
			time.Sleep(5 * time.Millisecond)
		}
		return e.p.ReevalState().Evaluated
	}
	if n := evaluated(); n != 0 {
		t.Errorf("a start with the same rules re-matched %d images", n)
	}
	older := strings.Replace(string(had), fmt.Sprintf("\nmatching %d", match.Revision), fmt.Sprintf("\nmatching %d", match.Revision-1), 1)
	if err := e.objs.Put(t.Context(), marker, []byte(older)); err != nil {
		t.Fatal(err)
	}
	if n := evaluated(); n != 1 {
		t.Errorf("a start with other matching rules re-matched %d images, want 1", n)
	}
	e.cfg.GoScan = match.GoScanModule
	if n := evaluated(); n != 1 {
		t.Errorf("a start judging Go binaries by another level re-matched %d images, want 1", n)
	}
	if n := evaluated(); n != 0 {
		t.Errorf("a second start at that level re-matched %d images", n)
	}
}

// restartQueuesNothing starts and stops a pipeline like the last one
// (same extractors and limits) and checks that it queued no scan.
func (e *env) restartQueuesNothing(same string) {
	e.t.Helper()
	jobs, err := e.meta.CountScanJobs(e.t.Context(), "")
	if err != nil {
		e.t.Fatal(err)
	}
	e.p = e.pipeline(nil)
	e.start()
	time.Sleep(300 * time.Millisecond) // time enough for a rescan, were one queued
	e.stop()
	if n, err := e.meta.CountScanJobs(e.t.Context(), ""); err != nil || n != jobs {
		e.t.Errorf("scan jobs: %d before a start with %s, %d after (%v)", jobs, same, n, err)
	}
}

// TestFailedScannedAfterLimitsChange: an image that failed on a limit is
// scanned again by the first start with other limits (or extractors),
// and by no later start with the same ones.
func TestFailedScannedAfterLimitsChange(t *testing.T) {
	e := newEnv(t, pipeline.Config{MaxAttempts: 1, Limits: layer.Config{MaxEntries: 1}}, importDB(t, nil))
	e.start()
	d := e.push("team/alpine", "3.4.6", st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, alpine(t, "3.4.6")...)}}))
	if im := e.waitImage("team/alpine", d, nil); im.Status != store.StatusFailed || !strings.Contains(im.Reason, "entries") {
		t.Fatalf("with max-entries 1: %+v", im)
	}
	e.settle("team/alpine", d)
	e.stop()

	e.cfg.Limits = layer.Config{}
	e.p = e.pipeline(nil)
	e.start()
	im := e.waitImage("team/alpine", d, func(im store.ImageRecord) bool { return im.Status != store.StatusFailed })
	if im.Status != store.StatusUnhealthy || im.Packages != 16 || len(advisoryIDs(t, e.meta, "team/alpine", d)) != 20 {
		t.Errorf("after raising the limit: %+v, %d advisories", im, len(advisoryIDs(t, e.meta, "team/alpine", d)))
	}
	e.settle("team/alpine", d)
	e.stop()

	e.restartQueuesNothing("the same limits")
}

// settle waits until the manifest has no queued or running scan job: a
// job's result is saved before the job is marked done, and a process
// stopped in between has its successor run the job again.
func (e *env) settle(repo string, d oci.Digest) {
	e.t.Helper()
	r := e.repo(repo)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		pending, err := e.meta.PendingScanJob(e.t.Context(), r.ID, d)
		if err != nil {
			e.t.Fatal(err)
		}
		if !pending {
			return
		}
	}
	e.t.Fatalf("%s@%s: scan job still pending", repo, d)
}
