package auth_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/audit"
	"github.com/drydock/drydock/internal/auth"
	"github.com/drydock/drydock/internal/identity"
	"github.com/drydock/drydock/internal/registry"
	"github.com/drydock/drydock/internal/store/fs"
	"github.com/drydock/drydock/internal/store/sqlmeta"
)

// clock is a settable clock shared by the gate and the identity service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// stack is a registry guarded by a Gate, with the token endpoint and an
// API stand-in that echoes the caller's identity, on a test server.
type stack struct {
	srv   *httptest.Server
	host  string
	ids   *identity.Service
	meta  *sqlmeta.Store
	clock *clock
}

func newStack(t *testing.T, cfg auth.Config) *stack {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	meta, err := sqlmeta.Open(t.Context(), sqlmeta.Config{Path: filepath.Join(dir, "meta.db")}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { meta.Close() })
	blobs, err := fs.Open(fs.Config{Root: filepath.Join(dir, "blobs")})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now()}
	ids, err := identity.NewService(identity.Config{
		HashParams: identity.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		Now:        clk.now,
	}, meta, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, sub := range []string{"tenant-a", "tenant-b", "default"} {
		if _, _, err := ids.CreateSubscription(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []struct {
		name, sub string
		role      identity.Role
	}{{"alice", "tenant-a", identity.RoleContributor}, {"rita", "tenant-a", identity.RoleReader}, {"bob", "tenant-b", identity.RoleOwner}} {
		if _, err := ids.CreateUser(ctx, identity.NewUser{Name: u.name, Password: u.name + "-password"}); err != nil {
			t.Fatal(err)
		}
		if err := ids.Grant(ctx, u.name, u.sub, "", u.role); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ids.CreateUser(ctx, identity.NewUser{Name: "root", Password: "root-password", Admin: true}); err != nil {
		t.Fatal(err)
	}
	key, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	cfg.AutoCreateRegistries = true
	gate, err := auth.New(cfg, auth.Deps{Identities: ids, Registries: meta, Key: key, Audit: audit.New(meta, log), Logger: log, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.New(registry.DefaultConfig(), registry.Deps{Meta: meta, Blobs: blobs, Auth: gate, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v2/", gate.RegistryGuard(reg))
	mux.Handle(auth.TokenPath, gate.TokenHandler())
	mux.Handle("/api/", gate.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(access.FromContext(r.Context()))
	})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &stack{srv: srv, host: strings.TrimPrefix(srv.URL, "http://"), ids: ids, meta: meta, clock: clk}
}

func (s *stack) ref(t *testing.T, r string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(s.host+"/"+r, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func basic(user, pw string) remote.Option {
	return remote.WithAuth(&authn.Basic{Username: user, Password: pw})
}

// status returns the HTTP status of a go-containerregistry error (0 if none).
func status(err error) int {
	var te *transport.Error
	if errors.As(err, &te) {
		return te.StatusCode
	}
	return 0
}

func (s *stack) do(t *testing.T, method, path string, h http.Header, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func basicHeader(user, pw string) http.Header {
	return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))}}
}

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestChallenge(t *testing.T) {
	s := newStack(t, auth.Config{})
	realm := `Bearer realm="` + s.srv.URL + `/auth/token",service="drydock"`
	for _, c := range []struct{ path, want string }{
		{"/v2/", realm},
		{"/v2/alpha/app/manifests/v1", realm + `,scope="repository:alpha/app:pull"`},
		{"/v2/_catalog", realm + `,scope="registry:catalog:*"`},
	} {
		resp, body := s.do(t, "GET", c.path, nil, nil)
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != c.want || !strings.Contains(string(body), "UNAUTHORIZED") {
			t.Errorf("GET %s: %d %q %s; want 401 %q", c.path, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body, c.want)
		}
	}
	resp, _ := s.do(t, "POST", "/v2/alpha/app/blobs/uploads/", nil, nil)
	if want := realm + `,scope="repository:alpha/app:pull,push"`; resp.Header.Get("WWW-Authenticate") != want {
		t.Errorf("push challenge %q, want %q", resp.Header.Get("WWW-Authenticate"), want)
	}
}

func TestPushPullIsolation(t *testing.T) {
	s := newStack(t, auth.Config{})
	ctx := t.Context()
	img := randomImage(t)
	ref := s.ref(t, "alpha/app:v1")
	if err := remote.Write(ref, img, basic("alice", "alice-password")); err != nil {
		t.Fatalf("alice push: %v", err)
	}
	want, _ := img.Digest()
	pull := func(opts ...remote.Option) error {
		got, err := remote.Image(ref, opts...)
		if err != nil {
			return err
		}
		if d, _ := got.Digest(); d != want {
			t.Fatalf("pulled %s, want %s", d, want)
		}
		return nil
	}
	if err := pull(basic("alice", "alice-password")); err != nil {
		t.Fatalf("alice pull: %v", err)
	}
	if err := pull(basic("rita", "rita-password")); err != nil {
		t.Fatalf("reader pull: %v", err)
	}
	if err := pull(basic("root", "root-password")); err != nil {
		t.Fatalf("admin pull: %v", err)
	}
	// Refused: anonymous, another tenant, wrong password; a reader cannot push.
	for name, opt := range map[string]remote.Option{
		"anonymous": remote.WithAuth(authn.Anonymous), "other tenant": basic("bob", "bob-password"), "wrong password": basic("alice", "nope-nope"),
	} {
		err := pull(opt)
		if st := status(err); st != 401 && st != 403 && st != 404 {
			t.Errorf("%s pulled (status %d, err %v)", name, st, err)
		}
	}
	if err := remote.Write(s.ref(t, "alpha/app:v2"), randomImage(t), basic("rita", "rita-password")); status(err) != 401 && status(err) != 403 {
		t.Errorf("reader pushed: %v", err)
	}
	// bob cannot push into tenant-a's registry, and his own push lands in tenant-b.
	if err := remote.Write(s.ref(t, "alpha/evil:v1"), randomImage(t), basic("bob", "bob-password")); err == nil {
		t.Error("bob pushed into alpha")
	}
	if err := remote.Write(s.ref(t, "beta/app:v1"), randomImage(t), basic("bob", "bob-password")); err != nil {
		t.Fatalf("bob push: %v", err)
	}
	if reg, err := s.meta.GetRegistry(ctx, "beta"); err != nil || reg.SubscriptionID != "tenant-b" {
		t.Fatalf("beta: %+v %v", reg, err)
	}

	// The catalog shows each caller its own repositories only.
	catalog := func(user string) []string {
		t.Helper()
		reg, _ := name.NewRegistry(s.host, name.Insecure)
		repos, err := remote.Catalog(ctx, reg, basic(user, user+"-password"))
		if err != nil {
			t.Fatalf("%s catalog: %v", user, err)
		}
		return repos
	}
	for user, want := range map[string][]string{"alice": {"alpha/app"}, "bob": {"beta/app"}, "root": {"alpha/app", "beta/app"}} {
		if diff := cmp.Diff(want, catalog(user)); diff != "" {
			t.Errorf("%s catalog (-want +got):\n%s", user, diff)
		}
	}
	// Basic directly on a request (no token flow) is accepted too.
	resp, _ := s.do(t, "GET", "/v2/alpha/app/manifests/v1", basicHeader("alice", "alice-password"), nil)
	if resp.StatusCode != 200 {
		t.Errorf("Basic GET manifest: %d", resp.StatusCode)
	}
	resp, body := s.do(t, "GET", "/v2/alpha/app/manifests/v1", basicHeader("bob", "bob-password"), nil)
	if resp.StatusCode != 403 || strings.Contains(string(body), want.String()) {
		t.Errorf("bob Basic GET manifest: %d %s", resp.StatusCode, body)
	}

	// A delete is audited with who did it.
	if err := remote.Delete(s.ref(t, "alpha/app@"+want.String()), basic("alice", "alice-password")); err != nil {
		t.Fatalf("delete: %v", err)
	}
	evs, _ := s.meta.ListAudit(ctx, 0, 1000)
	found := false
	for _, e := range evs {
		if e.Action == audit.ManifestDelete && e.Actor == "alice" && e.Target == "alpha/app@"+want.String() && e.SubscriptionID == "tenant-a" {
			found = true
		}
	}
	if !found {
		t.Errorf("no manifest.delete audit event by alice among %+v", evs)
	}
}

func tokenGET(t *testing.T, s *stack, h http.Header, query string) (int, map[string]any) {
	t.Helper()
	resp, body := s.do(t, "GET", "/auth/token?service=drydock&"+query, h, nil)
	var m map[string]any
	json.Unmarshal(body, &m)
	return resp.StatusCode, m
}

func TestTokenEndpoint(t *testing.T) {
	s := newStack(t, auth.Config{})
	if err := remote.Write(s.ref(t, "alpha/app:v1"), randomImage(t), basic("alice", "alice-password")); err != nil {
		t.Fatal(err)
	}
	scope := "scope=" + url.QueryEscape("repository:alpha/app:pull,push,delete")
	granted := func(m map[string]any) []string {
		var out []string
		tok, _ := m["token"].(string)
		parts := strings.Split(tok, ".")
		if len(parts) != 3 {
			t.Fatalf("no token in %v", m)
		}
		b, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var c struct {
			Access []auth.ResourceActions `json:"access"`
		}
		json.Unmarshal(b, &c)
		for _, ra := range c.Access {
			out = append(out, ra.Actions...)
		}
		return out
	}
	for user, want := range map[string][]string{"alice": {"pull", "push", "delete"}, "rita": {"pull"}, "bob": nil, "root": {"pull", "push", "delete"}} {
		st, m := tokenGET(t, s, basicHeader(user, user+"-password"), scope)
		if st != 200 {
			t.Fatalf("%s: %d %v", user, st, m)
		}
		if diff := cmp.Diff(want, granted(m)); diff != "" {
			t.Errorf("%s granted (-want +got):\n%s", user, diff)
		}
		if m["access_token"] != m["token"] || m["expires_in"] != float64(300) || m["issued_at"] == "" {
			t.Errorf("%s: response %v", user, m)
		}
		if _, ok := m["refresh_token"]; ok {
			t.Errorf("refresh token without offline_token")
		}
	}
	if st, m := tokenGET(t, s, nil, scope); st != 200 || granted(m) != nil {
		t.Errorf("anonymous: %d %v", st, m)
	}
	if st, _ := tokenGET(t, s, basicHeader("alice", "wrong-password"), scope); st != 401 {
		t.Errorf("wrong password: %d", st)
	}
	if st, _ := tokenGET(t, s, basicHeader("alice", "alice-password"), "scope=repository:Bad!:pull"); st != 400 {
		t.Errorf("malformed scope: %d", st)
	}
	if resp, _ := s.do(t, "GET", "/auth/token?service=other", basicHeader("alice", "alice-password"), nil); resp.StatusCode != 400 {
		t.Errorf("other service: %d", resp.StatusCode)
	}

	// OAuth2: password grant with a refresh token, then a refresh grant.
	post := func(form url.Values) (int, map[string]any) {
		resp, body := s.do(t, "POST", "/auth/token", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, strings.NewReader(form.Encode()))
		var m map[string]any
		json.Unmarshal(body, &m)
		return resp.StatusCode, m
	}
	st, m := post(url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice-password"}, "service": {"drydock"},
		"client_id": {"test"}, "access_type": {"offline"}, "scope": {"repository:alpha/app:pull"}})
	refresh, _ := m["refresh_token"].(string)
	if st != 200 || refresh == "" || m["scope"] != "repository:alpha/app:pull" {
		t.Fatalf("password grant: %d %v", st, m)
	}
	st, m = post(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "service": {"drydock"}, "client_id": {"test"}, "scope": {"repository:alpha/app:pull"}})
	if st != 200 || m["access_token"] == nil {
		t.Fatalf("refresh grant: %d %v", st, m)
	}
	tok := m["access_token"].(string)
	resp, _ := s.do(t, "GET", "/v2/alpha/app/tags/list", http.Header{"Authorization": {"Bearer " + tok}}, nil)
	if resp.StatusCode != 200 {
		t.Errorf("GET with the refreshed token: %d", resp.StatusCode)
	}
	// The token covers pull only: a push asks for a wider token.
	resp, _ = s.do(t, "POST", "/v2/alpha/app/blobs/uploads/", http.Header{"Authorization": {"Bearer " + tok}}, nil)
	if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `scope="repository:alpha/app:pull,push"`) {
		t.Errorf("push with a pull token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if st, _ := post(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok}}); st != 401 {
		t.Errorf("access token used as refresh token: %d", st)
	}
	// A password change ends the refresh token and the access tokens.
	s.clock.add(2 * time.Second)
	if err := s.ids.SetPassword(t.Context(), "alice", "new-alice-password"); err != nil {
		t.Fatal(err)
	}
	if st, _ := post(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}); st != 401 {
		t.Errorf("refresh after password change: %d", st)
	}
	resp, _ = s.do(t, "GET", "/v2/alpha/app/tags/list", http.Header{"Authorization": {"Bearer " + tok}}, nil)
	if resp.StatusCode != 401 {
		t.Errorf("access token after password change: %d", resp.StatusCode)
	}
}

func TestTokenExpiryAndAPITokens(t *testing.T) {
	s := newStack(t, auth.Config{TokenTTL: 10 * time.Second})
	ctx := t.Context()
	if err := remote.Write(s.ref(t, "alpha/app:v1"), randomImage(t), basic("alice", "alice-password")); err != nil {
		t.Fatal(err)
	}
	scopes, _ := identity.ParseScopes("repository:alpha/*:pull")
	secret, tok, err := s.ids.CreateToken(ctx, identity.NewToken{User: "alice", Scopes: scopes, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	// The API token pulls (as Basic password through the token flow) but
	// cannot push.
	if _, err := remote.Image(s.ref(t, "alpha/app:v1"), basic("alice", secret)); err != nil {
		t.Fatalf("pull with API token: %v", err)
	}
	if err := remote.Write(s.ref(t, "alpha/app:v2"), randomImage(t), basic("alice", secret)); err == nil {
		t.Error("pull-only API token pushed")
	}
	// As a bearer token directly.
	resp, _ := s.do(t, "GET", "/v2/alpha/app/tags/list", http.Header{"Authorization": {"Bearer " + secret}}, nil)
	if resp.StatusCode != 200 {
		t.Errorf("API token as bearer: %d", resp.StatusCode)
	}
	// A signed token issued through the API token expires...
	st, m := tokenGET(t, s, basicHeader("alice", secret), "scope=repository:alpha/app:pull")
	if st != 200 {
		t.Fatalf("token: %d %v", st, m)
	}
	jwt := m["token"].(string)
	get := func() int {
		resp, _ := s.do(t, "GET", "/v2/alpha/app/tags/list", http.Header{"Authorization": {"Bearer " + jwt}}, nil)
		return resp.StatusCode
	}
	if st := get(); st != 200 {
		t.Fatalf("fresh token: %d", st)
	}
	s.clock.add(12 * time.Second)
	if st := get(); st != 401 {
		t.Errorf("expired token: %d", st)
	}
	// ...and dies with the API token it came from.
	st, m = tokenGET(t, s, basicHeader("alice", secret), "scope=repository:alpha/app:pull")
	jwt = m["token"].(string)
	if st := get(); st != 200 {
		t.Fatalf("new token: %d", st)
	}
	if _, err := s.ids.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if st := get(); st != 401 {
		t.Errorf("token of a revoked API token: %d", st)
	}
	if _, err := remote.Image(s.ref(t, "alpha/app:v1"), basic("alice", secret)); status(err) != 401 {
		t.Errorf("revoked API token pulled: %v", err)
	}
}

func TestAnonymousPull(t *testing.T) {
	s := newStack(t, auth.Config{})
	img := randomImage(t)
	if err := remote.Write(s.ref(t, "alpha/public:v1"), img, basic("alice", "alice-password")); err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(s.ref(t, "alpha/private:v1"), img, basic("alice", "alice-password")); err != nil {
		t.Fatal(err)
	}
	anon := remote.WithAuth(authn.Anonymous)
	if _, err := remote.Image(s.ref(t, "alpha/public:v1"), anon); status(err) != 401 {
		t.Fatalf("anonymous pull while closed: %v", err)
	}
	if err := s.ids.SetAnonymousPull(t.Context(), "alpha/public", true); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Millisecond)
	if _, err := remote.Image(s.ref(t, "alpha/public:v1"), anon); err != nil {
		t.Fatalf("anonymous pull when open: %v", err)
	}
	if _, err := remote.Image(s.ref(t, "alpha/private:v1"), anon); status(err) != 401 {
		t.Errorf("anonymous pull of a closed repository: %v", err)
	}
	if err := remote.Write(s.ref(t, "alpha/public:v2"), img, anon); status(err) != 401 {
		t.Errorf("anonymous push: %v", err)
	}
	resp, _ := s.do(t, "GET", "/v2/_catalog", nil, nil)
	if resp.StatusCode != 401 {
		t.Errorf("anonymous catalog: %d", resp.StatusCode)
	}
}

func TestThrottling(t *testing.T) {
	s := newStack(t, auth.Config{MaxFailures: 3, FailureWindow: time.Minute, Lockout: 30 * time.Second})
	bad := basicHeader("alice", "wrong-password")
	for i := 0; i < 3; i++ {
		if resp, _ := s.do(t, "GET", "/v2/", bad, nil); resp.StatusCode != 401 {
			t.Fatalf("failure %d: %d", i, resp.StatusCode)
		}
	}
	resp, body := s.do(t, "GET", "/v2/", basicHeader("alice", "alice-password"), nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "TOOMANYREQUESTS") {
		t.Fatalf("after 3 failures: %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if st, m := tokenGET(t, s, basicHeader("rita", "rita-password"), ""); st != 429 {
		t.Errorf("token endpoint from a blocked address: %d %v", st, m)
	}
	resp, body = s.do(t, "GET", "/api/v1/x", basicHeader("rita", "rita-password"), nil)
	if resp.StatusCode != 429 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("API from a blocked address: %d %s", resp.StatusCode, body)
	}
	s.clock.add(31 * time.Second)
	if resp, _ := s.do(t, "GET", "/v2/", basicHeader("alice", "alice-password"), nil); resp.StatusCode != 200 {
		t.Errorf("after the lockout: %d", resp.StatusCode)
	}
	evs, _ := s.meta.ListAudit(t.Context(), 0, 100)
	failed := 0
	for _, e := range evs {
		if e.Action == audit.Login && e.Outcome == audit.Failed && e.Actor == "alice" {
			failed++
		}
	}
	if failed != 3 {
		t.Errorf("%d failed logins audited, want 3", failed)
	}
}

func TestMiddleware(t *testing.T) {
	s := newStack(t, auth.Config{})
	resp, body := s.do(t, "GET", "/api/v1/findings", nil, nil)
	if resp.StatusCode != 401 || !slices.Contains(resp.Header.Values("WWW-Authenticate"), `Basic realm="drydock"`) ||
		resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("anonymous: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	resp, body = s.do(t, "GET", "/api/v1/findings", basicHeader("alice", "alice-password"), nil)
	var id access.Identity
	json.Unmarshal(body, &id)
	if resp.StatusCode != 200 || id.Name != "alice" || !cmp.Equal(id.Subscriptions, []string{"tenant-a"}) {
		t.Fatalf("alice: %d %s", resp.StatusCode, body)
	}
	if resp, _ := s.do(t, "POST", "/api/v1/exemptions", basicHeader("rita", "rita-password"), nil); resp.StatusCode != 403 {
		t.Errorf("reader POST: %d", resp.StatusCode)
	}
	if resp, _ := s.do(t, "POST", "/api/v1/exemptions", basicHeader("alice", "alice-password"), nil); resp.StatusCode != 200 {
		t.Errorf("contributor POST: %d", resp.StatusCode)
	}
	// The fleet query is a POST that only reads: readers may run it.
	if resp, _ := s.do(t, "POST", "/api/v1/query", basicHeader("rita", "rita-password"), strings.NewReader(`{"query":"images"}`)); resp.StatusCode != 200 {
		t.Errorf("reader query: %d", resp.StatusCode)
	}
	// A signed token from the token endpoint works on the API too, limited
	// to its scope.
	_, m := tokenGET(t, s, basicHeader("alice", "alice-password"), "scope=repository:alpha/app:pull")
	resp, body = s.do(t, "GET", "/api/v1/findings", http.Header{"Authorization": {"Bearer " + m["token"].(string)}}, nil)
	json.Unmarshal(body, &id)
	if resp.StatusCode != 200 || !cmp.Equal(id.Repositories, []string{"alpha/app"}) {
		t.Errorf("bearer on the API: %d %s", resp.StatusCode, body)
	}
	if resp, _ := s.do(t, "POST", "/api/v1/exemptions", http.Header{"Authorization": {"Bearer " + m["token"].(string)}}, nil); resp.StatusCode != 403 {
		t.Errorf("pull-only bearer POST: %d", resp.StatusCode)
	}
	if resp, _ := s.do(t, "GET", "/api/v1/findings", http.Header{"Authorization": {"Bearer forged.token.here"}}, nil); resp.StatusCode != 401 {
		t.Errorf("forged bearer: %d", resp.StatusCode)
	}
}

// TestAutoMountWithToken checks that a token fetched for one repository
// still lets the registry link a layer the account can read elsewhere in
// its subscription, and never one of another subscription.
func TestAutoMountWithToken(t *testing.T) {
	s := newStack(t, auth.Config{})
	img := randomImage(t)
	if err := remote.Write(s.ref(t, "alpha/app:v1"), img, basic("alice", "alice-password")); err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	d, _ := layers[0].Digest()
	head := func(user, repo string) int {
		t.Helper()
		st, m := tokenGET(t, s, basicHeader(user, user+"-password"), "scope="+url.QueryEscape("repository:"+repo+":pull,push"))
		if st != 200 {
			t.Fatalf("token: %d", st)
		}
		resp, _ := s.do(t, "HEAD", "/v2/"+repo+"/blobs/"+d.String(), http.Header{"Authorization": {"Bearer " + m["token"].(string)}}, nil)
		return resp.StatusCode
	}
	if st := head("alice", "alpha/copy"); st != 200 {
		t.Errorf("alice HEAD in a new repository of her subscription: %d, want 200 (mounted)", st)
	}
	if st := head("bob", "beta/copy"); st != 404 {
		t.Errorf("bob HEAD of alice's layer in his repository: %d, want 404", st)
	}
}
