//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The two queries published with the provider's documentation, unchanged.
const (
	providerQuery1 = `securityresources
| where type =~ "microsoft.security/assessments/subassessments" and properties.additionalData.assessedResourceType == "AzureContainerRegistryVulnerability"
| extend assessmentKey=extract(@"(?i)providers/Microsoft.Security/assessments/([^/]*)", 1, id)
| where assessmentKey == "c0b7cfc6-3172-465a-b378-53c7ff2cc0d5"
| extend timeGenerated = properties.timeGenerated
| where timeGenerated > ago(1h)`
	providerQuery2 = `securityresources
    | where type == "microsoft.security/assessments/subassessments"
    | extend assessmentKey = extract(".*assessments/(.+?)/.*",1,  id)
    | extend severity = tostring(properties.additionalData.vulnerabilityDetails.severity)
    | extend status = tostring(parse_json(properties).status.code)
    | extend vulId=tostring((properties).id)
    | extend Resource = tolower(extract(@'(?i)(.*?)/providers/Microsoft.Security/([^/]+)', 1, id))
    | where assessmentKey == "c0b7cfc6-3172-465a-b378-53c7ff2cc0d5"
    | where status == 'Unhealthy'
    | distinct
        vulId,
        severity
    | summarize count=count() by tostring(severity)`
)

const (
	keyNew = "c0b7cfc6-3172-465a-b378-53c7ff2cc0d5"
	keyOld = "dbd0cb49-b563-45e7-9724-889e799fa648"
	apiV   = "api-version=2019-01-01-preview"
)

// providerReport is what the expected answers are computed from: the
// image's scan report from the native API.
type providerReport struct {
	Findings []struct {
		ID       string
		Severity string
		Exempted bool
		Package  struct{ Name, Version, Type, Path string }
	}
}

// queryResult is the JSON of POST /api/v1/query.
type queryResult struct {
	Columns []struct{ Name, Type string }
	Rows    [][]any
}

