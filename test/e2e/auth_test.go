//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// authEnv switches authentication on explicitly, so that these tests mean
// the same whatever the default is.
var authEnv = []string{"DRYDOCK_AUTH_ENABLED=true"}

// drydockAdmin runs `drydock admin ARGS --data <server's data>` with stdin
// and returns stdout.
func drydockAdmin(t *testing.T, srv *server, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(drydockBin, append(append([]string{"admin"}, args...), "--data", srv.dataDir)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("drydock admin %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// tenants creates subscriptions tenant-a (user alice) and tenant-b (user
// bob), both contributors, through drydock admin.
func tenants(t *testing.T, srv *server) {
	t.Helper()
	for _, s := range []string{"tenant-a", "tenant-b"} {
		drydockAdmin(t, srv, "", "subscription", "create", s)
	}
	drydockAdmin(t, srv, "alice-password\n", "user", "create", "alice", "--password-stdin", "--subscription", "tenant-a", "--role", "contributor")
	drydockAdmin(t, srv, "bob-password\n", "user", "create", "bob", "--password-stdin", "--subscription", "tenant-b", "--role", "contributor")
}

func basicAuth(user, pw string) http.Header {
	return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))}}
}

// noAuth is an explicit empty Authorization header: httpSend then sends no
// credentials (adminTransport only fills a missing header).
var noAuth = http.Header{"Authorization": {""}}

