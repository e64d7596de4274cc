package projection

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// alpineReport is the real scan report of Alpine 3.4.6 (see
// internal/report/testdata/README.md): 36 findings of 20 CVEs, three of
// them exempted (a rule and a VEX statement).
func alpineReport(t testing.TB) *finding.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "report", "testdata", "alpine-3.4.6.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r finding.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

var testConfig = Config{TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47", ResourceGroup: "drydock"}.withDefaults()

func alpineImage(r *finding.Report) Image {
	return Image{Subscription: "default", Registry: "demo", Repository: r.Image.Repository, Digest: r.Image.Digest,
		MediaType: "application/vnd.oci.image.manifest.v1+json", Tags: []string{"3.4.6"},
		PushedAt: time.Date(2026, 8, 23, 9, 59, 58, 0, time.UTC), RegistryHost: "registry.example.com:5000"}
}

// fakeDetails knows one CVE, as NVD's enrichment would.
type fakeDetails map[string]CVEDetails

func (f fakeDetails) CVE(id string) (CVEDetails, bool) { d, ok := f[id]; return d, ok }

var testDetails = fakeDetails{"CVE-2017-15650": {LastModified: time.Date(2019, 10, 3, 0, 3, 26, 0, time.UTC), CWEs: []string{"CWE-119"}}}

func golden(t *testing.T, name string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

// TestSubAssessmentsGolden renders every finding of the Alpine 3.4.6 report
// in both shapes.
func TestSubAssessmentsGolden(t *testing.T) {
	rep := alpineReport(t)
	for _, tc := range []struct{ key, file string }{
		{KeyContainerRegistry, "subassessments-" + KeyContainerRegistry + ".json"},
		{KeyAzureContainerRegistry, "subassessments-" + KeyAzureContainerRegistry + ".json"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			rs := testConfig.SubAssessments(tc.key, alpineImage(rep), rep, testDetails)
			if len(rs) != 36 {
				t.Fatalf("%d sub-assessments, want one per finding (36)", len(rs))
			}
			golden(t, tc.file, map[string]any{"value": rs})
		})
	}
}

// TestSubAssessmentStatus checks the status rules on the real report:
// active findings Unhealthy, exempted ones NotApplicable with cause Exempt;
// severities in the provider's three levels.
func TestSubAssessmentStatus(t *testing.T) {
	rep := alpineReport(t)
	rs := testConfig.SubAssessments(KeyAzureContainerRegistry, alpineImage(rep), rep, nil)
	got := map[string]int{}
	for _, r := range rs {
		p := r.Properties.(*SubAssessmentProperties)
		got[p.Status.Code+"/"+p.Status.Cause+"/"+p.Status.Severity]++
	}
	want := map[string]int{
		// the active findings: 2 Critical + 9 High = 11 High, 22 Medium
		"Unhealthy//High": 11, "Unhealthy//Medium": 22,
		// CVE-2018-5407 (a rule, Medium, two packages) and CVE-2017-16544
		// on busybox-suid (VEX, High)
		"NotApplicable/Exempt/Medium": 2, "NotApplicable/Exempt/High": 1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

// TestSubAssessmentNames: names are stable GUIDs, one per finding, the same
// under both keys, and ids nest under the registry's id.
func TestSubAssessmentNames(t *testing.T) {
	rep := alpineReport(t)
	im := alpineImage(rep)
	a := testConfig.SubAssessments(KeyContainerRegistry, im, rep, nil)
	b := testConfig.SubAssessments(KeyAzureContainerRegistry, im, rep, nil)
	again := testConfig.SubAssessments(KeyAzureContainerRegistry, im, alpineReport(t), nil)
	seen := map[string]bool{}
	for i := range a {
		if a[i].Name != b[i].Name || b[i].Name != again[i].Name {
			t.Errorf("finding %d: names %s, %s, %s differ", i, a[i].Name, b[i].Name, again[i].Name)
		}
		if seen[a[i].Name] || len(a[i].Name) != 36 {
			t.Errorf("name %q repeated or not a GUID", a[i].Name)
		}
		seen[a[i].Name] = true
		seg := strings.Split(b[i].ID, "/")
		if seg[6] != RegistryNamespace || seg[8] != "demo" || seg[12] != KeyAzureContainerRegistry || seg[14] != b[i].Name {
			t.Errorf("id segments %q", seg)
		}
		p, ok := ParseResourceID(b[i].ID)
		if !ok || p != (ResourcePath{SubscriptionID: SubscriptionID("default"), ResourceGroup: "drydock", Registry: "demo",
			Key: KeyAzureContainerRegistry, Name: b[i].Name}) {
			t.Errorf("ParseResourceID(%s) = %+v, %v", b[i].ID, p, ok)
		}
	}
	// Another image with the same findings has other names.
	im.Digest = "sha256:" + strings.Repeat("0", 64)
	if other := testConfig.SubAssessments(KeyContainerRegistry, im, rep, nil); other[0].Name == a[0].Name {
		t.Error("two images share a sub-assessment name")
	}
}

// TestSubAssessmentNamesByArch: the findings of two packages that differ
// by architecture alone (musl for x86_64 and for x86, as on a multi-arch
// image) get two sub-assessments with two names; every other finding
// keeps the name it has in a report without the second architecture.
func TestSubAssessmentNamesByArch(t *testing.T) {
	rep := alpineReport(t)
	im := alpineImage(rep)
	before := map[string]bool{}
	for _, r := range testConfig.SubAssessments(KeyContainerRegistry, im, rep, nil) {
		before[r.Name] = true
	}
	i := slices.IndexFunc(rep.Findings, func(f finding.Finding) bool { return f.Package.Name == "musl" })
	if i < 0 {
		t.Fatal("no musl finding in the report")
	}
	rep.Findings[i].Package.Arch = "x86_64"
	other := rep.Findings[i]
	other.Package.Arch = "x86"
	other.Package.PURL = strings.Replace(other.Package.PURL, "arch=x86_64", "arch=x86", 1)
	rep.Findings = append(rep.Findings, other)
	after := testConfig.SubAssessments(KeyContainerRegistry, im, rep, nil)
	if len(after) != len(before)+1 {
		t.Fatalf("%d sub-assessments, want %d", len(after), len(before)+1)
	}
	var kept, renamed []string
	for _, r := range after {
		if before[r.Name] {
			kept = append(kept, r.Name)
		} else {
			renamed = append(renamed, r.Name)
		}
	}
	if len(kept) != len(before)-1 || len(renamed) != 2 || renamed[0] == renamed[1] {
		t.Errorf("%d names kept, new names %v; want all but musl's kept, two new", len(kept), renamed)
	}
}

// TestAssessmentsGolden renders the registry assessments for each health
// rule.
func TestAssessmentsGolden(t *testing.T) {
	changed := time.Date(2026, 8, 23, 10, 0, 1, 0, time.UTC)
	var out []Resource
	for _, tc := range []struct {
		a        store.Assessment
		scanning bool
	}{
		{store.Assessment{SubscriptionID: "default", Registry: "demo", RegistryType: "standard", Status: "Unhealthy", ChangedAt: changed, Healthy: 1, Unhealthy: 2, Other: 1}, true},
		{store.Assessment{SubscriptionID: "default", Registry: "clean", RegistryType: "standard", Status: "Healthy", ChangedAt: changed, Healthy: 3}, true},
		{store.Assessment{SubscriptionID: "default", Registry: "empty", RegistryType: "standard", Status: "NotApplicable"}, true},
		{store.Assessment{SubscriptionID: "default", Registry: "off", RegistryType: "standard", Status: "NotApplicable"}, false},
		{store.Assessment{SubscriptionID: "default", Registry: "mirror", RegistryType: "external", Status: "NotApplicable"}, true},
	} {
		for _, k := range Keys() {
			out = append(out, testConfig.Assessment(k, tc.a, tc.scanning))
		}
	}
	golden(t, "assessments.json", map[string]any{"value": out})
}

// keySet returns the sorted keys of a JSON object, and of each nested
// object under the dotted paths in nested.
func keySet(t *testing.T, v any, nested ...string) map[string][]string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, path := range append([]string{""}, nested...) {
		obj := m
		if path != "" {
			for _, p := range strings.Split(path, ".") {
				obj, _ = obj[p].(map[string]any)
			}
		}
		var ks []string
		for k := range obj {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		out[path] = ks
	}
	return out
}

// TestShapesFieldLists holds the shapes to the provider's published field
// lists (issue 6 and the provider's REST reference).
func TestShapesFieldLists(t *testing.T) {
	rep := alpineReport(t)
	im := alpineImage(rep)
	old := testConfig.SubAssessments(KeyContainerRegistry, im, rep, nil)[0]
	got := keySet(t, old, "properties", "properties.status", "properties.resourceDetails", "properties.additionalData",
		"properties.additionalData.cvss")
	want := map[string][]string{
		"":                               {"id", "name", "properties", "type"},
		"properties":                     {"additionalData", "category", "description", "displayName", "id", "impact", "remediation", "resourceDetails", "status", "timeGenerated"},
		"properties.status":              {"cause", "code", "description", "severity"},
		"properties.resourceDetails":     {"id", "source"},
		"properties.additionalData":      {"assessedResourceType", "cve", "cvss", "imageDigest", "patchable", "publishedTime", "repositoryName", "type", "vendorReferences"},
		"properties.additionalData.cvss": {"2.0", "3.0"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("older shape (-want +got):\n%s", diff)
	}
	nw := testConfig.SubAssessments(KeyAzureContainerRegistry, im, rep, nil)[0]
	got = keySet(t, nw.Properties, "additionalData", "additionalData.vulnerabilityDetails",
		"additionalData.vulnerabilityDetails.exploitabilityAssessment", "additionalData.vulnerabilityDetails.weaknesses",
		"additionalData.artifactDetails", "additionalData.softwareDetails", "additionalData.softwareDetails.osDetails",
		"additionalData.softwareDetails.fixReference")
	want = map[string][]string{
		"":               {"additionalData", "category", "description", "displayName", "id", "impact", "remediation", "resourceDetails", "status", "timeGenerated"},
		"additionalData": {"artifactDetails", "assessedResourceType", "cvssV30Score", "softwareDetails", "vulnerabilityDetails"},
		"additionalData.vulnerabilityDetails": {"cveId", "cvss", "exploitabilityAssessment", "lastModifiedDate", "publishedDate", "references",
			"severity", "weaknesses", "workarounds"},
		"additionalData.vulnerabilityDetails.exploitabilityAssessment": {"exploitStepsPublished", "exploitStepsVerified", "exploitUris", "isInExploitKit", "types"},
		"additionalData.vulnerabilityDetails.weaknesses":               {"cwe"},
		"additionalData.artifactDetails":                               {"artifactType", "digest", "lastPushedToRegistryUTC", "mediaType", "registryHost", "repositoryName", "tags"},
		"additionalData.softwareDetails": {"category", "evidence", "fixReference", "fixStatus", "fixedVersion", "language", "osDetails",
			"packageName", "vendor", "version"},
		"additionalData.softwareDetails.osDetails":    {"osPlatform", "osVersion"},
		"additionalData.softwareDetails.fixReference": {"description", "id", "releaseDate", "url"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("newer shape (-want +got):\n%s", diff)
	}
	a := testConfig.Assessment(KeyAzureContainerRegistry, store.Assessment{SubscriptionID: "s", Registry: "r", RegistryType: "standard", Status: "Healthy"}, true)
	got = keySet(t, a, "properties", "properties.status")
	want = map[string][]string{
		"":                  {"id", "name", "properties", "type"},
		"properties":        {"additionalData", "displayName", "resourceDetails", "status"},
		"properties.status": {"code", "description"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("assessment (-want +got):\n%s", diff)
	}
}

func TestSubscriptionID(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"0F3B2A9C-5D4E-4F60-8A71-92B3C4D5E6F7", "0f3b2a9c-5d4e-4f60-8a71-92b3c4d5e6f7"},
		{"default", SubscriptionID("default")},
	} {
		if got := SubscriptionID(tc.in); got != tc.want || len(got) != 36 {
			t.Errorf("SubscriptionID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if SubscriptionID("tenant-a") == SubscriptionID("tenant-b") {
		t.Error("two subscriptions share an id")
	}
	// Fixed forever: documented ids of existing installations depend on it.
	if got := SubscriptionID("default"); got != "c8807047-c36e-5343-8772-4fab834d8cc0" {
		t.Errorf("SubscriptionID(default) = %s, want c8807047-c36e-5343-8772-4fab834d8cc0", got)
	}
}

func TestParseResourceID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ResourcePath
		ok   bool
	}{
		{"/subscriptions/s", ResourcePath{SubscriptionID: "s"}, true},
		{"/subscriptions/s/resourcegroups/rg/providers/microsoft.containerregistry/registries/reg",
			ResourcePath{SubscriptionID: "s", ResourceGroup: "rg", Registry: "reg"}, true},
		{"/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/reg/providers/Microsoft.Security/assessments/DBD0CB49-B563-45E7-9724-889E799FA648/subassessments/X",
			ResourcePath{SubscriptionID: "s", ResourceGroup: "rg", Registry: "reg", Key: KeyContainerRegistry, Name: "x"}, true},
		{"/subscriptions/s/resourceGroups/rg", ResourcePath{}, false},
		{"subscriptions/s", ResourcePath{}, false},
		{"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm", ResourcePath{}, false},
	} {
		got, ok := ParseResourceID(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("ParseResourceID(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
