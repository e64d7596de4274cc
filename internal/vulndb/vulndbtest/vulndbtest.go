// Package vulndbtest gives tests the shared test data (../shared/testdata
// beside the repository: real advisory data and real package manifests)
// and advisory databases imported from it, built the way `drydock db
// import` builds them.
package vulndbtest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/vulndb/ingest"
)

// SharedTestdata returns the shared test data directory:
// $DRYDOCK_SHARED_TESTDATA, else ../shared/testdata beside the repository.
func SharedTestdata() string {
	if d := os.Getenv("DRYDOCK_SHARED_TESTDATA"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0) // internal/vulndb/vulndbtest/vulndbtest.go
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "shared", "testdata")
}

// Fixture returns a file of the shared manifests (rel is relative to
// SharedTestdata()/manifests, e.g. "alpine/3.4.6/installed").
func Fixture(t testing.TB, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(SharedTestdata(), "manifests", rel))
	if err != nil {
		t.Fatalf("shared test data (set DRYDOCK_SHARED_TESTDATA?): %v", err)
	}
	return string(b)
}

// Import builds a database in dir (which must not hold one) from paths,
// anything `drydock db import` accepts, and opens it.
func Import(ctx context.Context, dir string, paths ...string) (*vulndb.DB, error) {
	s, err := vulndb.NewStore(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	inputs, err := ingest.Prepare(paths)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, in := range inputs {
			in.Close()
		}
	}()
	b, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := ingest.Import(ctx, b, inputs, ingest.Options{}); err != nil {
		b.Abort()
		return nil, err
	}
	if _, err := b.Commit(ctx); err != nil {
		return nil, err
	}
	return vulndb.Open(dir)
}

// ImportT is Import into a directory of t's, failing t on error. The
// database is not closed when t ends: servers a test starts may use it
// until their own cleanups, which can run later.
func ImportT(t testing.TB, paths ...string) *vulndb.DB {
	t.Helper()
	db, err := Import(context.Background(), t.TempDir(), paths...)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

var (
	sharedMu  sync.Mutex
	sharedDBs = map[string]func() (*vulndb.DB, error){}
	tempDirs  []string
)

// Shared returns the database of the named directories of the shared
// advisory data (SharedTestdata()/vulndb/<dir>: "alpine-secdb",
// "ghsa-curated", ...; none: all of it), imported once per test binary and
// shared by its tests, which must not change it. Call [Main] from
// TestMain to remove it afterwards.
func Shared(t testing.TB, dirs ...string) *vulndb.DB {
	t.Helper()
	dirs = slices.Sorted(slices.Values(dirs))
	key := strings.Join(dirs, "\x00")
	sharedMu.Lock()
	get, ok := sharedDBs[key]
	if !ok {
		get = sync.OnceValues(func() (*vulndb.DB, error) { return importShared(dirs) })
		sharedDBs[key] = get
	}
	sharedMu.Unlock()
	db, err := get()
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func importShared(dirs []string) (*vulndb.DB, error) {
	root := filepath.Join(SharedTestdata(), "vulndb")
	if _, err := os.Stat(root); err != nil {
		return nil, fmt.Errorf("shared advisory data missing (set DRYDOCK_SHARED_TESTDATA): %w", err)
	}
	paths := []string{root}
	if len(dirs) > 0 {
		paths = paths[:0]
		for _, d := range dirs {
			paths = append(paths, filepath.Join(root, d))
		}
	}
	dir, err := os.MkdirTemp("", "drydock-test-vulndb-")
	if err != nil {
		return nil, err
	}
	sharedMu.Lock()
	tempDirs = append(tempDirs, dir)
	sharedMu.Unlock()
	return Import(context.Background(), dir, paths...)
}

// Main runs m's tests, then removes the databases [Shared] built.
func Main(m *testing.M) {
	code := m.Run()
	sharedMu.Lock()
	for _, d := range tempDirs {
		os.RemoveAll(d)
	}
	sharedMu.Unlock()
	os.Exit(code)
}
