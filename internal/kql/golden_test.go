package kql

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/queries")

// fixtureNow is now() for every golden query: the fixture's rows were
// generated between 07:00 and 09:50 on that day.
var fixtureNow = time.Date(2026, 8, 23, 10, 0, 0, 0, time.UTC)

// fixtureSub is the subscription the test caller may read; the fixture
// also holds rows of another subscription that must never show.
const (
	fixtureSub   = "0f3b2a9c-5d4e-4f60-8a71-92b3c4d5e6f7"
	otherSub     = "9a8b7c6d-0000-4e1f-8a2b-3c4d5e6f7a8b"
	fixtureTable = "testdata/tables"
)

// loadTable reads a table in the result JSON format.
func loadTable(t testing.TB, name string) *MemTable {
	t.Helper()
	f, err := os.Open(filepath.Join(fixtureTable, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := DecodeResult(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	tbl, err := NewMemTable(name, res.Columns, res.Rows)
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// scopedTable is what a table provider does beneath the engine: it only
// ever returns the rows of the caller's subscriptions.
type scopedTable struct {
	Table
	col  int
	subs map[string]bool
	// pushdown records the last Pushdown.
	mu       sync.Mutex
	pushdown Pushdown
}

func (s *scopedTable) Scan(ctx context.Context, pd Pushdown) (RowIter, error) {
	s.mu.Lock()
	s.pushdown = pd
	s.mu.Unlock()
	it, err := s.Table.Scan(ctx, pd)
	if err != nil {
		return nil, err
	}
	return &scopedIter{in: it, col: s.col, subs: s.subs}, nil
}

type scopedIter struct {
	in   RowIter
	col  int
	subs map[string]bool
}

func (it *scopedIter) Next(ctx context.Context) (Row, error) {
	for {
		r, err := it.in.Next(ctx)
		if err != nil {
			return nil, err
		}
		if it.subs[r[it.col].s] {
			return r, nil
		}
	}
}

func (it *scopedIter) Close() error { return it.in.Close() }

// fixtureCatalog returns the fixture tables as seen by a caller of subs.
func fixtureCatalog(t testing.TB, subs ...string) MapCatalog {
	t.Helper()
	allowed := map[string]bool{}
	for _, s := range subs {
		allowed[s] = true
	}
	cat := MapCatalog{}
	for _, name := range []string{"securityresources", "images", "findings"} {
		tbl := loadTable(t, name)
		col := -1
		for i, c := range tbl.Columns() {
			if c.Name == "subscriptionId" {
				col = i
			}
		}
		if col < 0 {
			t.Fatalf("%s has no subscriptionId column", name)
		}
		cat[name] = &scopedTable{Table: tbl, col: col, subs: allowed}
	}
	return cat
}

func fixtureLimits() Limits { return Limits{Now: fixtureNow, Timeout: 20 * time.Second} }

// TestGolden runs every testdata/queries/*.kql against the fixture as a
// caller of one subscription and compares the JSON result with the .json
// file next to it (or the error with the .err file). -update rewrites them;
// review the diff.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/queries/*.kql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden queries: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".kql")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			cat := fixtureCatalog(t, fixtureSub)
			var got bytes.Buffer
			ext := ".json"
			res, err := Run(t.Context(), string(src), cat, fixtureLimits())
			if err != nil {
				ext = ".err"
				got.WriteString(err.Error() + "\n")
			} else if err := WriteJSON(&got, res); err != nil {
				t.Fatal(err)
			}
			base := strings.TrimSuffix(file, ".kql")
			if *update {
				os.Remove(base + ".json")
				os.Remove(base + ".err")
				if err := os.WriteFile(base+ext, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(base + ext)
			if err != nil {
				t.Fatalf("%v (the query gave %s; run with -update to record it)", err, ext)
			}
			if diff := cmp.Diff(string(want), got.String()); diff != "" {
				t.Errorf("%s (-want +got):\n%s", name, diff)
			}
			if ext == ".json" { // the JSON form reads back to the same result
				back, err := DecodeResult(bytes.NewReader(got.Bytes()))
				if err != nil {
					t.Fatalf("DecodeResult: %v", err)
				}
				var again bytes.Buffer
				WriteJSON(&again, back)
				if diff := cmp.Diff(got.String(), again.String()); diff != "" {
					t.Errorf("JSON round trip (-first +second):\n%s", diff)
				}
			}
		})
	}
}

// TestTenancy: whatever the query, a caller of one subscription never sees
// another subscription's rows, and a caller of none sees nothing.
func TestTenancy(t *testing.T) {
	queries := []string{
		`securityresources`,
		`securityresources | union securityresources | union findings, images`,
		`findings | join kind=fullouter (images) on digest`,
		`let T = securityresources; T | where subscriptionId != "x"`,
		`images | where digest in (findings | project digest)`,
		`securityresources | mv-expand properties | summarize make_set(subscriptionId) by type`,
	}
	for _, q := range queries {
		res, err := Run(t.Context(), q, fixtureCatalog(t, fixtureSub), fixtureLimits())
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var b bytes.Buffer
		WriteJSON(&b, res)
		if len(res.Rows) == 0 {
			t.Errorf("%s: no rows at all", q)
		}
		if strings.Contains(b.String(), otherSub) || strings.Contains(b.String(), "northwind") {
			t.Errorf("%s: the result shows another subscription's rows", q)
		}
		none, err := Run(t.Context(), q, fixtureCatalog(t), fixtureLimits())
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if len(none.Rows) != 0 {
			t.Errorf("%s: a caller without subscriptions got %d rows", q, len(none.Rows))
		}
	}
	// The other subscription's caller sees its own rows only.
	res, err := Run(t.Context(), `securityresources | distinct subscriptionId`, fixtureCatalog(t, otherSub), fixtureLimits())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0][0].s != otherSub {
		t.Errorf("other caller sees %v", res.Rows)
	}
}

func TestPushdown(t *testing.T) {
	cat := fixtureCatalog(t, fixtureSub)
	q := `findings | where severity == "Critical" and exempted == false | where cvssScore > 9.0 and repository =~ "LEGACY/alpine-base" | count`
	res, err := Run(t.Context(), q, cat, fixtureLimits())
	if err != nil {
		t.Fatal(err)
	}
	want := []Filter{
		{Column: "severity", Value: String("Critical")},
		{Column: "exempted", Value: Bool(false)},
		{Column: "repository", CaseInsensitive: true, Value: String("LEGACY/alpine-base")},
	}
	got := cat["findings"].(*scopedTable).pushdown.Filters
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b Value) bool { return deepEqual(a, b) })); diff != "" {
		t.Errorf("pushdown (-want +got):\n%s", diff)
	}
	// busybox CVE-2016-2148 and musl CVE-2016-8859 (zlib's 9.8 too) in legacy/alpine-base
	if n := res.Rows[0][0].i; n != 3 {
		t.Errorf("count = %d, want 3", n)
	}
}

// TestConcurrentRuns: queries share a catalog and its tables safely (the
// HTTP handler runs one query per request).
func TestConcurrentRuns(t *testing.T) {
	cat := fixtureCatalog(t, fixtureSub)
	src, err := os.ReadFile("testdata/queries/published-2-unhealthy-by-severity.kql")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/queries/published-2-unhealthy-by-severity.json")
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			res, err := Run(context.Background(), string(src), cat, fixtureLimits())
			if err == nil {
				var b bytes.Buffer
				WriteJSON(&b, res)
				if b.String() != string(want) {
					err = io.ErrUnexpectedEOF
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent run: %v", err)
		}
	}
}
