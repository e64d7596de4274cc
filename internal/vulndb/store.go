package vulndb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Store layout, under the data directory:
//
//	<data>/vulndb/
//	├── current                          name of the current version's file (replaced by rename)
//	├── vulndb-<version16>-<nanos>.db    immutable versions; current and the one before it are kept
//	├── .lock                            held (flock) by the one writer at a time
//	└── .build-*/                        a build in progress: spill file and the new version
//
// A build writes and fsyncs its file inside .build-*, renames it next to the
// others, then replaces current by writing current.tmp and renaming it. A
// reader therefore sees the old version or the new one, never a mix, and a
// build that fails before the last rename leaves everything as it was.

const pointerName = "current"

var versionFileRe = regexp.MustCompile(`^vulndb-[0-9a-f]{16}-[0-9]+\.db$`)

// Dir returns the advisory database directory inside a data directory.
func Dir(dataDir string) string { return filepath.Join(dataDir, "vulndb") }

// Store manages the versions in one database directory.
type Store struct {
	dir string
	log *slog.Logger
}

// NewStore returns the store in dir, creating the directory if needed.
func NewStore(dir string, log *slog.Logger) (*Store, error) {
	if dir == "" {
		return nil, errors.New("vulndb: empty database directory")
	}
	if log == nil {
		return nil, errors.New("vulndb: nil logger")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("vulndb: create %s: %w", dir, err)
	}
	return &Store{dir: dir, log: log}, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Open opens the current version of the database in dir with default
// options; it returns an error wrapping [ErrNoDatabase] when there is none
// yet.
func Open(dir string) (*DB, error) { return OpenWith(dir, Options{}) }

// OpenWith is Open with options.
func OpenWith(dir string, opts Options) (*DB, error) {
	name, err := readPointer(dir)
	if err != nil {
		return nil, err
	}
	// The name is vulndb-<version[:16]>-<time>.db; install verified the file.
	return openFile(filepath.Join(dir, name), opts, name[len("vulndb-"):len("vulndb-")+16])
}

// Has reports whether dir holds a database version (without opening it).
func Has(dir string) bool {
	_, err := readPointer(dir)
	return err == nil
}

// Open opens the store's current version (see [Open]).
func (s *Store) Open() (*DB, error) { return Open(s.dir) }

func readPointer(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, pointerName))
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%w in %s", ErrNoDatabase, dir)
	}
	if err != nil {
		return "", fmt.Errorf("vulndb: read pointer: %w", err)
	}
	name := strings.TrimSpace(string(b))
	if !versionFileRe.MatchString(name) {
		return "", fmt.Errorf("%w: pointer file names %q", ErrCorrupt, name)
	}
	return name, nil
}

func (s *Store) currentVersion() string {
	name, err := readPointer(s.dir)
	if err != nil {
		return ""
	}
	f, err := os.Open(filepath.Join(s.dir, name))
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() < int64(footerSize) {
		return ""
	}
	tail := make([]byte, footerSize)
	if _, err := f.ReadAt(tail, fi.Size()-int64(footerSize)); err != nil {
		return ""
	}
	// content hash sits after the section table and the format number
	return fmt.Sprintf("%x", tail[numSections*16+4:numSections*16+4+32])
}

