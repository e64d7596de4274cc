//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// apiAs sends a JSON request as user:password and returns status and body.
func apiAs(t *testing.T, srv *server, user, pw, method, path, body string) (int, []byte) {
	t.Helper()
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	code, _, rb, err := httpSend(t.Context(), method, srv.url(path), "application/json", b, basicAuth(user, pw))
	if err != nil {
		t.Fatalf("%s %s as %s: %v", method, path, user, err)
	}
	return code, rb
}

// craneManifest fetches a manifest with crane as the administrator and
// returns its output and error.
func craneManifest(t *testing.T, ref string) (string, error) {
	t.Helper()
	return craneRun(t, "manifest", ref)
}

// craneRun runs crane as the administrator and returns its output and, on
// failure, its error (which holds stderr) with it.
func craneRun(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := runToolErr(t, nil, "crane", append([]string{"--insecure"}, args...)...)
	if err != nil {
		return string(out) + "\n" + err.Error(), err
	}
	return string(out), nil
}

// TestPullPolicy: a registry's pull policy refuses, to a real client, the
// manifest of an image with a High finding (Alpine 3.11.13's busybox under
// a test advisory) and one that is not scanned, while findings below the
// threshold (Alpine 3.4.6's secdb findings have no severity) pass,
// with a DENIED error naming the findings and the break-glass route; an
// index is served while its vulnerable platform is refused; a break-glass
// override started by a contributor serves them until it is ended or
// expires; an exemption lifts the refusal; every step is in the audit log,
// through the API and drydock admin audit.
func TestPullPolicy(t *testing.T) {
	dir := t.TempDir()
	dbImport(t, dir, testdataFile(t, "vulndb/alpine-secdb"), writeOSV(t, "DRYDOCK-TEST-0001.json", busyboxOSV))
	srv := startServer(t, dir)
	drydockAdmin(t, srv, "", "subscription", "create", "side")
	drydockAdmin(t, srv, "olga-password\n", "user", "create", "olga", "--password-stdin", "--subscription", "default", "--role", "owner")
	drydockAdmin(t, srv, "carl-password\n", "user", "create", "carl", "--password-stdin", "--subscription", "default", "--role", "contributor")
	// rita reads default and contributes elsewhere, so that her writes pass
	// the sign-in guard and meet the API's role checks.
	drydockAdmin(t, srv, "rita-password\n", "user", "create", "rita", "--password-stdin", "--subscription", "default", "--role", "reader")
	drydockAdmin(t, srv, "", "role", "grant", "--user", "rita", "--subscription", "side", "--role", "contributor")

	low := pushImage(t, platformImage(t, alpineFiles("3.4.6"), 0, "amd64"), srv.addr+"/e2e/policy/alpine:3.4.6")
	high := pushImage(t, platformImage(t, alpineFiles("3.11.13"), 0, "amd64"), srv.addr+"/e2e/policy/alpine:3.11.13")
	idx := pushIndex(t, []v1.Image{platformImage(t, alpineFiles("3.11.13"), 64, "amd64"), platformImage(t, alpineFiles("3.4.6"), 64, "arm64")},
		srv.addr+"/e2e/policy/multi:v1")
	if m := waitVerdict(t, srv, "e2e/policy/alpine", low, 30*time.Second, nil); m.Status != "unhealthy" || m.Summary["high"]+m.Summary["critical"] != 0 || m.Summary["unknown"] == 0 {
		t.Fatalf("3.4.6: %+v", m)
	}
	highs := waitVerdict(t, srv, "e2e/policy/alpine", high, 30*time.Second, nil).Summary["high"] // busybox and ssl_client
	if highs == 0 {
		t.Fatal("3.11.13 has no High finding under the test advisory")
	}
	multi := waitVerdict(t, srv, "e2e/policy/multi", idx, 30*time.Second, func(m apiManifest) bool {
		return len(m.Images) == 2 && finalStatus[m.Images[0].Status] && finalStatus[m.Images[1].Status]
	})
	var vulnPlatform, cleanPlatform string // amd64: 3.11.13, arm64: 3.4.6
	for _, im := range multi.Images {
		if im.Platform == "linux/amd64" { // 3.11.13
			vulnPlatform = im.Digest
		} else {
			cleanPlatform = im.Digest
		}
	}
	if vulnPlatform == "" || cleanPlatform == "" {
		t.Fatalf("index platforms: %+v", multi.Images)
	}

	// Only an owner sets the policy.
	policy := `{"blockSeverity":"High","blockUnscanned":true}`
	if code, b := apiAs(t, srv, "carl", "carl-password", "PUT", "/api/v1/registries/e2e/policy", policy); code != 403 || !strings.Contains(string(b), "owner") {
		t.Fatalf("contributor sets the policy: %d %s", code, b)
	}
	if code, b := apiAs(t, srv, "olga", "olga-password", "PUT", "/api/v1/registries/e2e/policy", policy); code != 200 {
		t.Fatalf("owner sets the policy: %d %s", code, b)
	}

	ref := srv.addr + "/e2e/policy/alpine"
	out, err := craneManifest(t, ref+":3.11.13")
	if err == nil || !strings.Contains(out, "DENIED") || !strings.Contains(out, fmt.Sprintf("has %d findings at or above High (%d High)", highs, highs)) ||
		!strings.Contains(out, "POST /api/v1/registries/e2e/breakglass") {
		t.Fatalf("crane manifest of 3.11.13 under the policy: %v\n%s", err, out)
	}
	// The registry's own answer: 403, OCI envelope, counts in the detail.
	code, _, body, err := httpDo(t.Context(), "GET", srv.url("/v2/e2e/policy/alpine/manifests/"+high), manifestAccept)
	var env struct {
		Errors []struct {
			Code, Message string
			Detail        struct {
				Findings map[string]int
				Status   string
			}
		}
	}
	if err != nil || code != 403 || json.Unmarshal(body, &env) != nil || len(env.Errors) != 1 || env.Errors[0].Code != "DENIED" ||
		env.Errors[0].Detail.Status != "unhealthy" || env.Errors[0].Detail.Findings["High"] != highs {
		t.Fatalf("GET 3.11.13: %d %v %s", code, err, body)
	}
	if code, _, _, _ := httpDo(t.Context(), "HEAD", srv.url("/v2/e2e/policy/alpine/manifests/3.11.13"), manifestAccept); code != 403 {
		t.Errorf("HEAD 3.11.13: %d", code)
	}
	if out, err := craneManifest(t, ref+":3.4.6"); err != nil {
		t.Errorf("image with findings below the threshold refused: %v\n%s", err, out)
	}
	// The index is served; its vulnerable platform is not, the clean one is.
	if out, err := craneManifest(t, srv.addr+"/e2e/policy/multi:v1"); err != nil {
		t.Errorf("index refused: %v\n%s", err, out)
	}
	if out, err := craneManifest(t, srv.addr+"/e2e/policy/multi@"+vulnPlatform); err == nil || !strings.Contains(out, "DENIED") {
		t.Errorf("vulnerable platform served: %s", out)
	}
	if out, err := craneManifest(t, srv.addr+"/e2e/policy/multi@"+cleanPlatform); err != nil {
		t.Errorf("clean platform refused: %v\n%s", err, out)
	}
	if out, err := craneRun(t, "pull", "--platform", "linux/amd64", srv.addr+"/e2e/policy/multi:v1", t.TempDir()+"/amd64.tar"); err == nil || !strings.Contains(out, "DENIED") {
		t.Errorf("pull of the vulnerable platform: %v\n%s", err, out)
	}

	// An image that is never scanned (its registry's plan is off) is "not
	// yet scanned".
	pushDistinct(t, srv, "e2e-off/app:v0", 1)
	apiJSON(t, srv, "PUT", "/api/v1/registries/e2e-off/plan", map[string]any{"scanning": false}, 200, nil)
	apiJSON(t, srv, "PUT", "/api/v1/registries/e2e-off/policy", map[string]any{"blockUnscanned": true}, 200, nil)
	layer := writeFile(t, t.TempDir(), "layer.tar", layerTar(t, realFileSets[0], 2048))
	runTool(t, nil, "crane", "--insecure", "append", "--oci-empty-base", "-t", srv.addr+"/e2e-off/app:v1", "-f", layer)
	if out, err := craneManifest(t, srv.addr+"/e2e-off/app:v1"); err == nil || !strings.Contains(out, "is not yet scanned") {
		t.Errorf("unscanned image: %v\n%s", err, out)
	}

	// An image whose release the database has no data for (Alpine 3.20:
	// the test secdb stops at v3.11) is healthy with every package
	// unchecked: served, until the policy blocks unchecked packages.
	unchecked := pushImage(t, platformImage(t, alpineFiles("3.20.3"), 0, "amd64"), srv.addr+"/e2e-unchecked/alpine:3.20.3")
	if m := waitVerdict(t, srv, "e2e-unchecked/alpine", unchecked, 30*time.Second, nil); m.Status != "healthy" {
		t.Fatalf("3.20.3: %+v", m)
	}
	apiJSON(t, srv, "PUT", "/api/v1/registries/e2e-unchecked/policy", map[string]any{"blockSeverity": "High", "blockUnscanned": true}, 200, nil)
	if out, err := craneManifest(t, srv.addr+"/e2e-unchecked/alpine:3.20.3"); err != nil {
		t.Errorf("unchecked image refused without blockUnchecked: %v\n%s", err, out)
	}
	apiJSON(t, srv, "PUT", "/api/v1/registries/e2e-unchecked/policy", map[string]any{"blockUnchecked": true}, 200, nil)
	if out, err := craneManifest(t, srv.addr+"/e2e-unchecked/alpine:3.20.3"); err == nil || !strings.Contains(out, "DENIED") ||
		!strings.Contains(out, "has 14 of 14 packages not checked") || !strings.Contains(out, "import advisory data that covers them") {
		t.Errorf("unchecked image under blockUnchecked: %v\n%s", err, out)
	}

	// Break-glass: contributors only, bounded, served while in force.
	bg := `{"reason":"incident 7: roll back to 3.11.13","duration":"10m"}`
	if code, b := apiAs(t, srv, "rita", "rita-password", "POST", "/api/v1/registries/e2e/breakglass", bg); code != 403 {
		t.Errorf("reader starts break-glass: %d %s", code, b)
	}
	if code, b := apiAs(t, srv, "carl", "carl-password", "POST", "/api/v1/registries/e2e/breakglass", `{"reason":"x","duration":"3h"}`); code != 400 || !strings.Contains(string(b), "1h0m0s") {
		t.Errorf("break-glass over the maximum: %d %s", code, b)
	}
	if code, b := apiAs(t, srv, "carl", "carl-password", "POST", "/api/v1/registries/e2e/breakglass", bg); code != 201 {
		t.Fatalf("contributor starts break-glass: %d %s", code, b)
	}
	if out, err := craneManifest(t, ref+":3.11.13"); err != nil {
		t.Fatalf("3.11.13 under break-glass: %v\n%s", err, out)
	}
	if out, err := craneRun(t, "pull", ref+":3.11.13", t.TempDir()+"/high.tar"); err != nil {
		t.Errorf("crane pull under break-glass: %v\n%s", err, out)
	}
	if code, b := apiAs(t, srv, "carl", "carl-password", "DELETE", "/api/v1/registries/e2e/breakglass", ""); code != 200 || !strings.Contains(string(b), `"ended":1`) {
		t.Fatalf("end break-glass: %d %s", code, b)
	}
	if _, err := craneManifest(t, ref+":3.11.13"); err == nil {
		t.Error("3.11.13 served after the override ended")
	}
	// An override expires by itself.
	if code, b := apiAs(t, srv, "carl", "carl-password", "POST", "/api/v1/registries/e2e/breakglass", `{"reason":"short","duration":"2s"}`); code != 201 {
		t.Fatalf("short break-glass: %d %s", code, b)
	}
	if out, err := craneManifest(t, ref+":3.11.13"); err != nil {
		t.Errorf("3.11.13 under the short override: %v\n%s", err, out)
	}
	time.Sleep(2500 * time.Millisecond)
	if _, err := craneManifest(t, ref+":3.11.13"); err == nil {
		t.Error("3.11.13 served after the override expired")
	}

	// An exemption by a contributor: the exempted finding no longer counts.
	if code, b := apiAs(t, srv, "carl", "carl-password", "POST", "/api/v1/exemptions", `{"subscription":"default","scope":"repository",
		"repository":"e2e/policy/alpine","advisoryId":"DRYDOCK-TEST-0001","reason":"busybox not reachable in this image"}`); code != 201 {
		t.Fatalf("exemption: %d %s", code, b)
	}
	waitVerdict(t, srv, "e2e/policy/alpine", high, 30*time.Second, func(m apiManifest) bool { return m.Status == "healthy" })
	if out, err := craneManifest(t, ref+":3.11.13"); err != nil {
		t.Errorf("3.11.13 refused with its finding exempted: %v\n%s", err, out)
	}

	// The audit log: owners read their subscriptions' events.
	var audit struct {
		Items []struct {
			Actor, Action, Target, Remote, Outcome string
			Detail                                 map[string]string
		}
	}
	if code, _ := apiAs(t, srv, "carl", "carl-password", "GET", "/api/v1/audit", ""); code != 403 {
		t.Errorf("contributor reads the audit log: %d", code)
	}
	code, b := apiAs(t, srv, "olga", "olga-password", "GET", "/api/v1/audit?limit=1000", "")
	if code != 200 || json.Unmarshal(b, &audit) != nil {
		t.Fatalf("owner reads the audit log: %d %s", code, b)
	}
	seen := map[string]bool{}
	pulls := 0
	for _, e := range audit.Items {
		seen[e.Actor+" "+e.Action+" "+e.Outcome] = true
		if e.Action == "breakglass.pull" {
			pulls++
			if e.Target != "e2e/policy/alpine@"+high || e.Remote != "127.0.0.1" || e.Actor != adminUser || e.Detail["breakGlass"] == "" {
				t.Errorf("break-glass pull event: %+v", e)
			}
		}
	}
	for _, want := range []string{"carl policy.change denied", "olga policy.change ok", "rita breakglass.start denied",
		"carl breakglass.start ok", "carl breakglass.end ok", adminUser + " breakglass.pull ok", adminUser + " plan.change ok",
		"carl exemption.create ok"} {
		if !seen[want] {
			t.Errorf("audit log lacks %q", want)
		}
	}
	if pulls < 2 {
		t.Errorf("%d pulls under break-glass audited, want at least 2 (crane manifest, crane pull)", pulls)
	}
	cli := drydockAdmin(t, srv, "", "audit")
	if !strings.Contains(cli, "breakglass.pull") || !strings.Contains(cli, "policy.change") {
		t.Errorf("drydock admin audit lacks the policy events:\n%s", cli)
	}

	// Roles on every write route of the API, from the OpenAPI document.
	walkWriteRoles(t, srv, low)
}

