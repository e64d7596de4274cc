package update

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/match"
	"github.com/drydock/drydock/internal/vulndb"
)

const realData = "../../../../shared/testdata/vulndb"

// feedServer serves files like a static feed host: ETag and Last-Modified,
// conditional requests answered by http.ServeContent.
type feedServer struct {
	mu       sync.Mutex
	files    map[string][]byte
	mod      map[string]time.Time
	fail     map[string]bool
	requests map[string]int
	notMod   int
}

func (f *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	data, ok := f.files[r.URL.Path]
	mod := f.mod[r.URL.Path]
	fail := f.fail[r.URL.Path]
	f.requests[r.URL.Path]++
	f.mu.Unlock()
	if fail {
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%x"`, sha256.Sum256(data)))
	rec := &statusRecorder{ResponseWriter: w}
	http.ServeContent(rec, r, r.URL.Path, mod, bytes.NewReader(data))
	if rec.code == http.StatusNotModified {
		f.mu.Lock()
		f.notMod++
		f.mu.Unlock()
	}
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(c int) { s.code = c; s.ResponseWriter.WriteHeader(c) }

func (f *feedServer) set(path string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[path] = data
	f.mod[path] = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(len(f.mod)+len(data)) * time.Second)
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Skipf("test data not available: %v", err)
	}
	return b
}

func zipOf(t *testing.T, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Skipf("no files in %s", dir)
	}
	for _, p := range files {
		w, _ := zw.Create(filepath.Base(p))
		w.Write(readFile(t, p))
	}
	zw.Close()
	return buf.Bytes()
}

