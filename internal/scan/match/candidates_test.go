package match

import (
	"bytes"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/vulndb/feed"
	"github.com/drydock/drydock/internal/vulndb/feed/alpine"
	feedosv "github.com/drydock/drydock/internal/vulndb/feed/osv"
	"github.com/drydock/drydock/internal/vulndb/osv"
	"github.com/drydock/drydock/internal/vulndb/vulndbtest"
)

// lookupOnly hides the fast path of a *vulndb.DB: Match then judges whole
// advisories from Lookup.
type lookupOnly struct{ db *vulndb.DB }

func (l lookupOnly) Lookup(eco, name string) ([]*osv.Entry, error) { return l.db.Lookup(eco, name) }
func (l lookupOnly) Rate(e *osv.Entry, a *osv.Affected) (vulndb.Rating, error) {
	return l.db.Rate(e, a)
}
func (l lookupOnly) Enrichment(cve string) (*vulndb.Enrichment, error) { return l.db.Enrichment(cve) }

// counting counts the advisories the fast path decodes.
type counting struct {
	*vulndb.DB
	decoded int
}

func (c *counting) Advisory(r vulndb.Ref) (*osv.Entry, error) {
	c.decoded++
	return c.DB.Advisory(r)
}

// TestCandidatesAgreeWithLookup matches packages made from every package
// and version the real advisory data names (plus versions below and above
// them) twice: through the candidates fast path and by judging whole
// advisories. The findings must be the same, and the fast path must decode
// only the advisories that matched.
func TestCandidatesAgreeWithLookup(t *testing.T) {
	if testing.Short() {
		t.Skip("imports the shared advisory data")
	}
	root := filepath.Join(vulndbtest.SharedTestdata(), "vulndb")
	dirs := []string{"almalinux-osv", "alpine-secdb", "ghsa-curated", "go-vulndb", "pypa-advisory-database", "rustsec-osv"}
	var paths []string
	for _, d := range dirs {
		paths = append(paths, filepath.Join(root, d))
	}
	if _, err := os.Stat(paths[0]); err != nil {
		t.Skipf("shared advisory data not available: %v", err)
	}
	db := importDB(t, paths)
	pkgs := packagesOf(t, paths)
	if len(pkgs) < 20000 {
		t.Fatalf("only %d packages made from the advisory data", len(pkgs))
	}

	want, err := Match(t.Context(), lookupOnly{db}, pkgs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := &counting{DB: db}
	got, err := Match(t.Context(), c, pkgs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(want, got) { // cmp.Diff only on failure: it is slow on this much
		t.Fatalf("findings through candidates differ (-whole advisories +candidates):\n%s", cmp.Diff(want, got))
	}
	advisories, candidates := 0, 0
	for _, f := range got {
		advisories += 1 + len(f.Aliases) // an upper bound of the advisories behind f
	}
	for i := range pkgs {
		for _, q := range matcherFor(All(), &pkgs[i]).Queries(&pkgs[i]) {
			c := db.Candidates(q.Ecosystem, q.Name)
			candidates += c.Len()
		}
	}
	if c.decoded == 0 || c.decoded > advisories || c.decoded >= candidates {
		t.Errorf("the fast path decoded %d advisories of %d candidates for %d findings (at most %d advisories)", c.decoded, candidates, len(got), advisories)
	}
	t.Logf("%d packages, %d findings, %d of %d candidates decoded", len(pkgs), len(got), c.decoded, candidates)
}

func importDB(t *testing.T, paths []string) *vulndb.DB {
	t.Helper()
	return vulndbtest.ImportT(t, paths...)
}

// packagesOf reads the advisories under paths and returns, for each
// package they name in an ecosystem a matcher handles, one package per
// version the advisories mention and a version below all of them.
func packagesOf(t *testing.T, paths []string) []pkg.Package {
	t.Helper()
	versions := map[[2]string][]string{}
	add := func(e *osv.Entry) {
		for _, a := range e.Affected {
			k := [2]string{a.Package.Ecosystem, a.Package.Name}
			vs := append(versions[k], a.Versions...)
			for _, r := range a.Ranges {
				for _, ev := range r.Events {
					vs = append(vs, ev.Introduced, ev.Fixed, ev.LastAffected)
				}
			}
			versions[k] = vs
		}
	}
	for _, root := range paths {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			switch {
			case (alpine.Parser{}).Sniff(p, data):
				return alpine.Parser{}.Parse(t.Context(), p, bytes.NewReader(data), func(r feed.Record) error {
					if r.Advisory != nil {
						add(r.Advisory)
					}
					return nil
				})
			case strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".yaml"):
				if e, err := feedosv.Decode(p, data); err == nil {
					add(e)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	langs := map[string]pkg.Type{}
	for _, m := range All() {
		if l, ok := m.(Language); ok {
			langs[l.Ecosystem] = l.Type
		}
	}
	var out []pkg.Package
	for k, vs := range versions {
		eco, name := k[0], k[1]
		base := pkg.Package{Name: name}
		release, _, _ := strings.Cut(eco, ":")
		switch {
		case langs[eco] != "":
			base.Type = langs[eco]
		case release == "Alpine":
			base.Type, base.SourceName = pkg.TypeAPK, name
			base.Distro = &pkg.Distro{ID: "alpine", VersionID: strings.TrimPrefix(eco, "Alpine:v") + ".0"}
		case release == "AlmaLinux":
			base.Type = pkg.TypeRPM
			base.Distro = &pkg.Distro{ID: "almalinux", VersionID: strings.TrimPrefix(eco, "AlmaLinux:") + ".4"}
		default:
			continue
		}
		vs = slices.DeleteFunc(vs, func(v string) bool { return v == "" || v == "0" })
		slices.Sort(vs)
		vs = slices.Compact(vs)
		// A version the advisories mention (a fixed one, often), one
		// below everything and one above everything.
		pick := []string{"0.0.0~below", "999999.0"}
		if len(vs) > 0 {
			pick = append(pick, vs[len(vs)/2])
		}
		for _, v := range pick {
			p := base
			p.Version = v
			out = append(out, p)
		}
	}
	slices.SortFunc(out, pkg.Compare)
	return out
}

// TestCandidatesKeepAffectedIndex checks that a verdict from the fast path
// names the affected entry of the whole advisory: the severity policy reads
// the entry's own rating.
func TestCandidatesKeepAffectedIndex(t *testing.T) {
	sev := func(v string) []osv.Severity { return []osv.Severity{{Type: osv.SeverityCVSSv3, Score: v}} }
	a := affected("npm", "a", rng(osv.RangeSemver, intro("0"), fixed("1.0.0")))
	a.Severity = sev("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") // critical
	b := affected("npm", "b", rng(osv.RangeSemver, intro("0"), fixed("2.0.0")))
	b.Severity = sev("CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N") // low
	e := &osv.Entry{ID: "GHSA-2222-3333-4444", Affected: []osv.Affected{a, b}}
	store, err := vulndb.NewStore(filepath.Join(t.TempDir(), "vulndb"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	bld, err := store.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer bld.Abort()
	if err := bld.Add(bld.Source("test"), "osv", feed.Record{Advisory: e}); err != nil {
		t.Fatal(err)
	}
	if _, err := bld.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pkgs := []pkg.Package{{Name: "b", Version: "1.5.0", Type: pkg.TypeNPM}}
	for name, d := range map[string]DB{"candidates": db, "lookup": lookupOnly{db}} {
		fs, err := Match(t.Context(), d, pkgs, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 1 || fs[0].Severity.String() != "Low" || fs[0].FixedVersion != "2.0.0" {
			t.Errorf("%s: findings %+v, want one Low finding fixed in 2.0.0", name, fs)
		}
	}
}
