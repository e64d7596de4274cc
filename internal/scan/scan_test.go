package scan_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/opencontainers/go-digest"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/scan"
	"github.com/drydock/drydock/internal/scan/extract"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
	"github.com/drydock/drydock/internal/scan/match"
	"github.com/drydock/drydock/internal/scan/match/exempt"
	"github.com/drydock/drydock/internal/scan/source"
	st "github.com/drydock/drydock/internal/scan/source/sourcetest"
	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/vulndb/vulndbtest"
)

func TestMain(m *testing.M) { vulndbtest.Main(m) }

// testDB is the real advisory data of ../shared/testdata/vulndb, imported
// once per test binary.
func testDB(t testing.TB) *vulndb.DB { return vulndbtest.Shared(t) }

// scanNow is the clock of every test scan.
var scanNow = time.Date(2026, 8, 23, 10, 0, 0, 0, time.UTC)

func opts(t testing.TB) scan.Options {
	return scan.Options{DB: testDB(t), Now: func() time.Time { return scanNow }}
}

// scanArtifact writes a as an OCI layout and scans it.
func scanArtifact(t testing.TB, a *st.Artifact, o scan.Options) []*finding.Report {
	t.Helper()
	dir := t.TempDir()
	st.WriteLayout(t, dir, "test", a)
	src, err := source.Open(t.Context(), "oci:"+dir, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rs, err := scan.Scan(t.Context(), src, o)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func scanOne(t testing.TB, a *st.Artifact, o scan.Options) *finding.Report {
	t.Helper()
	rs := scanArtifact(t, a, o)
	if len(rs) != 1 {
		t.Fatalf("got %d reports, want 1", len(rs))
	}
	return rs[0]
}

// alpine returns a one-layer image of the real Alpine rootfs files of
// release ver (testdata/manifests/alpine/<ver>).
func alpine(t testing.TB, ver string) *st.Artifact {
	t.Helper()
	entries := []lt.Entry{
		et.FixtureFile(t, "lib/apk/db/installed", "alpine/"+ver+"/installed"),
		et.FixtureFile(t, "etc/os-release", "alpine/"+ver+"/os-release"),
	}
	if _, err := os.Stat(et.Manifests("alpine/" + ver + "/alpine-release")); err == nil {
		entries = append(entries, et.FixtureFile(t, "etc/alpine-release", "alpine/"+ver+"/alpine-release"))
	}
	return st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, entries...)}})
}

// fixes lists, per finding, "package id fixedVersion".
func fixes(r *finding.Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Package.Name+" "+f.ID+" "+f.FixedVersion+" "+f.FixStatus.String())
	}
	sort.Strings(out)
	return out
}

