package querytables_test

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/kql"
	"github.com/drydock/drydock/internal/projection"
	pt "github.com/drydock/drydock/internal/projection/projectiontest"
	"github.com/drydock/drydock/internal/querytables"
)

// The two queries published with the provider's documentation, unchanged.
const (
	publishedQuery1 = `securityresources
| where type =~ "microsoft.security/assessments/subassessments" and properties.additionalData.assessedResourceType == "AzureContainerRegistryVulnerability"
| extend assessmentKey=extract(@"(?i)providers/Microsoft.Security/assessments/([^/]*)", 1, id)
| where assessmentKey == "c0b7cfc6-3172-465a-b378-53c7ff2cc0d5"
| extend timeGenerated = properties.timeGenerated
| where timeGenerated > ago(1h)`
	publishedQuery2 = `securityresources
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

var (
	alice = &access.Identity{Name: "alice", Subscriptions: []string{pt.TenantA}}
	bob   = &access.Identity{Name: "bob", Subscriptions: []string{pt.TenantB}}
)

func newTables(t testing.TB) (*querytables.Tables, *pt.Fixture) {
	t.Helper()
	f := pt.New(t)
	p, err := projection.New(projection.Config{ScanningEnabledByDefault: true},
		projection.Deps{Store: f.Store, Reports: f.Reports, DBVersion: func() string { return f.Report.DB.Version }, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	tb, err := querytables.New(querytables.Deps{Projector: p, Store: f.Store})
	if err != nil {
		t.Fatal(err)
	}
	return tb, f
}

func run(t testing.TB, cat kql.Catalog, q string, now time.Time) *kql.Result {
	t.Helper()
	res, err := kql.Run(t.Context(), q, cat, kql.Limits{Now: now, Timeout: 20 * time.Second, MaxRows: 100000})
	if err != nil {
		t.Fatalf("%s\n%v", q, err)
	}
	return res
}

// reportJSON reads the Alpine 3.4.6 report as plain JSON, to compute the
// expected answers without drydock's code.
func reportJSON(t *testing.T) (findings []map[string]any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "report", "testdata", "alpine-3.4.6.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ Findings []map[string]any }
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r.Findings
}

// TestPublishedQueries runs the two published queries unchanged over
// tenant A's tables; the answers are computed from the report JSON.
func TestPublishedQueries(t *testing.T) {
	tb, _ := newTables(t)
	cat := tb.Catalog(alice, "registry.example.com")
	fs := reportJSON(t)

	// Query 2: distinct (CVE, severity) of the active findings, counted by
	// severity.
	distinct := map[[2]string]bool{}
	for _, f := range fs {
		if f["exempted"] == false {
			distinct[[2]string{f["id"].(string), f["severity"].(string)}] = true
		}
	}
	want := map[string]int64{}
	for k := range distinct {
		want[k[1]]++
	}
	res := run(t, cat, publishedQuery2, pt.ScannedAt.Add(time.Minute))
	if cols := res.Columns; len(cols) != 2 || cols[0].Name != "severity" || cols[1].Name != "count" {
		t.Errorf("columns %+v", cols)
	}
	got := map[string]int64{}
	for _, r := range res.Rows {
		got[r[0].String()] = r[1].Interface().(int64)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("query 2 (-want +got):\n%s", diff)
	}
	t.Logf("query 2: %v", got)

	// Query 1: every sub-assessment of key c0b7cfc6 generated within the
	// hour: one per finding, exempted ones included.
	res = run(t, cat, publishedQuery1, pt.ScannedAt.Add(30*time.Minute))
	if len(res.Rows) != len(fs) {
		t.Errorf("query 1: %d rows, want %d (one per finding)", len(res.Rows), len(fs))
	}
	var names []string
	for _, c := range res.Columns {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"id", "name", "type", "tenantId", "subscriptionId", "resourceGroup", "properties", "assessmentKey", "timeGenerated"}, names); diff != "" {
		t.Errorf("query 1 columns (-want +got):\n%s", diff)
	}
	for _, r := range res.Rows {
		if r[7].String() != projection.KeyAzureContainerRegistry || r[4].String() != projection.SubscriptionID(pt.TenantA) {
			t.Errorf("query 1 row: key %s, subscription %s", r[7], r[4])
		}
	}
	if res := run(t, cat, publishedQuery1, pt.ScannedAt.Add(2*time.Hour)); len(res.Rows) != 0 {
		t.Errorf("query 1 two hours later: %d rows, want 0", len(res.Rows))
	}
}

// TestTenantIsolation: whatever the query, no table returns another
// tenant's rows.
func TestTenantIsolation(t *testing.T) {
	tb, f := newTables(t)
	cat := tb.Catalog(alice, "h")
	subB := projection.SubscriptionID(pt.TenantB)
	secrets := []string{pt.TenantB, subB, "beta", string(f.AlpineB)}
	var queries []string
	for _, name := range querytables.Names {
		queries = append(queries, name, name+" | take 1000000")
	}
	queries = append(queries,
		`securityresources | where subscriptionId == "`+subB+`"`,
		`securityresources | where subscriptionId =~ "`+strings.ToUpper(subB)+`"`,
		`securityresources | where id startswith "/subscriptions/`+subB+`"`,
		`securityresources | where id == "/subscriptions/`+subB+`/resourceGroups/drydock/providers/Microsoft.ContainerRegistry/registries/beta/providers/Microsoft.Security/assessments/`+projection.KeyContainerRegistry+`"`,
		`images | where subscription == "`+pt.TenantB+`"`,
		`images | where registry == "beta" or subscription == "tenant-b"`,
		`findings | where repository == "beta/alpine"`,
		`findings | where subscriptionId == "`+subB+`"`,
		`usage | where subscription == "tenant-b"`,
		`packages | where registry == "beta"`,
		`union securityresources, images, findings`,
		`findings | join kind=leftouter (images) on digest`,
		`images | where digest in ((findings | distinct digest))`,
	)
	for _, q := range queries {
		res := run(t, cat, q, pt.ScannedAt)
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("%s: alice sees %q", q, s)
			}
		}
	}
	// Bob sees his own, and only his.
	res := run(t, tb.Catalog(bob, "h"), `findings | summarize n=count(), subs=make_set(subscription)`, pt.ScannedAt)
	if got := res.Rows[0][1].String(); res.Rows[0][0].Interface().(int64) != 36 || got != `["tenant-b"]` {
		t.Errorf("bob's findings: %v", res.Rows)
	}
	// An identity without subscriptions sees nothing at all.
	for _, name := range querytables.Names {
		if res := run(t, tb.Catalog(&access.Identity{Subscriptions: []string{}}, "h"), name, pt.ScannedAt); len(res.Rows) != 0 {
			t.Errorf("%s: %d rows for nobody", name, len(res.Rows))
		}
	}
}

// TestArch: on an image whose packages differ by architecture alone
// (musl for x86_64 and for x86, as on a multi-arch image), findings,
// packages and the sub-assessments of securityresources have one row per
// architecture, and the arch column tells them apart.
func TestArch(t *testing.T) {
	tb, f := newTables(t)
	rep := *f.Report
	rep.Findings = slices.Clone(rep.Findings)
	rep.Packages = slices.Clone(rep.Packages)
	for i := range rep.Findings {
		if rep.Findings[i].Package.Name == "musl" {
			rep.Findings[i].Package.Arch = "x86_64"
			other := rep.Findings[i]
			other.Package.Arch = "x86"
			rep.Findings = append(rep.Findings, other)
			break
		}
	}
	for i := range rep.Packages {
		if rep.Packages[i].Name == "musl" {
			rep.Packages[i].Arch = "x86_64"
			other := rep.Packages[i]
			other.Arch = "x86"
			rep.Packages = append(rep.Packages, other)
			break
		}
	}
	f.Scanned(t, pt.TenantA, "alpha/multi", "v1", &rep)
	cat := tb.Catalog(alice, "h")
	for _, q := range []string{
		`findings | where repository == "alpha/multi" and package == "musl" | project arch | order by arch asc`,
		`packages | where repository == "alpha/multi" and name == "musl" | project arch | order by arch asc`,
	} {
		res := run(t, cat, q, pt.ScannedAt)
		var got []string
		for _, r := range res.Rows {
			got = append(got, r[0].String())
		}
		if diff := cmp.Diff([]string{"x86", "x86_64"}, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", q, diff)
		}
	}
	n := func(q string) int64 {
		t.Helper()
		return run(t, cat, q, pt.ScannedAt).Rows[0][0].Interface().(int64)
	}
	findings := n(`findings | where repository == "alpha/multi" | count`)
	subs := n(`securityresources | where type == "microsoft.security/assessments/subassessments" and id contains "/assessments/` +
		projection.KeyContainerRegistry + `/" and properties.resourceDetails.id contains "alpha/multi" | count`)
	if findings != int64(len(f.Report.Findings))+1 || subs != findings {
		t.Errorf("alpha/multi: %d findings, %d sub-assessments; want %d each", findings, subs, len(f.Report.Findings)+1)
	}
}

