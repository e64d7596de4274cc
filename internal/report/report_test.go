package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/finding"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fixtures are the canonical reports under testdata (see its README).
var fixtures = []string{"alpine-3.4.6", "alpine-3.10.9", "alpine-3.20.3", "failed"}

// tableNow is the table's clock in golden tests.
var tableNow = time.Date(2026, 8, 23, 12, 0, 0, 0, time.UTC)

func load(t *testing.T, name string) *finding.Report {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return r
}

// render replays r into a fresh handler of format and returns its output.
func render(t *testing.T, r *finding.Report, format string, o Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if o.Now == nil {
		o.Now = func() time.Time { return tableNow }
	}
	h, err := NewWithOptions(format, &b, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := Replay(t.Context(), r, h); err != nil {
		t.Fatalf("replay %s: %v", format, err)
	}
	return b.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
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
		t.Errorf("%s differs from golden file (-want +got):\n%s", name, diff)
	}
}

func TestGolden(t *testing.T) {
	type variant struct {
		format, suffix string
		o              Options
	}
	variants := []variant{
		{"table", "table", Options{Color: ColorNever}},
		{"table", "color.table", Options{Color: ColorAlways}},
		{"json", "json", Options{}},
		{"sarif", "sarif", Options{ToolVersion: "0.1.0"}},
		{"cyclonedx", "cdx.json", Options{ToolVersion: "0.1.0"}},
		{"spdx", "spdx.json", Options{ToolVersion: "0.1.0"}},
	}
	for _, fx := range fixtures {
		r := load(t, fx)
		for _, v := range variants {
			t.Run(fx+"/"+v.suffix, func(t *testing.T) {
				golden(t, fx+"."+v.suffix, render(t, r, v.format, v.o))
			})
		}
	}
}