func distinctIDs(r *finding.Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.ID)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestAlpine346 checks the README's positive case: Alpine 3.4.6 against
// the v3.4 secdb gives 20 distinct CVEs, matched by origin package, each
// with the first fixed version above the installed one.
func TestAlpine346(t *testing.T) {
	r := scanOne(t, alpine(t, "3.4.6"), opts(t))
	if r.Status != finding.StatusUnhealthy {
		t.Fatalf("status %s (%s), want unhealthy", r.Status, r.Reason)
	}
	// The README's table: origin -> fixed version -> CVEs.
	readme := map[string]map[string][]string{
		"busybox": {"1.24.2-r13": {"CVE-2017-15873", "CVE-2017-16544"}},
		"musl":    {"1.1.14-r16": {"CVE-2017-15650"}},
		"openssl": {
			"1.0.2k-r0": {"CVE-2016-7055", "CVE-2017-3731", "CVE-2017-3732"},
			"1.0.2m-r0": {"CVE-2017-3735", "CVE-2017-3736"},
			"1.0.2n-r0": {"CVE-2017-3737", "CVE-2017-3738"}, // and again at 1.0.2o-r0: the lowest wins
			"1.0.2o-r0": {"CVE-2018-0733", "CVE-2018-0739"},
			"1.0.2o-r1": {"CVE-2018-0732"},
			"1.0.2o-r2": {"CVE-2018-0737"},
			"1.0.2q-r0": {"CVE-2018-0734", "CVE-2018-5407"},
		},
		"zlib": {"1.2.11-r0": {"CVE-2016-9840", "CVE-2016-9841", "CVE-2016-9842", "CVE-2016-9843"}},
	}
	// Installed binary packages per origin (lib/apk/db/installed).
	binaries := map[string][]string{
		"busybox": {"busybox", "busybox-suid"},
		"musl":    {"musl", "musl-utils"},
		"openssl": {"libcrypto1.0", "libssl1.0"},
		"zlib":    {"zlib"},
	}
	var want []string
	cves := map[string]bool{}
	for origin, byFix := range readme {
		for fixed, ids := range byFix {
			for _, id := range ids {
				cves[id] = true
				for _, bin := range binaries[origin] {
					want = append(want, bin+" "+id+" "+fixed+" FixAvailable")
				}
			}
		}
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, fixes(r)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if got := distinctIDs(r); len(got) != 20 || len(cves) != 20 {
		t.Errorf("%d distinct CVEs (%d in the README), want 20: %v", len(got), len(cves), got)
	}
	for _, f := range r.Findings {
		if !slices.Contains(f.Aliases, "ALPINE-"+f.ID) {
			t.Errorf("%s on %s: aliases %v lack the Alpine record", f.ID, f.Package.Name, f.Aliases)
		}
		if f.Package.Name == "libssl1.0" && f.Package.SourceName != "openssl" {
			t.Errorf("libssl1.0: source %q", f.Package.SourceName)
		}
		if f.Layer == "" || !strings.HasPrefix(f.Remediation, "Upgrade ") {
			t.Errorf("%s: layer %q remediation %q", f.ID, f.Layer, f.Remediation)
		}
	}
	if !r.Image.OS.EOL || r.Image.OS.Family != "alpine" || r.Image.OS.Version != "3.4.6" {
		t.Errorf("os %+v, want alpine 3.4.6, end-of-life", r.Image.OS)
	}
	if len(r.Packages) != 16 {
		t.Errorf("%d packages, want 16", len(r.Packages))
	}
	// The plan: one upgrade per origin package, to the highest fix.
	var plan []string
	for _, u := range r.RemediationPlan.Upgrades {
		plan = append(plan, fmt.Sprintf("%s %s->%s fixes %d advisories, %d findings", u.Package, u.InstalledVersion, u.UpgradeTo, len(u.Fixes), u.Count))
	}
	// Ranked by findings fixed; ties (busybox, zlib) by severity, then name.
	wantPlan := []string{
		"openssl 1.0.2j-r0->1.0.2q-r0 fixes 13 advisories, 26 findings",
		"busybox 1.24.2-r12->1.24.2-r13 fixes 2 advisories, 4 findings",
		"zlib 1.2.8-r2->1.2.11-r0 fixes 4 advisories, 4 findings",
		"musl 1.1.14-r14->1.1.14-r16 fixes 1 advisories, 2 findings",
	}
	if diff := cmp.Diff(wantPlan, plan); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	if r.RemediationPlan.BaseImageHint == "" {
		t.Error("no base image hint for an end-of-life release")
	}
}

// TestAlpineNegative checks the README's negative cases: every secfixes
// entry of v3.10 and v3.11 is older than what these releases install.
func TestAlpineNegative(t *testing.T) {
	for _, ver := range []string{"3.10.9", "3.11.13"} {
		t.Run(ver, func(t *testing.T) {
			r := scanOne(t, alpine(t, ver), opts(t))
			if r.Status != finding.StatusHealthy || len(r.Findings) != 0 {
				t.Errorf("status %s, findings %v; want healthy, none", r.Status, fixes(r))
			}
			if len(r.Packages) != 14 {
				t.Errorf("%d packages, want 14", len(r.Packages))
			}
			if r.Unchecked != nil {
				t.Errorf("unchecked %+v; the test data covers Alpine %s", r.Unchecked, ver)
			}
		})
	}
}

// TestAlpineWithoutData: the releases the test data has no secdb for
// (manifests README: "no secdb for these releases is available here") are
// healthy, and the report says that none of their packages was checked.
func TestAlpineWithoutData(t *testing.T) {
	for _, tc := range []struct {
		ver, eco string
		pkgs     int
	}{{"3.18.9", "Alpine:v3.18", 15}, {"3.19.4", "Alpine:v3.19", 15}, {"3.20.3", "Alpine:v3.20", 14}} {
		t.Run(tc.ver, func(t *testing.T) {
			r := scanOne(t, alpine(t, tc.ver), opts(t))
			want := []finding.Unchecked{{Ecosystem: tc.eco, Type: "apk", Packages: tc.pkgs,
				Reason: "the advisory database has no advisories for " + tc.eco}}
			if r.Status != finding.StatusHealthy || len(r.Packages) != tc.pkgs || !reflect.DeepEqual(r.Unchecked, want) {
				t.Errorf("status %s, %d packages, unchecked %+v; want healthy, %d, %+v", r.Status, len(r.Packages), r.Unchecked, tc.pkgs, want)
			}
		})
	}
}

// buildVulnfixture builds testdata/manifests/go/vulnfixture with
// go1.20.14, as its README says. It skips when the toolchain or the
// modules cannot be fetched from the module proxy.
func buildVulnfixture(t *testing.T) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not building Go binaries")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	src := t.TempDir()
	for _, f := range []string{"main.go", "go.mod", "go.sum"} {
		if err := os.WriteFile(filepath.Join(src, f), []byte(et.Fixture(t, "go/vulnfixture/"+f)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "vulnfixture")
	cmd := exec.CommandContext(t.Context(), goBin, "build", "-trimpath", "-o", out, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=readonly", "GOOS=linux", "GOARCH=amd64", "GOTOOLCHAIN=go1.20.14")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("cannot build the fixture with go1.20.14 (module proxy unreachable?): %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGoBinary checks the README's Go case: the module-level matches of
// expected-vulndb-matches-go1.20.14.txt, per module.
func TestGoBinary(t *testing.T) {
	bin := buildVulnfixture(t)
	a := st.Image(t, st.ImageSpec{Layers: [][]byte{
		st.Tar(t, lt.File("etc/os-release", "ID=distroless\n")),
		st.Tar(t, lt.Exec("app/vulnfixture", bin)),
	}})
	r := scanOne(t, a, opts(t))
	// module -> every id (and alias) of its findings
	got := map[string]map[string]bool{}
	count := map[string]int{}
	for _, f := range r.Findings {
		if f.Package.Type != "go-module" {
			t.Errorf("unexpected finding %s on %s %s", f.ID, f.Package.Type, f.Package.Name)
			continue
		}
		if got[f.Package.Name] == nil {
			got[f.Package.Name] = map[string]bool{}
		}
		got[f.Package.Name][f.ID] = true
		for _, a := range f.Aliases {
			got[f.Package.Name][a] = true
		}
		count[f.Package.Name]++
		if !strings.HasPrefix(f.ID, "GO-") {
			t.Errorf("%s: id %s, want the Go database's GO- id", f.Package.Name, f.ID)
		}
		if f.Layer != string(r.Packages[0].Layer) || f.Package.Path != "app/vulnfixture" {
			t.Errorf("%s %s: layer %s path %s", f.Package.Name, f.ID, f.Layer, f.Package.Path)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(et.Fixture(t, "go/vulnfixture/expected-vulndb-matches-go1.20.14.txt")), "\n") {
		fields := strings.Fields(line)
		mod, n, ids := fields[0], fields[2], fields[3:]
		if fmt.Sprint(len(ids)) != n {
			t.Fatalf("bad fixture line %q", line)
		}
		for _, id := range ids {
			if !got[mod][id] {
				t.Errorf("%s: %s not found", mod, id)
			}
		}
		if count[mod] != len(ids) {
			var have []string
			for _, f := range r.Findings {
				if f.Package.Name == mod {
					have = append(have, f.ID)
				}
			}
			t.Errorf("%s: %d findings, want %d: %v", mod, count[mod], len(ids), have)
		}
	}
	// Every finding is listed; those about packages the binary links no
	// code of are exempted, saying which. The fixture serves HTTP and
	// parses HTML and YAML, but never reads mail or zip archives.
	exempted := map[string]string{}
	for _, f := range r.Findings {
		if f.Exempted {
			exempted[f.ID] = f.Exemption.Source + ": " + f.Exemption.Reason
		}
	}
	for id, want := range map[string]string{
		"GO-2024-2609": "not-linked: app/vulnfixture links no code of package net/mail",
		"GO-2024-2888": "not-linked: app/vulnfixture links no code of package archive/zip",
		"GO-2024-2687": "", // HTTP/2 CONTINUATION flood: net/http is linked
	} {
		if exempted[id] != want {
			t.Errorf("%s: exemption %q, want %q", id, exempted[id], want)
		}
	}
	t.Logf("%d of %d findings exempted as not linked", len(exempted), len(r.Findings))

	// Judged by packages only, the advisories naming absent functions of
	// linked packages stand; judged by module, every advisory does.
	for _, level := range []match.GoScan{match.GoScanPackage, match.GoScanModule} {
		o := opts(t)
		o.GoScan = level
		lr := scanOne(t, a, o)
		var ids []string
		for _, f := range lr.Findings {
			if f.Exempted {
				ids = append(ids, f.ID)
				if exempted[f.ID] == "" {
					t.Errorf("%s: %s exempted only at this level", level, f.ID)
				}
			}
		}
		t.Logf("%s: %d of %d findings exempted", level, len(ids), len(lr.Findings))
		switch {
		case len(lr.Findings) != len(r.Findings):
			t.Errorf("%s: %d findings, want %d", level, len(lr.Findings), len(r.Findings))
		case level == match.GoScanPackage && (!slices.Contains(ids, "GO-2024-2609") || len(ids) >= len(exempted)):
			t.Errorf("%s: exempted %v; want net/mail's GO-2024-2609 and fewer than the %d at the symbol level", level, ids, len(exempted))
		case level == match.GoScanModule && len(ids) > 0:
			t.Errorf("%s: exempted %v", level, ids)
		}
	}
}

// TestNPM checks the README's npm case against the curated GHSA records.
func TestNPM(t *testing.T) {
	entries := st.Files(t, "srv/app", et.Manifests("npm/express-app"))
	a := st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, entries...)}})
	r := scanOne(t, a, opts(t))
	want := []string{
		"express 4.17.1 GHSA-rv95-896h-c2vc",
		"json5 2.2.1 GHSA-9c47-m6qq-7p4h",
		"lodash 4.17.15 GHSA-p6mc-m468-83gw",
		"minimist 1.2.5 GHSA-xvch-5gv4-984h",
		"qs 6.7.0 GHSA-hrpp-h998-j3pp",
	}
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.Package.Name+" "+f.Package.Version+" "+f.ID)
		if f.Severity == finding.Unknown || f.CVSS == nil || f.FixStatus != finding.FixAvailable {
			t.Errorf("%s: severity %s cvss %v fix %s %q", f.ID, f.Severity, f.CVSS, f.FixStatus, f.FixedVersion)
		}
	}
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// languagePackages skips the test when no extractor found a package of
// type typ (its extractor is not in list.All() yet).
func languagePackages(t *testing.T, r *finding.Report, typ string) {
	t.Helper()
	for _, p := range r.Packages {
		if p.Type == typ {
			return
		}
	}
	t.Skipf("no %s package found: the extractor is not in extract/list yet", typ)
}

