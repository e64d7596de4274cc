package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/console"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/server"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/vulndb/live"
)

// fakeStore holds two tenants and filters like the SQL store does: nil
// subscriptions is all, empty is none.
type fakeStore struct {
	assessments []store.Assessment
	images      []store.ImageRecord
}

func in(subs []string, s string) bool {
	if subs == nil {
		return true
	}
	for _, x := range subs {
		if x == s {
			return true
		}
	}
	return false
}

func (f *fakeStore) ListSubscriptions(context.Context) ([]store.Subscription, error) {
	return []store.Subscription{{ID: "alpha"}, {ID: "beta"}}, nil
}

func (f *fakeStore) Assessments(_ context.Context, subs []string) ([]store.Assessment, error) {
	var out []store.Assessment
	for _, a := range f.assessments {
		if in(subs, a.SubscriptionID) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (f *fakeStore) CountImages(_ context.Context, subs []string) (map[string]int, error) {
	out := map[string]int{}
	for _, im := range f.images {
		if in(subs, im.SubscriptionID) {
			out[im.Status]++
		}
	}
	return out, nil
}

func (f *fakeStore) ListImages(_ context.Context, flt store.ImageFilter) ([]store.ImageRecord, error) {
	var out []store.ImageRecord
	for _, im := range f.images {
		if in(flt.Subscriptions, im.SubscriptionID) && im.ID > flt.AfterID && len(out) < flt.Limit {
			out = append(out, im)
		}
	}
	return out, nil
}

type fixedStatus live.Status

func (s fixedStatus) Status() live.Status { return live.Status(s) }

const (
	alphaDigest = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	betaDigest  = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

var now = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

func newStore() *fakeStore {
	return &fakeStore{
		assessments: []store.Assessment{
			{SubscriptionID: "alpha", Registry: "alpha-reg", RegistryType: "standard", Status: store.AssessmentUnhealthy, Healthy: 1, Unhealthy: 2},
			{SubscriptionID: "beta", Registry: "beta-secret-reg", RegistryType: "standard", Status: store.AssessmentHealthy, Healthy: 7},
		},
		images: []store.ImageRecord{
			{ID: 1, SubscriptionID: "alpha", Registry: "alpha-reg", Repository: "alpha-reg/team/app<x>", Digest: oci.Digest(alphaDigest),
				Status: store.StatusUnhealthy, Summary: store.Summary{Critical: 3, High: 1}, ScannedAt: now.Add(-time.Hour)},
			{ID: 2, SubscriptionID: "beta", Registry: "beta-secret-reg", Repository: "beta-secret-reg/hidden", Digest: oci.Digest(betaDigest),
				Status: store.StatusHealthy, Packages: 14, Unchecked: 14},
		},
	}
}

func newHandler(t *testing.T, st console.Advisories) *console.Handler {
	t.Helper()
	h, err := console.New(console.Deps{Store: newStore(), Advisories: st, Auth: access.Open(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func get(t *testing.T, h http.Handler, path string, id *access.Identity) (int, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if id != nil {
		r = r.WithContext(access.WithIdentity(r.Context(), id))
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

var alphaUser = &access.Identity{Name: "alice", Subscriptions: []string{"alpha"}}

func TestBanner(t *testing.T) {
	offline := live.Status{AutoUpdate: true, LastError: "fetch osv: dial tcp: no route to host",
		LastErrorAt: now.Add(-time.Minute), NextUpdate: now.Add(14 * time.Minute),
		Message: "No advisory database: findings stay pending. The last update failed at 2025-03-10T11:59:00Z (fetch osv: dial tcp: no route to host); next attempt at 2025-03-10T12:14:00Z."}
	loaded := live.Status{Loaded: true, Version: "0123456789abcdef", UpdatedAt: now.Add(-50 * time.Hour), Advisories: 4242, AutoUpdate: true,
		NextUpdate: now.Add(6 * time.Hour), Message: "Advisory database 0123456789ab loaded: 4242 advisories, data as of 2025-03-08 (2 days old)."}
	tests := []struct {
		name   string
		status live.Status
		want   []string
		absent []string
	}{
		{"offline", offline, []string{`class="banner offline"`, "Advisory database: not loaded (offline)", offline.Message,
			"fetch osv: dial tcp: no route to host", "Next attempt</dt><dd>2025-03-10 12:14:00Z"}, []string{"Version</dt>"}},
		{"loaded", loaded, []string{`class="banner ok"`, "Advisory database: loaded</h2>", loaded.Message, "<code>0123456789abcdef</code>",
			"2025-03-08 10:00:00Z (2 days old)", "4242"}, []string{"not loaded (offline)", "Last update failed"}},
		{"stale", live.Status{Loaded: true, Version: "v1", UpdatedAt: now, LastError: "boom", LastErrorAt: now, Message: "m"},
			[]string{`class="banner stale"`, "last update failed", "boom"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHandler(t, fixedStatus(tc.status))
			for _, path := range []string{"/", "/images"} {
				code, body := get(t, h, path, alphaUser)
				if code != http.StatusOK {
					t.Fatalf("GET %s: %d %s", path, code, body)
				}
				for _, s := range tc.want {
					if !strings.Contains(body, s) {
						t.Errorf("GET %s: missing %q in\n%s", path, s, body)
					}
				}
				for _, s := range tc.absent {
					if strings.Contains(body, s) {
						t.Errorf("GET %s: unexpected %q", path, s)
					}
				}
			}
		})
	}
}

// TestBannerLiveManager renders the real manager's state without a
// database (no network: automatic updates off).
func TestBannerLiveManager(t *testing.T) {
	m, err := live.New(live.Config{Dir: t.TempDir()}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	_, body := get(t, newHandler(t, m), "/", alphaUser)
	for _, s := range []string{"not loaded (offline)", "No advisory database: findings stay pending.", "drydock db import PATH"} {
		if !strings.Contains(body, s) {
			t.Errorf("missing %q in\n%s", s, body)
		}
	}
}

func TestTenantIsolation(t *testing.T) {
	h := newHandler(t, fixedStatus(live.Status{Message: "x"}))
	tests := []struct {
		name   string
		id     *access.Identity
		path   string
		want   []string
		absent []string
	}{
		{"overview alpha", alphaUser, "/", []string{"alpha-reg", "Unhealthy", "unhealthy: 1", `class="healthy">healthy: 0`}, []string{"beta", "secret", `class="healthy">healthy: 1`}},
		{"images alpha", alphaUser, "/images", []string{"alpha-reg/team/app&lt;x&gt;", "sha256:aaaaaaaaaaaa<",
			`href="/api/v1/repositories/alpha-reg/team/app%3Cx%3E/manifests/` + alphaDigest + `/report"`}, []string{"beta", "bbbbbbbb", "app<x>"}},
		{"no subscriptions", &access.Identity{Name: "nobody", Subscriptions: []string{}}, "/images", []string{"No images."}, []string{"alpha-reg", "beta"}},
		{"no subscriptions overview", &access.Identity{Name: "nobody", Subscriptions: []string{}}, "/", []string{"No registries."}, []string{"alpha-reg", "beta"}},
		{"repository scope", &access.Identity{Name: "tok", Repositories: []string{"other/*"}}, "/images", []string{"No images."}, []string{"alpha-reg/team", "beta-secret-reg/hidden"}},
		{"admin sees all", &access.Identity{Name: "admin"}, "/", []string{"alpha-reg", "beta-secret-reg"}, nil},
		// A healthy image whose packages no advisory data covers says so.
		{"unchecked", &access.Identity{Name: "admin"}, "/images", []string{`healthy <span class="unchecked"`, "(14 not checked)"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := get(t, h, tc.path, tc.id)
			if code != http.StatusOK {
				t.Fatalf("%d %s", code, body)
			}
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("missing %q in\n%s", s, body)
				}
			}
			for _, s := range tc.absent {
				if strings.Contains(body, s) {
					t.Errorf("unexpected %q in\n%s", s, body)
				}
			}
		})
	}
}

func TestBadRequest(t *testing.T) {
	h := newHandler(t, fixedStatus(live.Status{}))
	if code, _ := get(t, h, "/images?after=x", alphaUser); code != http.StatusBadRequest {
		t.Errorf("after=x: %d, want 400", code)
	}
	if code, _ := get(t, h, "/nope", alphaUser); code != http.StatusNotFound {
		t.Errorf("/nope: %d, want 404", code)
	}
}

// basicGuard admits admin:pw and puts an identity in the context, as
// internal/auth.Gate does.
type basicGuard struct{}

func (basicGuard) RegistryGuard(next http.Handler) http.Handler { return next }
func (basicGuard) TokenHandler() http.Handler                   { return http.NotFoundHandler() }
func (basicGuard) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "admin" || p != "pw" {
			w.Header().Set("WWW-Authenticate", `Basic realm="drydock"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(access.WithIdentity(r.Context(), &access.Identity{Name: "admin"})))
	})
}

// TestThroughServer mounts the console in server.New: anonymous callers
// are refused by the guard, the administrator gets the pages.
func TestThroughServer(t *testing.T) {
	h := newHandler(t, fixedStatus(live.Status{Message: "No advisory database: findings stay pending."}))
	srv, err := server.New(server.Config{}, server.Deps{Registry: http.NotFoundHandler(), Ready: func(context.Context) error { return nil },
		Metrics: prometheus.NewRegistry(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Guard: basicGuard{},
		Console: h, ConsolePatterns: console.Patterns})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	for _, path := range []string{"/", "/images"} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("anonymous GET %s: %d, want 401", path, resp.StatusCode)
		}
		req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		req.SetBasicAuth("admin", "pw")
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "No advisory database: findings stay pending.") {
			t.Errorf("admin GET %s: %d\n%s", path, resp.StatusCode, b)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
	}
	// Other paths are not the console's.
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/elsewhere", nil)
	req.SetBasicAuth("admin", "pw")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /elsewhere: %d, want 404", resp.StatusCode)
	}
}