// Begin starts a build of a new version. It waits (until ctx ends) for any
// other writer in this directory to finish.
func (s *Store) Begin(ctx context.Context) (*Builder, error) {
	lf, err := os.OpenFile(filepath.Join(s.dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("vulndb: lock: %w", err)
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for logged := false; ; {
		ok, err := lockFile(lf)
		if err != nil {
			lf.Close()
			return nil, fmt.Errorf("vulndb: lock: %w", err)
		}
		if ok {
			break
		}
		if !logged {
			s.log.InfoContext(ctx, "waiting for another database writer", "dir", s.dir)
			logged = true
		}
		select {
		case <-ctx.Done():
			lf.Close()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	unlock := func() { lf.Close() }
	// Builds left behind by a crash are garbage: we hold the lock.
	if old, _ := filepath.Glob(filepath.Join(s.dir, ".build-*")); len(old) > 0 {
		for _, o := range old {
			os.RemoveAll(o)
		}
	}
	tmp, err := os.MkdirTemp(s.dir, ".build-")
	if err != nil {
		unlock()
		return nil, fmt.Errorf("vulndb: build dir: %w", err)
	}
	spill, err := os.Create(filepath.Join(tmp, "spill"))
	if err != nil {
		os.RemoveAll(tmp)
		unlock()
		return nil, fmt.Errorf("vulndb: spill: %w", err)
	}
	return &Builder{store: s, unlock: unlock, tmp: tmp, spill: spill, spillW: bufio.NewWriterSize(spill, 1<<20),
		recs: map[string]*pending{}, parts: map[string][]*part{}, srcIdx: map[string]int{}}, nil
}

// install moves a finished file into place and makes it current.
func (s *Store) install(tmpPath, version string) (string, error) {
	prev, _ := readPointer(s.dir)
	// Verified once here, so that opening it (every drydock scan) need
	// not read and hash the whole file; see openFile. The hash is read
	// through the file, not the mapping, so hundreds of MiB of mapped
	// pages do not count against the importing process's memory.
	if err := verifyFileHash(tmpPath); err != nil {
		return "", fmt.Errorf("vulndb: install: %w", err)
	}
	if len(version) < 16 {
		return "", fmt.Errorf("vulndb: install: %w: version %q", ErrCorrupt, version)
	}
	db, err := openFile(tmpPath, Options{CacheBytes: -1}, version[:16])
	if err != nil {
		return "", fmt.Errorf("vulndb: install: %w", err)
	}
	if db.Version() != version {
		db.Close()
		return "", fmt.Errorf("vulndb: install: %w: wrote version %s, the file holds %s", ErrCorrupt, version, db.Version())
	}
	db.Close()
	name := fmt.Sprintf("vulndb-%s-%d.db", version[:16], time.Now().UnixNano())
	final := filepath.Join(s.dir, name)
	if err := os.Rename(tmpPath, final); err != nil {
		return "", fmt.Errorf("vulndb: install: %w", err)
	}
	if err := syncDir(s.dir); err != nil {
		os.Remove(final)
		return "", err
	}
	if err := writeFileAtomic(filepath.Join(s.dir, pointerName), []byte(name+"\n")); err != nil {
		os.Remove(final)
		return "", fmt.Errorf("vulndb: switch version: %w", err)
	}
	s.cleanup(name, prev)
	return final, nil
}

// cleanup removes version files other than keep; readers that still have an
// old version open keep their mapping (the file lives until unmapped).
func (s *Store) cleanup(keep ...string) {
	names, err := filepath.Glob(filepath.Join(s.dir, "vulndb-*.db"))
	if err != nil {
		return
	}
	for _, n := range names {
		base := filepath.Base(n)
		kept := false
		for _, k := range keep {
			if base == k {
				kept = true
			}
		}
		if !kept && versionFileRe.MatchString(base) {
			if err := os.Remove(n); err != nil {
				s.log.Warn("remove old database version", "file", n, "err", err)
			}
		}
	}
}

// writeFileAtomic replaces path with data: temp file, fsync, rename, fsync dir.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// Export copies the current version to dst (atomically: a temp file next
// to dst, then rename) and returns its version. The file is a complete
// database; `drydock db import` loads it on another machine.
func (s *Store) Export(dst string) (string, error) {
	db, err := s.Open()
	if err != nil {
		return "", err
	}
	defer db.Close()
	dir := filepath.Dir(dst)
	f, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".tmp-")
	if err != nil {
		return "", fmt.Errorf("vulndb: export: %w", err)
	}
	defer os.Remove(f.Name())
	src, err := os.Open(db.Path())
	if err != nil {
		f.Close()
		return "", fmt.Errorf("vulndb: export: %w", err)
	}
	defer src.Close()
	if _, err := io.Copy(f, src); err != nil {
		f.Close()
		return "", fmt.Errorf("vulndb: export: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", fmt.Errorf("vulndb: export: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("vulndb: export: %w", err)
	}
	if err := os.Rename(f.Name(), dst); err != nil {
		return "", fmt.Errorf("vulndb: export: %w", err)
	}
	return db.Version(), nil
}