// TestPython checks the README's Python case (Debian's site packages).
func TestPython(t *testing.T) {
	entries := st.Files(t, "usr/lib/python3/dist-packages", et.Manifests("python/debian-bookworm"))
	a := st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, entries...)}})
	r := scanOne(t, a, opts(t))
	languagePackages(t, r, "pypi")
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.Package.Name+" "+f.Package.Version+" "+f.ID)
	}
	sort.Strings(got)
	want := []string{"requests 2.28.1 PYSEC-2023-74", "urllib3 1.26.12 PYSEC-2023-192", "urllib3 1.26.12 PYSEC-2023-212"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// jar zips a fixture directory into a jar file's bytes.
func jar(t *testing.T, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		w, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestMaven checks the README's Maven case: snakeyaml identified by its
// pom.properties, log4j 1.2.17 only by its MANIFEST.MF.
func TestMaven(t *testing.T) {
	a := st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t,
		lt.File("usr/share/java/snakeyaml-1.33.jar", string(jar(t, et.Manifests("maven/debian-bookworm/snakeyaml-1.33.jar")))),
		lt.File("usr/share/java/log4j-1.2-1.2.17.jar", string(jar(t, et.Manifests("maven/debian-bookworm/log4j-1.2-1.2.17.jar")))),
	)}})
	r := scanOne(t, a, opts(t))
	languagePackages(t, r, "maven")
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.Package.Name+" "+f.Package.Version+" "+f.ID)
	}
	sort.Strings(got)
	want := []string{"log4j:log4j 1.2.17 GHSA-fp5r-v3w9-4333", "org.yaml:snakeyaml 1.33 GHSA-mjmj-j48q-9wg2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestSourceKinds scans the Alpine 3.4.6 image from every kind of
// source and expects the same report.
func TestSourceKinds(t *testing.T) {
	img := alpine(t, "3.4.6")
	want := fixes(scanOne(t, img, opts(t)))
	if len(want) != 36 {
		t.Fatalf("layout scan: %d findings, want 36", len(want))
	}
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	st.Push(t, reg, "demo/alpine", "3.4.6", st.Index(t, img))
	srv := httptest.NewServer(reg)
	defer srv.Close()

	archive := filepath.Join(t.TempDir(), "alpine.tar")
	st.WriteDockerArchive(t, archive, "demo/alpine:3.4.6", img, false)
	root := t.TempDir()
	for _, f := range [][2]string{{"lib/apk/db/installed", "installed"}, {"etc/os-release", "os-release"}, {"etc/alpine-release", "alpine-release"}} {
		p := filepath.Join(root, f[0])
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(et.Fixture(t, "alpine/3.4.6/"+f[1])), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A 64 GiB (sparse) file no extractor wants: a directory's files are
	// read only when wanted, so it costs nothing and the layer size limit
	// (a tar stream's bytes) does not apply.
	big, err := os.Create(filepath.Join(root, "disk.img"))
	if err != nil {
		t.Fatal(err)
	}
	if err := big.Truncate(64 << 30); err != nil {
		t.Fatal(err)
	}
	big.Close()
	for _, ref := range []string{
		strings.TrimPrefix(srv.URL, "http://") + "/demo/alpine:3.4.6",
		"docker-archive:" + archive,
		"dir:" + root,
	} {
		t.Run(strings.SplitN(ref, ":", 2)[0], func(t *testing.T) {
			src, err := source.Open(t.Context(), ref, source.Options{Insecure: true, DockerConfig: filepath.Join(t.TempDir(), "none.json")})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			// With a time limit, as drydock scan sets one: the images are
			// found under a context of their own, ended before the
			// layers are fetched.
			o := opts(t)
			o.Limits.Timeout = time.Minute
			rs, err := scan.Scan(t.Context(), src, o)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != 1 {
				t.Fatalf("%d reports", len(rs))
			}
			if diff := cmp.Diff(want, fixes(rs[0])); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestOutcomes checks the report of each kind of image that is not simply
// scanned: broken and hostile images fail with a reason, artifacts and
// Windows images are not applicable, no database leaves the report
// pending.
func TestOutcomes(t *testing.T) {
	good := st.Tar(t, lt.File("etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n"))
	truncated := lt.Gzip(t, good)
	truncated = truncated[:len(truncated)/2]
	tests := []struct {
		name   string
		art    *st.Artifact
		o      func(*scan.Options)
		status finding.ReportStatus
		reason string
	}{
		{name: "healthy", art: st.Image(t, st.ImageSpec{Layers: [][]byte{good}}), status: finding.StatusHealthy},
		{name: "no database", art: alpine(t, "3.4.6"), o: func(o *scan.Options) { o.DB = nil }, status: finding.StatusPending, reason: "no advisory database"},
		{name: "diff_id mismatch", art: st.Image(t, st.ImageSpec{Layers: [][]byte{good}, DiffIDs: []string{lt.DiffID([]byte("other")).String()}}),
			status: finding.StatusFailed, reason: "diff_id mismatch"},
		{name: "corrupt layer", art: rawLayer(t, []byte("\x1f\x8b\x08\x00garbage, not deflate at all")), status: finding.StatusFailed, reason: "corrupt layer"},
		{name: "truncated layer", art: rawLayer(t, truncated), status: finding.StatusFailed, reason: "truncated"},
		{name: "layer over the size cap", art: st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, lt.File("big", strings.Repeat("\x00", 2<<20)))}}),
			o: func(o *scan.Options) { o.Limits.MaxLayerBytes = 1 << 20 }, status: finding.StatusFailed,
			reason: "): limit exceeded: uncompressed layer larger than 1048576 bytes (MaxLayerBytes)"}, // "layer 0 (sha256:...)" once
		{name: "path traversal is neutralised", art: st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t,
			lt.File("../../etc/os-release", "ID=evil\n"), lt.Symlink("etc/os-release", "../../../../host/etc/os-release"))}}),
			status: finding.StatusHealthy},
		{name: "windows", art: st.Image(t, st.ImageSpec{Platform: "windows/amd64", Layers: [][]byte{good}}), status: finding.StatusNotApplicable, reason: "Windows"},
		{name: "artifact", art: st.Image(t, st.ImageSpec{ConfigMediaType: "application/vnd.cncf.helm.config.v1+json", Layers: [][]byte{good}}),
			status: finding.StatusNotApplicable, reason: "helm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts(t)
			if tt.o != nil {
				tt.o(&o)
			}
			r := scanOne(t, tt.art, o)
			if r.Status != tt.status || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("status %s, reason %q; want %s, %q", r.Status, r.Reason, tt.status, tt.reason)
			}
			if tt.status == finding.StatusPending && len(r.Packages) != 16 {
				t.Errorf("pending report lists %d packages, want the 16 of the inventory", len(r.Packages))
			}
		})
	}
}