// TestAuthRealClients logs crane, skopeo, regctl and oras in with a
// password and with an API token, pushes and pulls, and checks that each
// is refused without credentials and as a user of another subscription.
func TestAuthRealClients(t *testing.T) {
	needTool(t, "umoci")
	srv := startServer(t, "", authEnv...)
	tenants(t, srv)
	token := strings.TrimSpace(drydockAdmin(t, srv, "", "token", "create", "--user", "alice", "--scope", "repository:alpha/*:pull,push"))
	if !strings.HasPrefix(token, "ddt_") {
		t.Fatalf("token create printed %q", token)
	}
	work := t.TempDir()
	img := testImage(t, "amd64")
	raw, _ := img.RawManifest()
	digest := sha256Hex(raw)
	layout := filepath.Join(work, "layout")
	writeLayout(t, layout, map[string]v1.Image{"v1": img})
	layerFile := writeFile(t, work, "layer.tar", layerTar(t, realFileSets[0], 1024))

	// The challenge a client without credentials gets.
	st, hdr, _, err := httpSend(t.Context(), "GET", srv.url("/v2/alpha/crane/manifests/v1"), "", nil, noAuth)
	want := `Bearer realm="http://` + srv.addr + `/auth/token",service="drydock",scope="repository:alpha/crane:pull"`
	if err != nil || st != 401 || hdr.Get("WWW-Authenticate") != want {
		t.Fatalf("anonymous GET: %d %q %v; want 401 %q", st, hdr.Get("WWW-Authenticate"), err, want)
	}

	cur := t // the (sub)test the client helpers report to
	type client struct {
		name           string
		login          func(env []string, user, pw string)
		push, pull     func(env []string, repo string) error
		pullOutputSafe bool
	}
	clients := []client{{
		name: "crane",
		login: func(env []string, user, pw string) {
			runTool(cur, env, "crane", "auth", "login", srv.addr, "-u", user, "-p", pw)
		},
		push: func(env []string, repo string) error {
			_, err := runToolErr(cur, env, "crane", "--insecure", "append", "--oci-empty-base", "-f", layerFile, "-t", srv.addr+"/"+repo+":v1")
			return err
		},
		pull: func(env []string, repo string) error {
			_, err := runToolErr(cur, env, "crane", "--insecure", "pull", "--format", "oci", srv.addr+"/"+repo+":v1", filepath.Join(cur.TempDir(), "p"))
			return err
		},
	}, {
		name: "skopeo",
		login: func(env []string, user, pw string) {
			runTool(cur, env, "skopeo", "login", "--tls-verify=false", "-u", user, "-p", pw, srv.addr)
		},
		push: func(env []string, repo string) error {
			_, err := runToolErr(cur, env, "skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false", "oci:"+layout+":v1", "docker://"+srv.addr+"/"+repo+":v1")
			return err
		},
		pull: func(env []string, repo string) error {
			_, err := runToolErr(cur, env, "skopeo", "--insecure-policy", "copy", "--src-tls-verify=false", "docker://"+srv.addr+"/"+repo+":v1", "oci:"+filepath.Join(cur.TempDir(), "p")+":v1")
			return err
		},
	}, {
		name: "regctl",
		login: func(env []string, user, pw string) {
			runTool(cur, env, "regctl", "registry", "set", "--skip-check", "--tls", "disabled", srv.addr)
			runTool(cur, env, "regctl", "registry", "login", srv.addr, "-u", user, "-p", pw)
		},
		push: func(env []string, repo string) error {
			_, err := runToolErr(cur, env, "regctl", "image", "copy", "ocidir://"+layout+":v1", srv.addr+"/"+repo+":v1")
			return err
		},
		pull: func(env []string, repo string) error {
			_, err := runToolErr(cur, env, "regctl", "manifest", "get", "--format", "raw-body", srv.addr+"/"+repo+":v1")
			return err
		},
	}, {
		name: "oras",
		login: func(env []string, user, pw string) {
			runTool(cur, env, "oras", "login", "--plain-http", "-u", user, "-p", pw, srv.addr)
		},
		push: func(env []string, repo string) error {
			_, err := runToolErr(cur, env, "oras", "cp", "--to-plain-http", "--from-oci-layout", layout+":v1", srv.addr+"/"+repo+":v1")
			return err
		},
		pull: func(env []string, repo string) error {
			_, err := runToolErr(cur, env, "oras", "manifest", "fetch", "--plain-http", srv.addr+"/"+repo+":v1")
			return err
		},
	}}
	// Each client runs with its own empty configuration: HOME and
	// DOCKER_CONFIG point to fresh directories, so only its own login counts.
	freshEnv := func() []string {
		home := t.TempDir()
		return append(anonymousEnv(t), "HOME="+home, "DOCKER_CONFIG="+filepath.Join(home, ".docker"),
			"REGISTRY_AUTH_FILE="+filepath.Join(home, "auth.json"), "XDG_RUNTIME_DIR="+home)
	}
	for _, c := range clients {
		t.Run(c.name, func(t *testing.T) {
			cur = t
			defer func() { cur = nil }()
			repo := "alpha/" + c.name
			anon := freshEnv()
			if err := c.push(anon, repo); err == nil {
				t.Fatalf("%s pushed without credentials", c.name)
			}
			alice := freshEnv()
			c.login(alice, "alice", "alice-password")
			if err := c.push(alice, repo); err != nil {
				t.Fatalf("push after login: %v", err)
			}
			if err := c.pull(alice, repo); err != nil {
				t.Fatalf("pull after login: %v", err)
			}
			if err := c.pull(anon, repo); err == nil {
				t.Errorf("pulled without credentials")
			}
			bob := freshEnv()
			c.login(bob, "bob", "bob-password")
			err := c.pull(bob, repo)
			if err == nil {
				t.Errorf("a user of another subscription pulled %s", repo)
			} else if strings.Contains(err.Error(), digest) {
				t.Errorf("the refusal reveals the digest: %v", err)
			}
			if err := c.push(bob, "alpha/"+c.name+"-bob"); err == nil {
				t.Errorf("a user of another subscription pushed into alpha")
			}
			// The API token (scoped to alpha/*) signs in the same way.
			tok := freshEnv()
			c.login(tok, "alice", token)
			if err := c.push(tok, repo+"-token"); err != nil {
				t.Errorf("push with the API token: %v", err)
			}
			if err := c.pull(tok, repo); err != nil {
				t.Errorf("pull with the API token: %v", err)
			}
			if err := c.push(tok, "outside/"+c.name); err == nil {
				t.Errorf("the API token pushed outside its scope")
			}
		})
	}
	// Nothing of tenant-a is in tenant-b's catalog.
	st, _, body, err := httpSend(t.Context(), "GET", srv.url("/v2/_catalog"), "", nil, basicAuth("bob", "bob-password"))
	if err != nil || st != 200 || strings.Contains(string(body), "alpha") {
		t.Errorf("bob's catalog: %d %v %s", st, err, body)
	}
}

