package match

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/version"
	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

func rng(typ string, events ...osv.Event) osv.Range { return osv.Range{Type: typ, Events: events} }
func intro(v string) osv.Event                      { return osv.Event{Introduced: v} }
func fixed(v string) osv.Event                      { return osv.Event{Fixed: v} }
func lastAff(v string) osv.Event                    { return osv.Event{LastAffected: v} }

func affected(eco, name string, ranges ...osv.Range) osv.Affected {
	return osv.Affected{Package: osv.Package{Ecosystem: eco, Name: name}, Ranges: ranges}
}

func TestEvaluate(t *testing.T) {
	const alpine = "Alpine:v3.4"
	withVersions := affected("PyPI", "requests", rng(osv.RangeEcosystem, intro("0"), fixed("2.31.0")))
	withVersions.Versions = []string{"2.28.1", "2.30.0"}
	listOnly := affected("PyPI", "requests")
	listOnly.Versions = []string{"2.28.1"}
	tests := []struct {
		name      string
		aff       []osv.Affected
		withdrawn bool
		eco, pkg  string
		v         string
		want      Verdict
		err       error
	}{
		{name: "fixed above", aff: []osv.Affected{affected(alpine, "zlib", rng(osv.RangeEcosystem, intro("0"), fixed("1.2.11-r0")))},
			eco: alpine, pkg: "zlib", v: "1.2.8-r2", want: Verdict{Affected: true, Fixed: "1.2.11-r0", Status: finding.FixAvailable}},
		{name: "at the fix", aff: []osv.Affected{affected(alpine, "zlib", rng(osv.RangeEcosystem, intro("0"), fixed("1.2.11-r0")))},
			eco: alpine, pkg: "zlib", v: "1.2.11-r0", want: Verdict{Index: -1}},
		{name: "lowest of several fixes", aff: []osv.Affected{
			affected(alpine, "openssl", rng(osv.RangeEcosystem, intro("0"), fixed("1.0.2o-r0"))),
			affected(alpine, "openssl", rng(osv.RangeEcosystem, intro("0"), fixed("1.0.2n-r0"))),
		}, eco: alpine, pkg: "openssl", v: "1.0.2j-r0", want: Verdict{Affected: true, Fixed: "1.0.2n-r0", Status: finding.FixAvailable}},
		{name: "fix of the containing interval", aff: []osv.Affected{affected("npm", "qs",
			rng(osv.RangeSemver, intro("0"), fixed("6.2.4"), intro("6.3.0"), fixed("6.3.3"), intro("6.7.0"), fixed("6.7.3")))},
			eco: "npm", pkg: "qs", v: "6.7.0", want: Verdict{Affected: true, Fixed: "6.7.3", Status: finding.FixAvailable}},
		{name: "between intervals", aff: []osv.Affected{affected("npm", "qs",
			rng(osv.RangeSemver, intro("0"), fixed("6.2.4"), intro("6.3.0"), fixed("6.3.3")))},
			eco: "npm", pkg: "qs", v: "6.2.5", want: Verdict{Index: -1}},
		{name: "last_affected: no fix published", aff: []osv.Affected{affected("Maven", "log4j:log4j", rng(osv.RangeEcosystem, intro("1.2"), lastAff("1.2.17")))},
			eco: "Maven", pkg: "log4j:log4j", v: "1.2.17", want: Verdict{Affected: true, Status: finding.NoFixAvailable}},
		{name: "introduced only", aff: []osv.Affected{affected("Debian:12", "glibc", rng(osv.RangeEcosystem, intro("0")))},
			eco: "Debian:12", pkg: "glibc", v: "2.36-9+deb12u4", want: Verdict{Affected: true, Status: finding.NoFixAvailable}},
		{name: "listed version, fix from the range", aff: []osv.Affected{withVersions},
			eco: "PyPI", pkg: "requests", v: "2.28.1", want: Verdict{Affected: true, Fixed: "2.31.0", Status: finding.FixAvailable}},
		{name: "listed only", aff: []osv.Affected{listOnly},
			eco: "PyPI", pkg: "requests", v: "2.28.1", want: Verdict{Affected: true, Status: finding.FixStatusUnknown}},
		{name: "name normalized as PyPI does", aff: []osv.Affected{affected("PyPI", "PyYAML", rng(osv.RangeEcosystem, intro("0"), fixed("5.4")))},
			eco: "PyPI", pkg: "pyyaml", v: "5.3.1", want: Verdict{Affected: true, Fixed: "5.4", Status: finding.FixAvailable}},
		{name: "go pseudo-version", aff: []osv.Affected{affected("Go", "golang.org/x/net", rng(osv.RangeSemver, intro("0"), fixed("0.7.0")))},
			eco: "Go", pkg: "golang.org/x/net", v: "0.0.0-20210226172049-e18ecbb05110", want: Verdict{Affected: true, Fixed: "0.7.0", Status: finding.FixAvailable}},
		{name: "git ranges never match", aff: []osv.Affected{{Package: osv.Package{Ecosystem: "npm", Name: "x"}, Ranges: []osv.Range{{Type: osv.RangeGit, Repo: "https://x", Events: []osv.Event{intro("0")}}}}},
			eco: "npm", pkg: "x", v: "1.0.0", want: Verdict{Index: -1}},
		{name: "no ranges, no versions: every version", aff: []osv.Affected{{Package: osv.Package{Ecosystem: "npm", Name: "x"}}},
			eco: "npm", pkg: "x", v: "1.0.0", want: Verdict{Affected: true, Status: finding.NoFixAvailable}},
		{name: "another package", aff: []osv.Affected{affected("npm", "y", rng(osv.RangeSemver, intro("0")))},
			eco: "npm", pkg: "x", v: "1.0.0", want: Verdict{Index: -1}},
		{name: "withdrawn", withdrawn: true, aff: []osv.Affected{affected("npm", "x", rng(osv.RangeSemver, intro("0")))},
			eco: "npm", pkg: "x", v: "1.0.0", want: Verdict{Index: -1}},
		{name: "unparseable installed version is an error", aff: []osv.Affected{affected("npm", "x", rng(osv.RangeSemver, intro("0"), fixed("2.0.0")))},
			eco: "npm", pkg: "x", v: "not-a-version", err: version.ErrInvalidVersion},
		{name: "unparseable event, another range affects", aff: []osv.Affected{
			affected(alpine, "py", rng(osv.RangeEcosystem, intro("0"), fixed("2.7.16-33"))),
			affected(alpine, "py", rng(osv.RangeEcosystem, intro("0"), fixed("2.7.18-r0"))),
		}, eco: alpine, pkg: "py", v: "2.7.15-r0", want: Verdict{Affected: true, Fixed: "2.7.18-r0", Status: finding.FixAvailable, Index: 1}},
		{name: "unparseable event alone is an error", aff: []osv.Affected{affected(alpine, "py", rng(osv.RangeEcosystem, intro("0"), fixed("2.7.16-33")))},
			eco: alpine, pkg: "py", v: "2.7.15-r0", err: version.ErrInvalidVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &osv.Entry{ID: "TEST-1", Affected: tt.aff}
			if tt.withdrawn {
				e.Withdrawn = time.Now()
			}
			got, err := Evaluate(e, tt.eco, tt.pkg, tt.v)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// fakeDB serves entries by (ecosystem, name), like vulndb.DB.Lookup.
type fakeDB struct{ entries []*osv.Entry }

func (f fakeDB) Lookup(eco, name string) ([]*osv.Entry, error) {
	var out []*osv.Entry
	for _, e := range f.entries {
		for _, a := range e.Affected {
			if vulndb.SamePackage(a.Package, eco, name) && !e.IsWithdrawn() {
				out = append(out, e)
				break
			}
		}
	}
	return out, nil
}

func (fakeDB) Rate(e *osv.Entry, a *osv.Affected) (vulndb.Rating, error) {
	return vulndb.Rate(e, a, nil), nil
}
func (fakeDB) Enrichment(string) (*vulndb.Enrichment, error) { return nil, nil }

func TestMatch(t *testing.T) {
	goAff := affected("Go", "golang.org/x/text", rng(osv.RangeSemver, intro("0"), fixed("0.3.7")))
	ghsaAff := affected("Go", "golang.org/x/text", rng(osv.RangeEcosystem, intro("0"), fixed("0.3.8")))
	ghsa := &osv.Entry{ID: "GHSA-ppp9-7jff-5vj2", Aliases: []string{"CVE-2021-38561"}, Summary: "GHSA title",
		DatabaseSpecific: json.RawMessage(`{"severity":"HIGH"}`), Affected: []osv.Affected{ghsaAff},
		References: []osv.Reference{{Type: "WEB", URL: "https://github.com/advisories/GHSA-ppp9-7jff-5vj2"}}}
	goRec := &osv.Entry{ID: "GO-2021-0113", Aliases: []string{"CVE-2021-38561", "GHSA-ppp9-7jff-5vj2"}, Affected: []osv.Affected{goAff},
		References: []osv.Reference{{Type: "FIX", URL: "https://go.dev/cl/340830"}}}
	withdrawn := &osv.Entry{ID: "GO-2020-0001", Withdrawn: time.Now(), Affected: []osv.Affected{goAff}}
	alp := &osv.Entry{ID: "ALPINE-CVE-2016-9840", Aliases: []string{"CVE-2016-9840"},
		Affected: []osv.Affected{affected("Alpine:v3.4", "zlib", rng(osv.RangeEcosystem, intro("0"), fixed("1.2.11-r0")))}}
	db := fakeDB{entries: []*osv.Entry{ghsa, goRec, withdrawn, alp}}
	a34 := &pkg.Distro{ID: "alpine", VersionID: "3.4.6"}
	pkgs := []pkg.Package{
		{Name: "zlib", Version: "1.2.8-r2", Type: pkg.TypeAPK, SourceName: "zlib", Distro: a34, Path: "lib/apk/db/installed"},
		{Name: "zlib-dev", Version: "1.2.8-r2", Type: pkg.TypeAPK, SourceName: "zlib", Distro: a34, Path: "lib/apk/db/installed"},
		{Name: "zlib", Version: "1.2.8-r2", Type: pkg.TypeAPK, Distro: &pkg.Distro{ID: "alpine", VersionID: "3.9.0"}}, // other release: no data
		{Name: "golang.org/x/text", Version: "0.3.5", Type: pkg.TypeGoModule, Path: "app/bin"},
		{Name: "golang.org/x/text", Version: "garbage!", Type: pkg.TypeGoModule, Path: "app/other"},
		{Name: "golang.org/x/text", Version: "0.3.8", Type: pkg.TypeGoModule, Path: "app/new"},
	}
	fs, err := Match(t.Context(), db, pkgs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Pkg, ID, Fixed, Status, Sev, Title string
		Aliases, Refs                      []string
	}
	var got []row
	for _, f := range fs {
		got = append(got, row{f.Package.Name + "@" + f.Package.Version, f.ID, f.FixedVersion, f.FixStatus.String(), f.Severity.String(), f.Title, f.Aliases, f.References})
	}
	want := []row{
		{"zlib@1.2.8-r2", "CVE-2016-9840", "1.2.11-r0", "FixAvailable", "Unknown", "", []string{"ALPINE-CVE-2016-9840"}, []string{}},
		{"zlib-dev@1.2.8-r2", "CVE-2016-9840", "1.2.11-r0", "FixAvailable", "Unknown", "", []string{"ALPINE-CVE-2016-9840"}, []string{}},
		// GO and GHSA records are one finding under the Go database's id,
		// with the Go record's fix and the GHSA's rating and title.
		{"golang.org/x/text@0.3.5", "GO-2021-0113", "0.3.7", "FixAvailable", "High", "GHSA title",
			[]string{"CVE-2021-38561", "GHSA-ppp9-7jff-5vj2"}, []string{"https://go.dev/cl/340830", "https://github.com/advisories/GHSA-ppp9-7jff-5vj2"}},
		// An unparseable version is reported as unknown, never dropped.
		{"golang.org/x/text@garbage!", "GO-2021-0113", "", "Unknown", "High", "GHSA title",
			[]string{"CVE-2021-38561", "GHSA-ppp9-7jff-5vj2"}, []string{"https://go.dev/cl/340830", "https://github.com/advisories/GHSA-ppp9-7jff-5vj2"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestWontFix(t *testing.T) {
	aff := affected("Debian:12", "tar", rng(osv.RangeEcosystem, intro("0")))
	aff.EcosystemSpecific = json.RawMessage(`{"status":"open","urgency":"unimportant"}`)
	e := &osv.Entry{ID: "DEBIAN-CVE-2005-2541", Aliases: []string{"CVE-2005-2541"}, Affected: []osv.Affected{aff}}
	p := &pkg.Package{Name: "tar", Version: "1.34+dfsg-1.2+deb12u1", Type: pkg.TypeDeb, Distro: &pkg.Distro{ID: "debian", VersionID: "12"}}
	v, err := Distro{}.Affected(t.Context(), p, e)
	if err != nil || !v.Affected || v.Status != finding.WontFix {
		t.Errorf("verdict %+v, %v; want affected, WontFix", v, err)
	}
}

func TestReleaseOf(t *testing.T) {
	now := time.Date(2026, 8, 23, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		d    *pkg.Distro
		ecos []string
		typ  pkg.Type
		eol  bool
	}{
		{&pkg.Distro{ID: "alpine", VersionID: "3.4.6"}, []string{"Alpine:v3.4"}, pkg.TypeAPK, true},
		{&pkg.Distro{ID: "alpine", VersionID: "3.22.1"}, []string{"Alpine:v3.22"}, pkg.TypeAPK, false},
		{&pkg.Distro{ID: "alpine", VersionID: "3.21.0_alpha20240807"}, []string{"Alpine:v3.21"}, pkg.TypeAPK, false},
		{&pkg.Distro{ID: "debian", VersionID: "12"}, []string{"Debian:12"}, pkg.TypeDeb, false},
		{&pkg.Distro{ID: "debian", VersionID: "10"}, []string{"Debian:10"}, pkg.TypeDeb, true},
		{&pkg.Distro{ID: "debian", Codename: "trixie"}, []string{"Debian:13"}, pkg.TypeDeb, false},
		{&pkg.Distro{ID: "ubuntu", VersionID: "22.04"}, []string{"Ubuntu:22.04:LTS", "Ubuntu:22.04"}, pkg.TypeDeb, false},
		{&pkg.Distro{ID: "almalinux", VersionID: "9.3"}, []string{"AlmaLinux:9"}, pkg.TypeRPM, false},
		{&pkg.Distro{ID: "rocky", VersionID: "8.9"}, []string{"Rocky Linux:8"}, pkg.TypeRPM, false},
		{&pkg.Distro{ID: "rhel", VersionID: "9.2"}, []string{"Red Hat:enterprise_linux:9::baseos",
			"Red Hat:enterprise_linux:9::appstream", "Red Hat:enterprise_linux:9::crb"}, pkg.TypeRPM, false},
		{&pkg.Distro{ID: "rhel", VersionID: "7.9"}, []string{"Red Hat:enterprise_linux:7::server"}, pkg.TypeRPM, true},
		{&pkg.Distro{ID: "rhel", VersionID: "6.10"}, nil, pkg.TypeRPM, true},
		{&pkg.Distro{ID: "rhel", VersionID: "10.0"}, nil, "", false},
		// CentOS: no advisory data, but the end of life is known.
		{&pkg.Distro{ID: "centos", VersionID: "7"}, nil, pkg.TypeRPM, true},
		{&pkg.Distro{ID: "centos", VersionID: "9"}, nil, pkg.TypeRPM, false},
		// Nor Fedora or Amazon Linux.
		{&pkg.Distro{ID: "fedora", VersionID: "40"}, nil, pkg.TypeRPM, true},
		{&pkg.Distro{ID: "fedora", VersionID: "43"}, nil, pkg.TypeRPM, false},
		{&pkg.Distro{ID: "amzn", VersionID: "2"}, nil, pkg.TypeRPM, true},
		{&pkg.Distro{ID: "amzn", VersionID: "2023"}, nil, pkg.TypeRPM, false},
		{&pkg.Distro{ID: "ubuntu", VersionID: "23.10"}, []string{"Ubuntu:23.10:LTS", "Ubuntu:23.10"}, pkg.TypeDeb, true},
		{&pkg.Distro{ID: "ubuntu", VersionID: "20.04"}, []string{"Ubuntu:20.04:LTS", "Ubuntu:20.04"}, pkg.TypeDeb, true},
		{&pkg.Distro{ID: "sles", VersionID: "15.5"}, []string{"SUSE:Linux Enterprise Module for Basesystem 15 SP5",
			"SUSE:Linux Enterprise Module for Server Applications 15 SP5", "SUSE:Linux Enterprise Server 15 SP5"}, pkg.TypeRPM, false},
		{&pkg.Distro{ID: "sles", VersionID: "12.5"}, []string{"SUSE:Linux Enterprise Server 12 SP5"}, pkg.TypeRPM, false},
		{&pkg.Distro{ID: "opensuse-leap", VersionID: "15.6"}, []string{"openSUSE:Leap 15.6"}, pkg.TypeRPM, true},
		{&pkg.Distro{ID: "opensuse-leap", VersionID: "16.0"}, []string{"openSUSE:Leap 16.0"}, pkg.TypeRPM, false},
		{&pkg.Distro{ID: "opensuse-tumbleweed", VersionID: "20240801"}, []string{"openSUSE:Tumbleweed"}, pkg.TypeRPM, false},
		{&pkg.Distro{ID: "wolfi"}, []string{"Wolfi"}, pkg.TypeAPK, false},
		{&pkg.Distro{ID: "pop", IDLike: []string{"ubuntu"}, VersionID: "22.04"}, nil, "", false},
		{nil, nil, "", false},
	}
	for _, tt := range tests {
		r := ReleaseOf(tt.d)
		if !cmp.Equal(tt.ecos, r.Ecosystems) || r.Type != tt.typ || r.EndOfLife(now) != tt.eol {
			t.Errorf("ReleaseOf(%+v) = %+v (eol %v); want %v %s eol %v", tt.d, r, r.EndOfLife(now), tt.ecos, tt.typ, tt.eol)
		}
	}
	// Every Debian release with security support has an end date (its
	// LTS end, wiki.debian.org/LTS).
	for n, end := range map[string]string{"11": "2026-08-31", "12": "2028-06-30", "13": "2030-06-30"} {
		r := ReleaseOf(&pkg.Distro{ID: "debian", VersionID: n})
		last, _ := time.Parse(time.DateOnly, end)
		if r.EndOfLife(last.Add(-time.Hour)) || !r.EndOfLife(last.Add(24*time.Hour)) {
			t.Errorf("Debian %s: end of life not at %s (%v)", n, end, r.EOL)
		}
	}
}

// TestAllCoversTypes checks the explicit list: every package type has
// exactly one matcher, and every matcher's ecosystem has a version order.
func TestAllCoversTypes(t *testing.T) {
	types := []pkg.Type{pkg.TypeAPK, pkg.TypeDeb, pkg.TypeRPM, pkg.TypeGoModule, pkg.TypeNPM, pkg.TypePyPI,
		pkg.TypeMaven, pkg.TypeGem, pkg.TypeCargo, pkg.TypeComposer, pkg.TypeNuGet}
	names := map[string]bool{}
	for _, m := range All() {
		if names[m.Name()] {
			t.Errorf("duplicate matcher %s", m.Name())
		}
		names[m.Name()] = true
		if l, ok := m.(Language); ok {
			if _, err := version.SchemeFor(l.Ecosystem); err != nil {
				t.Errorf("%s: %v", m.Name(), err)
			}
		}
	}
	for _, typ := range types {
		n := 0
		for _, m := range All() {
			if m.Handles(&pkg.Package{Type: typ}) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d matchers handle it, want 1", typ, n)
		}
		if _, err := Scheme(typ); err != nil {
			t.Errorf("no version scheme for %s", typ)
		}
	}
}

func TestCompare(t *testing.T) {
	for _, tt := range []struct {
		typ, a, b string
		want      int
	}{
		{"apk", "1.0.2n-r0", "1.0.2o-r0", -1},
		{"deb", "1:1.0", "2.0", 1},
		{"npm", "1.2.10", "1.2.9", 1},
		{"pypi", "1.0.post1", "1.0", 1},
		{"go-module", "0.0.0-20210226172049-e18ecbb05110", "0.7.0", -1},
	} {
		got, err := Compare(tt.typ, tt.a, tt.b)
		if err != nil || got != tt.want {
			t.Errorf("Compare(%s, %s, %s) = %d, %v; want %d", tt.typ, tt.a, tt.b, got, err, tt.want)
		}
	}
	if _, err := Compare("nope", "1", "2"); !errors.Is(err, version.ErrUnsupportedEcosystem) {
		t.Errorf("unknown type: %v", err)
	}
}
