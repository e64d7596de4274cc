package policy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/audit"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/policy"
	"github.com/drydock/drydock/internal/registry"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/store/fs"
	"github.com/drydock/drydock/internal/store/sqlmeta"
)

func TestJudge(t *testing.T) {
	scanned := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	high := store.PullPolicy{BlockSeverity: 3}
	highUnscanned := store.PullPolicy{BlockSeverity: 3, BlockUnscanned: true}
	unscannedOnly := store.PullPolicy{BlockSeverity: store.NoSeverityRule, BlockUnscanned: true}
	unhealthy := store.PullState{Status: store.StatusUnhealthy, ScannedAt: scanned, Summary: store.Summary{Critical: 3, High: 17, Medium: 5, Exempted: 2}}
	uncheckedOnly := store.PullPolicy{BlockSeverity: store.NoSeverityRule, BlockUnchecked: true}
	notChecked := store.PullState{Status: store.StatusHealthy, ScannedAt: scanned, Packages: 14, Unchecked: 14}
	mediumOnly := store.PullState{Status: store.StatusUnhealthy, ScannedAt: scanned, Summary: store.Summary{Medium: 5}}
	tests := []struct {
		name   string
		pol    store.PullPolicy
		st     store.PullState
		found  bool
		allow  bool
		reason string
	}{
		{"off", store.PullPolicy{BlockSeverity: store.NoSeverityRule}, unhealthy, true, true, ""},
		{"findings at or above High", high, unhealthy, true, false, "20 findings at or above High (3 Critical, 17 High)"},
		{"only below the threshold", high, mediumOnly, true, true, ""},
		{"one finding", store.PullPolicy{BlockSeverity: 2}, mediumOnly, true, false, "5 findings at or above Medium (5 Medium)"},
		{"Unknown blocks everything", store.PullPolicy{BlockSeverity: 0}, store.PullState{Status: store.StatusUnhealthy, ScannedAt: scanned, Summary: store.Summary{Unknown: 1}}, true, false, "1 finding at or above Unknown (1 Unknown)"},
		{"healthy", highUnscanned, store.PullState{Status: store.StatusHealthy, ScannedAt: scanned}, true, true, ""},
		{"exempted findings do not count", high, store.PullState{Status: store.StatusHealthy, ScannedAt: scanned, Summary: store.Summary{Exempted: 4}}, true, true, ""},
		{"no result row, severity only", high, store.PullState{}, false, true, ""},
		{"no result row, unscanned blocked", highUnscanned, store.PullState{}, false, false, "not yet scanned"},
		{"first scan running", unscannedOnly, store.PullState{Status: store.StatusScanning}, true, false, "not yet scanned"},
		{"rescan running keeps the verdict", highUnscanned, store.PullState{Status: store.StatusScanning, ScannedAt: scanned}, true, true, ""},
		{"pending", unscannedOnly, store.PullState{Status: store.StatusPending, ScannedAt: scanned}, true, false, "not yet scanned: no advisory database is loaded"},
		{"failed", unscannedOnly, store.PullState{Status: store.StatusFailed, Reason: "layer too large", ScannedAt: scanned}, true, false, "not scanned: its scan failed (layer too large)"},
		{"failed, severity only", high, store.PullState{Status: store.StatusFailed, ScannedAt: scanned}, true, true, ""},
		{"notApplicable", highUnscanned, store.PullState{Status: store.StatusNotApplicable, ScannedAt: scanned}, true, true, ""},
		{"unscanned only ignores findings", unscannedOnly, unhealthy, true, true, ""},
		{"unchecked packages", uncheckedOnly, notChecked, true, false, "14 of 14 packages not checked against any advisory (the report's unchecked says why)"},
		{"unchecked packages, severity only", high, notChecked, true, true, ""},
		{"unchecked packages, unscanned only", unscannedOnly, notChecked, true, true, ""},
		{"findings come first", store.PullPolicy{BlockSeverity: 3, BlockUnchecked: true}, store.PullState{Status: store.StatusUnhealthy, ScannedAt: scanned,
			Summary: store.Summary{High: 1}, Packages: 20, Unchecked: 3}, true, false, "1 finding at or above High (1 High)"},
		{"every package checked", uncheckedOnly, store.PullState{Status: store.StatusHealthy, ScannedAt: scanned, Packages: 14}, true, true, ""},
		{"unchecked, a rescan running keeps the verdict", uncheckedOnly, store.PullState{Status: store.StatusQueued, ScannedAt: scanned, Packages: 14, Unchecked: 14},
			true, false, "14 of 14 packages not checked against any advisory (the report's unchecked says why)"},
		{"unchecked only lets unscanned images pass", uncheckedOnly, store.PullState{}, false, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := policy.Judge(tt.pol, tt.st, tt.found)
			if v.Allowed != tt.allow || v.Reason != tt.reason {
				t.Errorf("Judge = allowed %v %q, want %v %q", v.Allowed, v.Reason, tt.allow, tt.reason)
			}
		})
	}
}

