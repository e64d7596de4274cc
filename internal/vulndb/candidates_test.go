package vulndb

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/vulndb/feed"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// candidate is what a test sees of one candidate.
type candidate struct {
	ID       string
	Affected []osv.Affected
	Index    []int
}

func candidates(t *testing.T, db *DB, eco, name string) []candidate {
	t.Helper()
	c := db.Candidates(eco, name)
	var out []candidate
	for c.Next() {
		e := c.Entry()
		got := candidate{ID: e.ID, Affected: append([]osv.Affected(nil), e.Affected...)}
		for i := range e.Affected {
			got.Index = append(got.Index, c.Index(i))
		}
		full, err := db.Advisory(c.Ref())
		if err != nil || full.ID != e.ID {
			t.Fatalf("Advisory(%d) = %v, %v; want %s", c.Ref(), full, err, e.ID)
		}
		out = append(out, got)
	}
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	if c.Len() != len(out) {
		t.Errorf("Len = %d, iterated %d", c.Len(), len(out))
	}
	return out
}

func TestCandidates(t *testing.T) {
	s := newStore(t)
	eco := func(evs ...osv.Event) osv.Range { return osv.Range{Type: osv.RangeEcosystem, Events: evs} }
	git := osv.Range{Type: osv.RangeGit, Repo: "https://example.org/r.git", Events: []osv.Event{{Introduced: "abc"}, {Fixed: "def"}}}
	multi := &osv.Entry{ID: "GHSA-m", Modified: day(2), Summary: "many entries", Details: "long text",
		References: []osv.Reference{{Type: "WEB", URL: "https://example.org"}},
		Affected: []osv.Affected{
			{Package: osv.Package{Ecosystem: "npm", Name: "a"}, Ranges: []osv.Range{eco(osv.Event{Introduced: "0"}, osv.Event{Fixed: "1.0"})},
				Severity: []osv.Severity{{Type: osv.SeverityCVSSv3, Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}},
			{Package: osv.Package{Ecosystem: "npm", Name: "b"}, Versions: []string{"2.0.0"}},
			{Package: osv.Package{Ecosystem: "npm", Name: "a"}, Ranges: []osv.Range{git}}, // GIT only: left out
			{Package: osv.Package{Ecosystem: "npm", Name: "a"}, Ranges: []osv.Range{git, {Type: "CUSTOM", Events: []osv.Event{{LastAffected: "3"}, {Limit: "4"}}}},
				Versions: []string{"3.0.0", "3.0.1"}, EcosystemSpecific: json.RawMessage(`{"urgency": "low"}`)},
		}}
	py := &osv.Entry{ID: "PYSEC-1", Modified: day(1), Affected: []osv.Affected{
		{Package: osv.Package{Ecosystem: "PyPI", Name: "Django_Rest.Framework"}, Ranges: []osv.Range{eco(osv.Event{Introduced: "0"})}}}}
	withdrawn := adv("GHSA-w", day(1), "npm/a")
	withdrawn.Withdrawn = day(2)
	build(t, s, nil,
		src{"one", []feed.Record{{Advisory: multi}, {Advisory: py}, {Advisory: withdrawn}, {Advisory: adv("GHSA-z", day(1), "npm/a")}}},
		src{"two", []feed.Record{{Advisory: adv("GHSA-z", day(1), "npm/a")}}}, // the same id again: one copy
	)
	db := open(t, s)
	tests := []struct {
		eco, name string
		want      []candidate
	}{
		{"npm", "a", []candidate{
			{ID: "GHSA-m", Index: []int{0, 3}, Affected: []osv.Affected{
				{Package: osv.Package{Ecosystem: "npm", Name: "a"}, Ranges: []osv.Range{eco(osv.Event{Introduced: "0"}, osv.Event{Fixed: "1.0"})}},
				{Package: osv.Package{Ecosystem: "npm", Name: "a"},
					Ranges:   []osv.Range{{Type: osv.RangeGit}, {Type: "CUSTOM", Events: []osv.Event{{LastAffected: "3"}, {Limit: "4"}}}},
					Versions: []string{"3.0.0", "3.0.1"}, EcosystemSpecific: json.RawMessage(`{"urgency":"low"}`)},
			}},
			{ID: "GHSA-z", Index: []int{0}, Affected: []osv.Affected{
				{Package: osv.Package{Ecosystem: "npm", Name: "a"}, Ranges: []osv.Range{eco(osv.Event{Introduced: "0"}, osv.Event{Fixed: "1.0"})}}}},
		}},
		{"npm", "b", []candidate{{ID: "GHSA-m", Index: []int{1}, Affected: []osv.Affected{
			{Package: osv.Package{Ecosystem: "npm", Name: "b"}, Versions: []string{"2.0.0"}}}}}},
		{"PyPI", "django-rest-framework", []candidate{{ID: "PYSEC-1", Index: []int{0}, Affected: []osv.Affected{
			{Package: osv.Package{Ecosystem: "PyPI", Name: "Django_Rest.Framework"}, Ranges: []osv.Range{eco(osv.Event{Introduced: "0"})}}}}}},
		{"npm", "A", nil},
		{"npm", "nothing", nil},
	}
	for _, tt := range tests {
		t.Run(tt.eco+"/"+tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, candidates(t, db, tt.eco, tt.name)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// The whole advisory comes from Advisory, equal to what Lookup returns.
	c := db.Candidates("npm", "b")
	if !c.Next() {
		t.Fatal("no candidate")
	}
	full, err := db.Advisory(c.Ref())
	if err != nil {
		t.Fatal(err)
	}
	looked, err := db.Lookup("npm", "b")
	if err != nil || len(looked) != 1 {
		t.Fatal(looked, err)
	}
	if diff := cmp.Diff(looked[0], full); diff != "" {
		t.Errorf("Advisory vs Lookup (-want +got):\n%s", diff)
	}
	if _, err := db.Advisory(Ref(1 << 30)); err == nil {
		t.Error("Advisory of a record out of range: no error")
	}
	var zero Candidates
	if zero.Next() || zero.Err() != nil || zero.Len() != 0 {
		t.Error("the zero Candidates is not empty")
	}
}

func TestCandidatesAllocations(t *testing.T) {
	s := newStore(t)
	var recs []feed.Record
	for _, id := range []string{"GHSA-1", "GHSA-2", "GHSA-3"} {
		recs = append(recs, feed.Record{Advisory: adv(id, day(1), "npm/a")})
	}
	build(t, s, nil, src{"one", recs})
	db := open(t, s)
	var c Candidates
	n := testing.AllocsPerRun(100, func() {
		c = db.Candidates("npm", "a")
		for c.Next() {
		}
	})
	// The copy of the package's run, and scratch space: the affected,
	// range and event slices.
	if n > 4 {
		t.Errorf("a lookup of 3 candidates allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { db.Candidates("npm", "absent") }); n != 0 {
		t.Errorf("a lookup of an absent package allocates %v times", n)
	}
}

func FuzzCandidateBody(f *testing.F) {
	e := &osv.Entry{ID: "X-1", Affected: []osv.Affected{
		{Package: osv.Package{Name: "a"}, Ranges: []osv.Range{{Type: osv.RangeSemver, Events: []osv.Event{{Introduced: "0"}, {Fixed: "1"}}}, {Type: "OTHER"}},
			Versions: []string{"0.1"}, EcosystemSpecific: json.RawMessage(`{"a":1}`)},
		{Package: osv.Package{Name: "a"}, Ranges: []osv.Range{{Type: osv.RangeGit, Events: []osv.Event{{Introduced: "x"}}}}}}}
	f.Add(appendCandidate(nil, e, []int{0, 1}))
	f.Fuzz(func(t *testing.T, body []byte) {
		c := Candidates{eco: "npm", s: &scratch{}}
		if c.decode(body) != nil {
			return
		}
		for i := range c.e.Affected {
			_ = c.Index(i)
		}
	})
}

// TestCandidatesConcurrent: lookups on several goroutines share the
// scratch pool, never each other's scratch (run with -race).
func TestCandidatesConcurrent(t *testing.T) {
	s := newStore(t)
	var recs []feed.Record
	for i := range 20 {
		recs = append(recs, feed.Record{Advisory: adv(fmt.Sprintf("GHSA-%02d", i), day(1), "npm/a", fmt.Sprintf("npm/p%d", i%3))})
	}
	build(t, s, nil, src{"one", recs})
	db := open(t, s)
	want := map[string][]candidate{}
	for _, name := range []string{"a", "p0", "p1", "p2"} {
		want[name] = candidates(t, db, "npm", name)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				name := []string{"a", "p0", "p1", "p2"}[(g+i)%4]
				c := db.Candidates("npm", name)
				j := 0
				for ; c.Next(); j++ {
					e := c.Entry()
					w := want[name][j]
					if e.ID != w.ID || len(e.Affected) != 1 || e.Affected[0].Package.Name != name || c.Index(0) != w.Index[0] {
						t.Errorf("%s #%d: got %s %+v", name, j, e.ID, e.Affected)
						return
					}
				}
				if j != len(want[name]) || c.Err() != nil {
					t.Errorf("%s: %d candidates, %v", name, j, c.Err())
					return
				}
			}
		})
	}
	wg.Wait()
}