// TestJSONCanonical checks that the fixtures are in canonical form and that
// replaying stored JSON into the json handler reproduces it byte for byte.
func TestJSONCanonical(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", fx+".json"))
			if err != nil {
				t.Fatal(err)
			}
			got := render(t, load(t, fx), "json", Options{})
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("json of replayed %s (-stored +got):\n%s", fx, diff)
			}
			back, err := Decode(bytes.NewReader(got))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(load(t, fx), back); diff != "" {
				t.Errorf("decode(json) (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, in string
		want     error
	}{
		{name: "other schema", in: `{"schema":"drydock.report/v2"}`, want: ErrUnsupportedSchema},
		{name: "no schema", in: `{"status":"healthy"}`, want: ErrUnsupportedSchema},
		{name: "not json", in: `status: healthy`},
		{name: "bad severity", in: `{"schema":"drydock.report/v1","findings":[{"severity":"Severe"}]}`, want: finding.ErrInvalidSeverity},
		{name: "trailing data", in: `{"schema":"drydock.report/v1"} {}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tt.in))
			if err == nil {
				t.Fatal("Decode: want an error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Decode error = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := Decode(strings.NewReader(`{"schema":"drydock.report/v1","futureField":{"x":1}}`)); err != nil {
		t.Errorf("Decode with an added field: %v", err)
	}
}

func TestNew(t *testing.T) {
	for _, f := range Formats() {
		h, err := New(f, &bytes.Buffer{})
		if err != nil || h == nil {
			t.Errorf("New(%q) = %v, %v", f, h, err)
		}
	}
	_, err := New("xml", &bytes.Buffer{})
	if !errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("New(xml) error = %v, want ErrUnknownFormat", err)
	}
	if want := `report: unknown report format "xml" (valid formats: table, json, sarif, cyclonedx, spdx)`; err.Error() != want {
		t.Errorf("New(xml) error = %q, want %q", err, want)
	}
	if _, err := New("json", nil); err == nil {
		t.Error("New with a nil writer: want an error")
	}
}

func TestHandlerContract(t *testing.T) {
	r := load(t, "alpine-3.4.6")
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			ctx := t.Context()
			h, err := New(format, &bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			if err := h.Package(ctx, &r.Packages[0]); err != nil {
				t.Fatal(err)
			}
			if err := h.Flush(); !errors.Is(err, ErrIncomplete) {
				t.Errorf("Flush before Report: %v, want ErrIncomplete", err)
			}
			if err := h.Report(ctx, r); err != nil {
				t.Fatal(err)
			}
			if err := h.Flush(); err != nil {
				t.Fatal(err)
			}
			if err := h.Finding(ctx, &r.Findings[0]); !errors.Is(err, ErrFlushed) {
				t.Errorf("Finding after Flush: %v, want ErrFlushed", err)
			}
			if err := h.Flush(); !errors.Is(err, ErrFlushed) {
				t.Errorf("second Flush: %v, want ErrFlushed", err)
			}

			h, _ = New(format, &bytes.Buffer{})
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			if err := Replay(cctx, r, h); !errors.Is(err, context.Canceled) {
				t.Errorf("Replay with a canceled context: %v, want context.Canceled", err)
			}
		})
	}
}

// TestHandlerCopies checks that a handler keeps its own copy: callers reuse
// their values after each call.
func TestHandlerCopies(t *testing.T) {
	r := load(t, "alpine-3.4.6")
	want := render(t, r, "json", Options{})

	var b bytes.Buffer
	h := NewJSON(&b)
	ctx := t.Context()
	var p finding.Package
	for i := range r.Packages {
		p = r.Packages[i]
		if err := h.Package(ctx, &p); err != nil {
			t.Fatal(err)
		}
	}
	p.Name = "clobbered"
	var f finding.Finding
	for i := range r.Findings {
		f = r.Findings[i]
		f.Aliases = append(make([]string, 0, 4), r.Findings[i].Aliases...)
		if err := h.Finding(ctx, &f); err != nil {
			t.Fatal(err)
		}
		f.Aliases = append(f.Aliases[:0], "clobbered")
	}
	f.ID = "clobbered"
	head := *r
	if err := h.Report(ctx, &head); err != nil {
		t.Fatal(err)
	}
	head.Status = "clobbered"
	head.RemediationPlan.BaseImageHint = "clobbered"
	if err := h.Flush(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("output changed by caller's later writes (-want +got):\n%s", diff)
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestTableColor(t *testing.T) {
	r := load(t, "alpine-3.4.6")
	plain := render(t, r, "table", Options{Color: ColorNever})
	color := render(t, r, "table", Options{Color: ColorAlways})
	auto := render(t, r, "table", Options{}) // a bytes.Buffer is no terminal
	if bytes.Contains(plain, []byte("\x1b")) || bytes.Contains(auto, []byte("\x1b")) {
		t.Error("uncolored table contains escape sequences")
	}
	if !bytes.Contains(color, []byte("\x1b[1;31mCritical\x1b[0m")) {
		t.Error("colored table does not color Critical")
	}
	// Colors must not change the layout.
	if diff := cmp.Diff(string(plain), ansi.ReplaceAllString(string(color), "")); diff != "" {
		t.Errorf("colored table without its colors differs from the plain one (-plain +stripped):\n%s", diff)
	}
	// A file that is not a terminal gets no color either.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	if isTerminal(pw) {
		t.Error("isTerminal(pipe) = true")
	}
}

// TestArch: the findings of two packages that differ by architecture
// alone (libc6 for amd64 and i386 of a multi-arch Debian image) are two
// table groups whose titles name the architecture (other titles do not),
// and two SARIF results with two fingerprints (the others unchanged).
func TestArch(t *testing.T) {
	r := load(t, "alpine-3.4.6")
	i := slices.IndexFunc(r.Findings, func(f finding.Finding) bool { return f.Package.Name == "musl" })
	if i < 0 {
		t.Fatal("no musl finding")
	}
	r.Findings[i].Package.Arch = "x86_64"
	other := r.Findings[i]
	other.Package.Arch = "x86"
	r.Findings = append(r.Findings, other)
	out := string(render(t, r, "table", Options{Color: ColorNever}))
	containsAll(t, out,
		"musl 1.1.14-r14  apk, arch x86, lib/apk/db/installed  (1 finding)",
		"musl 1.1.14-r14  apk, arch x86_64, lib/apk/db/installed  (1 finding)",
		"zlib 1.2.8-r2  apk, lib/apk/db/installed  (4 findings)",
	)
	fingerprints := func(r *finding.Report) map[string]bool {
		t.Helper()
		var doc struct {
			Runs []struct {
				Results []struct{ PartialFingerprints map[string]string }
			}
		}
		if err := json.Unmarshal(render(t, r, "sarif", Options{}), &doc); err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, res := range doc.Runs[0].Results {
			out[res.PartialFingerprints["drydockFinding/v1"]] = true
		}
		return out
	}
	before, after := fingerprints(load(t, "alpine-3.4.6")), fingerprints(r)
	if len(after) != len(r.Findings) {
		t.Errorf("%d distinct fingerprints for %d findings", len(after), len(r.Findings))
	}
	kept := 0
	for fp := range after {
		if before[fp] {
			kept++
		}
	}
	if kept != len(before)-1 {
		t.Errorf("%d of %d fingerprints kept, want all but musl's", kept, len(before))
	}
}

// TestTableCopies: the same package with the same findings in several
// places (a Go stdlib in five binaries) is one table group listing the
// places; a copy whose findings read differently keeps a group of its own.
func TestTableCopies(t *testing.T) {
	r := load(t, "alpine-3.4.6")
	var copies []finding.Finding
	for _, f := range r.Findings {
		if f.Package.Name == "zlib" || f.Package.Name == "busybox" {
			for _, dir := range []string{"opt/a", "opt/b"} {
				c := f
				c.Package.Path = dir + "/lib/apk/db/installed"
				if dir == "opt/b" && f.Package.Name == "busybox" && f.FixedVersion != "" {
					c.FixedVersion += "-other" // reads differently
				}
				copies = append(copies, c)
			}
		}
	}
	if len(copies) < 4 {
		t.Fatal("no zlib or busybox findings")
	}
	r.Findings = append(r.Findings, copies...)
	out := string(render(t, r, "table", Options{Color: ColorNever}))
	containsAll(t, out,
		"zlib 1.2.8-r2  apk, 3 places  (4 findings each)\n  in lib/apk/db/installed, opt/a/lib/apk/db/installed, opt/b/lib/apk/db/installed\n",
		"busybox 1.24.2-r12  apk, 2 places  (",
		"  in lib/apk/db/installed, opt/a/lib/apk/db/installed\n",
		"busybox 1.24.2-r12  apk, opt/b/lib/apk/db/installed  (",
	)
	if n := strings.Count(out, "\nzlib "); n != 1 {
		t.Errorf("%d zlib groups, want 1", n)
	}

	var many []finding.Finding
	for i := range 10 {
		for _, f := range r.Findings {
			if f.Package.Name == "zlib" && f.Package.Path == "lib/apk/db/installed" {
				f.Package.Path = fmt.Sprintf("srv/%d/installed", i)
				many = append(many, f)
			}
		}
	}
	r.Findings = append(r.Findings, many...)
	out = string(render(t, r, "table", Options{Color: ColorNever}))
	if want := "zlib 1.2.8-r2  apk, 13 places  (4 findings each)\n  in lib/apk/db/installed, opt/a/lib/apk/db/installed, opt/b/lib/apk/db/installed, srv/0/installed, srv/1/installed, srv/2/installed, srv/3/installed, srv/4/installed and 5 more\n"; !strings.Contains(out, want) {
		t.Errorf("table lacks %q", want)
	}
}

// TestTableNotLinked: findings exempted because their binary links no code
// of the vulnerable packages are summed up in one line under their group's
// rows, not a row each; the title counts them.
func TestTableNotLinked(t *testing.T) {
	r := load(t, "alpine-3.4.6")
	std := finding.Package{Name: "stdlib", Version: "1.20.14", Type: "go-module", Path: "usr/local/bin/app"}
	for i, id := range []string{"GO-2024-2598", "GO-2024-2609", "GO-2024-2888"} {
		f := finding.Finding{ID: id, Package: std, FixStatus: finding.FixAvailable, FixedVersion: "1.21.8", Title: "title " + id}
		if i > 0 {
			f.Exempted = true
			f.Exemption = &finding.Exemption{Source: finding.ExemptionNotLinked, Reason: "usr/local/bin/app links no code of package net/mail"}
		}
		r.Findings = append(r.Findings, f)
	}
	out := string(render(t, r, "table", Options{Color: ColorNever}))
	want := "stdlib 1.20.14  go-module, usr/local/bin/app  (3 findings, 2 not linked)\n" +
		"  SEVERITY  ID              FIXED IN    TITLE\n" +
		"  Unknown   GO-2024-2598    1.21.8      title GO-2024-2598\n" +
		"  Not linked, exempted: GO-2024-2609, GO-2024-2888 (the binary has no code of them)\n"
	if !strings.Contains(out, want) {
		t.Errorf("table lacks\n%s\nin\n%s", want, out)
	}
	if strings.Contains(out, "title GO-2024-2609") || strings.Contains(out, "links no code") {
		t.Error("a not-linked finding has a row")
	}

	// A copy in another binary with the same findings is the same group,
	// though its reasons name the other binary; one with other findings
	// not linked is not.
	app := slices.Clone(r.Findings[len(r.Findings)-3:])
	for _, path := range []string{"usr/local/bin/copy", "usr/local/bin/other"} {
		for _, f := range app {
			f.Package.Path = path
			if f.Exempted {
				f.Exemption = &finding.Exemption{Source: finding.ExemptionNotLinked, Reason: path + " links no code of package net/mail"}
				if path == "usr/local/bin/other" && f.ID == "GO-2024-2888" {
					f.Exempted, f.Exemption = false, nil
				}
			}
			r.Findings = append(r.Findings, f)
		}
	}
	out = string(render(t, r, "table", Options{Color: ColorNever}))
	containsAll(t, out,
		"stdlib 1.20.14  go-module, 2 places  (3 findings each, 2 not linked)\n  in usr/local/bin/app, usr/local/bin/copy\n",
		"stdlib 1.20.14  go-module, usr/local/bin/other  (3 findings, 1 not linked)",
	)
}

func TestTableContent(t *testing.T) {
	out := string(render(t, load(t, "alpine-3.4.6"), "table", Options{Color: ColorNever}))
	containsAll(t, out,
		"demo/alpine@sha256:",
		"alpine 3.4.6 (end-of-life)",
		"Status: unhealthy",
		"zlib 1.2.8-r2  apk, lib/apk/db/installed  (4 findings)",
		"libcrypto1.0 1.0.2j-r0  apk, source openssl, lib/apk/db/installed  (13 findings, 1 exempted)",
		"[exempted] Microarchitecture timing vulnerability",
		"[VEX not_affected] ash tab completion",
		"1. Upgrade openssl from 1.0.2j-r0 to 1.0.2q-r0",
		"33 findings in 16 packages: 2 critical, 9 high, 22 medium, 0 low, 0 unknown (3 exempted).",
		"Advisory database 2020-06-08.1, updated 2020-06-08 (6 years old).",
	)
	// Worst package first.
	if z, b := strings.Index(out, "\nzlib "), strings.Index(out, "\nbusybox "); z < 0 || b < 0 || z > b {
		t.Errorf("zlib (critical) should come before busybox (high)")
	}
}

func TestTableSanitizes(t *testing.T) {
	r := &finding.Report{
		Schema: finding.SchemaV1, Status: finding.StatusUnhealthy,
		Image: finding.Image{Repository: "evil\x1b[2J/repo"},
		Findings: []finding.Finding{{
			ID: "CVE-1\x1b]0;pwned\x07", Severity: finding.High,
			Package: finding.Package{Name: "pkg\r", Version: "1"},
			Title:   "title with\nnewline and \x9b31m C1 CSI",
		}},
		Summary: finding.Summary{High: 1},
	}
	out := render(t, r, "table", Options{Color: ColorNever})
	if bytes.ContainsAny(out, "\x1b\x07\r\u009b") {
		t.Errorf("table output contains control characters:\n%q", out)
	}
	if !bytes.Contains(out, []byte("title with newline")) {
		t.Errorf("newline in title not folded to a space:\n%s", out)
	}
}

func TestTableStatuses(t *testing.T) {
	tests := []struct {
		name string
		r    finding.Report
		want []string
	}{
		{name: "pending", r: finding.Report{Status: finding.StatusPending, Image: finding.Image{Repository: "a/b"}},
			want: []string{"Status: pending", "No advisory database is loaded yet; findings are pending."}},
		{name: "not applicable", r: finding.Report{Status: finding.StatusNotApplicable, Reason: "windows/amd64 images are not scanned",
			DB: finding.DB{Version: "3", UpdatedAt: tableNow.Add(-5 * time.Hour)}},
			want: []string{"Status: notApplicable (windows/amd64 images are not scanned)", "Advisory database 3, updated 2026-08-23 (5 hours old)."}},
		{name: "unfixable only", r: finding.Report{Status: finding.StatusUnhealthy,
			Findings:        []finding.Finding{{ID: "CVE-2", FixStatus: finding.NoFixAvailable, Package: finding.Package{Name: "x", Version: "1"}}},
			Summary:         finding.Summary{Unknown: 1},
			RemediationPlan: &finding.RemediationPlan{Upgrades: []finding.Upgrade{}, Unfixable: 1}},
			want: []string{"(no fix)", "Remediation plan: no upgrade fixes the 1 finding found yet", "1 finding in 0 packages"}},
		{name: "unchecked", r: finding.Report{Status: finding.StatusHealthy, Packages: make([]finding.Package, 96),
			Unchecked: []finding.Unchecked{
				{Ecosystem: "Debian:13", Type: "deb", Packages: 88, Reason: "the advisory database has no advisories for Debian:13"},
				{Ecosystem: "Debian:13", Type: "maven", Packages: 5, Reason: "the advisory database has no advisories for Debian:13"},
				{Ecosystem: "crates.io", Type: "cargo", Packages: 3, Reason: "the advisory database has no advisories for crates.io"},
			}},
			want: []string{"Status: healthy (96 of 96 packages not checked)", "No findings, but none of the 96 packages could be checked.",
				"93 packages not checked (88 deb, 5 maven): the advisory database has no advisories for Debian:13.",
				"3 packages not checked (cargo): the advisory database has no advisories for crates.io."}},
		{name: "some unchecked", r: finding.Report{Status: finding.StatusHealthy, Packages: make([]finding.Package, 96),
			Unchecked: []finding.Unchecked{{Ecosystem: "crates.io", Type: "cargo", Packages: 3, Reason: "the advisory database has no advisories for crates.io"}}},
			want: []string{"Status: healthy (3 of 96 packages not checked)", "No findings in the 93 checked of 96 packages.",
				"3 packages not checked (cargo): the advisory database has no advisories for crates.io."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := string(render(t, &tt.r, "table", Options{Color: ColorNever}))
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("table lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestAge(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-time.Minute, "in the future"},
		{10 * time.Minute, "less than an hour old"},
		{time.Hour, "1 hour old"},
		{47 * time.Hour, "47 hours old"},
		{50 * time.Hour, "2 days old"},
		{90 * 24 * time.Hour, "3 months old"},
		{3 * 365 * 24 * time.Hour, "3 years old"},
	}
	for _, tt := range tests {
		if got := age(tt.d); got != tt.want {
			t.Errorf("age(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

type failingHandler struct {
	Handler
	failOn string
}

func (h failingHandler) Finding(ctx context.Context, f *finding.Finding) error {
	if f.ID == h.failOn {
		return errors.New("boom")
	}
	return h.Handler.Finding(ctx, f)
}

func TestReplayStopsOnError(t *testing.T) {
	r := load(t, "alpine-3.4.6")
	var b bytes.Buffer
	err := Replay(t.Context(), r, failingHandler{Handler: NewJSON(&b), failOn: r.Findings[3].ID})
	if err == nil || !strings.Contains(err.Error(), r.Findings[3].ID) {
		t.Errorf("Replay error = %v, want one naming %s", err, r.Findings[3].ID)
	}
	if b.Len() != 0 {
		t.Errorf("Replay wrote output despite the error")
	}
}

// containsAll checks that the table out has every one of wants.
func containsAll(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q", want)
		}
	}
}
