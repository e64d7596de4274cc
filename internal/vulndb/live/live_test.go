package live

import (
	"archive/zip"
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/vulndb/feed"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// logs records what the manager logs.
type logs struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logs) Enabled(context.Context, slog.Level) bool { return true }
func (l *logs) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	return nil
}
func (l *logs) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logs) WithGroup(string) slog.Handler      { return l }

// at returns the records at level or above.
func (l *logs) at(level slog.Level) []slog.Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []slog.Record
	for _, r := range l.records {
		if r.Level >= level {
			out = append(out, r)
		}
	}
	return out
}

func attr(r slog.Record, key string) (slog.Value, bool) {
	var v slog.Value
	found := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v, found = a.Value, true
			return false
		}
		return true
	})
	return v, found
}

// feeds serves the package's fixture feeds: an OSV all.zip of the real
// records in ../osv/testdata and the CISA KEV catalog of ../feed/kev.
func feeds(t *testing.T) (*httptest.Server, []string, *int) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	files, _ := filepath.Glob(filepath.Join("..", "osv", "testdata", "*.json"))
	if len(files) == 0 {
		t.Fatal("no OSV fixtures")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := zw.Create(filepath.Base(f))
		w.Write(data)
	}
	zw.Close()
	kev, err := os.ReadFile(filepath.Join("..", "feed", "kev", "testdata", "kev.json"))
	if err != nil {
		t.Fatal(err)
	}
	content := map[string][]byte{"/osv/all.zip": buf.Bytes(), "/kev.json": kev}
	var mu sync.Mutex
	requests := new(int)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*requests++
		mu.Unlock()
		b, ok := content[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, r.URL.Path, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), bytes.NewReader(b))
	}))
	t.Cleanup(srv.Close)
	return srv, []string{"osv=" + srv.URL + "/osv/all.zip", srv.URL + "/kev.json"}, requests
}

// run starts m in the background and stops it when the test ends.
func run(t *testing.T, m *Manager) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
}

// eventually waits for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFirstStartUpdatesInBackground(t *testing.T) {
	_, sources, _ := feeds(t)
	l := &logs{}
	m, err := New(Config{Dir: filepath.Join(t.TempDir(), "vulndb"), AutoUpdate: true, Sources: sources, PollInterval: 10 * time.Millisecond}, slog.New(l))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var changes []string
	m.OnChange(func(db *vulndb.DB) {
		mu.Lock()
		defer mu.Unlock()
		changes = append(changes, db.Version())
	})
	if m.DB() != nil || m.Status().Loaded {
		t.Fatal("a database before Run")
	}
	run(t, m)
	eventually(t, "the first update", func() bool { return m.DB() != nil })
	db := m.DB()
	if es, err := db.Lookup("Go", "github.com/coder/coder/v2"); err != nil || len(es) == 0 {
		t.Errorf("Lookup after the first update: %v, %v", es, err)
	}
	eventually(t, "the status after the update", func() bool { return !m.Status().LastUpdate.IsZero() })
	st := m.Status()
	if !st.Loaded || st.Version != db.Version() || len(st.Sources) != 2 || st.LastError != "" || st.Updating {
		t.Errorf("status %+v", st)
	}
	if d := st.NextUpdate.Sub(st.LastUpdate); d != DefaultUpdateInterval {
		t.Errorf("next update %v after the last, want %v", d, DefaultUpdateInterval)
	}
	if !strings.Contains(st.Message, "loaded") {
		t.Errorf("message %q", st.Message)
	}
	mu.Lock()
	if len(changes) != 1 || changes[0] != db.Version() {
		t.Errorf("OnChange calls %v, want one with %s", changes, db.Version())
	}
	mu.Unlock()
	// The summary line is logged just after the status is set.
	eventually(t, "the summary line", func() bool { return hasMessage(l.at(slog.LevelInfo), "advisory database updated") })
	if w := l.at(slog.LevelWarn); len(w) != 0 {
		t.Errorf("warnings on a successful update: %v", w)
	}
}

func hasMessage(rs []slog.Record, msg string) bool {
	for _, r := range rs {
		if r.Message == msg {
			return true
		}
	}
	return false
}

