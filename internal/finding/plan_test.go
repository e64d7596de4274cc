package finding

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var alpineOpenSSLFixes = []string{
	"CVE-2016-7055", "CVE-2017-3731", "CVE-2017-3732", "CVE-2017-3735", "CVE-2017-3736",
	"CVE-2017-3737", "CVE-2017-3738", "CVE-2018-0732", "CVE-2018-0733", "CVE-2018-0734",
	"CVE-2018-0737", "CVE-2018-0739", "CVE-2018-5407",
}

func TestPlanAlpine(t *testing.T) {
	want := &RemediationPlan{Upgrades: []Upgrade{
		{
			Package: "openssl", Type: "apk", InstalledVersion: "1.0.2j-r0", UpgradeTo: "1.0.2q-r0",
			Packages: []string{"libcrypto1.0", "libssl1.0"}, Fixes: alpineOpenSSLFixes, Count: 26, Severity: High,
			Remediation: "Upgrade openssl from 1.0.2j-r0 to 1.0.2q-r0 (packages libcrypto1.0, libssl1.0; fixes 26 findings of 13 advisories).",
		},
		{
			Package: "zlib", Type: "apk", InstalledVersion: "1.2.8-r2", UpgradeTo: "1.2.11-r0",
			Packages: []string{"zlib"}, Fixes: []string{"CVE-2016-9840", "CVE-2016-9841", "CVE-2016-9842", "CVE-2016-9843"},
			Count: 4, Severity: Critical,
			Remediation: "Upgrade zlib from 1.2.8-r2 to 1.2.11-r0 (fixes 4 findings).",
		},
		{
			Package: "busybox", Type: "apk", InstalledVersion: "1.24.2-r12", UpgradeTo: "1.24.2-r13",
			Packages: []string{"busybox", "busybox-suid"}, Fixes: []string{"CVE-2017-15873", "CVE-2017-16544"},
			Count: 4, Severity: High,
			Remediation: "Upgrade busybox from 1.24.2-r12 to 1.24.2-r13 (packages busybox, busybox-suid; fixes 4 findings of 2 advisories).",
		},
		{
			Package: "musl", Type: "apk", InstalledVersion: "1.1.14-r14", UpgradeTo: "1.1.14-r16",
			Packages: []string{"musl", "musl-utils"}, Fixes: []string{"CVE-2017-15650"},
			Count: 2, Severity: High,
			Remediation: "Upgrade musl from 1.1.14-r14 to 1.1.14-r16 (packages musl, musl-utils; fixes 2 findings of 1 advisory).",
		},
	}}

	findings := alpineFindings(t)
	if len(findings) != 36 {
		t.Fatalf("fixture has %d findings, want 36 (13 openssl x 2, 2 busybox x 2, 1 musl x 2, 4 zlib)", len(findings))
	}
	before := cloneAll(findings)
	got, err := Plan(findings, apkCompare)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Plan (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, findings); diff != "" {
		t.Errorf("Plan modified its input (-before +after):\n%s", diff)
	}

	// The input order must not matter.
	rev := slices.Clone(findings)
	slices.Reverse(rev)
	got, err = Plan(rev, apkCompare)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Plan of reversed findings (-want +got):\n%s", diff)
	}
}

func cloneAll(fs []Finding) []Finding {
	out := make([]Finding, len(fs))
	for i := range fs {
		out[i] = *fs[i].Clone()
	}
	return out
}

func TestPlanSilencedAndUnfixable(t *testing.T) {
	findings := alpineFindings(t)
	// Silence the two advisories that need 1.0.2q-r0: openssl's step then
	// only needs 1.0.2o-r2.
	for i := range findings {
		if findings[i].ID == "CVE-2018-0734" || findings[i].ID == "CVE-2018-5407" {
			findings[i].Exempted = true
			findings[i].Exemption = &Exemption{Source: ExemptionRule, Scope: "repository", Reason: "test"}
		}
	}
	findings = append(findings,
		Finding{ID: "CVE-2099-0001", Package: Package{Name: "zlib", Version: "1.2.8-r2", Type: "apk"},
			FixStatus: NoFixAvailable, Severity: Low},
		Finding{ID: "CVE-2099-0002", Package: Package{Name: "zlib", Version: "1.2.8-r2", Type: "apk"},
			FixStatus: FixAvailable, Severity: Low}, // no version given: not fixable
		Finding{ID: "CVE-2099-0003", Package: Package{Name: "zlib", Version: "1.2.8-r2", Type: "apk"},
			FixStatus: WontFix, FixedVersion: "", Severity: Low},
	)
	got, err := Plan(findings, apkCompare)
	if err != nil {
		t.Fatal(err)
	}
	if got.Unfixable != 3 {
		t.Errorf("Unfixable = %d, want 3", got.Unfixable)
	}
	o := got.Upgrades[0]
	if o.Package != "openssl" || o.UpgradeTo != "1.0.2o-r2" || o.Count != 22 || len(o.Fixes) != 11 {
		t.Errorf("openssl step = %+v, want upgrade to 1.0.2o-r2 fixing 22 findings of 11 advisories", o)
	}
}