// rawLayer is an image whose only layer blob is b (with any diff_id).
func rawLayer(t *testing.T, b []byte) *st.Artifact {
	t.Helper()
	a := st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, lt.File("x", "x"))}})
	// Replace the layer blob and the manifest's descriptor of it.
	var m map[string]any
	if err := json.Unmarshal(a.Root.Data, &m); err != nil {
		t.Fatal(err)
	}
	layers := m["layers"].([]any)
	old := layers[0].(map[string]any)
	delete(a.Blobs, oci.Digest(old["digest"].(string)))
	d := digest.FromBytes(b)
	old["digest"], old["size"] = d.String(), len(b)
	a.Blobs[d] = st.Blob{Desc: oci.Descriptor{MediaType: oci.MediaTypeLayerGzip, Digest: d, Size: int64(len(b))}, Data: b}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	a.Root = st.Blob{Desc: oci.Descriptor{MediaType: oci.MediaTypeImageManifest, Digest: digest.FromBytes(data), Size: int64(len(data))}, Data: data}
	return a
}

// TestMultiPlatform scans every platform of an index, one report each.
func TestMultiPlatform(t *testing.T) {
	layers := alpine(t, "3.4.6").RawLayers
	amd := st.Image(t, st.ImageSpec{Platform: "linux/amd64", Layers: layers})
	arm := st.Image(t, st.ImageSpec{Platform: "linux/arm64", Layers: layers, Compression: st.Zstd})
	rs := scanArtifact(t, st.Index(t, amd, arm), opts(t))
	if len(rs) != 2 {
		t.Fatalf("%d reports, want 2", len(rs))
	}
	for i, plat := range []string{"linux/amd64", "linux/arm64"} {
		if rs[i].Image.Platform != plat || len(rs[i].Findings) != 36 {
			t.Errorf("report %d: %s with %d findings, want %s with 36", i, rs[i].Image.Platform, len(rs[i].Findings), plat)
		}
	}
}