// TestSchema reads every table whole and checks each value against its
// column type, and the tables' contents against the store.
func TestSchema(t *testing.T) {
	tb, f := newTables(t)
	cat := tb.Catalog(&access.Identity{Name: "admin"}, "h")
	counts := map[string]int{}
	for _, name := range querytables.Names {
		res := run(t, cat, name, pt.ScannedAt)
		if _, err := kql.NewMemTable(name, res.Columns, res.Rows); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if diff := cmp.Diff(querytables.Schema()[name], res.Columns); diff != "" {
			t.Errorf("%s columns (-schema +result):\n%s", name, diff)
		}
		counts[name] = len(res.Rows)
	}
	want := map[string]int{
		// 3 registries x 2 keys, and 36 findings x 2 keys x 2 images
		"securityresources": 6 + 144,
		"images":            3,
		"findings":          72,
		"packages":          3 * len(f.Report.Packages),
		"advisories":        20,
		"usage":             2, // one registry and day per tenant
	}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// TestQueries runs queries over drydock's own tables and checks answers
// computed from the report JSON.
func TestQueries(t *testing.T) {
	tb, _ := newTables(t)
	cat := tb.Catalog(alice, "h")
	fs := reportJSON(t)
	bySeverity := map[string]int64{}
	cves := map[string]bool{}
	for _, f := range fs {
		if f["exempted"] == false {
			bySeverity[f["severity"].(string)]++
		}
		cves[f["id"].(string)] = true
	}
	res := run(t, cat, `findings | where exempted == false | summarize n=count() by severity`, pt.ScannedAt)
	got := map[string]int64{}
	for _, r := range res.Rows {
		got[r[0].String()] = r[1].Interface().(int64)
	}
	if diff := cmp.Diff(bySeverity, got); diff != "" {
		t.Errorf("findings by severity (-want +got):\n%s", diff)
	}
	res = run(t, cat, `advisories | project id | order by id asc`, pt.ScannedAt)
	var ids, wantIDs []string
	for _, r := range res.Rows {
		ids = append(ids, r[0].String())
	}
	for id := range cves {
		wantIDs = append(wantIDs, id)
	}
	sort.Strings(wantIDs)
	if diff := cmp.Diff(wantIDs, ids); diff != "" {
		t.Errorf("advisories (-want +got):\n%s", diff)
	}
	// A join of the provider's rows with drydock's own on the image.
	res = run(t, cat, `securityresources
		| where type == "microsoft.security/assessments/subassessments" and name != ""
		| extend digest = tostring(properties.additionalData.artifactDetails.digest)
		| where isnotempty(digest)
		| summarize subs=count() by digest
		| join kind=inner (images | project digest, repository, status) on digest
		| project repository, status, subs`, pt.ScannedAt)
	if len(res.Rows) != 1 || res.Rows[0][0].String() != pt.RepoA || res.Rows[0][1].String() != "unhealthy" || res.Rows[0][2].Interface().(int64) != 36 {
		t.Errorf("join: %v", res.Rows)
	}
	// Pushed-down filters give the same answers as filters applied later.
	for _, q := range [][2]string{
		{`findings | where severity == "High" and repository == "alpha/alpine" | count`, `findings | extend s=severity | where s == "High" | where repository == "alpha/alpine" | count`},
		{`securityresources | where type == "microsoft.security/assessments" | count`, `securityresources | extend t=type | where t == "microsoft.security/assessments" | count`},
		{`images | where status == "healthy" | count`, `images | extend s=status | where s == "healthy" | count`},
		{`securityresources | where subscriptionId == "` + projection.SubscriptionID(pt.TenantA) + `" | count`, `securityresources | count`},
	} {
		a, b := run(t, cat, q[0], pt.ScannedAt), run(t, cat, q[1], pt.ScannedAt)
		if a.Rows[0][0].Interface() != b.Rows[0][0].Interface() || a.Rows[0][0].Interface().(int64) == 0 {
			t.Errorf("%s: %v, %s: %v", q[0], a.Rows, q[1], b.Rows)
		}
	}
}
