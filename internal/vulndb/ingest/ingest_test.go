package ingest

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/vulndb"
)

// realData is the shared real advisory data (see its README).
const realData = "../../../../shared/testdata/vulndb"

func needReal(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(realData, "README.md")); err != nil {
		t.Skipf("real data not available: %v", err)
	}
	return realData
}

// importPaths imports paths into a new store and returns the opened version.
func importPaths(t *testing.T, opts Options, paths ...string) (*vulndb.DB, Report, error) {
	t.Helper()
	s, err := vulndb.NewStore(filepath.Join(t.TempDir(), "vulndb"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	inputs, err := Prepare(paths)
	if err != nil {
		return nil, Report{}, err
	}
	defer func() {
		for _, in := range inputs {
			in.Close()
		}
	}()
	b, err := s.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Abort()
	rep, err := Import(t.Context(), b, inputs, opts)
	if err != nil {
		return nil, rep, err
	}
	if _, err := b.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	db, err := s.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, rep, nil
}

type golden struct {
	records, withdrawn, nvd, files int
	ecosystems                     map[string]int
}

var alpineReleases = map[string]int{
	"Alpine:v3.3": 458, "Alpine:v3.4": 680, "Alpine:v3.5": 880, "Alpine:v3.6": 1050, "Alpine:v3.7": 1403,
	"Alpine:v3.8": 1502, "Alpine:v3.9": 1582, "Alpine:v3.10": 1735, "Alpine:v3.11": 1916,
}

// goldens are the counts in testdata/README.md, established independently
// by testdata/crosscheck.py.
var goldens = map[string]golden{
	"go-vulndb":              {records: 4291, withdrawn: 17, files: 4291, ecosystems: map[string]int{"Go": 4274}},
	"pypa-advisory-database": {records: 2661, withdrawn: 10, files: 2661, ecosystems: map[string]int{"PyPI": 2651}},
	"almalinux-osv":          {records: 1780, files: 1780, ecosystems: map[string]int{"AlmaLinux:8": 34, "AlmaLinux:9": 1780, "AlmaLinux:10": 9}},
	"rustsec-osv":            {records: 1206, withdrawn: 13, files: 1206, ecosystems: map[string]int{"crates.io": 1193}},
	"ghsa-curated":           {records: 8, files: 8, ecosystems: map[string]int{"Maven": 3, "npm": 5}},
	"alpine-secdb":           {records: 2469, files: 18, ecosystems: alpineReleases},
	"nvd-cve-2.0":            {nvd: 23, files: 23, ecosystems: map[string]int{}},
}

func TestGoldenRealData(t *testing.T) {
	root := needReal(t)
	all := golden{ecosystems: map[string]int{}}
	for dir, want := range goldens {
		t.Run(dir, func(t *testing.T) {
			db, rep, err := importPaths(t, Options{Strict: true}, filepath.Join(root, dir))
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			check(t, db, rep, want)
		})
		all.records += want.records
		all.withdrawn += want.withdrawn
		all.nvd += want.nvd
		all.files += want.files
		for e, n := range want.ecosystems {
			all.ecosystems[e] += n
		}
	}
	t.Run("all", func(t *testing.T) {
		db, rep, err := importPaths(t, Options{Strict: true}, root)
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		check(t, db, rep, all)
		// README.md, the licence files: 5 files that are not feeds.
		if len(rep.Ignored) != 5 {
			t.Errorf("ignored %v, want the README and 4 licence files", rep.Ignored)
		}
	})
}

func check(t *testing.T, db *vulndb.DB, rep Report, want golden) {
	t.Helper()
	m := db.Status().Meta
	if rep.Malformed != 0 {
		t.Errorf("%d malformed records, first %v", rep.Malformed, rep.Problems[0])
	}
	if m.Records != want.records || m.Withdrawn != want.withdrawn || m.NVD != want.nvd || rep.Files-len(rep.Ignored) != want.files {
		t.Errorf("records %d withdrawn %d nvd %d files %d; want %d %d %d %d",
			m.Records, m.Withdrawn, m.NVD, rep.Files-len(rep.Ignored), want.records, want.withdrawn, want.nvd, want.files)
	}
	if diff := cmp.Diff(want.ecosystems, m.Ecosystems); diff != "" {
		t.Errorf("ecosystems (-want +got):\n%s", diff)
	}
	if m.GitOnly != 0 {
		t.Errorf("GitOnly = %d, the real data has no GIT ranges", m.GitOnly)
	}
}

// TestRealLookups spot-checks records the golden counts cannot see.
func TestRealLookups(t *testing.T) {
	root := needReal(t)
	db, _, err := importPaths(t, Options{}, filepath.Join(root, "ghsa-curated"), filepath.Join(root, "alpine-secdb"), filepath.Join(root, "nvd-cve-2.0"))
	if err != nil {
		t.Fatal(err)
	}
	es, err := db.Lookup("Maven", "org.apache.logging.log4j:log4j-core")
	if err != nil || len(es) != 1 || es[0].ID != "GHSA-jfh8-c2jp-5v3q" {
		t.Fatalf("log4j-core: %v, %v", es, err)
	}
	es, err = db.Lookup("Alpine:v3.11", "openssl")
	if err != nil || len(es) == 0 {
		t.Fatalf("openssl on v3.11: %v, %v", es, err)
	}
	en, err := db.Enrichment("CVE-2024-3094")
	if err != nil || en == nil || en.NVD == nil || len(en.NVD.CWEs) == 0 {
		t.Errorf("CVE-2024-3094 enrichment: %+v, %v", en, err)
	}
}

// zipDir writes the files of dir into a flat zip, as OSV.dev's all.zip.
func zipDir(t *testing.T, dir, out string) int {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(filepath.Base(p))
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return len(files)
}

func TestOSVAllZip(t *testing.T) {
	root := needReal(t)
	zipPath := filepath.Join(t.TempDir(), "all.zip")
	if n := zipDir(t, filepath.Join(root, "rustsec-osv", "crates"), zipPath); n != 1206 {
		t.Fatalf("zipped %d files", n)
	}
	db, rep, err := importPaths(t, Options{Strict: true}, zipPath)
	if err != nil {
		t.Fatal(err)
	}
	check(t, db, rep, goldens["rustsec-osv"])
}

func gz(t *testing.T, data []byte, out string) {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(data)
	w.Close()
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFixturesMalformedAndStrict(t *testing.T) {
	dir := t.TempDir()
	epss, err := os.ReadFile("../feed/epss/testdata/epss.csv")
	if err != nil {
		t.Fatal(err)
	}
	gz(t, epss, filepath.Join(dir, "epss_scores-current.csv.gz"))
	for _, f := range []string{"../feed/kev/testdata/kev.json", "../feed/debian/testdata/tracker.json", "../feed/osv/testdata/malformed.yaml",
		"../feed/osv/testdata/handwritten.yaml", "../feed/alpine/testdata/v3.18-main.json"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a feed\n"), 0o644)

	db, rep, err := importPaths(t, Options{}, dir)
	if err != nil {
		t.Fatal(err)
	}
	m := db.Status().Meta
	// 4 EPSS + 2 KEV; advisories: 5 Debian + 6 Alpine + 1 OSV YAML.
	if m.EPSS != 4 || m.KEV != 2 || m.Records != 12 {
		t.Errorf("epss %d kev %d records %d; want 4 2 12", m.EPSS, m.KEV, m.Records)
	}
	// 4 EPSS rows, 2 KEV entries, 5 Debian, 2 Alpine, 1 OSV.
	if rep.Malformed != 14 {
		t.Errorf("malformed = %d, want 14: %v", rep.Malformed, rep.Problems)
	}
	var sawEPSS bool
	for _, p := range rep.Problems {
		if p.File == "" || p.Err == nil {
			t.Errorf("problem without file or reason: %+v", p)
		}
		if strings.HasSuffix(p.File, "epss_scores-current.csv.gz") && p.Record == "line 7" && strings.Contains(p.Err.Error(), "not a number in [0,1]") {
			sawEPSS = true
		}
	}
	if !sawEPSS {
		t.Errorf("EPSS line 7 not reported with its file and reason: %v", rep.Problems)
	}
	if diff := cmp.Diff([]string{filepath.Join(dir, "notes.txt")}, rep.Ignored); diff != "" {
		t.Errorf("ignored (-want +got):\n%s", diff)
	}
	if _, _, err := importPaths(t, Options{Strict: true}, dir); !errors.Is(err, ErrRejected) {
		t.Errorf("strict import = %v, want ErrRejected", err)
	}
	if _, _, err := importPaths(t, Options{}, filepath.Join(dir, "notes.txt")); !errors.Is(err, ErrUnrecognized) {
		t.Errorf("import of a non-feed file = %v, want ErrUnrecognized", err)
	}
}

func TestBombsAndLimits(t *testing.T) {
	dir := t.TempDir()
	zeros := make([]byte, 20<<20)

	bomb := filepath.Join(dir, "bomb.zip")
	f, _ := os.Create(bomb)
	zw := zip.NewWriter(f)
	w, _ := zw.Create("all.json")
	w.Write(zeros)
	zw.Close()
	f.Close()

	gzBomb := filepath.Join(dir, "bomb.json.gz")
	gz(t, append([]byte(`{"id":"X","modified":"2024-01-01","details":"`), zeros...), gzBomb)

	big := filepath.Join(dir, "big.zip")
	f, _ = os.Create(big)
	zw = zip.NewWriter(f)
	for _, n := range []string{"a.json", "b.json"} {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Store})
		w.Write(bytes.Repeat([]byte("x"), 600))
	}
	zw.Close()
	f.Close()

	tests := []struct {
		name string
		path string
		lim  Limits
	}{
		{name: "zip entry ratio", path: bomb},
		{name: "zip entry size", path: bomb, lim: Limits{MaxEntrySize: 1 << 20, MaxRatio: 1 << 30}},
		{name: "zip total size", path: big, lim: Limits{MaxTotalSize: 1000}},
		{name: "gzip ratio", path: gzBomb},
		{name: "gzip size", path: gzBomb, lim: Limits{MaxFileSize: 1 << 20, MaxRatio: 1 << 30}},
		{name: "file size", path: "../feed/kev/testdata/kev.json", lim: Limits{MaxFileSize: 1000}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := importPaths(t, Options{Limits: tc.lim}, tc.path)
			if !errors.Is(err, ErrLimit) {
				t.Fatalf("import = %v, want ErrLimit", err)
			}
		})
	}
}

func TestBundleInput(t *testing.T) {
	s, err := vulndb.NewStore(filepath.Join(t.TempDir(), "vulndb"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	inputs, err := Prepare([]string{"../feed/kev/testdata/kev.json"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Begin(t.Context())
	if _, err := Import(t.Context(), b, inputs, Options{}); err != nil {
		t.Fatal(err)
	}
	res, err := b.Commit(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(t.TempDir(), "export.db")
	if _, err := s.Export(bundle); err != nil {
		t.Fatal(err)
	}
	db, rep, err := importPaths(t, Options{}, bundle)
	if err != nil {
		t.Fatal(err)
	}
	if db.Version() != res.Version || rep.Feeds["bundle"] != 1 {
		t.Errorf("bundle import: version %s (want %s), feeds %v", db.Version(), res.Version, rep.Feeds)
	}
	in, err := Prepare([]string{bundle})
	if err != nil {
		t.Fatal(err)
	}
	defer in[0].Close()
	abs, _ := filepath.Abs("../feed/kev/testdata/kev.json")
	if diff := cmp.Diff([]string{"file:" + abs}, in[0].Sources()); diff != "" {
		t.Errorf("bundle sources (-want +got):\n%s", diff)
	}
}

func TestPrepareErrors(t *testing.T) {
	if _, err := Prepare([]string{"/nonexistent/feed.json"}); err == nil {
		t.Error("Prepare of a missing path = nil")
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.db")
	os.WriteFile(bad, []byte("DDVULNDB truncated"), 0o644)
	if _, err := Prepare([]string{bad}); !errors.Is(err, vulndb.ErrNotDatabase) && !errors.Is(err, vulndb.ErrCorrupt) {
		t.Errorf("Prepare of a broken bundle = %v", err)
	}
}