// TestDebian scans the real Debian bookworm minbase package database:
// 88 packages with source names, matched against Debian 12 (no Debian
// data is available here, so none is found).
func TestDebian(t *testing.T) {
	a := st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t,
		et.FixtureFile(t, "var/lib/dpkg/status", "debian/bookworm-minbase/status"),
		et.FixtureFile(t, "etc/os-release", "debian/bookworm-minbase/os-release"),
		et.FixtureFile(t, "etc/debian_version", "debian/bookworm-minbase/debian_version"),
	)}})
	r := scanOne(t, a, opts(t))
	withSource := 0
	for _, p := range r.Packages {
		if p.SourceName != "" {
			withSource++
		}
	}
	if len(r.Packages) != 88 || withSource == 0 || r.Image.OS.Family != "debian" || r.Image.OS.Version != "12" || r.Image.OS.EOL {
		t.Errorf("%d packages (%d with a source name), os %+v", len(r.Packages), withSource, r.Image.OS)
	}
	if r.Status != finding.StatusHealthy {
		t.Errorf("status %s", r.Status)
	}
	// The test data holds no Debian advisories: the report must say that
	// its 88 packages were not checked, not merely that none is affected.
	want := []finding.Unchecked{{Ecosystem: "Debian:12", Type: "deb", Packages: 88,
		Reason: "the advisory database has no advisories for Debian:12"}}
	if !reflect.DeepEqual(r.Unchecked, want) {
		t.Errorf("unchecked %+v, want %+v", r.Unchecked, want)
	}
}