// recorder is an audit.Recorder that keeps events.
type recorder struct {
	mu  sync.Mutex
	evs []audit.Event
}

func (r *recorder) Record(_ context.Context, e audit.Event) {
	r.mu.Lock()
	r.evs = append(r.evs, e)
	r.mu.Unlock()
}

func (r *recorder) events() []audit.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]audit.Event(nil), r.evs...)
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// env is a registry with the pull policy over real stores.
type env struct {
	t     testing.TB
	meta  *sqlmeta.Store
	pol   *policy.Policies
	srv   *httptest.Server
	rec   *recorder
	clock *clock
}

func newEnv(t testing.TB, withPolicy bool) *env {
	t.Helper()
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	meta, err := sqlmeta.Open(t.Context(), sqlmeta.Config{Path: filepath.Join(dir, "meta.db")}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { meta.Close() })
	blobs, err := fs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, meta: meta, rec: &recorder{}, clock: &clock{now: time.Now().UTC()}}
	e.pol, err = policy.New(policy.Config{MaxBreakGlass: time.Hour}, policy.Deps{Store: meta, Audit: e.rec, Logger: log, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	deps := registry.Deps{Meta: meta, Blobs: blobs, Auth: named{}, Logger: log}
	if withPolicy {
		deps.PullPolicy = e.pol
	}
	reg, err := registry.New(registry.DefaultConfig(), deps)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(reg)
	t.Cleanup(e.srv.Close)
	return e
}

// named is access.Open with a caller name.
type named struct{}

func (named) Authorize(r *http.Request, _ []access.Request) (*http.Request, error) {
	return r.WithContext(access.WithIdentity(r.Context(), &access.Identity{Name: "puller"})), nil
}

func (e *env) do(method, path string, body []byte, contentType string) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// push stores a one-layer image in repo:tag and returns its digest.
func (e *env) push(repo, tag string) oci.Digest {
	e.t.Helper()
	cfg := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"x":"` + repo + tag + `"}`)
	layer := []byte("layer of " + repo + tag)
	for _, b := range [][]byte{cfg, layer} {
		if code, body := e.do("POST", "/v2/"+repo+"/blobs/uploads/?digest="+digest.FromBytes(b).String(), b, "application/octet-stream"); code != 201 {
			e.t.Fatalf("push blob: %d %s", code, body)
		}
	}
	m := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":%q,"digest":%q,"size":%d},"layers":[{"mediaType":%q,"digest":%q,"size":%d}]}`,
		oci.MediaTypeImageManifest, oci.MediaTypeImageConfig, digest.FromBytes(cfg), len(cfg), oci.MediaTypeLayerGzip, digest.FromBytes(layer), len(layer))
	if code, body := e.do("PUT", "/v2/"+repo+"/manifests/"+tag, []byte(m), oci.MediaTypeImageManifest); code != 201 {
		e.t.Fatalf("push manifest: %d %s", code, body)
	}
	return digest.FromBytes([]byte(m))
}

// verdict records a scan result for repo@d.
func (e *env) verdict(repo string, d oci.Digest, status string, sum store.Summary) {
	e.t.Helper()
	e.evaluation(repo, d, store.Evaluation{Status: status, Summary: sum})
}