// TestProviderAPI pushes the real Alpine 3.4.6 image into two tenants'
// registries, exempts one advisory in tenant A, and reads the results as
// the provider's REST API and the published fleet queries give them,
// checking every answer against the report JSON and that neither tenant
// sees the other's.
func TestProviderAPI(t *testing.T) {
	dir := t.TempDir()
	dbImport(t, dir, testdataFile(t, "vulndb/alpine-secdb"))
	srv := startServer(t, dir, authEnv...)
	tenants(t, srv)
	alice, bob := basicAuth("alice", "alice-password"), basicAuth("bob", "bob-password")

	push := func(user, pw, ref string) string {
		t.Helper()
		img := platformImage(t, alpineFiles("3.4.6"), 64, "amd64")
		d := t.TempDir()
		writeLayout(t, d, map[string]v1.Image{"x": img})
		runTool(t, credentialsEnv(t, srv.addr, user, pw), "crane", "--insecure", "push", d, ref)
		dg, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return dg.String()
	}
	digestA := push("alice", "alice-password", srv.addr+"/alpha/alpine:3.4.6")
	digestB := push("bob", "bob-password", srv.addr+"/beta/alpine:3.4.6")
	waitVerdict(t, srv, "alpha/alpine", digestA, 30*time.Second, nil)
	waitVerdict(t, srv, "beta/alpine", digestB, 30*time.Second, nil)
	// One advisory exempted in tenant A: its findings turn NotApplicable.
	apiJSON(t, srv, "POST", "/api/v1/exemptions", map[string]any{"subscription": "tenant-a", "scope": "image", "digest": digestA,
		"advisoryId": "CVE-2016-7055", "reason": "e2e: accepted risk"}, 201, nil)
	waitVerdict(t, srv, "alpha/alpine", digestA, 30*time.Second, func(m apiManifest) bool { return m.Summary["exempted"] > 0 })

	var repA, repB providerReport
	apiGet(t, srv, "/api/v1/repositories/alpha/alpine/manifests/"+digestA+"/report", &repA)
	apiGet(t, srv, "/api/v1/repositories/beta/alpine/manifests/"+digestB+"/report", &repB)
	if len(repA.Findings) == 0 || len(repA.Findings) != len(repB.Findings) {
		t.Fatalf("reports: %d and %d findings", len(repA.Findings), len(repB.Findings))
	}
	exempted := 0
	for _, f := range repA.Findings {
		if f.Exempted {
			exempted++
		}
	}
	if exempted == 0 {
		t.Fatal("the exemption exempted nothing")
	}

	get := func(h http.Header, path string) (int, []byte) {
		t.Helper()
		st, _, b, err := httpSend(t.Context(), "GET", path, "", nil, h.Clone())
		if err != nil {
			t.Fatal(err)
		}
		return st, b
	}
	// The caller's subscriptions, with the {sub} the routes take.
	subOf := func(h http.Header, name string) string {
		t.Helper()
		st, b := get(h, srv.url("/subscriptions?"+apiV))
		var subs struct {
			Value []struct{ SubscriptionID, DisplayName string }
		}
		if err := json.Unmarshal(b, &subs); err != nil || st != 200 || len(subs.Value) != 1 || subs.Value[0].DisplayName != name {
			t.Fatalf("subscriptions of %s: %d %s", name, st, b)
		}
		return subs.Value[0].SubscriptionID
	}
	subA, subB := subOf(alice, "tenant-a"), subOf(bob, "tenant-b")
	registryA := "/subscriptions/" + subA + "/resourceGroups/drydock/providers/Microsoft.ContainerRegistry/registries/alpha"

	type resource struct {
		ID, Name, Type string
		Properties     struct {
			ID             string
			Status         struct{ Code, Cause, Severity string }
			AdditionalData struct {
				AssessedResourceType string
				ImageDigest          string
				ArtifactDetails      struct{ Digest string }
			}
		}
	}
	// list follows nextLink to the end.
	list := func(h http.Header, path string) []resource {
		t.Helper()
		var out []resource
		next := srv.url(path)
		for pages := 0; next != ""; pages++ {
			if pages > 100 {
				t.Fatalf("%s: nextLink does not end", path)
			}
			st, b := get(h, next)
			var page struct {
				Value    []resource
				NextLink string
			}
			if err := json.Unmarshal(b, &page); err != nil || st != 200 {
				t.Fatalf("GET %s: %d %s", next, st, b)
			}
			out, next = append(out, page.Value...), page.NextLink
		}
		return out
	}

	// Sub-assessments of each key: one per finding, in pages of 7.
	for key, kind := range map[string]string{keyNew: "AzureContainerRegistryVulnerability", keyOld: "ContainerRegistryVulnerability"} {
		rs := list(alice, registryA+"/providers/Microsoft.Security/assessments/"+key+"/subAssessments?"+apiV+"&$top=7")
		if len(rs) != len(repA.Findings) {
			t.Errorf("%s: %d sub-assessments, want %d (one per finding)", key, len(rs), len(repA.Findings))
		}
		codes := map[string]int{}
		names := map[string]bool{}
		for _, r := range rs {
			codes[r.Properties.Status.Code+"/"+r.Properties.Status.Cause]++
			names[r.Name] = true
			seg := strings.Split(r.ID, "/")
			if r.Properties.AdditionalData.AssessedResourceType != kind || r.Type != "Microsoft.Security/assessments/subAssessments" ||
				len(seg) != 15 || seg[2] != subA || seg[6] != "Microsoft.ContainerRegistry" || seg[8] != "alpha" || seg[12] != key || seg[14] != r.Name {
				t.Errorf("sub-assessment %s: %s %s", r.ID, r.Type, r.Properties.AdditionalData.AssessedResourceType)
			}
		}
		want := map[string]int{"Unhealthy/": len(repA.Findings) - exempted, "NotApplicable/Exempt": exempted}
		if codes["Unhealthy/"] != want["Unhealthy/"] || codes["NotApplicable/Exempt"] != want["NotApplicable/Exempt"] || len(names) != len(rs) {
			t.Errorf("%s statuses %v, want %v; %d distinct names", key, codes, want, len(names))
		}
		// One of them by name.
		st, b := get(alice, srv.url(rs[len(rs)-1].ID+"?"+apiV))
		var one resource
		if json.Unmarshal(b, &one) != nil || st != 200 || one.ID != rs[len(rs)-1].ID {
			t.Errorf("GET %s: %d %s", rs[len(rs)-1].ID, st, b)
		}
	}
	// Both keys at once, at subscription scope.
	if all := list(alice, "/subscriptions/"+subA+"/providers/Microsoft.Security/subAssessments?"+apiV+"&$top=10"); len(all) != 2*len(repA.Findings) {
		t.Errorf("all sub-assessments: %d, want %d", len(all), 2*len(repA.Findings))
	}
	// The parent assessments: both keys for registry alpha, Unhealthy.
	as := list(alice, "/subscriptions/"+subA+"/providers/Microsoft.Security/assessments?"+apiV+"&$top=1")
	var got []string
	for _, a := range as {
		if strings.HasPrefix(a.ID, registryA+"/") {
			got = append(got, a.Name+" "+a.Properties.Status.Code)
		}
	}
	if want := []string{keyNew + " Unhealthy", keyOld + " Unhealthy"}; !slices.Equal(got, want) {
		t.Errorf("assessments of alpha: %v, want %v", got, want)
	}

	// Isolation: bob's ids are not found for alice, however written, and
	// the other way round; no credentials, no answer.
	bobs := list(bob, "/subscriptions/"+subB+"/providers/Microsoft.Security/subAssessments?"+apiV)
	if len(bobs) != 2*len(repB.Findings) {
		t.Fatalf("bob: %d sub-assessments", len(bobs))
	}
	for _, c := range []struct {
		h    http.Header
		path string
	}{
		{alice, bobs[0].ID + "?" + apiV},
		{alice, strings.Replace(bobs[0].ID, subB, subA, 1) + "?" + apiV},
		{alice, "/subscriptions/tenant-b/providers/Microsoft.Security/assessments?" + apiV},
		{alice, "/subscriptions/" + strings.ToUpper(subB) + "/providers/Microsoft.Security/subAssessments?" + apiV},
		{bob, registryA + "/providers/Microsoft.Security/assessments?" + apiV},
		{bob, "/subscriptions/" + subA + "/resourceGroups/drydock/providers/Microsoft.ContainerRegistry/registries/beta/providers/Microsoft.Security/subAssessments?" + apiV},
	} {
		st, b := get(c.h, srv.url(c.path))
		if st != 404 || !bytes.Contains(b, []byte(`"error":{"code":`)) {
			t.Errorf("GET %s as another tenant: %d %s", c.path, st, b)
		}
		for _, secret := range []string{digestA, digestB} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("GET %s reveals %s", c.path, secret)
			}
		}
	}
	if st, _ := get(noAuth, srv.url(registryA+"/providers/Microsoft.Security/assessments?"+apiV)); st != 401 {
		t.Errorf("without credentials: %d", st)
	}
	if st, b := get(alice, srv.url(registryA+"/providers/Microsoft.Security/assessments")); st != 400 || !bytes.Contains(b, []byte("MissingApiVersionParameter")) {
		t.Errorf("without api-version: %d %s", st, b)
	}

	// The published queries, unchanged, through POST /api/v1/query.
	query := func(h http.Header, q string) queryResult {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"query": q})
		st, _, b, err := httpSend(t.Context(), "POST", srv.url("/api/v1/query"), "application/json", body, h.Clone())
		var res queryResult
		if err != nil || st != 200 || json.Unmarshal(b, &res) != nil {
			t.Fatalf("query: %d %v %s", st, err, b)
		}
		return res
	}
	// Expected answers, from the report JSON: the active findings'
	// distinct (CVE, severity), counted by severity.
	expect := func(rep providerReport) map[string]float64 {
		distinct := map[[2]string]bool{}
		for _, f := range rep.Findings {
			if !f.Exempted {
				distinct[[2]string{f.ID, f.Severity}] = true
			}
		}
		out := map[string]float64{}
		for k := range distinct {
			out[k[1]]++
		}
		return out
	}
	counts := func(res queryResult) map[string]float64 {
		out := map[string]float64{}
		for _, r := range res.Rows {
			out[r[0].(string)] = r[1].(float64)
		}
		return out
	}
	for who, c := range map[string]struct {
		h   http.Header
		rep providerReport
		sub string
	}{"alice": {alice, repA, subA}, "bob": {bob, repB, subB}} {
		res := query(c.h, providerQuery2)
		t.Logf("%s: %d findings, query 2 = %v", who, len(c.rep.Findings), res.Rows)
		if got, want := counts(res), expect(c.rep); !mapsEqual(got, want) || len(res.Columns) != 2 {
			t.Errorf("%s, query 2: %v (columns %v), want %v", who, got, res.Columns, want)
		}
		res = query(c.h, providerQuery1)
		if len(res.Rows) != len(c.rep.Findings) {
			t.Errorf("%s, query 1: %d rows, want %d", who, len(res.Rows), len(c.rep.Findings))
		}
		for _, r := range res.Rows {
			if r[4] != c.sub {
				t.Errorf("%s, query 1: a row of subscription %v", who, r[4])
			}
		}
	}
	// Whatever the query, another tenant's rows do not show.
	for _, q := range []string{
		`securityresources | where subscriptionId == "` + subA + `" | count`,
		`findings | where subscription == "tenant-a" | count`,
		`images | where repository == "alpha/alpine" | count`,
		`union findings, images, packages, usage | where subscription == "tenant-a" or registry == "alpha" | count`,
		`securityresources | where id contains "/registries/alpha/" or tostring(properties) contains "alpha/alpine" | count`,
	} {
		res := query(bob, q)
		if len(res.Rows) != 1 || res.Rows[0][0].(float64) != 0 {
			t.Errorf("bob: %s = %v", q, res.Rows)
		}
	}

	// drydock query on the command line gives the same answer.
	cmd := exec.Command(drydockBin, "query", "--server", "http://"+srv.addr, "--user", "alice", "--format", "json", providerQuery2)
	cmd.Env = append(cmd.Environ(), "DRYDOCK_PASSWORD=alice-password")
	out, err := cmd.Output()
	var cli queryResult
	if err != nil || json.Unmarshal(out, &cli) != nil {
		t.Fatalf("drydock query: %v\n%s", err, out)
	}
	if got, want := counts(cli), expect(repA); !mapsEqual(got, want) {
		t.Errorf("drydock query: %v, want %v", got, want)
	}
	cmd = exec.Command(drydockBin, "query", "--server", "http://"+srv.addr, "--user", "alice", "-")
	cmd.Env = append(cmd.Environ(), "DRYDOCK_PASSWORD=alice-password")
	cmd.Stdin = strings.NewReader(providerQuery2)
	if out, err := cmd.Output(); err != nil || !bytes.Contains(out, []byte("severity")) {
		t.Errorf("drydock query (table, from stdin): %v\n%s", err, out)
	}
}

func mapsEqual(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