// TestAuthTokenLifetimes checks that a registry token expires, that a
// revoked API token stops working (and so do the registry tokens issued
// through it), and that the refresh-token flow of docker login works.
func TestAuthTokenLifetimes(t *testing.T) {
	srv := startServer(t, "", append(authEnv, "DRYDOCK_AUTH_TOKENTTL=2s")...)
	tenants(t, srv)
	ctx := t.Context()
	runTool(t, credentialsEnv(t, srv.addr, "alice", "alice-password"), "crane", "--insecure", "append", "--oci-empty-base",
		"-f", writeFile(t, t.TempDir(), "l.tar", layerTar(t, realFileSets[0], 512)), "-t", srv.addr+"/alpha/app:v1")
	manifest := srv.url("/v2/alpha/app/manifests/v1")
	token := func(h http.Header) string {
		t.Helper()
		st, _, body, err := httpSend(ctx, "GET", srv.url("/auth/token?service=drydock&scope=repository:alpha/app:pull"), "", nil, h)
		var m struct{ Token string }
		if err != nil || st != 200 || json.Unmarshal(body, &m) != nil || m.Token == "" {
			t.Fatalf("token endpoint: %d %v %s", st, err, body)
		}
		return m.Token
	}
	bearer := func(tok string) http.Header {
		return http.Header{"Authorization": {"Bearer " + tok}, "Accept": {manifestAccept}}
	}
	jwt := token(basicAuth("alice", "alice-password"))
	if st, _, _, _ := httpSend(ctx, "GET", manifest, "", nil, bearer(jwt)); st != 200 {
		t.Fatalf("fresh token: %d", st)
	}
	time.Sleep(3500 * time.Millisecond)
	if st, hdr, _, _ := httpSend(ctx, "GET", manifest, "", nil, bearer(jwt)); st != 401 || !strings.Contains(hdr.Get("WWW-Authenticate"), "Bearer realm=") {
		t.Errorf("expired token: %d %q", st, hdr.Get("WWW-Authenticate"))
	}

	// API token: works as Basic password, as bearer, through the token
	// endpoint; revocation ends all three.
	secret := strings.TrimSpace(drydockAdmin(t, srv, "", "token", "create", "--user", "alice", "--expires", "1h"))
	list := drydockAdmin(t, srv, "", "token", "list", "--user", "alice")
	id := regexp.MustCompile(`tok_[0-9a-f]+`).FindString(list)
	if id == "" || strings.Contains(list, secret) {
		t.Fatalf("token list: %s", list)
	}
	jwt = token(basicAuth("alice", secret))
	checks := map[string]http.Header{"basic": basicAuth("alice", secret), "bearer api token": bearer(secret), "registry token": bearer(jwt)}
	for name, h := range checks {
		h.Set("Accept", manifestAccept)
		if st, _, _, _ := httpSend(ctx, "GET", manifest, "", nil, h); st != 200 {
			t.Fatalf("%s before revocation: %d", name, st)
		}
	}
	if _, err := runToolErr(t, credentialsEnv(t, srv.addr, "alice", secret), "crane", "--insecure", "digest", srv.addr+"/alpha/app:v1"); err != nil {
		t.Fatalf("crane with the API token: %v", err)
	}
	drydockAdmin(t, srv, "", "token", "revoke", id)
	deadline := time.Now().Add(10 * time.Second) // the server re-reads accounts within seconds
	for name, h := range checks {
		for {
			st, _, _, _ := httpSend(ctx, "GET", manifest, "", nil, h)
			if st == 401 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s still answers %d 10s after revocation", name, st)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if _, err := runToolErr(t, credentialsEnv(t, srv.addr, "alice", secret), "crane", "--insecure", "digest", srv.addr+"/alpha/app:v1"); err == nil {
		t.Errorf("crane with a revoked API token succeeded")
	}

	// docker login-style OAuth2: password grant with a refresh token, then
	// a refresh grant.
	form := "grant_type=password&username=alice&password=alice-password&service=drydock&client_id=e2e&access_type=offline&scope=repository:alpha/app:pull"
	st, _, body, err := httpSend(ctx, "POST", srv.url("/auth/token"), "application/x-www-form-urlencoded", []byte(form), noAuth)
	var resp struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	if err != nil || st != 200 || json.Unmarshal(body, &resp) != nil || resp.RefreshToken == "" {
		t.Fatalf("password grant: %d %v %s", st, err, body)
	}
	form = "grant_type=refresh_token&refresh_token=" + resp.RefreshToken + "&service=drydock&client_id=e2e&scope=repository:alpha/app:pull"
	st, _, body, err = httpSend(ctx, "POST", srv.url("/auth/token"), "application/x-www-form-urlencoded", []byte(form), noAuth)
	if err != nil || st != 200 || json.Unmarshal(body, &resp) != nil || resp.AccessToken == "" {
		t.Fatalf("refresh grant: %d %v %s", st, err, body)
	}
	if st, _, _, _ := httpSend(ctx, "GET", manifest, "", nil, bearer(resp.AccessToken)); st != 200 {
		t.Errorf("refreshed token: %d", st)
	}
}

// TestAuthThrottling fails sign-ins until the address is blocked and
// checks the 429 answers of every interface.
func TestAuthThrottling(t *testing.T) {
	srv := startServer(t, "", append(authEnv, "DRYDOCK_AUTH_MAXFAILURES=3", "DRYDOCK_AUTH_LOCKOUT=3s")...)
	ctx := t.Context()
	for i := 0; i < 3; i++ {
		if st, _, _, _ := httpSend(ctx, "GET", srv.url("/v2/"), "", nil, basicAuth(adminUser, "wrong-password")); st != 401 {
			t.Fatalf("failure %d: %d", i, st)
		}
	}
	st, hdr, body, _ := httpSend(ctx, "GET", srv.url("/v2/"), "", nil, nil)
	if st != 429 || hdr.Get("Retry-After") == "" || !strings.Contains(string(body), "TOOMANYREQUESTS") {
		t.Fatalf("registry after 3 failures: %d %q %s", st, hdr.Get("Retry-After"), body)
	}
	st, hdr, _, _ = httpSend(ctx, "GET", srv.url("/api/v1/webhooks"), "", nil, nil)
	if st != 429 || hdr.Get("Retry-After") == "" || hdr.Get("Content-Type") != "application/problem+json" {
		t.Errorf("API after 3 failures: %d %v", st, hdr)
	}
	if st, _, _, _ := httpSend(ctx, "GET", srv.url("/auth/token?service=drydock"), "", nil, nil); st != 429 {
		t.Errorf("token endpoint after 3 failures: %d", st)
	}
	// A real client waits as told (Retry-After) and gets through once the
	// lockout is over.
	start := time.Now()
	if _, err := runToolErr(t, nil, "crane", "--insecure", "catalog", srv.addr); err != nil {
		t.Errorf("crane after waiting out the lockout: %v", err)
	} else if d := time.Since(start); d < 1500*time.Millisecond {
		t.Errorf("crane got through a blocked address within %s", d)
	}
	time.Sleep(3500 * time.Millisecond)
	if st, _, _, _ := httpSend(ctx, "GET", srv.url("/v2/"), "", nil, nil); st != 200 {
		t.Errorf("after the lockout: %d", st)
	}
	audit := drydockAdmin(t, srv, "", "audit")
	if n := strings.Count(audit, " failed "); n < 3 {
		t.Errorf("audit log holds %d failed sign-ins, want at least 3:\n%s", n, audit)
	}
}

// isolationRequest is one request of the tenant isolation walk.
type isolationRequest struct {
	method, path string
	body         []byte
	pattern      string // the mux pattern it comes from
}

// TestTenantIsolation walks every route the server registered on its mux
// (read from its own debug log, so that routes added later are walked
// too), expanding the registry's subtree into every endpoint of the OCI
// distribution spec and the API subtree into every path of its OpenAPI
// document, as anonymous and as a user of another subscription. Every
// attempt must be refused or return nothing of tenant A, and tenant A's
// data must be intact afterwards.
func TestTenantIsolation(t *testing.T) {
	srv := startServer(t, "", append(authEnv, "DRYDOCK_LOG_LEVEL=debug", "DRYDOCK_LOG_FORMAT=json",
		"DRYDOCK_WEBHOOKS_ALLOWPRIVATETARGETS=true")...)
	tenants(t, srv)
	ctx := t.Context()
	alice := basicAuth("alice", "alice-password")
	bob := basicAuth("bob", "bob-password")

	// Tenant A's data: an image under a secret tag, an open upload, a webhook.
	secretTag := fmt.Sprintf("secret-%x", randBytes(t, 6))
	aliceEnv := credentialsEnv(t, srv.addr, "alice", "alice-password")
	runTool(t, aliceEnv, "crane", "--insecure", "append", "--oci-empty-base",
		"-f", writeFile(t, t.TempDir(), "l.tar", layerTar(t, realFileSets[0], 4096)), "-t", srv.addr+"/alpha/app:"+secretTag)
	raw := runTool(t, aliceEnv, "crane", "--insecure", "manifest", srv.addr+"/alpha/app:"+secretTag)
	digest := sha256Hex(raw)
	m := parseManifest(t, raw)
	layer := m.Layers[0].Digest
	st, hdr, _, err := httpSend(ctx, "POST", srv.url("/v2/alpha/app/blobs/uploads/"), "", nil, alice)
	if err != nil || st != 202 {
		t.Fatalf("alice starts an upload: %d %v", st, err)
	}
	upload := hdr.Get("Location")
	hookMarker := fmt.Sprintf("secret-hook-%x", randBytes(t, 6))
	hookID := "none"
	hookBody, _ := json.Marshal(map[string]any{"url": "http://127.0.0.1:9/" + hookMarker, "events": []string{"image.pushed"}})
	if st, _, body, err := httpSend(ctx, "POST", srv.url("/api/v1/webhooks"), "application/json", hookBody, alice); err == nil && st == 201 {
		var h struct{ ID string }
		json.Unmarshal(body, &h)
		hookID = h.ID
	} else {
		t.Logf("no webhook for tenant A (%d %v %s)", st, err, body)
	}
	secrets := []string{secretTag, digest, layer, hookMarker, "alpha/app", "tenant-a"}
	// Tenant A's subscription id in the provider API.
	if st, _, body, _ := httpSend(ctx, "GET", srv.url("/subscriptions?api-version=2021-06-01"), "", nil, alice); st == 200 {
		var subs struct {
			Value []struct{ SubscriptionID string }
		}
		json.Unmarshal(body, &subs)
		for _, s := range subs.Value {
			secrets = append(secrets, s.SubscriptionID)
		}
	}

	// The routes, from the server's own log.
	patterns := loggedRoutes(t, srv)
	if len(patterns) < 5 || !slices.Contains(patterns, "/v2/") {
		t.Fatalf("routes from the log: %v", patterns)
	}
	subst := strings.NewReplacer("{id}", hookID, "{delivery}", "1", "{name...}", "alpha/app", "{name}", "alpha/app",
		"{digest}", digest, "{reference}", secretTag, "{sub}", "tenant-a", "{subscription}", "tenant-a",
		"{subscriptionId}", "tenant-a", "{registry}", "alpha", "{repository}", "alpha/app", "{$}", "")
	wildcard := regexp.MustCompile(`\{[^}]*\}`)
	var reqs []isolationRequest
	add := func(pattern, method, path string, body []byte) {
		path = wildcard.ReplaceAllString(subst.Replace(path), "x")
		if strings.HasPrefix(path, "/subscriptions") {
			path += "?api-version=2021-06-01" // the provider API answers nothing without one
		}
		reqs = append(reqs, isolationRequest{method: method, path: path, body: body, pattern: pattern})
	}
	allMethods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}
	var openapi struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if st, _, body, _ := httpSend(ctx, "GET", srv.url("/api/v1/openapi.json"), "", nil, nil); st == 200 {
		json.Unmarshal(body, &openapi)
	}
	for _, p := range patterns {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			method, path = "", p
		}
		methods := []string{method}
		if method == "" {
			methods = allMethods
		}
		switch {
		case path == "/v2/":
			for _, r := range ociEndpoints(digest, layer, secretTag, upload) {
				add(p, r.method, r.path, r.body)
			}
		case strings.HasSuffix(path, "/") && strings.HasPrefix(path, "/api/"):
			for op, ops := range openapi.Paths {
				for m := range ops {
					if mm := strings.ToUpper(m); slices.Contains(allMethods, mm) {
						add(p, mm, op, []byte("{}"))
					}
				}
			}
			for _, m := range methods {
				add(p, m, path, []byte("{}"))
			}
		default:
			for _, m := range methods {
				add(p, m, path, []byte("{}"))
			}
		}
	}
	// And every OpenAPI path even when the API is not a subtree mount.
	for op, ops := range openapi.Paths {
		for m := range ops {
			if mm := strings.ToUpper(m); slices.Contains(allMethods, mm) {
				add("openapi "+op, mm, op, []byte("{}"))
			}
		}
	}
	open := map[string]bool{"/healthz": true, "/readyz": true, "/auth/token": true}
	walked := map[string]bool{}
	for _, r := range reqs {
		walked[r.pattern] = true
		for _, who := range []struct {
			name string
			h    http.Header
		}{{"anonymous", noAuth}, {"bob", bob}} {
			st, _, body, err := httpSend(ctx, r.method, srv.url(r.path), "application/json", r.body, who.h.Clone())
			if err != nil {
				t.Errorf("%s %s as %s: %v", r.method, r.path, who.name, err)
				continue
			}
			for _, s := range secrets {
				if !strings.Contains(r.path, s) && bytes.Contains(body, []byte(s)) {
					t.Errorf("%s %s as %s (route %q): %d reveals %q: %.300s", r.method, r.path, who.name, r.pattern, st, s, body)
				}
			}
			onlyPath, _, _ := strings.Cut(r.path, "?")
			switch {
			case open[onlyPath]:
			case who.name == "anonymous" && st != 401:
				t.Errorf("%s %s (route %q) without credentials: %d, want 401", r.method, r.path, r.pattern, st)
			case who.name == "bob" && touchesTenantA(r.path, hookID, upload) && st < 400:
				t.Errorf("%s %s (route %q) as another tenant: %d, want a refusal", r.method, r.path, r.pattern, st)
			case who.name == "bob" && strings.Contains(r.path, "mount=") && st == 201:
				t.Errorf("%s %s: tenant A's blob was mounted into tenant B", r.method, r.path)
			}
		}
	}
	for _, p := range patterns {
		if !walked[p] {
			t.Errorf("route %q was not walked", p)
		}
	}
	t.Logf("isolation walk: %d mux routes, %d OpenAPI paths, %d requests x 2 callers", len(patterns), len(openapi.Paths), len(reqs))

	// Tenant A's data is intact.
	for _, ref := range []string{secretTag, digest} {
		if st, _, body, _ := httpSend(ctx, "GET", srv.url("/v2/alpha/app/manifests/"+ref), "", nil, http.Header{
			"Authorization": alice["Authorization"], "Accept": {manifestAccept}}); st != 200 || !bytes.Equal(body, raw) {
			t.Errorf("tenant A's manifest %s after the walk: %d", ref, st)
		}
	}
	if st, _, body, _ := httpSend(ctx, "GET", srv.url("/v2/alpha/app/blobs/"+layer), "", nil, alice); st != 200 || sha256Hex(body) != layer {
		t.Errorf("tenant A's layer after the walk: %d", st)
	}
	if hookID != "none" {
		if st, _, _, _ := httpSend(ctx, "GET", srv.url("/api/v1/webhooks/"+hookID), "", nil, alice); st != 200 {
			t.Errorf("tenant A's webhook after the walk: %d", st)
		}
	}
}