// evaluation stores ev (its status, summary and counts) as the image's
// scan result.
func (e *env) evaluation(repo string, d oci.Digest, ev store.Evaluation) {
	e.t.Helper()
	r, err := e.meta.ResolveRepository(e.t.Context(), repo, store.ResolveOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	ev.Image = store.ImageRef{RepositoryID: r.ID, Digest: d, Platform: "linux/amd64"}
	ev.Inventory, ev.Fingerprint, ev.DBVersion, ev.At, ev.Scan, ev.Attempts = "inv", ev.Status, "db", time.Now(), true, 1
	if _, err := e.meta.SaveEvaluation(e.t.Context(), ev); err != nil {
		e.t.Fatal(err)
	}
}

// TestCheckUnchecked: with blockUnchecked, an image some of whose packages
// no advisory data covers is refused, although healthy, and the refusal
// says how many and what to do.
func TestCheckUnchecked(t *testing.T) {
	e := newEnv(t, true)
	unchecked := e.push("team/app", "debian")
	checked := e.push("team/app", "alpine")
	e.evaluation("team/app", unchecked, store.Evaluation{Status: store.StatusHealthy, Packages: 88, Unchecked: 88})
	e.evaluation("team/app", checked, store.Evaluation{Status: store.StatusHealthy, Packages: 14})
	get := func(path string) (int, string) { code, body := e.do("GET", path, nil, ""); return code, string(body) }
	if _, err := e.pol.Set(t.Context(), store.PullPolicy{Registry: "team", BlockSeverity: 3, BlockUnscanned: true, UpdatedBy: "alice"}); err != nil {
		t.Fatal(err)
	}
	if code, body := get("/v2/team/app/manifests/debian"); code != 200 {
		t.Fatalf("GET without blockUnchecked: %d %s", code, body)
	}
	if _, err := e.pol.Set(t.Context(), store.PullPolicy{Registry: "team", BlockSeverity: store.NoSeverityRule, BlockUnchecked: true, UpdatedBy: "alice"}); err != nil {
		t.Fatal(err)
	}
	code, body := get("/v2/team/app/manifests/debian")
	want := "team/app@" + unchecked.String() + " has 88 of 88 packages not checked against any advisory (the report's unchecked says why); " +
		"import advisory data that covers them, or ask an owner or contributor"
	if code != 403 || !strings.Contains(body, want) || !strings.Contains(body, `"unchecked":88`) || !strings.Contains(body, `"blockUnchecked":true`) {
		t.Errorf("GET unchecked = %d %s\nwant 403 with %q", code, body, want)
	}
	if code, body := get("/v2/team/app/manifests/alpine"); code != 200 {
		t.Errorf("GET an image whose packages were all checked: %d %s", code, body)
	}
}

func TestCheck(t *testing.T) {
	e := newEnv(t, true)
	ctx := t.Context()
	bad := e.push("team/app", "bad")
	good := e.push("team/app", "good")
	e.push("team/app", "fresh")
	other := e.push("other/app", "bad")
	e.verdict("team/app", bad, store.StatusUnhealthy, store.Summary{Critical: 1, High: 2, Low: 7})
	e.verdict("team/app", good, store.StatusUnhealthy, store.Summary{Low: 3})
	e.verdict("other/app", other, store.StatusUnhealthy, store.Summary{Critical: 1})

	get := func(path string) int { code, _ := e.do("GET", path, nil, ""); return code }
	// No policy: everything is served.
	for _, p := range []string{"/v2/team/app/manifests/bad", "/v2/team/app/manifests/fresh"} {
		if code := get(p); code != 200 {
			t.Fatalf("GET %s without a policy: %d", p, code)
		}
	}
	if _, err := e.pol.Set(ctx, store.PullPolicy{Registry: "team", BlockSeverity: 3, BlockUnscanned: true, UpdatedBy: "alice"}); err != nil {
		t.Fatal(err)
	}
	// Applied at once in this process.
	code, body := e.do("GET", "/v2/team/app/manifests/bad", nil, "")
	if code != 403 {
		t.Fatalf("GET bad under the policy: %d %s", code, body)
	}
	var env struct {
		Errors []struct {
			Code, Message string
			Detail        map[string]any
		}
	}
	if err := json.Unmarshal(body, &env); err != nil || len(env.Errors) != 1 {
		t.Fatalf("body %s: %v", body, err)
	}
	want := "pull policy of registry team: team/app@" + bad.String() + " has 3 findings at or above High (1 Critical, 2 High); " +
		"fix or exempt them, or ask an owner or contributor for a time-limited break-glass override (POST /api/v1/registries/team/breakglass)"
	if env.Errors[0].Code != "DENIED" || env.Errors[0].Message != want {
		t.Errorf("refusal = %s %q\nwant DENIED %q", env.Errors[0].Code, env.Errors[0].Message, want)
	}
	wantDetail := map[string]any{"registry": "team", "repository": "team/app", "digest": bad.String(), "status": "unhealthy",
		"policy": map[string]any{"blockSeverity": "High", "blockUnscanned": true, "blockUnchecked": false}, "reason": "3 findings at or above High (1 Critical, 2 High)",
		"findings": map[string]any{"Critical": 1.0, "High": 2.0}, "breakGlass": "POST /api/v1/registries/team/breakglass"}
	if diff := cmp.Diff(wantDetail, env.Errors[0].Detail); diff != "" {
		t.Errorf("detail (-want +got):\n%s", diff)
	}
	if code := get("/v2/team/app/manifests/" + bad.String()); code != 403 {
		t.Errorf("GET bad by digest: %d", code)
	}
	if code, _ := e.do("HEAD", "/v2/team/app/manifests/bad", nil, ""); code != 403 {
		t.Errorf("HEAD bad: %d", code)
	}
	_, body = e.do("GET", "/v2/team/app/manifests/fresh", nil, "")
	if code := get("/v2/team/app/manifests/fresh"); code != 403 || !strings.Contains(string(body), "is not yet scanned; retry when its scan has completed") {
		t.Errorf("GET unscanned: %d %s", code, body)
	}
	if code := get("/v2/team/app/manifests/good"); code != 200 {
		t.Errorf("GET good (Low findings only): %d", code)
	}
	if code := get("/v2/other/app/manifests/bad"); code != 200 {
		t.Errorf("another registry's policy applied: %d", code)
	}
	if n := len(e.rec.events()); n != 0 {
		t.Errorf("%d audit events without break-glass", n)
	}

	// Break-glass: served and audited (GET only), until it expires.
	if _, err := e.pol.StartBreakGlass(ctx, store.BreakGlass{ID: "bg-1", Registry: "team", Actor: "bob", Reason: "incident"}, 2*time.Hour); err == nil {
		t.Fatal("break-glass longer than the maximum accepted")
	}
	b, err := e.pol.StartBreakGlass(ctx, store.BreakGlass{ID: "bg-1", Registry: "team", Actor: "bob", Reason: "incident"}, 10*time.Minute)
	if err != nil || !b.ExpiresAt.Equal(b.CreatedAt.Add(10*time.Minute)) {
		t.Fatalf("StartBreakGlass: %+v %v", b, err)
	}
	if code := get("/v2/team/app/manifests/bad"); code != 200 {
		t.Fatalf("GET under break-glass: %d", code)
	}
	if code, _ := e.do("HEAD", "/v2/team/app/manifests/bad", nil, ""); code != 200 {
		t.Fatalf("HEAD under break-glass: %d", code)
	}
	if code := get("/v2/team/app/manifests/good"); code != 200 {
		t.Fatal("good image refused under break-glass")
	}
	evs := e.rec.events()
	wantEv := []audit.Event{{Actor: "puller", Action: "breakglass.pull", Target: "team/app@" + bad.String(), Subscription: "default",
		Remote: "127.0.0.1", Outcome: "ok", Detail: map[string]string{"breakGlass": "bg-1", "registry": "team", "refused": "3 findings at or above High (1 Critical, 2 High)"}}}
	if diff := cmp.Diff(wantEv, evs); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
	// Expiry needs no reload: the clock decides.
	e.clock.Add(10 * time.Minute)
	if code := get("/v2/team/app/manifests/bad"); code != 403 {
		t.Errorf("GET after the override expired: %d", code)
	}
	// Ended early.
	if _, err := e.pol.StartBreakGlass(ctx, store.BreakGlass{ID: "bg-2", Registry: "team", Actor: "bob", Reason: "again"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if code := get("/v2/team/app/manifests/bad"); code != 200 {
		t.Errorf("GET under the second override: %d", code)
	}
	if n, err := e.pol.EndBreakGlass(ctx, "team", "carol"); err != nil || n != 1 {
		t.Fatalf("EndBreakGlass = %d %v", n, err)
	}
	if code := get("/v2/team/app/manifests/bad"); code != 403 {
		t.Errorf("GET after ending the override: %d", code)
	}
	// Off again: served.
	if _, err := e.pol.Set(ctx, store.PullPolicy{Registry: "team", BlockSeverity: store.NoSeverityRule}); err != nil {
		t.Fatal(err)
	}
	if code := get("/v2/team/app/manifests/bad"); code != 200 {
		t.Errorf("GET after switching the policy off: %d", code)
	}
	if pol, err := e.pol.Get(ctx, "team"); err != nil || !pol.Off() {
		t.Errorf("Get after switching off: %+v %v", pol, err)
	}
}

// TestCacheSeesOtherWriters: a policy written by another process (straight
// into the store) applies within the cache TTL.
func TestCacheSeesOtherWriters(t *testing.T) {
	e := newEnv(t, true)
	bad := e.push("team/app", "bad")
	e.verdict("team/app", bad, store.StatusUnhealthy, store.Summary{Critical: 1})
	if code, _ := e.do("GET", "/v2/team/app/manifests/bad", nil, ""); code != 200 {
		t.Fatal(code)
	}
	if _, err := e.meta.SetPullPolicy(t.Context(), store.PullPolicy{Registry: "team", BlockSeverity: 4, UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if code, _ := e.do("GET", "/v2/team/app/manifests/bad", nil, ""); code != 200 {
		t.Errorf("cached snapshot ignored: %d", code)
	}
	e.clock.Add(policy.DefaultCacheTTL)
	if code, _ := e.do("GET", "/v2/team/app/manifests/bad", nil, ""); code != 403 {
		t.Errorf("policy of another writer not applied after the TTL: %d", code)
	}
}

// TestIndexServed: an index is served; its blocked platform is refused.
func TestIndexServed(t *testing.T) {
	e := newEnv(t, true)
	a := e.push("team/multi", "a")
	b := e.push("team/multi", "b")
	sizeOf := func(tag string) int {
		_, body := e.do("GET", "/v2/team/multi/manifests/"+tag, nil, "")
		return len(body)
	}
	idx := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"manifests":[{"mediaType":%q,"digest":%q,"size":%d,"platform":{"os":"linux","architecture":"amd64"}},{"mediaType":%q,"digest":%q,"size":%d,"platform":{"os":"linux","architecture":"arm64"}}]}`,
		oci.MediaTypeImageIndex, oci.MediaTypeImageManifest, a, sizeOf("a"), oci.MediaTypeImageManifest, b, sizeOf("b"))
	if code, body := e.do("PUT", "/v2/team/multi/manifests/v1", []byte(idx), oci.MediaTypeImageIndex); code != 201 {
		t.Fatalf("push index: %d %s", code, body)
	}
	e.verdict("team/multi", a, store.StatusUnhealthy, store.Summary{Critical: 2})
	e.verdict("team/multi", b, store.StatusHealthy, store.Summary{})
	if _, err := e.pol.Set(t.Context(), store.PullPolicy{Registry: "team", BlockSeverity: 4}); err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]int{"v1": 200, a.String(): 403, b.String(): 200} {
		if code, _ := e.do("GET", "/v2/team/multi/manifests/"+ref, nil, ""); code != want {
			t.Errorf("GET %s: %d, want %d", ref, code, want)
		}
	}
}
