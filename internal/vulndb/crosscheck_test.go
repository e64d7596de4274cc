package vulndb_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/vulndb/ingest"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

const sharedData = "../../../shared/testdata/vulndb"

// TestCandidatesMatchLookup checks, on the real advisory data, that for
// every package the candidates are the advisories Lookup returns, in the
// same order, each with exactly the affected entries naming the package
// (as matching reads them) and the record Advisory decodes.
func TestCandidatesMatchLookup(t *testing.T) {
	if testing.Short() {
		t.Skip("imports all of the shared advisory data")
	}
	if _, err := os.Stat(sharedData); err != nil {
		t.Skipf("shared advisory data not available: %v", err)
	}
	ctx := context.Background()
	store, err := vulndb.NewStore(filepath.Join(t.TempDir(), "vulndb"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	inputs, err := ingest.Prepare([]string{sharedData, "osv/testdata"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Abort()
	if _, err := ingest.Import(ctx, b, inputs, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		in.Close()
	}
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	keys := vulndb.PackageKeys(db)
	if len(keys) < 5000 {
		t.Fatalf("only %d packages in the shared data", len(keys))
	}
	candidates := 0
	for _, k := range keys {
		eco, name := k[0], k[1]
		full, err := db.Lookup(eco, name)
		if err != nil {
			t.Fatal(err)
		}
		c := db.Candidates(eco, name)
		i := 0
		for ; c.Next(); i++ {
			candidates++
			if i >= len(full) {
				t.Fatalf("%s/%s: more candidates than Lookup's %d advisories", eco, name, len(full))
			}
			want, e := full[i], c.Entry()
			var wantIdx, gotIdx []int
			var wantAff []osv.Affected
			for j := range want.Affected {
				a := &want.Affected[j]
				if vulndb.SamePackage(a.Package, eco, name) && !a.GitOnly() {
					wantIdx = append(wantIdx, j)
					wantAff = append(wantAff, project(a))
				}
			}
			for j := range e.Affected {
				gotIdx = append(gotIdx, c.Index(j))
			}
			if e.ID != want.ID || !slices.Equal(wantIdx, gotIdx) {
				t.Fatalf("%s/%s #%d: candidate %s entries %v, Lookup %s entries %v", eco, name, i, e.ID, gotIdx, want.ID, wantIdx)
			}
			if !reflect.DeepEqual(wantAff, e.Affected) { // cmp.Diff only on failure: it is slow
				t.Fatalf("%s/%s %s (-want +got):\n%s", eco, name, e.ID, cmp.Diff(wantAff, e.Affected))
			}
			adv, err := db.Advisory(c.Ref())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(want, adv) {
				t.Fatalf("%s/%s: Advisory(%d) (-Lookup +Advisory):\n%s", eco, name, c.Ref(), cmp.Diff(want, adv))
			}
		}
		if err := c.Err(); err != nil {
			t.Fatal(err)
		}
		if i != len(full) {
			t.Fatalf("%s/%s: %d candidates, Lookup found %d", eco, name, i, len(full))
		}
	}
	t.Logf("%d packages, %d candidates checked", len(keys), candidates)
}

// project is what the candidates keep of an affected entry.
func project(a *osv.Affected) osv.Affected {
	out := osv.Affected{Package: osv.Package{Ecosystem: a.Package.Ecosystem, Name: a.Package.Name},
		Versions: a.Versions, EcosystemSpecific: a.EcosystemSpecific}
	for _, r := range a.Ranges {
		if r.Type == osv.RangeGit {
			out.Ranges = append(out.Ranges, osv.Range{Type: osv.RangeGit})
			continue
		}
		out.Ranges = append(out.Ranges, osv.Range{Type: r.Type, Events: r.Events})
	}
	return out
}
