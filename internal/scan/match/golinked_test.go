package match

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// TestNotLinked: a Go advisory about packages a binary has no code of, or
// about functions of linked packages that the binary does not contain,
// is exempted, saying which; one about a function that is there, a whole
// linked package, or one that names no packages, stands; a GHSA record
// of the same vulnerability (no packages named) does not keep the finding
// active; a module whose linked packages are not known keeps every
// finding.
func TestNotLinked(t *testing.T) {
	db, pkgs := notLinkedFixture()
	fs, err := Match(t.Context(), db, pkgs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Path, ID, Exemption string }
	var got []row
	for _, f := range fs {
		r := row{Path: f.Package.Path, ID: f.ID}
		if f.Exempted {
			r.Exemption = f.Exemption.Source + ": " + f.Exemption.Reason
		}
		got = append(got, r)
	}
	want := []row{
		{"usr/bin/app", "GO-2024-0001", ""},
		{"usr/bin/app", "GO-2024-0002", ""}, // Server.Serve is there
		{"usr/bin/app", "GO-2024-0003", finding.ExemptionNotLinked + ": usr/bin/app links no code of package net/mail and has none of the vulnerable functions net/http.Client.Do, net/http.Get, net/http.Head, net/http.Post and 1 more"},
		{"usr/bin/app", "GO-2024-2599", ""}, // net/http is linked, and the advisory names no functions
		{"usr/bin/app", "GO-2024-2609", finding.ExemptionNotLinked + ": usr/bin/app links no code of package net/mail"},
		{"usr/bin/app", "GO-2024-2888", finding.ExemptionNotLinked + ": usr/bin/app links no code of packages archive/tar and archive/zip"},
		{"usr/bin/old", "GO-2024-0001", ""},
		{"usr/bin/old", "GO-2024-0002", ""},
		{"usr/bin/old", "GO-2024-0003", ""},
		{"usr/bin/old", "GO-2024-2599", ""},
		{"usr/bin/old", "GO-2024-2609", ""},
		{"usr/bin/old", "GO-2024-2888", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, f := range fs {
		if f.Exempted == f.Active() {
			t.Errorf("%s: exempted %t, active %t", f.ID, f.Exempted, f.Active())
		}
	}
}

// TestGoScanLevels: at the package level only advisories about packages
// the binary has no code of are exempted (GO-2024-0003 names net/http's
// client functions, absent, but net/http is linked); at the module level
// none is. Every level reports the same findings.
func TestGoScanLevels(t *testing.T) {
	db, pkgs := notLinkedFixture()
	for _, tc := range []struct {
		level    GoScan
		exempted []string
	}{
		{"", []string{"GO-2024-0003", "GO-2024-2609", "GO-2024-2888"}},
		{GoScanSymbol, []string{"GO-2024-0003", "GO-2024-2609", "GO-2024-2888"}},
		{GoScanPackage, []string{"GO-2024-2609", "GO-2024-2888"}},
		{GoScanModule, nil},
	} {
		fs, err := Match(t.Context(), db, pkgs, Options{GoScan: tc.level})
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 12 {
			t.Errorf("level %q: %d findings, want 12", tc.level, len(fs))
		}
		var exempted []string
		for _, f := range fs {
			if f.Exempted {
				exempted = append(exempted, f.ID)
			}
		}
		if diff := cmp.Diff(tc.exempted, exempted); diff != "" {
			t.Errorf("level %q: exempted (-want +got):\n%s", tc.level, diff)
		}
	}
}

func TestParseGoScan(t *testing.T) {
	for in, want := range map[string]GoScan{"": GoScanSymbol, "symbol": GoScanSymbol, "package": GoScanPackage, "module": GoScanModule} {
		if got, err := ParseGoScan(in); err != nil || got != want {
			t.Errorf("ParseGoScan(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"Symbol", "all", "none", " module"} {
		if _, err := ParseGoScan(in); err == nil {
			t.Errorf("ParseGoScan(%q): no error", in)
		}
	}
}

// notLinkedFixture is a database of Go advisories about the standard
// library's packages and functions, and two binaries of Go 1.20.14: one
// whose linked packages are known (crypto/tls, net/http with its server
// functions, runtime) and one whose are not.
func notLinkedFixture() (fakeDB, []pkg.Package) {
	type imp struct {
		Path    string   `json:"path"`
		Symbols []string `json:"symbols,omitempty"`
	}
	goAdv := func(id, module string, imports ...imp) *osv.Entry {
		a := affected("Go", module, rng(osv.RangeSemver, intro("0"), fixed("1.21.8")))
		if imports != nil {
			a.EcosystemSpecific, _ = json.Marshal(map[string][]imp{"imports": imports})
		}
		return &osv.Entry{ID: id, Affected: []osv.Affected{a}}
	}
	mail := goAdv("GO-2024-2609", "stdlib", imp{Path: "net/mail"})
	mailGHSA := &osv.Entry{ID: "GHSA-mail", Aliases: []string{"GO-2024-2609"},
		Affected: []osv.Affected{affected("Go", "stdlib", rng(osv.RangeEcosystem, intro("0"), fixed("1.21.8")))}}
	http := goAdv("GO-2024-2599", "stdlib", imp{Path: "net/textproto"}, imp{Path: "net/http"})
	tarzip := goAdv("GO-2024-2888", "stdlib", imp{Path: "archive/zip"}, imp{Path: "archive/tar"})
	unnamed := goAdv("GO-2024-0001", "stdlib")
	serve := goAdv("GO-2024-0002", "stdlib", imp{Path: "net/http", Symbols: []string{"Server.Serve", "ListenAndServe"}})
	client := goAdv("GO-2024-0003", "stdlib", imp{Path: "net/http", Symbols: []string{"Client.Do", "Get", "Head", "Post", "PostForm"}}, imp{Path: "net/mail"})
	db := fakeDB{entries: []*osv.Entry{mail, mailGHSA, http, tarzip, unnamed, serve, client}}

	linked := []pkg.GoPackage{ // sorted, as extracted
		{Path: "crypto/tls", Functions: pkg.NewFunctionSet([]string{"Dial", "Conn.Read"})},
		{Path: "net/http", Functions: pkg.NewFunctionSet([]string{"Server.Serve", "ListenAndServe", "Server.ServeTLS"})},
		{Path: "runtime", Functions: pkg.NewFunctionSet([]string{"main"})},
	}
	pkgs := []pkg.Package{
		{Name: "stdlib", Version: "1.20.14", Type: pkg.TypeGoModule, Path: "usr/bin/app", GoPackages: linked},
		{Name: "stdlib", Version: "1.20.14", Type: pkg.TypeGoModule, Path: "usr/bin/old"}, // not known
	}
	return db, pkgs
}