func TestOfflineStartRetries(t *testing.T) {
	srv, sources, _ := feeds(t)
	srv.Close() // offline: connections are refused
	l := &logs{}
	m, err := New(Config{Dir: filepath.Join(t.TempDir(), "vulndb"), AutoUpdate: true, Sources: sources,
		RetryInterval: 50 * time.Millisecond, PollInterval: 10 * time.Millisecond}, slog.New(l))
	if err != nil {
		t.Fatal(err)
	}
	run(t, m)
	eventually(t, "three attempts", func() bool { return len(l.at(slog.LevelWarn)) >= 3 })
	// Exactly one line per attempt, all of them this one, each saying
	// when the next attempt is; nothing from the sources themselves.
	for _, r := range l.at(slog.LevelWarn) {
		if r.Message != "no advisory database: the update failed, so findings stay pending; will retry" {
			t.Errorf("warning %q", r.Message)
		}
		retry, ok := attr(r, "retry_at")
		if !ok || !retry.Time().After(r.Time) {
			t.Errorf("warning without a retry time after it: %v", r)
		}
		if e, _ := attr(r, "err"); !strings.Contains(e.String(), "offline") {
			t.Errorf("the error does not say offline: %v", e)
		}
	}
	st := m.Status()
	if st.Loaded || m.DB() != nil || st.LastError == "" || st.LastErrorAt.IsZero() || !st.NextUpdate.After(st.LastErrorAt.Add(-time.Millisecond)) {
		t.Errorf("status %+v", st)
	}
	for _, want := range []string{"No advisory database", "next attempt at", "drydock db import"} {
		if !strings.Contains(st.Message, want) {
			t.Errorf("message %q does not say %q", st.Message, want)
		}
	}
}

// TestExternalInstall: a version installed by another process (drydock db
// import) is picked up and announced.
func TestExternalInstall(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "vulndb")
	l := &logs{}
	m, err := New(Config{Dir: dir, PollInterval: 10 * time.Millisecond}, slog.New(l))
	if err != nil {
		t.Fatal(err)
	}
	changes := make(chan string, 10)
	m.OnChange(func(db *vulndb.DB) { changes <- db.Version() })
	run(t, m)
	eventually(t, "the warning about no database", func() bool { return len(l.at(slog.LevelWarn)) == 1 })
	if st := m.Status(); st.Loaded || st.AutoUpdate || !st.NextUpdate.IsZero() || !strings.Contains(st.Message, "drydock db update") {
		t.Errorf("status without a database: %+v", st)
	}

	store, err := vulndb.NewStore(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"GHSA-1111-2222-3333", "GHSA-4444-5555-6666"} {
		b, err := store.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		e := &osv.Entry{ID: id, Modified: time.Date(2025, 1, 1+i, 0, 0, 0, 0, time.UTC),
			Affected: []osv.Affected{{Package: osv.Package{Ecosystem: "npm", Name: "left-pad"}}}}
		if err := b.Add(b.Source("file:/feeds/x"), "osv", feed.Record{Advisory: e}); err != nil {
			t.Fatal(err)
		}
		res, err := b.Commit(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		select {
		case v := <-changes:
			if v != res.Version {
				t.Fatalf("OnChange with %s, installed %s", v, res.Version)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("install %d not picked up", i)
		}
		if got := m.DB().Version(); got != res.Version {
			t.Errorf("DB() is %s, installed %s", got, res.Version)
		}
		if st := m.Status(); !st.Loaded || !st.UpdatedAt.Equal(e.Modified) || st.Sources[0].Name != "file:/feeds/x" {
			t.Errorf("status %+v", st)
		}
	}
}

// TestScheduleFromLastFetch: a restart with a fresh database does not
// update again before UpdateInterval has passed since the last fetch.
func TestScheduleFromLastFetch(t *testing.T) {
	_, sources, requests := feeds(t)
	dir := filepath.Join(t.TempDir(), "vulndb")
	fetched := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	first, err := New(Config{Dir: dir, AutoUpdate: true, Sources: sources, Now: func() time.Time { return fetched }}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- first.Run(ctx) }()
	eventually(t, "the first update", func() bool { return !first.Status().LastUpdate.IsZero() })
	cancel()
	<-done
	n := *requests

	later := fetched.Add(3 * time.Hour)
	m, err := New(Config{Dir: dir, AutoUpdate: true, Sources: sources, UpdateInterval: 6 * time.Hour,
		Now: func() time.Time { return later }}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	run(t, m)
	eventually(t, "the schedule", func() bool { return !m.Status().NextUpdate.IsZero() })
	if st := m.Status(); !st.NextUpdate.Equal(fetched.Add(6*time.Hour)) || !st.Loaded {
		t.Errorf("next update %v, want 6 hours after the last fetch at %v", st.NextUpdate, fetched)
	}
	time.Sleep(100 * time.Millisecond)
	if *requests != n {
		t.Errorf("%d requests after the restart, want none yet", *requests-n)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for name, cfg := range map[string]Config{
		"source":   {Dir: t.TempDir(), Sources: []string{"/feeds/local.json"}},
		"interval": {Dir: t.TempDir(), RetryInterval: -time.Second},
		"dir":      {},
	} {
		if _, err := New(cfg, log); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
	if _, err := New(Config{Dir: t.TempDir()}, nil); err == nil {
		t.Error("New accepted a nil logger")
	}
}
