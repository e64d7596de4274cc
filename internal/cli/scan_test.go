package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/drydock/drydock/internal/finding"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
	st "github.com/drydock/drydock/internal/scan/source/sourcetest"
	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/vulndb/ingest"
)

// updateGolden reports whether -update was given (rewrite the golden
// files in testdata/scan/golden). Test helpers imported here may define
// the flag already.
func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files")
	}
}

// scanEpoch is the scan time of the golden outputs (SOURCE_DATE_EPOCH).
var scanEpoch = time.Date(2026, 8, 23, 10, 0, 0, 0, time.UTC)

// sharedVulnDB is ../shared/testdata/vulndb next to the repository
// (DRYDOCK_SHARED_TESTDATA overrides ../shared/testdata).
func sharedVulnDB(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("DRYDOCK_SHARED_TESTDATA")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "testdata")
	}
	dir = filepath.Join(dir, "vulndb")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("shared advisory data missing (set DRYDOCK_SHARED_TESTDATA): %v", err)
	}
	return dir
}

// goldenDB builds an advisory database file from the real Alpine v3.4
// secdb and the curated GHSA records, with a fixed source name and import
// time so that its version and age are the same on every machine.
func goldenDB(t *testing.T) string {
	t.Helper()
	shared := sharedVulnDB(t)
	ctx := t.Context()
	store, err := vulndb.NewStore(t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	inputs, err := ingest.Prepare([]string{filepath.Join(shared, "alpine-secdb", "v3.4"), filepath.Join(shared, "ghsa-curated")})
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range inputs {
		in.Source = fmt.Sprintf("file:testdata/%d", i)
	}
	if _, err := ingest.Import(ctx, b, inputs, ingest.Options{Strict: true}); err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		b.SetStamp(b.Source(in.Source), vulndb.SourceStamp{ImportedAt: time.Date(2026, 8, 20, 6, 0, 0, 0, time.UTC)})
	}
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		in.Close()
	}
	file := filepath.Join(t.TempDir(), "vulndb.db")
	if _, err := store.Export(file); err != nil {
		t.Fatal(err)
	}
	return file
}

// appLayout writes an OCI layout of an Alpine 3.4.6 image with npm
// packages of the express-app on top, named demo/app:1.0.
func appLayout(t *testing.T) string {
	t.Helper()
	alpine := lt.Tar(t,
		et.FixtureFile(t, "lib/apk/db/installed", "alpine/3.4.6/installed"),
		et.FixtureFile(t, "etc/os-release", "alpine/3.4.6/os-release"),
		et.FixtureFile(t, "etc/alpine-release", "alpine/3.4.6/alpine-release"),
	)
	// The installed manifests of the five npm packages the curated GHSA
	// records affect (the whole app would only make the goldens longer).
	var entries []lt.Entry
	for _, name := range []string{"express", "json5", "lodash", "minimist", "qs"} {
		entries = append(entries, et.FixtureFile(t, "srv/app/node_modules/"+name+"/package.json", "npm/express-app/node_modules/"+name+"/package.json"))
	}
	app := lt.Tar(t, entries...)
	dir := t.TempDir()
	st.WriteLayout(t, dir, "demo/app:1.0", st.Image(t, st.ImageSpec{Layers: [][]byte{alpine, app}}))
	return dir
}

// tableDBDate is the table's line about the database's update time.
var tableDBDate = regexp.MustCompile(`updated \d{4}-\d{2}-\d{2} \([^)]*\)`)

// normalizeDB replaces the database's update time, which is when the
// test built it, with a placeholder.
func normalizeDB(t *testing.T, db string, out []byte) []byte {
	t.Helper()
	d, err := vulndb.OpenFile(db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	st := d.Status()
	upd := scanEpoch.Add(-st.Age(scanEpoch)).UTC()
	s := strings.ReplaceAll(string(out), upd.Format(time.RFC3339Nano), "DB-UPDATED-AT")
	s = strings.ReplaceAll(s, upd.Format(time.RFC3339), "DB-UPDATED-AT")
	return []byte(tableDBDate.ReplaceAllString(s, "updated DB-UPDATED-AT"))
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "scan", "golden", name)
	if updateGolden() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
	}
}