// walkWriteRoles sends every write operation of /api/v1/openapi.json as a
// reader of the subscription (403 each time) and as a contributor (403
// exactly where the document says owner).
func walkWriteRoles(t *testing.T, srv *server, digest string) {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]struct {
			Role string `json:"x-drydock-role"`
		} `json:"paths"`
	}
	apiGet(t, srv, "/api/v1/openapi.json", &doc)
	var hook e2eWebhook
	apiJSON(t, srv, "POST", "/api/v1/webhooks", map[string]any{"subscription": "default", "url": "https://hooks.example.com/x"}, 201, &hook)
	exemption := func() string {
		var ex struct{ ID string }
		apiJSON(t, srv, "POST", "/api/v1/exemptions", map[string]any{"subscription": "default", "scope": "subscription",
			"advisoryId": "CVE-0000-0", "reason": "walk"}, 201, &ex)
		return ex.ID
	}
	bodies := map[string]string{
		"POST /api/v1/exemptions":                       `{"subscription":"default","scope":"repository","repository":"e2e/policy/alpine","advisoryId":"CVE-1","reason":"walk"}`,
		"POST /api/v1/webhooks":                         `{"subscription":"default","url":"https://hooks.example.com/y"}`,
		"PUT /api/v1/registries/{registry}/policy":      `{"blockSeverity":"Critical"}`,
		"PUT /api/v1/registries/{registry}/plan":        `{"scanning":true}`,
		"PUT /api/v1/subscriptions/{subscription}/plan": `{"scanning":true}`,
		"POST /api/v1/registries/{registry}/breakglass": `{"reason":"walk","duration":"1s"}`,
		"PATCH /api/v1/webhooks/{id}":                   `{"active":true}`,
	}
	var ops []string
	for p, ms := range doc.Paths {
		for m, op := range ms {
			if m != "get" && op.Role != "reader" {
				ops = append(ops, strings.ToUpper(m)+" "+p+" "+op.Role)
			}
		}
	}
	slices.Sort(ops)
	if len(ops) < 15 {
		t.Fatalf("only %d write operations documented: %v", len(ops), ops)
	}
	for _, who := range []struct{ user, pw string }{{"rita", "rita-password"}, {"carl", "carl-password"}} {
		for _, op := range ops {
			f := strings.Fields(op)
			method, tpl, role := f[0], f[1], f[2]
			id := hook.ID
			if strings.HasPrefix(tpl, "/api/v1/exemptions/") {
				id = exemption()
			}
			path := strings.NewReplacer("{subscription}", "default", "{registry}", "e2e", "{name}", "e2e/policy/alpine",
				"{digest}", digest, "{id}", id, "{delivery}", "d-0").Replace(tpl)
			code, b := apiAs(t, srv, who.user, who.pw, method, path, bodies[method+" "+tpl])
			denied := code == http.StatusForbidden
			wantDenied := who.user == "rita" || role == "owner"
			if denied != wantDenied {
				t.Errorf("%s: %s %s (%s): %d %s", who.user, method, path, role, code, b)
			}
		}
	}
	t.Logf("walked %d write operations as reader and contributor", len(ops))
}
