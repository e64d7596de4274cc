package report

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-cmp/cmp"
	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	"github.com/xeipuuv/gojsonschema"

	"github.com/drydock/drydock/internal/finding"
)

// allFormats renders every fixture in format and calls check on each.
func allFormats(t *testing.T, format string, check func(t *testing.T, r *finding.Report, out []byte)) {
	for _, fx := range fixtures {
		t.Run(fx, func(t *testing.T) {
			r := load(t, fx)
			check(t, r, render(t, r, format, Options{ToolVersion: "0.1.0"}))
		})
	}
}

// cyclonedxSchema compiles the CycloneDX 1.6 JSON schema from testdata,
// with the schemas it references preloaded so that nothing is fetched.
func cyclonedxSchema(t *testing.T) *gojsonschema.Schema {
	t.Helper()
	dir := filepath.Join("testdata", "schema", "cyclonedx")
	load := func(name string) gojsonschema.JSONLoader {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return gojsonschema.NewBytesLoader(b)
	}
	sl := gojsonschema.NewSchemaLoader()
	if err := sl.AddSchemas(load("spdx.schema.json"), load("jsf-0.82.schema.json")); err != nil {
		t.Fatal(err)
	}
	s, err := sl.Compile(load("bom-1.6.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCycloneDX(t *testing.T) {
	schema := cyclonedxSchema(t)
	// The schema check can fail.
	bad, err := schema.Validate(gojsonschema.NewStringLoader(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"gadget","name":"x"}]}`))
	if err != nil || bad.Valid() {
		t.Fatalf("schema accepted a component of type gadget (err %v)", err)
	}
	allFormats(t, "cyclonedx", func(t *testing.T, r *finding.Report, out []byte) {
		bom := validBOM(t, schema, out)
		if bom.SpecVersion != cdx.SpecVersion1_6 || bom.BOMFormat != "CycloneDX" {
			t.Errorf("specVersion %v, bomFormat %q; want 1.6, CycloneDX", bom.SpecVersion, bom.BOMFormat)
		}
		if bom.Metadata == nil || bom.Metadata.Component == nil || bom.Metadata.Component.Version != r.Image.Digest {
			t.Errorf("metadata component does not name the image %s", r.Image.Digest)
		}
		// Each group of unchecked packages is a property of the image.
		var unchecked []string
		if ps := bom.Metadata.Component.Properties; ps != nil {
			for _, p := range *ps {
				if p.Name == "drydock:unchecked" {
					unchecked = append(unchecked, p.Value)
				}
			}
		}
		if len(unchecked) != len(r.Unchecked) {
			t.Errorf("drydock:unchecked properties %q, want one per group of %+v", unchecked, r.Unchecked)
		}
		comps := map[string]cdx.Component{}
		purls := map[string]bool{}
		if bom.Components != nil {
			for _, c := range *bom.Components {
				if _, dup := comps[c.BOMRef]; dup {
					t.Errorf("duplicate bom-ref %q", c.BOMRef)
				}
				comps[c.BOMRef] = c
				purls[c.PackageURL] = true
			}
		}
		for _, p := range r.Packages {
			if !purls[p.PURL] {
				t.Errorf("package %s (%s) missing from components", p.Name, p.PURL)
			}
		}
		var vulns []cdx.Vulnerability
		if bom.Vulnerabilities != nil {
			vulns = *bom.Vulnerabilities
		}
		if len(vulns) != len(r.Findings) {
			t.Fatalf("%d vulnerabilities, want one per finding (%d)", len(vulns), len(r.Findings))
		}
		for i, v := range vulns {
			f := r.Findings[i]
			if v.ID != f.ID || v.Affects == nil || len(*v.Affects) != 1 {
				t.Errorf("vulnerability %d = %s, want %s affecting one component", i, v.ID, f.ID)
				continue
			}
			c, ok := comps[(*v.Affects)[0].Ref]
			if !ok || c.Name != f.Package.Name || c.Version != f.Package.Version {
				t.Errorf("%s affects %q, which is not the component of %s %s", v.ID, (*v.Affects)[0].Ref, f.Package.Name, f.Package.Version)
			}
			if v.Recommendation != f.Remediation {
				t.Errorf("%s recommendation %q, want %q", v.ID, v.Recommendation, f.Remediation)
			}
			if (v.Analysis != nil) != f.Exempted {
				t.Errorf("%s on %s: analysis %+v for exempted=%v", v.ID, f.Package.Name, v.Analysis, f.Exempted)
			}
			if f.VEX != nil && (v.Analysis == nil || v.Analysis.State != cdx.IASNotAffected || v.Analysis.Justification != cdx.IAJCodeNotReachable) {
				t.Errorf("%s: VEX not_affected / vulnerable_code_not_in_execute_path became %+v", v.ID, v.Analysis)
			}
			if f.CVSS != nil {
				rt := (*v.Ratings)[0]
				if rt.Score == nil || *rt.Score != f.CVSS.Score || rt.Vector != f.CVSS.Vector {
					t.Errorf("%s rating %+v, want score %v vector %s", v.ID, rt, f.CVSS.Score, f.CVSS.Vector)
				}
			}
		}
	})
}

// spdxSchema compiles the SPDX 2.3 JSON schema from testdata.
func spdxSchema(t *testing.T) *gojsonschema.Schema {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "schema", "spdx", "spdx-schema-2.3.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := gojsonschema.NewSchema(gojsonschema.NewBytesLoader(b))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSPDX(t *testing.T) {
	schema := spdxSchema(t)
	// The schema check can fail.
	if res, err := schema.Validate(gojsonschema.NewStringLoader(`{"spdxVersion":"SPDX-2.3","packages":[{"primaryPackagePurpose":"OPERATING-SYSTEM"}]}`)); err != nil || res.Valid() {
		t.Fatalf("SPDX schema accepted a bad document (err %v)", err)
	}
	allFormats(t, "spdx", func(t *testing.T, r *finding.Report, out []byte) {
		res, err := schema.Validate(gojsonschema.NewBytesLoader(out))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range res.Errors() {
			t.Errorf("SPDX 2.3 schema: %s", e)
		}
		doc, err := spdxjson.Read(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("tools-golang cannot read the output: %v", err)
		}
		if doc.SPDXVersion != "SPDX-2.3" || doc.DataLicense != "CC0-1.0" || doc.SPDXIdentifier != "DOCUMENT" {
			t.Errorf("header %q %q %q; want SPDX-2.3 CC0-1.0 DOCUMENT", doc.SPDXVersion, doc.DataLicense, doc.SPDXIdentifier)
		}
		if doc.DocumentNamespace == "" || doc.CreationInfo == nil || doc.CreationInfo.Created == "" || len(doc.CreationInfo.Creators) == 0 {
			t.Errorf("missing namespace or creation info: %q %+v", doc.DocumentNamespace, doc.CreationInfo)
		}
		// A scan with a reason (failed, not applicable) lists no packages
		// and says why.
		if r.Reason != "" && !strings.Contains(doc.DocumentComment, string(r.Status)+": "+r.Reason) {
			t.Errorf("document comment %q does not give status %s and reason %q", doc.DocumentComment, r.Status, r.Reason)
		}
		ids := map[common.ElementID]bool{"DOCUMENT": true}
		purls := map[string]bool{}
		for _, p := range doc.Packages {
			if ids[p.PackageSPDXIdentifier] {
				t.Errorf("duplicate SPDXID %s", p.PackageSPDXIdentifier)
			}
			ids[p.PackageSPDXIdentifier] = true
			if strings.Trim(string(p.PackageSPDXIdentifier), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-") != "" {
				t.Errorf("SPDXID %q has characters SPDX does not allow", p.PackageSPDXIdentifier)
			}
			if p.PackageDownloadLocation == "" {
				t.Errorf("package %s has no downloadLocation", p.PackageName)
			}
			for _, ref := range p.PackageExternalReferences {
				if ref.Category == "PACKAGE-MANAGER" && ref.RefType == "purl" {
					purls[ref.Locator] = true
				}
			}
		}
		for _, p := range r.Packages {
			if !purls[p.PURL] {
				t.Errorf("package %s (%s) missing", p.Name, p.PURL)
			}
		}
		want := len(r.Packages) + 1 // + the image
		if r.Image.OS.Family != "" {
			want++
		}
		if len(doc.Packages) != want {
			t.Errorf("%d SPDX packages, want %d", len(doc.Packages), want)
		}
		describes := 0
		for _, rel := range doc.Relationships {
			if !ids[rel.RefA.ElementRefID] || !ids[rel.RefB.ElementRefID] {
				t.Errorf("relationship %s %s %s refers to an unknown element", rel.RefA.ElementRefID, rel.Relationship, rel.RefB.ElementRefID)
			}
			if rel.Relationship == "DESCRIBES" {
				describes++
			}
		}
		if describes != 1 || len(doc.Relationships) != len(doc.Packages) {
			t.Errorf("%d DESCRIBES and %d relationships; want 1 and one per package", describes, len(doc.Relationships))
		}
	})
}

func TestSARIF(t *testing.T) {
	// The schema check can fail.
	if bad, err := sarif.FromString(`{"version":"2.1.0","runs":[{"tool":{"driver":{}},"results":[]}]}`); err != nil || bad.Validate() == nil {
		t.Fatalf("SARIF schema accepted a driver without a name (err %v)", err)
	}
	allFormats(t, "sarif", func(t *testing.T, r *finding.Report, out []byte) {
		// Against the SARIF 2.1.0 schema go-sarif embeds.
		rep, err := sarif.FromBytes(out)
		if err != nil {
			t.Fatalf("go-sarif cannot read the output: %v", err)
		}
		if err := rep.Validate(); err != nil {
			t.Errorf("SARIF 2.1.0 schema: %v", err)
		}

		// Structurally, independently of the library.
		var doc struct {
			Schema  string `json:"$schema"`
			Version string `json:"version"`
			Runs    []struct {
				Tool struct {
					Driver struct {
						Name  string `json:"name"`
						Rules []struct {
							ID               string `json:"id"`
							Name             string `json:"name"`
							ShortDescription struct {
								Text string `json:"text"`
							} `json:"shortDescription"`
						} `json:"rules"`
					} `json:"driver"`
				} `json:"tool"`
				Results *[]struct {
					RuleID    string `json:"ruleId"`
					RuleIndex int    `json:"ruleIndex"`
					Level     string `json:"level"`
					Message   struct {
						Text string `json:"text"`
					} `json:"message"`
					Locations []struct {
						PhysicalLocation struct {
							ArtifactLocation struct {
								URI string `json:"uri"`
							} `json:"artifactLocation"`
						} `json:"physicalLocation"`
					} `json:"locations"`
					Suppressions []struct {
						Kind string `json:"kind"`
					} `json:"suppressions"`
				} `json:"results"`
				Invocations []struct {
					ExecutionSuccessful bool `json:"executionSuccessful"`
					Notifications       []struct {
						Level   string `json:"level"`
						Message struct {
							Text string `json:"text"`
						} `json:"message"`
					} `json:"toolExecutionNotifications"`
				} `json:"invocations"`
			} `json:"runs"`
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Version != "2.1.0" || !strings.HasSuffix(doc.Schema, "sarif-schema-2.1.0.json") {
			t.Errorf("version %q, $schema %q; want 2.1.0 and the 2.1.0 schema", doc.Version, doc.Schema)
		}
		if len(doc.Runs) != 1 || doc.Runs[0].Tool.Driver.Name != "drydock" || doc.Runs[0].Results == nil {
			t.Fatalf("want one run by drydock with a results array")
		}
		run := doc.Runs[0]
		// A failed scan says so (it has no results to show it).
		failed := r.Status == finding.StatusFailed
		if len(run.Invocations) != 1 || run.Invocations[0].ExecutionSuccessful == failed {
			t.Errorf("invocations %+v; want one, successful unless the scan failed", run.Invocations)
		} else if n := run.Invocations[0].Notifications; failed && (len(n) != 1 || n[0].Level != "error" || n[0].Message.Text != r.Reason) {
			t.Errorf("failed scan: notifications %+v, want an error saying %q", n, r.Reason)
		} else if len(r.Unchecked) > 0 {
			// Packages not checked are a warning each group, not silence.
			var warned int
			for _, m := range n {
				if m.Level == "warning" && strings.Contains(m.Message.Text, "not checked") {
					warned++
				}
			}
			if warned != len(r.Unchecked) {
				t.Errorf("notifications %+v; want a warning per unchecked group (%d)", n, len(r.Unchecked))
			}
		}
		var ruleIDs []string
		for _, rule := range run.Tool.Driver.Rules {
			if slices.Contains(ruleIDs, rule.ID) {
				t.Errorf("rule %s appears twice", rule.ID)
			}
			if rule.Name == rule.ID {
				// SARIF 3.49.7 (and the SARIF validator's SARIF1001): a
				// name, when present, differs from the id.
				t.Errorf("rule %s has its id as its name", rule.ID)
			}
			if rule.ShortDescription.Text == "" {
				t.Errorf("rule %s has no short description", rule.ID)
			}
			ruleIDs = append(ruleIDs, rule.ID)
		}
		ids := map[string]bool{}
		for _, f := range r.Findings {
			ids[f.ID] = true
		}
		if len(ruleIDs) != len(ids) {
			t.Errorf("%d rules, want one per advisory (%d)", len(ruleIDs), len(ids))
		}
		results := *run.Results
		if len(results) != len(r.Findings) {
			t.Fatalf("%d results, want one per finding (%d)", len(results), len(r.Findings))
		}
		for i, res := range results {
			f := r.Findings[i]
			if res.RuleID != f.ID || res.RuleIndex < 0 || res.RuleIndex >= len(ruleIDs) || ruleIDs[res.RuleIndex] != f.ID {
				t.Errorf("result %d: ruleId %s index %d, want %s", i, res.RuleID, res.RuleIndex, f.ID)
			}
			if !slices.Contains([]string{"error", "warning", "note"}, res.Level) || res.Message.Text == "" {
				t.Errorf("result %d: level %q message %q", i, res.Level, res.Message.Text)
			}
			if len(res.Locations) != 1 || res.Locations[0].PhysicalLocation.ArtifactLocation.URI != artifactURI(f.Package.Path) {
				t.Errorf("result %d: locations %+v, want the package's path %s", i, res.Locations, f.Package.Path)
			}
			if (len(res.Suppressions) == 1) != f.Exempted {
				t.Errorf("result %d (%s on %s): suppressions %+v, exempted %v", i, f.ID, f.Package.Name, res.Suppressions, f.Exempted)
			}
		}
	})
}

// TestSARIFArtifactURI checks that result locations are URI references
// (the SARIF schema's "uri-reference" format, which code scanning
// enforces) that name the package's file: paths with spaces, percent
// signs, non-ASCII letters or a colon are encoded, plain paths unchanged.
func TestSARIFArtifactURI(t *testing.T) {
	// Characters RFC 3986 allows in a relative reference's path.
	allowed := regexp.MustCompile(`^([A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*$`)
	paths := []string{
		"lib/apk/db/installed",
		"usr/share/java/jsr305-0.1~+svn49.jar",
		"opt/My App/lib/log4j-core-2.14.1.jar",
		"srv/100%/node_modules/lodash/package.json",
		"home/zoë/app/go.sum",
		"C:/app/x.jar",
		"a#b?c/package.json",
	}
	r := load(t, fixtures[0])
	if len(r.Findings) == 0 {
		t.Fatalf("fixture %s has no findings", fixtures[0])
	}
	f := r.Findings[0]
	r.Findings = nil
	for _, p := range paths {
		f.Package.Path = p
		r.Findings = append(r.Findings, f)
	}
	var doc struct {
		Runs []struct {
			Results []struct {
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(render(t, r, "sarif", Options{}), &doc); err != nil {
		t.Fatal(err)
	}
	for i, res := range doc.Runs[0].Results {
		path, uri := paths[i], res.Locations[0].PhysicalLocation.ArtifactLocation.URI
		if !allowed.MatchString(uri) {
			t.Errorf("%q: uri %q is not a URI reference", path, uri)
		}
		u, err := url.Parse(uri)
		if err != nil || u.Scheme != "" || u.Path != path && u.Path != "./"+path {
			t.Errorf("%q: uri %q reads back as %+v (err %v)", path, uri, u, err)
		}
		if i == 0 && uri != path {
			t.Errorf("plain path %q changed to %q", path, uri)
		}
	}
}

// TestAdvisoryURL checks that the SPDX advisory reference and the SARIF
// rule's helpUri point at the advisory itself: the reference that names
// its id, else the id's home page, never a fix commit that happens to be
// the first reference (as in the Go vulnerability database's entries).
func TestAdvisoryURL(t *testing.T) {
	r := load(t, fixtures[0])
	if len(r.Findings) == 0 {
		t.Fatalf("fixture %s has no findings", fixtures[0])
	}
	goFinding := r.Findings[0]
	goFinding.ID, goFinding.Aliases = "GO-2020-0017", []string{"CVE-2020-26160"}
	goFinding.References = []string{
		"https://github.com/dgrijalva/jwt-go/commit/ec0a89a131e3e8567adcb21254a5cd20a70ea4ab",
		"https://github.com/dgrijalva/jwt-go/issues/422",
	}
	ghsa := r.Findings[0]
	ghsa.ID, ghsa.Aliases = "GHSA-p6mc-m468-83gw", []string{"CVE-2020-8203"}
	ghsa.References = []string{"https://nvd.nist.gov/vuln/detail/CVE-2020-8203", "https://github.com/advisories/GHSA-p6mc-m468-83gw"}
	r.Findings = []finding.Finding{goFinding, ghsa}
	want := []string{"https://pkg.go.dev/vuln/GO-2020-0017", "https://github.com/advisories/GHSA-p6mc-m468-83gw"}

	var sarifDoc struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						HelpURI string `json:"helpUri"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(render(t, r, "sarif", Options{}), &sarifDoc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, rule := range sarifDoc.Runs[0].Tool.Driver.Rules {
		got = append(got, rule.HelpURI)
	}
	if !slices.Equal(got, want) {
		t.Errorf("SARIF helpUri %q, want %q", got, want)
	}

	var spdxDoc struct {
		Packages []struct {
			ExternalRefs []struct {
				Category string `json:"referenceCategory"`
				Locator  string `json:"referenceLocator"`
			} `json:"externalRefs"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(render(t, r, "spdx", Options{}), &spdxDoc); err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, p := range spdxDoc.Packages {
		for _, ref := range p.ExternalRefs {
			if ref.Category == "SECURITY" {
				got = append(got, ref.Locator)
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("SPDX advisory references %q, want %q", got, want)
	}
}

// TestSARIFSecuritySeverity checks that the rule's security-severity,
// which GitHub code scanning turns into its own severity, agrees with the
// severity the report gives (the database's policy), also when the CVSS
// score of the finding would put it in another bucket.
func TestSARIFSecuritySeverity(t *testing.T) {
	r := load(t, fixtures[0])
	if len(r.Findings) == 0 {
		t.Fatalf("fixture %s has no findings", fixtures[0])
	}
	base := r.Findings[0]
	mk := func(id string, sev finding.Severity, score float64) finding.Finding {
		f := base
		f.ID, f.Aliases, f.Severity, f.CVSS = id, nil, sev, nil
		if score > 0 {
			f.CVSS = &finding.CVSS{Version: "3.1", Score: score, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}
		}
		return f
	}
	r.Findings = []finding.Finding{
		mk("CVE-2024-0001", finding.High, 9.8),   // vendor "Important" over NVD 9.8
		mk("CVE-2024-0002", finding.Medium, 7.5), // vendor "Moderate" over 7.5
		mk("CVE-2024-0003", finding.Critical, 9.1),
		mk("CVE-2024-0004", finding.Low, 0),
		mk("CVE-2024-0005", finding.Unknown, 0),
	}
	want := []string{"8.0", "5.5", "9.1", "2.0", ""}
	var doc struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						Properties map[string]any `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(render(t, r, "sarif", Options{}), &doc); err != nil {
		t.Fatal(err)
	}
	for i, rule := range doc.Runs[0].Tool.Driver.Rules {
		got, _ := rule.Properties["security-severity"].(string)
		if got != want[i] {
			t.Errorf("%s (%s): security-severity %q, want %q", r.Findings[i].ID, r.Findings[i].Severity, got, want[i])
		}
	}
}

// TestCycloneDXRatings checks that no CycloneDX rating pairs a CVSS score
// with a severity the score does not have: a policy severity that differs
// from its CVSS score's is a rating of its own beside the CVSS one.
func TestCycloneDXRatings(t *testing.T) {
	r := load(t, fixtures[0])
	if len(r.Findings) == 0 {
		t.Fatalf("fixture %s has no findings", fixtures[0])
	}
	base := r.Findings[0]
	mk := func(id string, sev finding.Severity, score float64) finding.Finding {
		f := base
		f.ID, f.Aliases, f.Severity, f.SeveritySource, f.CVSS = id, nil, sev, "advisory rating", nil
		if score > 0 {
			f.CVSS = &finding.CVSS{Version: "3.1", Score: score, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}
		}
		return f
	}
	r.Findings = []finding.Finding{
		mk("CVE-2024-0001", finding.High, 9.8),
		mk("CVE-2024-0002", finding.Critical, 9.8),
		mk("CVE-2024-0003", finding.Low, 0),
	}
	want := [][]string{
		{"high other -", "critical CVSSv31 9.8"},
		{"critical CVSSv31 9.8"},
		{"low other -"},
	}
	bom := new(cdx.BOM)
	if err := cdx.NewBOMDecoder(bytes.NewReader(render(t, r, "cyclonedx", Options{})), cdx.BOMFileFormatJSON).Decode(bom); err != nil {
		t.Fatal(err)
	}
	for i, v := range *bom.Vulnerabilities {
		var got []string
		for _, rt := range *v.Ratings {
			score := "-"
			if rt.Score != nil {
				score = strconv.FormatFloat(*rt.Score, 'f', 1, 64)
			}
			method := string(rt.Method)
			if method == "" {
				method = "other"
			}
			got = append(got, string(rt.Severity)+" "+method+" "+score)
		}
		if !slices.Equal(got, want[i]) {
			t.Errorf("%s: ratings %q, want %q", v.ID, got, want[i])
		}
	}
}

// FuzzIndent: indent writes what json.Indent writes for compact JSON.
func FuzzIndent(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,{},[],"x\"]{,:"],"b":{"c":null}}`, `"s"`, `[[[]],{"":{}}]`, `{"k\\":"v\\\\"}`, `12`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var compact bytes.Buffer
		if err := json.Compact(&compact, data); err != nil {
			return
		}
		var want bytes.Buffer
		if err := json.Indent(&want, compact.Bytes(), "", "  "); err != nil {
			t.Fatal(err)
		}
		if got := indent(nil, compact.Bytes()); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("indent(%q) =\n%s\nwant\n%s", compact.Bytes(), got, want.Bytes())
		}
	})
}

// TestCycloneDXNotLinked: a finding exempted because its Go binary links
// no code of the vulnerable packages is, in CycloneDX, not affected, the
// code not present, with the reason.
func TestCycloneDXNotLinked(t *testing.T) {
	r := load(t, "alpine-3.4.6")
	std := finding.Package{Name: "stdlib", Version: "1.20.14", Type: "go-module", PURL: "pkg:golang/stdlib@1.20.14", Path: "usr/local/bin/app"}
	r.Packages = append(r.Packages, std)
	r.Findings = append(r.Findings, finding.Finding{ID: "GO-2024-2609", Package: std, FixStatus: finding.FixAvailable, FixedVersion: "1.21.8",
		Exempted: true, Exemption: &finding.Exemption{Source: finding.ExemptionNotLinked, Reason: "usr/local/bin/app links no code of package net/mail"}})
	bom := validBOM(t, cyclonedxSchema(t), render(t, r, "cyclonedx", Options{}))
	for _, v := range *bom.Vulnerabilities {
		if v.ID != "GO-2024-2609" {
			continue
		}
		want := &cdx.VulnerabilityAnalysis{State: cdx.IASNotAffected, Justification: cdx.IAJCodeNotPresent,
			Detail: "usr/local/bin/app links no code of package net/mail"}
		if diff := cmp.Diff(want, v.Analysis); diff != "" {
			t.Errorf("analysis (-want +got):\n%s", diff)
		}
		return
	}
	t.Error("no vulnerability GO-2024-2609")
}

// validBOM checks out against the CycloneDX 1.6 schema and decodes it
// with cyclonedx-go.
func validBOM(t *testing.T, schema *gojsonschema.Schema, out []byte) cdx.BOM {
	t.Helper()
	res, err := schema.Validate(gojsonschema.NewBytesLoader(out))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors() {
		t.Errorf("CycloneDX 1.6 schema: %s", e)
	}
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(out), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatalf("cyclonedx-go cannot decode the output: %v", err)
	}
	return bom
}
