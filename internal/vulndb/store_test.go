package vulndb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/drydock/drydock/internal/vulndb/feed"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

var discard = slog.New(slog.DiscardHandler)

func day(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }

func adv(id string, modified time.Time, pkgs ...string) *osv.Entry {
	e := &osv.Entry{ID: id, Modified: modified, Summary: "summary of " + id}
	for _, p := range pkgs {
		eco, name, _ := strings.Cut(p, "/")
		e.Affected = append(e.Affected, osv.Affected{
			Package: osv.Package{Ecosystem: eco, Name: name},
			Ranges:  []osv.Range{{Type: osv.RangeEcosystem, Events: []osv.Event{{Introduced: "0"}, {Fixed: "1.0"}}}},
		})
	}
	return e
}

// src is one source's records for build.
type src struct {
	name string
	recs []feed.Record
}

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := NewStore(filepath.Join(t.TempDir(), "vulndb"), discard)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// build commits a version holding the given sources on top of keep (the
// sources of the current version for which keep is true).
func build(t *testing.T, s *Store, keep func(string) bool, sources ...src) Result {
	t.Helper()
	b, err := s.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Abort()
	if keep != nil {
		old, err := s.Open()
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Keep(old, keep); err != nil {
			t.Fatal(err)
		}
		old.Close()
	}
	for _, sc := range sources {
		i := b.Source(sc.name)
		for _, r := range sc.recs {
			if err := b.Add(i, "test", r); err != nil {
				t.Fatal(err)
			}
		}
	}
	res, err := b.Commit(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func open(t *testing.T, s *Store) *DB {
	t.Helper()
	db, err := s.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func ids(t *testing.T, db *DB, eco, name string) []string {
	t.Helper()
	es, err := db.Lookup(eco, name)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.ID)
	}
	sort.Strings(out)
	return out
}

func TestBuildAndLookup(t *testing.T) {
	s := newStore(t)
	withdrawn := adv("GHSA-w", day(1), "npm/lodash")
	withdrawn.Withdrawn = day(2)
	git := &osv.Entry{ID: "OSV-GIT-1", Modified: day(1), Affected: []osv.Affected{{
		Ranges: []osv.Range{{Type: osv.RangeGit, Repo: "https://github.com/x/y", Events: []osv.Event{{Introduced: "abc"}}}}}}}
	res := build(t, s, nil, src{"one", []feed.Record{
		{Advisory: adv("GHSA-1", day(1), "npm/lodash", "npm/lodash-es")},
		{Advisory: adv("GHSA-2", day(1), "npm/lodash")},
		{Advisory: adv("PYSEC-1", day(1), "PyPI/Django_Rest.Framework")},
		{Advisory: adv("ALPINE-CVE-2024-1", day(1), "Alpine:v3.19/openssl", "Alpine:v3.18/openssl")},
		{Advisory: withdrawn},
		{Advisory: git},
		{NVD: &feed.NVD{CVE: "CVE-2024-1", Modified: day(1), CVSS: []feed.CVSS{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8, Primary: true}}}},
		{KEV: &feed.KEV{CVE: "CVE-2024-1", DateAdded: day(3)}},
		{EPSS: &feed.EPSS{CVE: "CVE-2024-1", Score: 0.5, Percentile: 0.9}},
		{EPSS: &feed.EPSS{CVE: "CVE-2024-2", Score: 0.1, Percentile: 0.2}},
	}})
	db := open(t, s)
	if db.Version() != res.Version || len(db.Version()) != 64 {
		t.Errorf("Version = %q, commit said %q", db.Version(), res.Version)
	}
	lookups := []struct {
		eco, name string
		want      []string
	}{
		{"npm", "lodash", []string{"GHSA-1", "GHSA-2"}}, // GHSA-w is withdrawn
		{"npm", "lodash-es", []string{"GHSA-1"}},
		{"npm", "Lodash", nil}, // npm names are exact
		{"PyPI", "django-rest-framework", []string{"PYSEC-1"}},
		{"PyPI", "DJANGO_REST_FRAMEWORK", []string{"PYSEC-1"}},
		{"Alpine:v3.19", "openssl", []string{"ALPINE-CVE-2024-1"}},
		{"Alpine", "openssl", nil}, // ecosystems are exact, release included
		{"Alpine:v3.20", "openssl", nil},
		{"crates.io", "nothing", nil},
	}
	for _, l := range lookups {
		if diff := cmp.Diff(l.want, ids(t, db, l.eco, l.name)); diff != "" {
			t.Errorf("Lookup(%s, %s) (-want +got):\n%s", l.eco, l.name, diff)
		}
	}
	got, err := db.Get("GHSA-w")
	if err != nil || len(got) != 1 || !got[0].IsWithdrawn() {
		t.Errorf("Get(GHSA-w) = %v, %v; want the withdrawn record", got, err)
	}
	if got, err := db.Get("NOPE"); err != nil || got != nil {
		t.Errorf("Get(NOPE) = %v, %v", got, err)
	}
	en, err := db.Enrichment("CVE-2024-1")
	if err != nil || en == nil || en.NVD == nil || en.KEV == nil || en.EPSS == nil || en.NVD.CVSS[0].Score != 9.8 {
		t.Fatalf("Enrichment(CVE-2024-1) = %+v, %v", en, err)
	}
	if en, err := db.Enrichment("CVE-2024-2"); err != nil || en == nil || en.NVD != nil || en.EPSS.Score != 0.1 {
		t.Errorf("Enrichment(CVE-2024-2) = %+v, %v", en, err)
	}
	if en, err := db.Enrichment("CVE-2099-1"); err != nil || en != nil {
		t.Errorf("Enrichment(unknown) = %+v, %v", en, err)
	}
	st := db.Status()
	wantMeta := Meta{Records: 6, Withdrawn: 1, Packages: 5, GitOnly: 1, NVD: 1, KEV: 1, EPSS: 2,
		Ecosystems: map[string]int{"npm": 2, "PyPI": 1, "Alpine:v3.19": 1, "Alpine:v3.18": 1},
		Sources:    []SourceMeta{{Name: "one", Feeds: []string{"test"}, Records: 6, NVD: 1, KEV: 1, EPSS: 2, Newest: day(3)}}}
	if diff := cmp.Diff(wantMeta, st.Meta); diff != "" {
		t.Errorf("meta (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Alpine:v3.18", "Alpine:v3.19"}, db.Ecosystems("Alpine:")); diff != "" {
		t.Errorf("Ecosystems (-want +got):\n%s", diff)
	}
	// The data's age counts from its newest time (the KEV entry added on
	// day 3), not from the build.
	if st.Stamp.BuiltAt.IsZero() || !st.UpdatedAt.Equal(day(3)) || st.Age(day(3).Add(time.Hour)) != time.Hour {
		t.Errorf("updatedAt %v, stamp %+v", st.UpdatedAt, st.Stamp)
	}
}

func TestEntriesRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("osv/testdata/*.json")
	if len(files) == 0 {
		t.Fatal("no test records")
	}
	s := newStore(t)
	var recs []feed.Record
	want := map[string]*osv.Entry{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		e, err := osv.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, feed.Record{Advisory: e})
		want[e.ID] = e
	}
	build(t, s, nil, src{"real", recs})
	db := open(t, s)
	for id, w := range want {
		got, err := db.Get(id)
		if err != nil || len(got) != 1 {
			t.Fatalf("Get(%s) = %v, %v", id, got, err)
		}
		if diff := cmp.Diff(w, got[0], cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", id, diff)
		}
	}
}

func TestNewestWinsAndDeterminism(t *testing.T) {
	recs := []feed.Record{
		{Advisory: adv("GHSA-1", day(1), "npm/a")},
		{Advisory: adv("GHSA-1", day(5), "npm/b")}, // newer: only b is affected now
		{Advisory: adv("GHSA-1", day(3), "npm/c")},
		{Advisory: adv("GHSA-2", day(1), "npm/a")},
	}
	s1, s2 := newStore(t), newStore(t)
	r1 := build(t, s1, nil, src{"x", recs})
	rev := []feed.Record{recs[3], recs[2], recs[1], recs[0]}
	r2 := build(t, s2, nil, src{"x", rev})
	if r1.Version != r2.Version {
		t.Errorf("same content in another order gave versions %s and %s", r1.Version, r2.Version)
	}
	db := open(t, s1)
	if diff := cmp.Diff([]string{"GHSA-2"}, ids(t, db, "npm", "a")); diff != "" {
		t.Errorf("npm/a (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"GHSA-1"}, ids(t, db, "npm", "b")); diff != "" {
		t.Errorf("npm/b (-want +got):\n%s", diff)
	}
	// Rebuilding the same content gives the same version, marked unchanged.
	r3 := build(t, s1, nil, src{"x", recs})
	if r3.Version != r1.Version || r3.Changed {
		t.Errorf("rebuild: version %s changed=%v, want %s unchanged", r3.Version, r3.Changed, r1.Version)
	}
}

func TestSourcesReplaceAndMerge(t *testing.T) {
	s := newStore(t)
	frag := func(id, pkg string) feed.Record { return feed.Record{Advisory: adv(id, time.Time{}, pkg), Merge: true} }
	build(t, s, nil,
		src{"alpine-3.18", []feed.Record{frag("ALPINE-CVE-1", "Alpine:v3.18/openssl"), frag("ALPINE-CVE-1", "Alpine:v3.18/libssl")}},
		src{"alpine-3.19", []feed.Record{frag("ALPINE-CVE-1", "Alpine:v3.19/openssl"), frag("ALPINE-CVE-2", "Alpine:v3.19/curl")}},
		src{"alpine-3.19-copy", []feed.Record{frag("ALPINE-CVE-1", "Alpine:v3.19/openssl")}},
		src{"ghsa", []feed.Record{{Advisory: adv("GHSA-1", day(1), "npm/a")}}},
	)
	db := open(t, s)
	for _, l := range []struct{ eco, name string }{{"Alpine:v3.18", "openssl"}, {"Alpine:v3.18", "libssl"}, {"Alpine:v3.19", "openssl"}} {
		if diff := cmp.Diff([]string{"ALPINE-CVE-1"}, ids(t, db, l.eco, l.name)); diff != "" {
			t.Errorf("Lookup(%s, %s) (-want +got):\n%s", l.eco, l.name, diff)
		}
	}
	got, err := db.Get("ALPINE-CVE-1")
	if err != nil || len(got) != 3 {
		t.Fatalf("Get: %d entries, %v; want one per source", len(got), err)
	}
	if len(got[0].Affected) != 2 {
		t.Errorf("fragments of one source not merged: %+v", got[0].Affected)
	}
	if db.Status().Meta.Records != 3 {
		t.Errorf("records = %d, want 3 distinct ids", db.Status().Meta.Records)
	}

	// Re-import alpine-3.19 without ALPINE-CVE-2; keep the other sources.
	build(t, s, func(n string) bool { return n != "alpine-3.19" },
		src{"alpine-3.19", []feed.Record{frag("ALPINE-CVE-1", "Alpine:v3.19/openssl")}})
	db2 := open(t, s)
	if got := ids(t, db2, "Alpine:v3.19", "curl"); got != nil {
		t.Errorf("curl still affected after its source dropped it: %v", got)
	}
	if diff := cmp.Diff([]string{"ALPINE-CVE-1"}, ids(t, db2, "Alpine:v3.18", "openssl")); diff != "" {
		t.Errorf("kept source lost records (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"GHSA-1"}, ids(t, db2, "npm", "a")); diff != "" {
		t.Errorf("kept source lost records (-want +got):\n%s", diff)
	}
	var names []string
	for _, sm := range db2.Status().Meta.Sources {
		names = append(names, fmt.Sprintf("%s:%d", sm.Name, sm.Records))
	}
	if diff := cmp.Diff([]string{"alpine-3.18:1", "alpine-3.19-copy:1", "ghsa:1", "alpine-3.19:1"}, names); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
	// The old reader still works after the switch.
	if diff := cmp.Diff([]string{"ALPINE-CVE-2"}, ids(t, db, "Alpine:v3.19", "curl")); diff != "" {
		t.Errorf("old version changed under its reader (-want +got):\n%s", diff)
	}
}

func TestFailedBuildChangesNothing(t *testing.T) {
	s := newStore(t)
	first := build(t, s, nil, src{"a", []feed.Record{{Advisory: adv("GHSA-1", day(1), "npm/a")}}})

	// An aborted build.
	b, err := s.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Add(b.Source("b"), "test", feed.Record{Advisory: adv("GHSA-2", day(1), "npm/a")}); err != nil {
		t.Fatal(err)
	}
	b.Abort()

	// A build whose commit fails (context cancelled while writing).
	b, err = s.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5000 {
		if err := b.Add(b.Source("c"), "test", feed.Record{Advisory: adv(fmt.Sprintf("GHSA-%d", i+10), day(1), "npm/a")}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := b.Commit(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Commit with a cancelled context = %v", err)
	}

	db := open(t, s)
	if db.Version() != first.Version {
		t.Errorf("version changed to %s after failed builds", db.Version())
	}
	if diff := cmp.Diff([]string{"GHSA-1"}, ids(t, db, "npm", "a")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	left, _ := filepath.Glob(filepath.Join(s.Dir(), ".build-*"))
	versions, _ := filepath.Glob(filepath.Join(s.Dir(), "vulndb-*.db"))
	if len(left) != 0 || len(versions) != 1 {
		t.Errorf("left behind: %v, versions %v", left, versions)
	}
}

func TestOldVersionsCleanedUp(t *testing.T) {
	s := newStore(t)
	var last Result
	for i := range 4 {
		last = build(t, s, nil, src{"a", []feed.Record{{Advisory: adv(fmt.Sprintf("GHSA-%d", i), day(1), "npm/a")}}})
	}
	versions, _ := filepath.Glob(filepath.Join(s.Dir(), "vulndb-*.db"))
	if len(versions) != 2 {
		t.Errorf("versions on disk: %v, want the current one and the one before", versions)
	}
	if db := open(t, s); db.Version() != last.Version {
		t.Errorf("current %s, want %s", db.Version(), last.Version)
	}
}

// TestSparse: a database opened Sparse (read a page at a time, one
// scan's lookups) answers as one opened for a server, from a store and as
// a file whose hash is checked.
func TestSparse(t *testing.T) {
	s := newStore(t)
	res := build(t, s, nil, src{"a", []feed.Record{
		{Advisory: adv("GHSA-1", day(1), "npm/a", "PyPI/b")},
		{Advisory: adv("GHSA-2", day(2), "npm/a")},
		{Advisory: adv("ALPINE-CVE-1", time.Time{}, "Alpine:v3.19/openssl"), Merge: true},
	}})
	opens := map[string]func(Options) (*DB, error){
		"store": func(o Options) (*DB, error) { return OpenWith(s.Dir(), o) },
		"file":  func(o Options) (*DB, error) { return OpenFileWith(res.Path, o) },
	}
	for name, open := range opens {
		var got [2][]string
		for i, sparse := range []bool{false, true} {
			db, err := open(Options{Sparse: sparse})
			if err != nil {
				t.Fatalf("%s, sparse %v: %v", name, sparse, err)
			}
			for _, k := range [][2]string{{"npm", "a"}, {"PyPI", "b"}, {"Alpine:v3.19", "openssl"}, {"npm", "none"}} {
				es, err := db.Lookup(k[0], k[1])
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range es {
					got[i] = append(got[i], k[1]+":"+e.ID)
				}
			}
			db.Close()
		}
		if !slices.Equal(got[0], got[1]) || len(got[0]) != 4 {
			t.Errorf("%s: lookups %v, sparse %v; want the same 4", name, got[0], got[1])
		}
	}
}

func TestOpenErrors(t *testing.T) {
	s := newStore(t)
	if _, err := s.Open(); !errors.Is(err, ErrNoDatabase) {
		t.Errorf("Open of an empty store = %v, want ErrNoDatabase", err)
	}
	res := build(t, s, nil, src{"a", []feed.Record{{Advisory: adv("GHSA-1", day(1), "npm/a")}}})
	data, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cases := map[string][]byte{
		"truncated": data[:len(data)-10],
		"flipped":   append(append([]byte{}, data[:100]...), append([]byte{data[100] ^ 1}, data[101:]...)...),
		"empty":     nil,
		"text":      []byte("{\"id\": \"GHSA-1\"}"),
	}
	for name, b := range cases {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenFile(p); !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotDatabase) {
			t.Errorf("%s: OpenFile = %v, want ErrCorrupt or ErrNotDatabase", name, err)
		}
	}
	if err := os.WriteFile(filepath.Join(s.Dir(), "current"), []byte("../../etc/passwd\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Open with a bad pointer = %v, want ErrCorrupt", err)
	}
}

func TestExportImportKeepsVersion(t *testing.T) {
	s := newStore(t)
	res := build(t, s, nil, src{"a", []feed.Record{
		{Advisory: adv("GHSA-1", day(1), "npm/a")},
		{Advisory: adv("ALPINE-CVE-1", time.Time{}, "Alpine:v3.19/openssl"), Merge: true},
		{KEV: &feed.KEV{CVE: "CVE-2024-1", DateAdded: day(2)}},
	}})
	bundle := filepath.Join(t.TempDir(), "bundle.db")
	v, err := s.Export(bundle)
	if err != nil || v != res.Version {
		t.Fatalf("Export = %s, %v", v, err)
	}
	in, err := OpenFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	other := newStore(t)
	res2 := build(t, other, nil) // empty first version
	if res2.Version == res.Version {
		t.Fatal("empty database has the bundle's version")
	}
	b, err := other.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Keep(in, func(string) bool { return true }); err != nil {
		t.Fatal(err)
	}
	res3, err := b.Commit(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res3.Version != res.Version {
		t.Errorf("imported bundle has version %s, exported %s", res3.Version, res.Version)
	}
}

func TestWatcher(t *testing.T) {
	s := newStore(t)
	var swaps []string
	w, err := NewWatcher(s.Dir(), Options{}, discard, func(db *DB) { swaps = append(swaps, db.Version()) })
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := w.Reload(); ok || err != nil || w.DB() != nil {
		t.Fatalf("Reload without a database = %v, %v", ok, err)
	}
	r1 := build(t, s, nil, src{"a", []feed.Record{{Advisory: adv("GHSA-1", day(1), "npm/a")}}})
	if ok, err := w.Reload(); !ok || err != nil || w.DB().Version() != r1.Version {
		t.Fatalf("Reload = %v, %v", ok, err)
	}
	if ok, _ := w.Reload(); ok {
		t.Error("Reload switched without a new version")
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- w.Run(ctx, 10*time.Millisecond) }()
	r2 := build(t, s, nil, src{"a", []feed.Record{{Advisory: adv("GHSA-2", day(1), "npm/a")}}})
	deadline := time.Now().Add(5 * time.Second)
	for w.DB().Version() != r2.Version && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
	if w.DB().Version() != r2.Version {
		t.Fatalf("watcher did not pick up %s", r2.Version)
	}
	if diff := cmp.Diff([]string{"GHSA-2"}, ids(t, w.DB(), "npm", "a")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(swaps) != 2 {
		t.Errorf("onSwap called %d times, want 2", len(swaps))
	}
}

func TestConcurrentWritersSerialize(t *testing.T) {
	s := newStore(t)
	b1, err := s.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := s.Begin(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second Begin while the first holds the lock = %v, want a deadline error", err)
	}
	b1.Abort()
	b2, err := s.Begin(t.Context())
	if err != nil {
		t.Fatalf("Begin after Abort: %v", err)
	}
	b2.Abort()
}

func TestLookupCacheShared(t *testing.T) {
	s := newStore(t)
	build(t, s, nil, src{"a", []feed.Record{{Advisory: adv("GHSA-1", day(1), "npm/a")}, {Advisory: adv("GHSA-2", day(1), "npm/a")}}})
	db := open(t, s)
	first, err := db.Lookup("npm", "a")
	if err != nil || len(first) != 2 {
		t.Fatal(first, err)
	}
	grown := append(first, nil) // appending must not write into the cache
	_ = grown
	second, err := db.Lookup("npm", "a")
	if err != nil || len(second) != 2 || cap(second) != 2 {
		t.Fatalf("cached lookup: %v (cap %d), %v", second, cap(second), err)
	}
	if &second[0] != &first[0] {
		t.Error("second lookup was not served from the cache")
	}
	if n := testing.AllocsPerRun(100, func() { db.Lookup("npm", "a") }); n != 0 {
		t.Errorf("a cached lookup allocates %v times", n)
	}
}

func TestLookupCacheBounded(t *testing.T) {
	const max, size = 1 << 20, 1000
	c := newLookupCache(max)
	e := []*osv.Entry{{ID: "x"}}
	c.put("hot", e, size)
	c.put("huge", e, max/2) // larger than a quarter: not cached
	for i := range 10 * max / size {
		c.put(fmt.Sprint(i), e, size)
		if i%100 == 0 {
			if _, ok := c.get([]byte("hot")); !ok {
				t.Fatalf("hot key evicted after %d puts", i)
			}
		}
		if c.bytes > max || len(c.ring) != len(c.m) {
			t.Fatalf("cache holds %d bytes (bound %d), ring %d, map %d", c.bytes, max, len(c.ring), len(c.m))
		}
	}
	if _, ok := c.get([]byte("huge")); ok {
		t.Error("huge result cached")
	}
}