// TestScanCommand runs drydock scan as a user would: every output format
// (golden files), the ignore file and VEX document in testdata/scan, the
// --fail-on gate and the exit codes.
func TestScanCommand(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", fmt.Sprint(scanEpoch.Unix()))
	t.Setenv("NO_COLOR", "1")
	db := goldenDB(t)
	layout := appLayout(t)
	ignore := filepath.Join("testdata", "scan", "ignore.yaml")
	vex := filepath.Join("testdata", "scan", "vex.json")
	laterVEX := filepath.Join("testdata", "scan", "vex-later.json")
	empty := t.TempDir()
	minimist := filepath.Join(t.TempDir(), "ignore.yaml")
	if err := os.WriteFile(minimist, []byte("ignore:\n  - id: CVE-2021-44906\n    package: pkg:npm/minimist\n    reason: only parses our own arguments\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"--data", empty, "scan", "--db", db, "--ignore-file", ignore, "--vex", vex}

	formats := map[string]string{"table": "app.table", "json": "app.json", "sarif": "app.sarif", "cyclonedx": "app.cdx.json", "spdx": "app.spdx.json"}
	for format, file := range formats {
		t.Run("format "+format, func(t *testing.T) {
			code, out, errs := run(t, append(base, "--format", format, "oci:"+layout)...)
			if code != ExitOK {
				t.Fatalf("exit %d, stderr %s", code, errs)
			}
			golden(t, file, normalizeDB(t, db, []byte(out)))
		})
	}

	t.Run("report content", func(t *testing.T) {
		code, out, errs := run(t, append(base, "--format", "json", "oci:"+layout+":1.0")...)
		if code != ExitOK {
			t.Fatalf("exit %d, stderr %s", code, errs)
		}
		var r finding.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		if r.Image.Repository != "demo/app" || r.Status != finding.StatusUnhealthy || r.Summary.Exempted != 4 {
			t.Errorf("image %+v status %s summary %+v", r.Image, r.Status, r.Summary)
		}
		var silenced []string
		for _, f := range r.Findings {
			if f.Exempted {
				silenced = append(silenced, f.Package.Name+" "+f.ID+" "+f.Exemption.Source)
			}
		}
		want := []string{"busybox-suid CVE-2017-16544 vex", "libcrypto1.0 CVE-2018-5407 ignore-file", "libssl1.0 CVE-2018-5407 ignore-file", "lodash GHSA-p6mc-m468-83gw vex"}
		if diff := cmp.Diff(want, silenced); diff != "" {
			t.Errorf("silenced (-want +got):\n%s", diff)
		}
		if !strings.Contains(errs, "expired on 2026-01-31") {
			t.Errorf("no warning about the expired rule: %s", errs)
		}
	})

	// A later VEX document overrides an earlier one, given before or after
	// it: its affected statement brings busybox-suid's finding back.
	for _, order := range [][]string{{vex, laterVEX}, {laterVEX, vex}} {
		t.Run("later VEX document decides", func(t *testing.T) {
			args := []string{"--data", empty, "scan", "--db", db, "--format", "json", "--vex", order[0], "--vex", order[1], "oci:" + layout}
			code, out, errs := run(t, args...)
			if code != ExitOK {
				t.Fatalf("exit %d, stderr %s", code, errs)
			}
			var r finding.Report
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatal(err)
			}
			var silenced []string
			for _, f := range r.Findings {
				if f.Exempted {
					silenced = append(silenced, f.Package.Name+" "+f.ID)
				}
			}
			if diff := cmp.Diff([]string{"lodash GHSA-p6mc-m468-83gw"}, silenced); diff != "" {
				t.Errorf("silenced with --vex %s --vex %s (-want +got):\n%s", order[0], order[1], diff)
			}
		})
	}

	runCases(t, nil, []cliCase{
		{name: "fail-on high", args: append(base, "--fail-on", "high", "oci:"+layout), code: ExitFindings, stderr: "3 finding(s) at or above High (--fail-on)"},
		{name: "fail-on critical, the critical finding ignored", args: []string{"--data", empty, "scan", "--db", db, "--fail-on", "critical", "--ignore-file", minimist, "oci:" + layout}, code: ExitOK},
		{name: "fail-on critical without the VEX", args: []string{"--data", empty, "scan", "--db", db, "--fail-on", "critical", "oci:" + layout}, code: ExitFindings, stderr: "1 finding(s) at or above Critical"},
		{name: "fail-on unknown counts every finding", args: []string{"--data", empty, "scan", "--db", db, "--fail-on", "unknown", "--format", "json", "oci:" + layout}, code: ExitFindings, stderr: "41 finding(s)"},
		{name: "no database: pending", args: []string{"--data", empty, "scan", "--format", "json", "oci:" + layout}, code: ExitOK, stdout: `"status": "pending"`, stderr: "no advisory database in"},
		{name: "no database and a gate", args: []string{"--data", empty, "scan", "--fail-on", "high", "oci:" + layout}, code: ExitFailure, stderr: "--fail-on cannot be checked"},
		{name: "bad format", args: []string{"--data", empty, "scan", "--format", "xml", "oci:" + layout}, code: ExitUsage, stderr: "unknown --format"},
		{name: "bad severity", args: []string{"--data", empty, "scan", "--fail-on", "severe", "oci:" + layout}, code: ExitUsage, stderr: "--fail-on"},
		{name: "bad Go scan level", args: []string{"--data", empty, "scan", "--go-scan", "reachable", "oci:" + layout}, code: ExitUsage, stderr: `--go-scan: go scan level "reachable": want symbol, package or module`},
		{name: "bad platform", args: []string{"--data", empty, "scan", "--platform", "linux", "oci:" + layout}, code: ExitUsage, stderr: "os/arch"},
		{name: "absent platform", args: []string{"--data", empty, "scan", "--platform", "linux/s390x", "oci:" + layout}, code: ExitUsage, stderr: "single-platform image for linux/amd64"},
		{name: "no image", args: []string{"--data", empty, "scan"}, code: ExitUsage, stderr: "accepts 1 arg"},
		{name: "missing layout", args: []string{"--data", empty, "scan", "oci:/nonexistent"}, code: ExitFailure, stderr: "not found"},
		{name: "bad ignore file", args: []string{"--data", empty, "scan", "--ignore-file", vex, "oci:" + layout}, code: ExitUsage, stderr: "--ignore-file"},
		{name: "bad vex", args: []string{"--data", empty, "scan", "--vex", ignore, "oci:" + layout}, code: ExitUsage, stderr: "--vex"},
	})
}

// TestScanCommandFailed checks that a scan that fails writes its report
// and exits 1, and that formats holding one image refuse several.
func TestScanCommandFailed(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", fmt.Sprint(scanEpoch.Unix()))
	good := lt.Tar(t, lt.File("etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n"))
	bad := st.Image(t, st.ImageSpec{Layers: [][]byte{good}, DiffIDs: []string{lt.DiffID([]byte("x")).String()}})
	dir := t.TempDir()
	st.WriteLayout(t, dir, "", bad)
	code, out, errs := run(t, "--data", t.TempDir(), "scan", "--format", "json", "oci:"+dir)
	if code != ExitFailure || !strings.Contains(out, `"status": "failed"`) || !strings.Contains(errs, "diff_id mismatch") {
		t.Errorf("exit %d, stdout %.200q, stderr %q", code, out, errs)
	}

	multi := t.TempDir()
	st.WriteLayout(t, multi, "", st.Index(t,
		st.Image(t, st.ImageSpec{Platform: "linux/amd64", Layers: [][]byte{good}}),
		st.Image(t, st.ImageSpec{Platform: "linux/arm64", Layers: [][]byte{good}})))
	code, _, errs = run(t, "--data", t.TempDir(), "scan", "--format", "sarif", "oci:"+multi)
	if code != ExitUsage || !strings.Contains(errs, "choose one with --platform") {
		t.Errorf("sarif of two platforms: exit %d, stderr %q", code, errs)
	}
	code, out, errs = run(t, "--data", t.TempDir(), "scan", "--format", "json", "oci:"+multi)
	dec := json.NewDecoder(bytes.NewReader([]byte(out)))
	var plats []string
	for dec.More() {
		var r finding.Report
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		plats = append(plats, r.Image.Platform)
	}
	if code != ExitOK || !cmp.Equal(plats, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("json of two platforms: exit %d, platforms %v, stderr %q", code, plats, errs)
	}
	code, _, errs = run(t, "--data", t.TempDir(), "scan", "--format", "sarif", "--platform", "linux/arm64", "oci:"+multi)
	if code != ExitOK {
		t.Errorf("sarif of one platform: exit %d, stderr %q", code, errs)
	}
}

// TestScanCommandUnchecked: an image whose OS release the database has no
// data for is healthy, with its packages listed as not checked; with
// --fail-on-unchecked that is a failure (exit 1), whatever --fail-on says.
func TestScanCommandUnchecked(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", fmt.Sprint(scanEpoch.Unix()))
	db := goldenDB(t) // Alpine v3.4 and GHSA
	apk := "P:musl\nV:1.2.5-r0\nA:x86_64\no:musl\n\nP:zlib\nV:1.3.1-r1\nA:x86_64\no:zlib\n\n"
	dir := t.TempDir()
	st.WriteLayout(t, dir, "", st.Image(t, st.ImageSpec{Layers: [][]byte{lt.Tar(t,
		lt.File("etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n"),
		lt.File("lib/apk/db/installed", apk),
	)}}))
	checked := appLayout(t) // Alpine 3.4.6: every package checked
	empty := t.TempDir()
	runCases(t, []string{"--data", empty, "scan", "--db", db}, []cliCase{
		{name: "healthy, and says so", args: []string{"--format", "json", "oci:" + dir}, code: ExitOK, stdout: `"reason": "the advisory database has no advisories for Alpine:v3.20"`},
		{name: "fail-on does not see it", args: []string{"--fail-on", "low", "oci:" + dir}, code: ExitOK, stdout: "2 of 2 packages not checked"},
		{name: "fail-on-unchecked", args: []string{"--fail-on-unchecked", "--format", "json", "oci:" + dir}, code: ExitFailure, stdout: `"status": "healthy"`,
			stderr: "linux/amd64: 2 of 2 packages not checked; the report says why (--fail-on-unchecked)\n"},
		{name: "fail-on-unchecked before fail-on", args: []string{"--fail-on-unchecked", "--fail-on", "low", "oci:" + dir}, code: ExitFailure, stderr: "(--fail-on-unchecked)"},
		{name: "every package checked", args: []string{"--fail-on-unchecked", "oci:" + checked}, code: ExitOK},
	})
	code, _, errs := run(t, "--data", empty, "scan", "--fail-on-unchecked", "oci:"+dir)
	if code != ExitFailure || !strings.Contains(errs, "so --fail-on-unchecked cannot be checked") {
		t.Errorf("no database: exit %d, stderr %q", code, errs)
	}
}

// TestScanCommandTimeout: an image still reading layers at --timeout
// fails with a report that says so (exit 1), not in an error without one.
// (scan's TestTimeoutEachImage: each image of a multi-platform one gets
// its own.)
func TestScanCommandTimeout(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", fmt.Sprint(scanEpoch.Unix()))
	dir := t.TempDir()
	st.WriteLayout(t, dir, "", st.Image(t, st.ImageSpec{Layers: [][]byte{
		lt.Tar(t, lt.File("etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n")),
	}}))
	// With and without the layer cache (which reads layers its own way).
	for _, cache := range []string{"--no-cache", "--cache-max-bytes=1000000"} {
		code, out, errs := run(t, "--data", t.TempDir(), "scan", cache, "--timeout", "1ns", "--format", "json", "oci:"+dir)
		var r finding.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%s: exit %d, stdout %.200q, stderr %q: %v", cache, code, out, errs, err)
		}
		if code != ExitFailure || r.Status != finding.StatusFailed || !strings.Contains(r.Reason, "still reading layers after 1ns") {
			t.Errorf("%s: exit %d, status %s, reason %q", cache, code, r.Status, r.Reason)
		}
	}
}