func TestPlanSourceGrouping(t *testing.T) {
	// Debian: binaries of one source, one rebuilt (binNMU) with its own version.
	findings := []Finding{
		{ID: "CVE-2024-1", FixStatus: FixAvailable, FixedVersion: "3.0.13-1~deb12u1", Severity: High,
			Package: Package{Name: "libssl3", Version: "3.0.11-1~deb12u2", Type: "deb", SourceName: "openssl"}},
		{ID: "CVE-2024-1", FixStatus: FixAvailable, FixedVersion: "3.0.13-1~deb12u1", Severity: High,
			Package: Package{Name: "openssl", Version: "3.0.11-1~deb12u2", Type: "deb"}},
		{ID: "CVE-2024-2", FixStatus: FixAvailable, FixedVersion: "1.2-4", Severity: Low,
			Package: Package{Name: "libfoo1", Version: "1.2-3+b1", Type: "deb", SourceName: "foo", SourceVersion: "1.2-3"}},
		// Same name as a source package but another ecosystem: separate.
		{ID: "GHSA-x", FixStatus: FixAvailable, FixedVersion: "3.1.0", Severity: Medium,
			Package: Package{Name: "openssl", Version: "3.0.0", Type: "npm"}},
	}
	got, err := Plan(findings, nil) // one fixed version per group: no comparison needed
	if err != nil {
		t.Fatal(err)
	}
	want := &RemediationPlan{Upgrades: []Upgrade{
		{Package: "openssl", Type: "deb", InstalledVersion: "3.0.11-1~deb12u2", UpgradeTo: "3.0.13-1~deb12u1",
			Packages: []string{"libssl3", "openssl"}, Fixes: []string{"CVE-2024-1"}, Count: 2, Severity: High,
			Remediation: "Upgrade openssl from 3.0.11-1~deb12u2 to 3.0.13-1~deb12u1 (packages libssl3, openssl; fixes 2 findings of 1 advisory)."},
		{Package: "openssl", Type: "npm", InstalledVersion: "3.0.0", UpgradeTo: "3.1.0",
			Packages: []string{"openssl"}, Fixes: []string{"GHSA-x"}, Count: 1, Severity: Medium,
			Remediation: "Upgrade openssl from 3.0.0 to 3.1.0 (fixes 1 finding)."},
		{Package: "foo", Type: "deb", InstalledVersion: "1.2-3", UpgradeTo: "1.2-4",
			Packages: []string{"libfoo1"}, Fixes: []string{"CVE-2024-2"}, Count: 1, Severity: Low,
			Remediation: "Upgrade foo from 1.2-3 to 1.2-4 (packages libfoo1; fixes 1 finding)."},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Plan (-want +got):\n%s", diff)
	}
}

func TestPlanErrors(t *testing.T) {
	two := []Finding{
		{ID: "A", FixStatus: FixAvailable, FixedVersion: "1.0-r1", Package: Package{Name: "x", Version: "1.0-r0", Type: "apk"}},
		{ID: "B", FixStatus: FixAvailable, FixedVersion: "1.0!r2", Package: Package{Name: "x", Version: "1.0-r0", Type: "apk"}},
	}
	if _, err := Plan(two, apkCompare); err == nil {
		t.Error("Plan with an unparseable fixed version: want an error")
	}
	if _, err := Plan(two, nil); !errors.Is(err, ErrNoCompare) {
		t.Errorf("Plan without a CompareFunc: error = %v, want ErrNoCompare", err)
	}
	got, err := Plan(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&RemediationPlan{Upgrades: []Upgrade{}}, got); diff != "" {
		t.Errorf("Plan(nil) (-want +got):\n%s", diff)
	}
}

// TestPlanGoStandardLibrary checks that the plan's step for the Go standard
// library says what to do (rebuild with a newer Go), not "upgrade stdlib",
// which is no package anyone can upgrade, and which binaries to rebuild.
func TestPlanGoStandardLibrary(t *testing.T) {
	std := Package{Name: "stdlib", Version: "1.20.14", Type: "go-module", Path: "usr/local/bin/vulnfixture"}
	findings := []Finding{
		{ID: "GO-2024-2598", FixStatus: FixAvailable, FixedVersion: "1.21.8", Package: std},
		{ID: "GO-2024-2599", FixStatus: FixAvailable, FixedVersion: "1.21.9", Package: std},
	}
	byString := func(_, a, b string) (int, error) { return strings.Compare(a, b), nil }
	got, err := Plan(findings, byString)
	if err != nil {
		t.Fatal(err)
	}
	want := "Rebuild the binaries built with Go 1.20.14 using Go 1.21.9 or later (in usr/local/bin/vulnfixture; fixes 2 findings)."
	if len(got.Upgrades) != 1 || got.Upgrades[0].Remediation != want {
		t.Errorf("plan %+v, want one step: %s", got.Upgrades, want)
	}

	// The same toolchain in five binaries: one step; the sentence names
	// three of them, Paths all.
	for _, bin := range []string{"yq", "crane", "dlv", "golangci-lint"} {
		std.Path = "usr/local/bin/" + bin
		findings = append(findings, Finding{ID: "GO-2024-2598", FixStatus: FixAvailable, FixedVersion: "1.21.8", Package: std})
	}
	if got, err = Plan(findings, byString); err != nil {
		t.Fatal(err)
	}
	want = "Rebuild the binaries built with Go 1.20.14 using Go 1.21.9 or later (in usr/local/bin/crane, usr/local/bin/dlv, usr/local/bin/golangci-lint and 2 more; fixes 6 findings of 2 advisories)."
	paths := []string{"usr/local/bin/crane", "usr/local/bin/dlv", "usr/local/bin/golangci-lint", "usr/local/bin/vulnfixture", "usr/local/bin/yq"}
	if len(got.Upgrades) != 1 || got.Upgrades[0].Remediation != want || !slices.Equal(got.Upgrades[0].Paths, paths) {
		t.Errorf("plan %+v, want one step: %s, paths %v", got.Upgrades, want, paths)
	}
}
