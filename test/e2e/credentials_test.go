//go:build e2e

package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Every server the harness starts has the administrator adminUser with
// password adminPassword (DRYDOCK_ADMIN_PASSWORD), and every client the
// harness runs signs in as that administrator:
//
//   - tools run by runTool get clientEnv(): a Docker config (DOCKER_CONFIG,
//     read by crane, regctl and oras; REGISTRY_AUTH_FILE for skopeo) with
//     credentials for every server started so far, which is what their
//     login commands write, and OCI_USERNAME/OCI_PASSWORD for the
//     conformance suite;
//   - raw HTTP through httpSend (e2eHTTP) carries Basic credentials unless
//     the request sets its own Authorization header.
//
// A test that wants a client without credentials passes anonymousEnv(t)
// (tools) or an explicit Authorization header (HTTP).
const (
	adminUser     = "admin"
	adminPassword = "e2e-admin-password"
)

// serverAuthEnv is the environment every drydock serve gets: a known
// administrator, and no background advisory update from the public feeds
// (tests are hermetic; a test that wants one sets it back on).
func serverAuthEnv() []string {
	return []string{"DRYDOCK_ADMIN_USER=" + adminUser, "DRYDOCK_ADMIN_PASSWORD=" + adminPassword,
		"DRYDOCK_VULNDB_AUTOUPDATE=false"}
}

var clientCreds struct {
	mu    sync.Mutex
	dir   string
	hosts map[string]string // host:port -> base64(user:password)
	err   error
}

// registerServerCredentials adds the administrator's credentials for addr
// to the shared Docker config.
func registerServerCredentials(t testing.TB, addr string) {
	t.Helper()
	clientCreds.mu.Lock()
	defer clientCreds.mu.Unlock()
	if clientCreds.dir == "" {
		dir, err := os.MkdirTemp("", "drydock-e2e-creds-")
		if err != nil {
			t.Fatal(err)
		}
		clientCreds.dir, clientCreds.hosts = dir, map[string]string{}
	}
	clientCreds.hosts[addr] = base64.StdEncoding.EncodeToString([]byte(adminUser + ":" + adminPassword))
	writeDockerConfig(t, clientCreds.dir, clientCreds.hosts)
}

// writeDockerConfig writes dir/config.json with auths for hosts.
func writeDockerConfig(t testing.TB, dir string, hosts map[string]string) string {
	t.Helper()
	auths := map[string]map[string]string{}
	for h, a := range hosts {
		auths[h] = map[string]string{"auth": a}
	}
	b, err := json.Marshal(map[string]any{"auths": auths})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "config.json")
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	return p
}

// removeClientCredentials deletes the shared Docker config (TestMain).
func removeClientCredentials() {
	clientCreds.mu.Lock()
	defer clientCreds.mu.Unlock()
	if clientCreds.dir != "" {
		os.RemoveAll(clientCreds.dir)
	}
}

// clientEnv is the environment that gives client tools the
// administrator's credentials.
func clientEnv() []string {
	clientCreds.mu.Lock()
	defer clientCreds.mu.Unlock()
	env := []string{"OCI_USERNAME=" + adminUser, "OCI_PASSWORD=" + adminPassword}
	if clientCreds.dir != "" {
		env = append(env, "DOCKER_CONFIG="+clientCreds.dir, "REGISTRY_AUTH_FILE="+filepath.Join(clientCreds.dir, "config.json"))
	}
	return env
}

// anonymousEnv overrides clientEnv for a tool that must run without
// credentials.
func anonymousEnv(t testing.TB) []string {
	t.Helper()
	dir := t.TempDir()
	writeDockerConfig(t, dir, nil)
	return []string{"DOCKER_CONFIG=" + dir, "REGISTRY_AUTH_FILE=" + filepath.Join(dir, "config.json"), "OCI_USERNAME=", "OCI_PASSWORD="}
}

// credentialsEnv is anonymousEnv with Basic credentials user:password for
// the server at addr (what `crane auth login` would write).
func credentialsEnv(t testing.TB, addr, user, password string) []string {
	t.Helper()
	dir := t.TempDir()
	writeDockerConfig(t, dir, map[string]string{addr: base64.StdEncoding.EncodeToString([]byte(user + ":" + password))})
	return []string{"DOCKER_CONFIG=" + dir, "REGISTRY_AUTH_FILE=" + filepath.Join(dir, "config.json"), "OCI_USERNAME=" + user, "OCI_PASSWORD=" + password}
}

// adminTransport adds the administrator's Basic credentials to requests
// that carry no Authorization header.
type adminTransport struct{ base http.RoundTripper }

// An Authorization header set to "" means "no credentials": it is removed.
func (a adminTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	v, set := r.Header["Authorization"]
	switch {
	case !set:
		r = r.Clone(r.Context())
		r.SetBasicAuth(adminUser, adminPassword)
	case len(v) == 1 && v[0] == "":
		r = r.Clone(r.Context())
		r.Header.Del("Authorization")
	}
	return a.base.RoundTrip(r)
}