// TestScanBrokenDockerConfig: a Docker config file that cannot be parsed
// does not stop drydock scan of a registry that allows anonymous pulls:
// one warning on stderr naming the file and the parse error (docker warns
// the same way), and the scan goes on.
func TestScanBrokenDockerConfig(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", fmt.Sprint(scanEpoch.Unix()))
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	layer := lt.Tar(t, lt.File("etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n"))
	st.Push(t, reg, "team/app", "v1", st.Index(t,
		st.Image(t, st.ImageSpec{Platform: "linux/amd64", Layers: [][]byte{layer}}),
		st.Image(t, st.ImageSpec{Platform: "linux/arm64", Layers: [][]byte{layer}})))
	srv := httptest.NewServer(reg)
	defer srv.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "config.json")
	if err := os.WriteFile(file, []byte(`{"auths": {"registry.example.com": {"auth": "`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
	code, out, errs := run(t, "--data", t.TempDir(), "scan", "--format", "json", srv.Listener.Addr().String()+"/team/app:v1")
	if code != ExitOK || strings.Count(out, `"schema"`) != 2 {
		t.Fatalf("exit %d, stdout %.200q, stderr %q", code, out, errs)
	}
	want := "drydock: warning: the Docker config file " + file + " cannot be parsed (unexpected EOF); ignoring it, pulling without credentials\n"
	if strings.Count(errs, "Docker config") != 1 || !strings.Contains(errs, want) {
		t.Errorf("stderr %q: want once %q", errs, want)
	}
}

// TestScanOutputFile: --output writes what standard output would get to a
// file, replaced only by a complete report (the exit code still gates);
// size flags take units.
func TestScanOutputFile(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", fmt.Sprint(scanEpoch.Unix()))
	t.Setenv("NO_COLOR", "1")
	db := goldenDB(t)
	layout := appLayout(t)
	base := []string{"--data", t.TempDir(), "scan", "--db", db, "--no-cache"}
	code, want, errs := run(t, append(base, "--format", "sarif", "--fail-on", "critical", "oci:"+layout)...)
	if code != ExitFindings {
		t.Fatalf("to stdout: exit %d, stderr %s", code, errs)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "drydock.sarif")
	if err := os.WriteFile(file, []byte("an earlier report"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, append(base, "--format", "sarif", "--fail-on", "critical", "-o", file, "oci:"+layout)...)
	if code != ExitFindings || out != "" {
		t.Fatalf("--output: exit %d, stdout %q, stderr %s", code, out, errs)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("--output file differs from standard output:\n%s", cmp.Diff(want, string(got)))
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("report file mode: %v, %v", fi.Mode(), err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files beside the report, want none", len(ents)-1)
	}

	// A scan that stops before its report leaves the earlier one.
	code, _, _ = run(t, append(base, "--format", "sarif", "-o", file, "oci:"+filepath.Join(dir, "missing"))...)
	if got2, _ := os.ReadFile(file); code != ExitFailure || string(got2) != want {
		t.Errorf("failed scan: exit %d, report file changed", code)
	}
	if code, _, errs := run(t, append(base, "-o", filepath.Join(dir, "no", "such", "dir", "r.json"), "oci:"+layout)...); code != ExitFailure || !strings.Contains(errs, "--output") {
		t.Errorf("unwritable --output: exit %d, stderr %q", code, errs)
	}

	// Sizes: with units or in bytes, the same limit (the apk database is
	// larger: the scan fails on it).
	for _, size := range []string{"1KiB", "1024"} {
		code, _, errs := run(t, append(base, "--format", "json", "--max-file-bytes", size, "oci:"+layout)...)
		if code != ExitFailure || !strings.Contains(errs, "file larger than 1024 bytes") {
			t.Errorf("--max-file-bytes %s: exit %d, stderr %q", size, code, errs)
		}
	}
	if code, _, errs := run(t, append(base, "--max-layer-bytes", "lots", "oci:"+layout)...); code != ExitUsage || !strings.Contains(errs, "not a size") {
		t.Errorf("--max-layer-bytes lots: exit %d, stderr %q", code, errs)
	}
}
