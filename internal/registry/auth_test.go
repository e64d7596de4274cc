package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/access"
)

func TestAuthorizationErrors(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
		wantChal   bool
	}{
		{"unauthenticated", access.ErrUnauthenticated, 401, codeUnauthorized, true},
		{"denied", access.ErrDenied, 403, codeDenied, false},
		{"rate limited", access.ErrTooManyRequests, 429, codeTooManyRequests, false},
		{"authorizer failure", errors.New("token service down"), 500, codeUnknown, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth := &policyAuth{deny: func(string, access.Action) error { return fmt.Errorf("wrapped: %w", tt.err) }}
			e := newEnv(t, withAuth(auth))
			r := e.do("GET", "/v2/some/repo/manifests/latest", nil, nil)
			if r.Status != tt.wantStatus || errCode(t, r) != tt.wantCode {
				t.Fatalf("status %d code %s, want %d %s: %s", r.Status, errCode(t, r), tt.wantStatus, tt.wantCode, r.Body)
			}
			chal := r.Header.Get("WWW-Authenticate")
			if want := `Bearer realm="https://auth.example/token",service="drydock",scope="repository:some/repo:pull"`; tt.wantChal && chal != want {
				t.Errorf("WWW-Authenticate %q, want %q", chal, want)
			} else if !tt.wantChal && chal != "" {
				t.Errorf("unexpected WWW-Authenticate %q", chal)
			}
			if tt.wantStatus == 500 && string(r.Body) != `{"errors":[{"code":"UNKNOWN","message":"internal error"}]}`+"\n" {
				t.Errorf("internal error leaks detail: %s", r.Body)
			}
		})
	}
}

// TestOneAuthorizeBeforeDispatch checks that every endpoint asks the
// Authorizer exactly what accessFor says, before doing anything: a denied
// push leaves no trace.
func TestOneAuthorizeBeforeDispatch(t *testing.T) {
	auth := &policyAuth{deny: func(string, access.Action) error { return access.ErrDenied }}
	e := newEnv(t, withAuth(auth), withConfig(func(c *Config) { c.AutoMount = false }))
	const up = "/v2/a/b/blobs/uploads/0123456789abcdef0123456789abcdef"
	cases := []struct{ method, path string }{
		{"GET", "/v2/"},
		{"GET", "/v2/_catalog"},
		{"GET", "/v2/a/b/blobs/" + dA},
		{"HEAD", "/v2/a/b/blobs/" + dA},
		{"DELETE", "/v2/a/b/blobs/" + dA},
		{"POST", "/v2/a/b/blobs/uploads/"},
		{"GET", up}, {"PATCH", up}, {"PUT", up}, {"DELETE", up},
		{"GET", "/v2/a/b/manifests/v1"},
		{"HEAD", "/v2/a/b/manifests/v1"},
		{"PUT", "/v2/a/b/manifests/v1"},
		{"DELETE", "/v2/a/b/manifests/v1"},
		{"GET", "/v2/a/b/tags/list"},
		{"GET", "/v2/a/b/referrers/" + dA},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			auth.asked = nil
			r := e.do(c.method, c.path, nil, nil)
			rt, err := parseRoute(c.path)
			if err != nil {
				t.Fatal(err)
			}
			want := accessFor(rt, c.method)
			if diff := cmp.Diff([][]access.Request{want}, auth.asked); diff != "" {
				t.Errorf("Authorize calls (-want +got):\n%s", diff)
			}
			wantStatus := http.StatusForbidden
			if len(want) == 0 { // the version check only authenticates
				wantStatus = http.StatusOK
			}
			if r.Status != wantStatus {
				t.Errorf("status %d, want %d", r.Status, wantStatus)
			}
		})
	}
	// Nothing was created.
	if repos, err := e.meta.ListRepositories(t.Context(), nil, "", 10); err != nil || len(repos) != 0 {
		t.Errorf("repositories after denied requests: %v (%v)", repos, err)
	}
}

func TestErrorEnvelope(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/v2/env/blobs/"+dA, nil, nil)
	var got map[string][]map[string]any
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatalf("not JSON: %s", r.Body)
	}
	want := map[string][]map[string]any{"errors": {{
		"code": "NAME_UNKNOWN", "message": "repository name not known to registry", "detail": map[string]any{"name": "env"},
	}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("envelope (-want +got):\n%s", diff)
	}
}

func TestNewValidates(t *testing.T) {
	e := newEnv(t)
	good := Deps{Meta: e.meta, Blobs: e.blobs, Auth: access.Open()}
	tests := []struct {
		name string
		cfg  Config
		deps Deps
		ok   bool
	}{
		{"defaults", DefaultConfig(), good, true},
		{"zero config takes defaults", Config{}, good, true},
		{"negative manifest size", Config{MaxManifestSize: -1}, good, false},
		{"negative blob size", Config{MaxBlobSize: -1}, good, false},
		{"negative expiry", Config{UploadExpiry: -1}, good, false},
		{"negative flush", Config{PullFlushInterval: -1}, good, false},
		{"negative sweep", Config{SweepInterval: -1}, good, false},
		{"no meta", DefaultConfig(), Deps{Blobs: e.blobs, Auth: access.Open()}, false},
		{"no blobs", DefaultConfig(), Deps{Meta: e.meta, Auth: access.Open()}, false},
		{"no auth", DefaultConfig(), Deps{Meta: e.meta, Blobs: e.blobs}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := New(tt.cfg, tt.deps)
			if (err == nil) != tt.ok {
				t.Fatalf("New: %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && (g.cfg.MaxManifestSize != DefaultMaxManifestSize || g.cfg.UploadExpiry != DefaultUploadExpiry ||
				g.cfg.DefaultSubscription != "default" || g.cfg.PullFlushInterval != DefaultPullFlushInterval) {
				t.Errorf("defaults not applied: %+v", g.cfg)
			}
		})
	}
}

func TestAutoCreateRegistries(t *testing.T) {
	e := newEnv(t, withConfig(func(c *Config) { c.AutoCreateRegistries = false }))
	r := e.do("POST", "/v2/unmade/app/blobs/uploads/", nil, nil)
	if r.Status != 404 || errCode(t, r) != codeNameUnknown {
		t.Fatalf("push into unknown registry: %d %s", r.Status, errCode(t, r))
	}
	if _, err := e.meta.CreateRegistry(t.Context(), "default", "unmade", "standard"); err != nil {
		t.Fatal(err)
	}
	e.pushBlob("unmade/app", []byte("now it works"))

	// With auto-creation, a fresh installation without the default
	// subscription gets it on first push.
	e2 := newEnv(t, withConfig(func(c *Config) { c.DefaultSubscription = "tenant-1" }))
	e2.pushBlob("first/push", []byte("x"))
	reg, err := e2.meta.GetRegistry(t.Context(), "first")
	if err != nil || reg.SubscriptionID != "tenant-1" {
		t.Fatalf("registry %+v (%v)", reg, err)
	}
}