// TestExempters checks that an ignore rule and a VEX statement silence
// findings and that the summary, status and plan follow.
func TestExempters(t *testing.T) {
	ig, err := exempt.ParseIgnore(strings.NewReader(`ignore:
  - id: CVE-2018-5407
    package: openssl
    reason: SMT is off on our nodes
`), func() time.Time { return scanNow })
	if err != nil {
		t.Fatal(err)
	}
	vex, err := exempt.ParseVEX(strings.NewReader(`{
  "@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1",
  "author": "platform-team", "timestamp": "2026-08-01T00:00:00Z",
  "statements": [{"vulnerability": {"name": "CVE-2017-16544"},
    "products": [{"@id": "pkg:apk/alpine/busybox-suid"}],
    "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path",
    "impact_statement": "bbsuid never runs ash"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	o := opts(t)
	o.Exempters = []scan.Exempter{ig, vex}
	r := scanOne(t, alpine(t, "3.4.6"), o)
	var silenced []string
	for _, f := range r.Findings {
		if f.Exempted {
			silenced = append(silenced, f.Package.Name+" "+f.ID+" "+f.Exemption.Source+": "+f.Exemption.Reason)
		}
	}
	want := []string{
		"busybox-suid CVE-2017-16544 vex: bbsuid never runs ash",
		"libcrypto1.0 CVE-2018-5407 ignore-file: SMT is off on our nodes",
		"libssl1.0 CVE-2018-5407 ignore-file: SMT is off on our nodes",
	}
	sort.Strings(silenced)
	if diff := cmp.Diff(want, silenced); diff != "" {
		t.Errorf("silenced (-want +got):\n%s", diff)
	}
	if r.Summary.Exempted != 3 || r.Summary.Total() != 33 {
		t.Errorf("summary %+v", r.Summary)
	}
}

// TestInvalidRoot checks that an image whose root manifest is not a
// manifest (or not the one asked for) gets a failed report, not an error,
// and that the report names the manifest received by the sha256 digest of
// its bytes, and the reference it was asked for: from an OCI layout and
// from a registry.
func TestInvalidRoot(t *testing.T) {
	body := []byte(`{"schemaVersion": 2, "layers": "not a list"}`)
	d := digest.FromBytes(body)
	layout := func(t *testing.T, listed digest.Digest) string {
		dir := t.TempDir()
		for name, data := range map[string][]byte{
			"oci-layout":                       []byte(`{"imageLayoutVersion":"1.0.0"}`),
			"blobs/sha256/" + listed.Encoded(): body,
			"index.json": []byte(fmt.Sprintf(`{"schemaVersion":2,"manifests":[{"mediaType":%q,"digest":%q,"size":%d,`+
				`"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}`, oci.MediaTypeImageManifest, listed, len(body))),
		} {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	// A registry that serves body as the manifest of team/app:v1.
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/":
			w.WriteHeader(http.StatusOK)
		case "/v2/team/app/manifests/v1":
			w.Header().Set("Content-Type", oci.MediaTypeImageManifest)
			w.Header().Set("Docker-Content-Digest", d.String())
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			if r.Method != http.MethodHead {
				w.Write(body)
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer reg.Close()
	host := reg.Listener.Addr().String()

	ok := layout(t, d)
	// The index lists another digest than the blob's content hashes to:
	// the report names the bytes received, not the digest asked for.
	other := digest.FromString("another manifest")
	mismatch := layout(t, other)
	for _, tt := range []struct {
		name, ref, repo, reason string
	}{
		{"layout", "oci:" + ok, "oci:" + ok, "invalid manifest"},
		{"layout, by tag", "oci:" + ok + ":v1", "oci:" + ok, "invalid manifest"},
		{"layout, digest mismatch", "oci:" + mismatch + ":v1", "oci:" + mismatch, "content of " + other.String() + " hashes to " + d.String()},
		{"registry", host + "/team/app:v1", host + "/team/app", "invalid manifest"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src, err := source.Open(t.Context(), tt.ref, source.Options{DockerConfig: filepath.Join(t.TempDir(), "none.json")})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			rs, err := scan.Scan(t.Context(), src, opts(t))
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != 1 {
				t.Fatalf("%d reports", len(rs))
			}
			r := rs[0]
			if r.Status != finding.StatusFailed || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("status %s, reason %q; want failed, %q", r.Status, r.Reason, tt.reason)
			}
			want := finding.Image{Repository: tt.repo, Digest: d.String(), Reference: tt.ref}
			if diff := cmp.Diff(want, r.Image); diff != "" {
				t.Errorf("image (-want +got):\n%s", diff)
			}
		})
	}
}

// BenchmarkScan measures whole scans (layout source, layer reading,
// extraction, matching against the real database, report) of the test
// images.
func BenchmarkScan(b *testing.B) {
	images := map[string]*st.Artifact{
		"alpine-3.4.6": alpine(b, "3.4.6"),
		"npm-express":  st.Image(b, st.ImageSpec{Layers: [][]byte{st.Tar(b, st.Files(b, "srv/app", et.Manifests("npm/express-app"))...)}}),
		"debian-minbase-status": st.Image(b, st.ImageSpec{Layers: [][]byte{st.Tar(b,
			et.FixtureFile(b, "var/lib/dpkg/status", "debian/bookworm-minbase/status"),
			et.FixtureFile(b, "etc/os-release", "debian/bookworm-minbase/os-release"))}}),
	}
	o := opts(b)
	for name, a := range images {
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			st.WriteLayout(b, dir, "", a)
			for b.Loop() {
				src, err := source.Open(b.Context(), "oci:"+dir, source.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := scan.Scan(b.Context(), src, o); err != nil {
					b.Fatal(err)
				}
				src.Close()
			}
		})
	}
}

// TestTimeoutEachImage: Limits.Timeout bounds each image's layer reading,
// through the inventory hook too (a layer cache): an image past it fails
// with a report saying so, and each image of a multi-platform one gets
// its own report, not an error of the whole scan.
func TestTimeoutEachImage(t *testing.T) {
	layers := [][]byte{st.Tar(t, lt.File("etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n"))}
	idx := st.Index(t,
		st.Image(t, st.ImageSpec{Platform: "linux/amd64", Layers: layers}),
		st.Image(t, st.ImageSpec{Platform: "linux/arm64", Layers: layers}))
	o := opts(t)
	o.Limits.Timeout = 200 * time.Millisecond
	o.Inventory = func(ctx context.Context, _ *source.Image, _ func(context.Context) (*extract.Inventory, error)) (*extract.Inventory, error) {
		<-ctx.Done() // a read that does not end by itself
		return nil, ctx.Err()
	}
	rs := scanArtifact(t, idx, o)
	if len(rs) != 2 {
		t.Fatalf("%d reports, want 2", len(rs))
	}
	for _, r := range rs {
		if r.Status != finding.StatusFailed || r.Reason != "limit exceeded: still reading layers after 200ms (Timeout)" {
			t.Errorf("%s: status %s, reason %q", r.Image.Platform, r.Status, r.Reason)
		}
	}
}

// TestTimeoutResolving: a registry that stops answering while the images
// are being found ends the scan, within Limits.Timeout, with an error.
func TestTimeoutResolving(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	src, err := source.Open(t.Context(), strings.TrimPrefix(srv.URL, "http://")+"/demo/app:1", source.Options{Insecure: true, DockerConfig: filepath.Join(t.TempDir(), "none.json")})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	o := opts(t)
	o.Limits.Timeout = 200 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second) // a bound of the test's own
	defer cancel()
	start := time.Now()
	rs, err := scan.Scan(ctx, src, o)
	if !errors.Is(err, context.DeadlineExceeded) || rs != nil {
		t.Errorf("Scan = %d reports, %v; want context.DeadlineExceeded", len(rs), err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("gave up after %s, not within the limit", d)
	}
}