func setup(t *testing.T) (*feedServer, *httptest.Server, []Source, *vulndb.Store) {
	t.Helper()
	fs := &feedServer{files: map[string][]byte{}, mod: map[string]time.Time{}, fail: map[string]bool{}, requests: map[string]int{}}
	fs.set("/crates.io/all.zip", zipOf(t, filepath.Join(realData, "rustsec-osv", "crates")))
	fs.set("/v3.11/main.yaml", readFile(t, filepath.Join(realData, "alpine-secdb", "v3.11", "main.yaml")))
	fs.set("/nvd/CVE-2024-3094.json", readFile(t, filepath.Join(realData, "nvd-cve-2.0", "CVE-2024-3094.json")))
	fs.set("/kev.json", readFile(t, "../feed/kev/testdata/kev.json"))
	srv := httptest.NewServer(fs)
	t.Cleanup(srv.Close)
	var sources []Source
	for _, p := range []string{"/crates.io/all.zip", "/v3.11/main.yaml", "/nvd/CVE-2024-3094.json", "/kev.json"} {
		sources = append(sources, Source{URL: srv.URL + p})
	}
	store, err := vulndb.NewStore(filepath.Join(t.TempDir(), "vulndb"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return fs, srv, sources, store
}

func status(t *testing.T, s *vulndb.Store) vulndb.Status {
	t.Helper()
	db, err := s.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return db.Status()
}

var discard = slog.New(slog.DiscardHandler)

func TestUpdateConditional(t *testing.T) {
	fs, _, sources, store := setup(t)
	cfg := Config{Sources: sources}

	res, err := Run(t.Context(), store, cfg, discard)
	if err != nil || !res.Built {
		t.Fatalf("first update: built=%v err=%v", res.Built, err)
	}
	st := status(t, store)
	m := st.Meta
	// 1193 non-withdrawn RustSec records; 1123 identifiers in v3.11/main
	// alone (counted with ../ingest/testdata/crosscheck.py's rules).
	if m.Ecosystems["crates.io"] != 1193 || m.Ecosystems["Alpine:v3.11"] != 1123 || m.NVD != 1 || m.KEV != 2 {
		t.Fatalf("first update counts: %+v", m)
	}
	for _, ss := range st.Stamp.Sources {
		if ss.ETag == "" || ss.LastModified == "" || ss.ImportedAt.IsZero() {
			t.Errorf("source %s stamp without validators: %+v", ss.Name, ss)
		}
	}
	v1 := st.Version

	// Nothing changed: every source answers 304 and no version is built.
	res, err = Run(t.Context(), store, cfg, discard)
	if err != nil || res.Built {
		t.Fatalf("second update: built=%v err=%v", res.Built, err)
	}
	if fs.notMod != 4 {
		t.Errorf("%d not-modified answers, want 4", fs.notMod)
	}
	if v := status(t, store).Version; v != v1 {
		t.Errorf("version changed to %s without changes", v)
	}

	// One source changes: only it is downloaded again; the rest is kept.
	fs.set("/kev.json", bytes.Replace(readFile(t, "../feed/kev/testdata/kev.json"), []byte("CVE-2024-3094"), []byte("CVE-2023-4863"), 1))
	fs.notMod = 0
	res, err = Run(t.Context(), store, cfg, discard)
	if err != nil || !res.Built {
		t.Fatalf("third update: built=%v err=%v", res.Built, err)
	}
	if fs.notMod != 3 {
		t.Errorf("%d not-modified answers, want 3", fs.notMod)
	}
	db, err := store.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Version() == v1 {
		t.Error("version unchanged after a source changed")
	}
	if en, _ := db.Enrichment("CVE-2023-4863"); en == nil || en.KEV == nil {
		t.Error("changed KEV entry missing")
	}
	if en, _ := db.Enrichment("CVE-2024-3094"); en == nil || en.KEV != nil || en.NVD == nil {
		t.Errorf("CVE-2024-3094: want NVD kept and KEV gone, got %+v", en)
	}
	if m := db.Status().Meta; m.Ecosystems["crates.io"] != 1193 || m.Ecosystems["Alpine:v3.11"] != 1123 {
		t.Errorf("unchanged sources lost records: %+v", m.Ecosystems)
	}
}

func TestUpdateOfflineLeavesDatabase(t *testing.T) {
	_, srv, sources, store := setup(t)
	if _, err := Run(t.Context(), store, Config{Sources: sources}, discard); err != nil {
		t.Fatal(err)
	}
	before := status(t, store)
	files, _ := filepath.Glob(filepath.Join(store.Dir(), "*"))
	srv.Close() // offline: connections are refused

	res, err := Run(t.Context(), store, Config{Sources: sources}, discard)
	if !errors.Is(err, ErrOffline) || res.Built {
		t.Fatalf("offline update: built=%v err=%v, want ErrOffline", res.Built, err)
	}
	after := status(t, store)
	if after.Version != before.Version || !after.Stamp.BuiltAt.Equal(before.Stamp.BuiltAt) {
		t.Error("offline update changed the database")
	}
	files2, _ := filepath.Glob(filepath.Join(store.Dir(), "*"))
	if len(files2) != len(files) {
		t.Errorf("files before %v, after %v", files, files2)
	}

	// With no database at all, the error is the same and nothing is created.
	empty, _ := vulndb.NewStore(filepath.Join(t.TempDir(), "vulndb"), discard)
	if _, err := Run(t.Context(), empty, Config{Sources: sources}, discard); !errors.Is(err, ErrOffline) {
		t.Fatalf("offline first update = %v", err)
	}
	if _, err := empty.Open(); !errors.Is(err, vulndb.ErrNoDatabase) {
		t.Errorf("offline first update created a database: %v", err)
	}
}

func TestUpdatePartialFailure(t *testing.T) {
	fs, _, sources, store := setup(t)
	if _, err := Run(t.Context(), store, Config{Sources: sources}, discard); err != nil {
		t.Fatal(err)
	}
	v1 := status(t, store).Version
	fs.mu.Lock()
	fs.fail["/v3.11/main.yaml"] = true
	fs.mu.Unlock()
	fs.set("/kev.json", []byte(`{"catalogVersion":"x","vulnerabilities":[]}`))

	_, err := Run(t.Context(), store, Config{Sources: sources}, discard)
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("update with a failing source = %v, want ErrFailed", err)
	}
	if v := status(t, store).Version; v != v1 {
		t.Error("a failed update changed the database")
	}

	res, err := Run(t.Context(), store, Config{Sources: sources, AllowPartial: true}, discard)
	if !errors.Is(err, ErrFailed) || !res.Built {
		t.Fatalf("partial update: built=%v err=%v", res.Built, err)
	}
	m := status(t, store).Meta
	if m.KEV != 0 || m.Ecosystems["Alpine:v3.11"] != 1123 {
		t.Errorf("partial update: KEV %d (want 0, source emptied), Alpine %d (want 1123, failed source kept)", m.KEV, m.Ecosystems["Alpine:v3.11"])
	}
}

func TestDefaultSources(t *testing.T) {
	src := DefaultSources(time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	want := map[string]bool{
		"https://osv-vulnerabilities.storage.googleapis.com/Rocky%20Linux/all.zip":            true,
		"https://osv-vulnerabilities.storage.googleapis.com/Red%20Hat/all.zip":                true,
		"https://osv-vulnerabilities.storage.googleapis.com/crates.io/all.zip":                true,
		"https://security-tracker.debian.org/tracker/data/json":                               true,
		"https://nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-2026.json.gz":                     true,
		"https://nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-2002.json.gz":                     true,
		"https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json": true,
		"https://epss.empiricalsecurity.com/epss_scores-current.csv.gz":                       true,
	}
	for _, s := range src {
		delete(want, s.URL)
	}
	if len(want) != 0 {
		t.Errorf("missing default sources: %v", want)
	}
}

// TestDefaultSourcesCoverReleases: every OS release the matcher knows has
// its advisories in a default source (a release whose feed is not fetched
// would have its packages reported as having no data).
func TestDefaultSourcesCoverReleases(t *testing.T) {
	fetched := map[string]bool{"Debian": true} // the security tracker
	for _, e := range OSVEcosystems {
		fetched[e] = true
	}
	for _, d := range []pkg.Distro{
		{ID: "alpine", VersionID: "3.20.3"}, {ID: "wolfi", VersionID: "20230201"}, {ID: "chainguard"},
		{ID: "debian", VersionID: "12"}, {ID: "ubuntu", VersionID: "22.04"}, {ID: "almalinux", VersionID: "9.4"},
		{ID: "rocky", VersionID: "9.4"}, {ID: "rhel", VersionID: "9.4"}, {ID: "rhel", VersionID: "7.9"},
		{ID: "sles", VersionID: "15.5"}, {ID: "opensuse-leap", VersionID: "15.5"}, {ID: "opensuse-tumbleweed"},
		{ID: "mageia", VersionID: "9"}, {ID: "photon", VersionID: "5.0"},
	} {
		rel := match.ReleaseOf(&d)
		if len(rel.Ecosystems) == 0 {
			t.Errorf("%s %s: the matcher knows no ecosystem", d.ID, d.VersionID)
		}
		for _, eco := range rel.Ecosystems {
			base, _, _ := strings.Cut(eco, ":")
			if !fetched[base] {
				t.Errorf("%s %s: ecosystem %q is not fetched by default", d.ID, d.VersionID, eco)
			}
		}
	}
}

func TestUpdateReplacesOldFormat(t *testing.T) {
	_, _, sources, store := setup(t)
	data := readFile(t, filepath.Join("..", "testdata", "format1.db"))
	name := "vulndb-0123456789abcdef-1.db"
	if err := os.WriteFile(filepath.Join(store.Dir(), name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(store.Dir(), "current"), []byte(name+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Run(t.Context(), store, Config{Sources: sources}, discard)
	if err != nil || !res.Built {
		t.Fatalf("update over a format 1 database: built=%v err=%v", res.Built, err)
	}
	if m := status(t, store).Meta; m.Ecosystems["crates.io"] != 1193 || len(m.Sources) != len(sources) {
		t.Errorf("rebuilt database: %+v", m)
	}
}

// TestUpdatedAt checks that the database's age is the data's: the newest
// modified time in the feeds, not when the update ran.
func TestUpdatedAt(t *testing.T) {
	_, _, sources, store := setup(t)
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if _, err := Run(t.Context(), store, Config{Sources: sources, Now: func() time.Time { return now }}, discard); err != nil {
		t.Fatal(err)
	}
	st := status(t, store)
	var newest time.Time
	for _, s := range st.Sources() {
		// Alpine's secdb carries no dates: its data time is unknown.
		undated := strings.HasSuffix(s.Name, "/v3.11/main.yaml")
		if s.UpdatedAt.IsZero() != undated || s.UpdatedAt.After(now) || !s.CheckedAt.Equal(now) || !s.ImportedAt.Equal(now) {
			t.Errorf("source %s: updated %v, checked %v, imported %v", s.Name, s.UpdatedAt, s.CheckedAt, s.ImportedAt)
		}
		if s.UpdatedAt.After(newest) {
			newest = s.UpdatedAt
		}
	}
	if !st.UpdatedAt.Equal(newest) || !st.UpdatedAt.Before(now.AddDate(0, -1, 0)) {
		t.Errorf("UpdatedAt = %v, want the newest source time %v, well before the update at %v", st.UpdatedAt, newest, now)
	}
}

func TestParseSource(t *testing.T) {
	tests := []struct {
		in   string
		want Source
		err  bool
	}{
		{in: "https://example.org/all.zip", want: Source{URL: "https://example.org/all.zip"}},
		{in: "osv-go=https://example.org/Go/all.zip", want: Source{Name: "osv-go", URL: "https://example.org/Go/all.zip"}},
		{in: "http://example.org/feed?x=1", want: Source{URL: "http://example.org/feed?x=1"}},
		{in: "mirror=http://example.org/feed?x=1", want: Source{Name: "mirror", URL: "http://example.org/feed?x=1"}},
		{in: "/feeds/local.json", err: true},
		{in: "name=ftp://example.org/x", err: true},
		{in: "", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSource(tt.in)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
