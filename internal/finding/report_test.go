package finding

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSummarize(t *testing.T) {
	fs := []Finding{
		{Severity: Critical}, {Severity: Critical}, {Severity: High}, {Severity: Medium},
		{Severity: Low}, {Severity: Unknown}, {Severity: Severity(99)},
		{Severity: Critical, Exempted: true}, {Severity: Low, Exempted: true},
	}
	got := Summarize(fs)
	want := Summary{Critical: 2, High: 1, Medium: 1, Low: 1, Unknown: 2, Exempted: 2}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Summarize (-want +got):\n%s", diff)
	}
	if got.Total() != 7 {
		t.Errorf("Total = %d, want 7", got.Total())
	}
	for _, s := range Severities() {
		n := 0
		for _, f := range fs {
			if f.Active() && (f.Severity == s || (s == Unknown && f.Severity > Critical)) {
				n++
			}
		}
		if got.Count(s) != n {
			t.Errorf("Count(%v) = %d, want %d", s, got.Count(s), n)
		}
	}
}

func TestStatus(t *testing.T) {
	active := []Finding{{ID: "CVE-1", Severity: Low}}
	exempted := []Finding{{ID: "CVE-1", Severity: Critical, Exempted: true}}
	tests := []struct {
		name     string
		findings []Finding
		c        Conditions
		want     ReportStatus
	}{
		{name: "no findings", want: StatusHealthy},
		{name: "all exempted", findings: exempted, want: StatusHealthy},
		{name: "one active low finding", findings: active, want: StatusUnhealthy},
		{name: "active and exempted", findings: append(slices.Clone(exempted), active...), want: StatusUnhealthy},
		{name: "unknown severity without fix counts", findings: []Finding{{ID: "X", FixStatus: NoFixAvailable}}, want: StatusUnhealthy},
		{name: "no database", findings: active, c: Conditions{NoDatabase: true}, want: StatusPending},
		{name: "not applicable beats pending", c: Conditions{NotApplicable: true, NoDatabase: true}, want: StatusNotApplicable},
		{name: "failed beats everything", findings: active, c: Conditions{Failed: true, NotApplicable: true, NoDatabase: true}, want: StatusFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Status(tt.findings, tt.c); got != tt.want {
				t.Errorf("Status = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRemediation(t *testing.T) {
	zlib := Package{Name: "zlib", Version: "1.2.8-r2", Type: "apk"}
	libcrypto := Package{Name: "libcrypto1.0", Version: "1.0.2j-r0", Type: "apk", SourceName: "openssl"}
	binNMU := Package{Name: "libfoo1", Version: "1.2-3+b1", Type: "deb", SourceName: "foo", SourceVersion: "1.2-3"}
	tests := []struct {
		name string
		f    Finding
		want string
	}{
		{name: "fix available", f: Finding{ID: "CVE-2016-9841", Package: zlib, FixStatus: FixAvailable, FixedVersion: "1.2.11-r0"},
			want: "Upgrade zlib from 1.2.8-r2 to 1.2.11-r0 or later."},
		{name: "fix in source package", f: Finding{ID: "CVE-2017-3731", Package: libcrypto, FixStatus: FixAvailable, FixedVersion: "1.0.2k-r0"},
			want: "Upgrade libcrypto1.0 from 1.0.2j-r0 to 1.0.2k-r0 or later (source package openssl)."},
		{name: "fix in source version", f: Finding{ID: "CVE-2024-2", Package: binNMU, FixStatus: FixAvailable, FixedVersion: "1.2-4"},
			want: "Upgrade libfoo1 to a build of foo 1.2-4 or later (installed: libfoo1 1.2-3+b1 from foo 1.2-3)."},
		{name: "exempted keeps advice", f: Finding{ID: "CVE-2016-9841", Package: zlib, FixStatus: FixAvailable, FixedVersion: "1.2.11-r0", Exempted: true},
			want: "Upgrade zlib from 1.2.8-r2 to 1.2.11-r0 or later."},
		{name: "go standard library", f: Finding{ID: "GO-2024-2598", FixStatus: FixAvailable, FixedVersion: "1.21.8",
			Package: Package{Name: "stdlib", Version: "1.20.14", Type: "go-module", Path: "usr/local/bin/vulnfixture"}},
			want: "Rebuild usr/local/bin/vulnfixture using Go 1.21.8 or later (built with Go 1.20.14)."},
		{name: "no fix", f: Finding{ID: "CVE-2023-45853", Package: zlib, FixStatus: NoFixAvailable},
			want: "No fix is available yet for CVE-2023-45853 in zlib 1.2.8-r2; consider removing the package if the image does not need it, and rescan when the advisory database is updated."},
		{name: "wont fix", f: Finding{ID: "CVE-2023-45853", Package: zlib, FixStatus: WontFix},
			want: "The maintainers will not fix CVE-2023-45853 in zlib 1.2.8-r2; remove the package or move to a base image or release that does not ship it."},
		{name: "unknown", f: Finding{ID: "CVE-2023-45853", Package: zlib},
			want: "No fixed version of zlib is known for CVE-2023-45853; check the advisory's references for a fix or mitigation."},
		{name: "fix available without version", f: Finding{ID: "CVE-2023-45853", Package: zlib, FixStatus: FixAvailable},
			want: "No fixed version of zlib is known for CVE-2023-45853; check the advisory's references for a fix or mitigation."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Remediation(&tt.f); got != tt.want {
				t.Errorf("Remediation =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestBaseImageHint(t *testing.T) {
	tests := []struct {
		os   OS
		want string
	}{
		{OS{Family: "alpine", Version: "3.18.9"}, ""},
		{OS{Family: "alpine", Version: "3.4.6", EOL: true},
			"alpine 3.4.6 is end-of-life and no longer receives security fixes; rebuild the image on a supported alpine release."},
		{OS{Family: "centos", Version: "7", EOL: true},
			"centos 7 is end-of-life and no longer receives security fixes; rebuild the image on a supported distribution " +
				"(CentOS Linux has ended: AlmaLinux, Rocky Linux, Red Hat UBI or CentOS Stream)."},
		{OS{EOL: true},
			"The operating system is end-of-life and no longer receives security fixes; rebuild the image on a supported release."},
	}
	for _, tt := range tests {
		if got := BaseImageHint(tt.os); got != tt.want {
			t.Errorf("BaseImageHint(%+v) = %q, want %q", tt.os, got, tt.want)
		}
	}
}

func TestFinalize(t *testing.T) {
	r := &Report{
		Image:    Image{Repository: "demo/alpine", Digest: "sha256:abc", Platform: "linux/amd64", OS: OS{Family: "alpine", Version: "3.4.6", EOL: true}},
		Findings: alpineFindings(t),
	}
	r.Findings[0].Remediation = "Kept as set by the matcher."
	r.Findings[1].Exempted = true
	r.Findings[1].Exemption = &Exemption{Source: ExemptionIgnoreFile, Reason: "test"}
	if err := r.Finalize(apkCompare, Conditions{}); err != nil {
		t.Fatal(err)
	}
	if r.Schema != SchemaV1 || r.Status != StatusUnhealthy {
		t.Errorf("Schema, Status = %q, %q; want %q, unhealthy", r.Schema, r.Status, SchemaV1)
	}
	if r.Findings[0].Remediation != "Kept as set by the matcher." {
		t.Errorf("Finalize overwrote a remediation: %q", r.Findings[0].Remediation)
	}
	for _, f := range r.Findings[1:] {
		if f.Remediation != Remediation(&f) {
			t.Errorf("%s/%s remediation = %q", f.ID, f.Package.Name, f.Remediation)
		}
	}
	if want := (Summary{Critical: 4, High: 7, Medium: 24, Exempted: 1}); r.Summary != want {
		t.Errorf("Summary = %+v, want %+v", r.Summary, want)
	}
	if r.RemediationPlan == nil || len(r.RemediationPlan.Upgrades) != 4 || r.RemediationPlan.BaseImageHint == "" {
		t.Fatalf("RemediationPlan = %+v, want 4 upgrades and a base image hint", r.RemediationPlan)
	}

	// A failed or notApplicable report carries no plan.
	for _, c := range []Conditions{{Failed: true}, {NotApplicable: true}} {
		if err := r.Finalize(apkCompare, c); err != nil {
			t.Fatal(err)
		}
		if r.RemediationPlan != nil {
			t.Errorf("%+v: RemediationPlan = %+v, want nil", c, r.RemediationPlan)
		}
	}
	// A healthy or pending report on an end-of-life release has nothing to
	// upgrade, but still the base image hint; on a supported one, no plan.
	for _, c := range []Conditions{{}, {NoDatabase: true}} {
		h := &Report{Image: r.Image}
		if err := h.Finalize(nil, c); err != nil || h.RemediationPlan == nil || h.RemediationPlan.BaseImageHint == "" ||
			h.RemediationPlan.Upgrades == nil || len(h.RemediationPlan.Upgrades) != 0 {
			t.Errorf("%+v, end-of-life: err %v, status %q, plan %+v; want only the base image hint", c, err, h.Status, h.RemediationPlan)
		}
		h = &Report{Image: Image{OS: OS{Family: "alpine", Version: "3.22.1"}}}
		if err := h.Finalize(nil, c); err != nil || h.RemediationPlan != nil {
			t.Errorf("%+v, supported: err %v, status %q, plan %+v; want no plan", c, err, h.Status, h.RemediationPlan)
		}
	}
}

func TestUncheckedString(t *testing.T) {
	for _, tc := range []struct {
		u    Unchecked
		want string
	}{
		{Unchecked{Ecosystem: "Alpine:v3.20", Type: "apk", Packages: 14, Reason: "no data"}, "14 apk packages not checked: no data"},
		{Unchecked{Type: "deb", Packages: 1, Reason: "no os-release"}, "1 deb package not checked: no os-release"},
	} {
		if got := tc.u.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.u, got, tc.want)
		}
	}
	r := Report{Unchecked: []Unchecked{{Packages: 14}, {Packages: 3}}}
	if n := r.UncheckedPackages(); n != 17 {
		t.Errorf("UncheckedPackages = %d, want 17", n)
	}
}

// TestJSONFieldNames pins the field names PRODUCT.md promises ("Scan report
// JSON"): they may be added to, never renamed.
func TestJSONFieldNames(t *testing.T) {
	r := Report{
		Image:    Image{OS: OS{Family: "alpine"}},
		DB:       DB{Version: "1", UpdatedAt: time.Date(2020, 6, 8, 0, 0, 0, 0, time.UTC)},
		Packages: []Package{{Name: "zlib"}},
		Findings: []Finding{{
			ID: "CVE-1", CVSS: &CVSS{Version: "3.1"}, Exempted: true,
			Exemption:   &Exemption{Reason: "r", ExpiresAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
			EPSS:        &EPSS{Score: 0.1},
			VEX:         &VEX{Status: "not_affected"},
			PublishedAt: time.Date(2017, 1, 26, 0, 0, 0, 0, time.UTC),
		}},
		RemediationPlan: &RemediationPlan{Upgrades: []Upgrade{{Package: "zlib"}}, BaseImageHint: "h"},
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	keys := func(v any) []string {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%v is not an object", v)
		}
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	sorted := func(s ...string) []string { slices.Sort(s); return s }
	first := func(v any) any { return v.([]any)[0] }
	f := first(doc["findings"]).(map[string]any)
	checks := []struct {
		name string
		got  []string
		want []string
	}{
		{"report", keys(doc), sorted("schema", "image", "status", "scannedAt", "db", "packages", "findings", "summary", "remediationPlan")},
		{"image", keys(doc["image"]), sorted("repository", "digest", "platform", "os")},
		{"os", keys(doc["image"].(map[string]any)["os"]), sorted("family", "version", "eol")},
		{"db", keys(doc["db"]), sorted("version", "updatedAt")},
		{"package", keys(first(doc["packages"])), sorted("name", "version", "type", "purl")},
		{"finding", keys(f), sorted("id", "aliases", "package", "fixedVersion", "fixStatus", "severity", "severitySource",
			"cvss", "title", "description", "references", "publishedAt", "layer", "remediation", "exempted", "exemption",
			"kev", "epss", "vex")},
		{"cvss", keys(f["cvss"]), sorted("version", "score", "vector")},
		{"epss", keys(f["epss"]), sorted("score", "percentile")},
		{"exemption", keys(f["exemption"]), sorted("source", "reason", "expiresAt")},
		{"summary", keys(doc["summary"]), sorted("critical", "high", "medium", "low", "unknown", "exempted")},
		{"plan", keys(doc["remediationPlan"]), sorted("upgrades", "unfixable", "baseImageHint")},
		{"upgrade", keys(first(doc["remediationPlan"].(map[string]any)["upgrades"])), sorted(
			"package", "type", "installedVersion", "upgradeTo", "packages", "fixes", "count", "severity", "remediation")},
	}
	for _, c := range checks {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("%s keys (-want +got):\n%s", c.name, diff)
		}
	}
	if doc["schema"] != SchemaV1 {
		t.Errorf("schema = %v, want %s", doc["schema"], SchemaV1)
	}
	// Arrays are never null.
	if string(mustJSON(t, Finding{})) == "" || !strings.Contains(string(mustJSON(t, Finding{})), `"aliases":[],`) ||
		!strings.Contains(string(mustJSON(t, Finding{})), `"references":[],`) {
		t.Errorf("empty finding JSON lacks empty arrays: %s", mustJSON(t, Finding{}))
	}
	if s := string(mustJSON(t, Report{})); !strings.Contains(s, `"packages":[],"findings":[]`) {
		t.Errorf("empty report JSON lacks empty arrays: %s", s)
	}
	// Advisory text keeps <, > and & readable.
	if s := string(mustJSON(t, Finding{Description: "versions < 1.2 & > 1.0"})); !strings.Contains(s, `"versions < 1.2 & > 1.0"`) {
		t.Errorf("description escaped: %s", s)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	var b strings.Builder
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		t.Fatal(err)
	}
	return []byte(b.String())
}

func TestJSONRoundTrip(t *testing.T) {
	r := Report{Schema: SchemaV1, Status: StatusUnhealthy, Findings: alpineFindings(t)}
	r.Findings[0].Exempted = true
	r.Findings[0].Exemption = &Exemption{Source: ExemptionVEX, Reason: "r"}
	r.Findings[0].VEX = &VEX{Document: "https://example.com/vex/1", Status: "not_affected"}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	// Unmarshalled empty arrays are [] where the input had nil.
	for i := range r.Findings {
		r.Findings[i].Aliases = []string{}
		r.Findings[i].References = []string{}
	}
	r.Packages = []Package{}
	if diff := cmp.Diff(r, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

// TestLeaf guards the import direction: finding is a leaf and imports only
// the standard library.
func TestLeaf(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s; finding may import only the standard library", name, path)
			}
		}
	}
}

// TestReportJSONFields: reportJSON has Report's fields, in its order,
// with its types and tags, but for the findings' element type.
func TestReportJSONFields(t *testing.T) {
	rt, wt := reflect.TypeFor[Report](), reflect.TypeFor[reportJSON]()
	if rt.NumField() != wt.NumField() {
		t.Fatalf("Report has %d fields, reportJSON %d", rt.NumField(), wt.NumField())
	}
	for i := range rt.NumField() {
		rf, wf := rt.Field(i), wt.Field(i)
		want := rf.Type
		if rf.Name == "Findings" {
			want = reflect.TypeFor[[]findingJSON]()
		}
		if rf.Name != wf.Name || rf.Tag != wf.Tag || wf.Type != want {
			t.Errorf("field %d: Report's %s %s `%s`, reportJSON's %s %s `%s`", i, rf.Name, rf.Type, rf.Tag, wf.Name, wf.Type, wf.Tag)
		}
	}
}

// TestReportJSONAsFindings: a report encodes each finding as
// Finding.MarshalJSON does (the empty lists included), the rest as its
// fields.
func TestReportJSONAsFindings(t *testing.T) {
	r := Report{Status: StatusUnhealthy, Findings: alpineFindings(t), Reason: "a <b> & c"}
	r.Findings[0].Aliases, r.Findings[1].References = nil, nil
	type plain Report // encoded field by field, each finding by its MarshalJSON
	p := plain(r)
	p.Schema, p.Packages = SchemaV1, []Package{}
	want, err := marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("MarshalJSON:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(string(got), `"aliases":[]`) || !strings.Contains(string(got), `"references":[]`) {
		t.Errorf("no empty lists in %s", got)
	}
}