// touchesTenantA reports whether path names one of tenant A's objects.
func touchesTenantA(path, hookID, upload string) bool {
	if strings.Contains(path, "mount=") {
		return false // a mount into tenant B's own repository; checked apart
	}
	return strings.Contains(path, "alpha") || strings.Contains(path, "tenant-a") ||
		(hookID != "none" && strings.Contains(path, hookID)) || (upload != "" && strings.Contains(path, upload))
}

// ociEndpoints are the endpoints of the OCI distribution spec (end-1 to
// end-13, plus the catalog), aimed at tenant A's repository alpha/app.
func ociEndpoints(digest, layer, tag, upload string) []isolationRequest {
	repo := "/v2/alpha/app"
	m := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` +
		layer + `","size":1},"layers":[]}`
	up := upload
	if !strings.HasPrefix(up, "/") {
		if i := strings.Index(up, "/v2/"); i >= 0 {
			up = up[i:]
		}
	}
	sep := "?"
	if strings.Contains(up, "?") {
		sep = "&"
	}
	return []isolationRequest{
		{method: "GET", path: "/v2/"},                                                            // end-1
		{method: "GET", path: repo + "/blobs/" + layer},                                          // end-2
		{method: "HEAD", path: repo + "/blobs/" + layer},                                         // end-2
		{method: "GET", path: repo + "/manifests/" + tag},                                        // end-3
		{method: "HEAD", path: repo + "/manifests/" + digest},                                    // end-3
		{method: "POST", path: repo + "/blobs/uploads/"},                                         // end-4a
		{method: "POST", path: repo + "/blobs/uploads/?digest=" + layer, body: []byte("x")},      // end-4b
		{method: "PATCH", path: up, body: []byte("x")},                                           // end-5
		{method: "PUT", path: up + sep + "digest=" + layer, body: []byte("x")},                   // end-6
		{method: "PUT", path: repo + "/manifests/" + tag, body: []byte(m)},                       // end-7
		{method: "GET", path: repo + "/tags/list"},                                               // end-8a
		{method: "GET", path: repo + "/tags/list?n=10&last=a"},                                   // end-8b
		{method: "DELETE", path: repo + "/manifests/" + tag},                                     // end-9
		{method: "DELETE", path: repo + "/blobs/" + layer},                                       // end-10
		{method: "POST", path: "/v2/beta/app/blobs/uploads/?mount=" + layer + "&from=alpha/app"}, // end-11
		{method: "POST", path: "/v2/beta/app/blobs/uploads/?mount=" + layer},                     // end-11 (automatic)
		{method: "GET", path: repo + "/referrers/" + digest},                                     // end-12a
		{method: "GET", path: repo + "/referrers/" + digest + "?artifactType=x"},                 // end-12b
		{method: "GET", path: up},                                                                // end-13
		{method: "DELETE", path: up},                                                             // upload cancel
		{method: "GET", path: "/v2/_catalog"},
		{method: "DELETE", path: repo + "/manifests/" + digest},
	}
}

// loggedRoutes reads the "http routes" line of the server's JSON log.
func loggedRoutes(t *testing.T, srv *server) []string {
	t.Helper()
	f, err := os.Open(srv.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct {
			Msg      string   `json:"msg"`
			Patterns []string `json:"patterns"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "http routes" {
			return line.Patterns
		}
	}
	t.Fatal("the server did not log its routes (http routes at debug level)")
	return nil
}
