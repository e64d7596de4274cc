// Package fs is the local-filesystem implementation of [store.Blobs].
//
// # Layout
//
//	<root>/
//	  blobs/
//	    sha256/
//	      ab/
//	        ab12…ef          committed blob bytes, named by their digest
//	    sha512/…
//	  uploads/
//	    <id>/
//	      data               bytes received so far
//	      started            RFC 3339 start time of the session
//	      hashstate          sha256 state after the last write (resume without rehash)
//
// A blob becomes visible only by an atomic rename from uploads/<id>/data to
// its digest path after the digest has been verified, so a crash at any point
// leaves either no blob or a complete one. Committed files are never modified.
//
// Free space: uploads keep a reserve of free space on the filesystem
// (Config.Reserve; by default 1% of its size, within 16..256 MiB and at most
// a quarter of it). A write that would eat into it fails with an error
// wrapping syscall.ENOSPC, as a full disk does, so the metadata database on
// the same disk always has room for the deletes and collections that free
// space again. (SQLite's write-ahead log alone grows to 4 MiB before a
// checkpoint, which then copies those pages into the database file: with
// less than that free, not even a delete commits.)
//
// Durability: with Config.Sync the data file is fsynced before the rename and
// the directory after it (power-loss safe). Without it, a committed blob
// survives a process crash (the page cache belongs to the kernel) but not a
// power loss; this matches the metadata store's default.
package fs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// Config configures a [Store].
type Config struct {
	// Root is the directory that holds blobs/ and uploads/. Created if absent.
	Root string
	// Sync fsyncs blob data and directories on commit, for durability
	// against power loss (slower for large blobs).
	Sync bool
	// Reserve is the free space, in bytes, uploads leave on the filesystem
	// for metadata. 0 means 1% of the filesystem's size, within
	// 16..256 MiB and at most a quarter of it; negative means none.
	Reserve int64
}

// minAutoReserve and maxAutoReserve bound the automatic reserve;
// reserveCheckEvery is how many bytes an upload writes between two looks
// at the free space.
const (
	minAutoReserve    = 16 << 20
	maxAutoReserve    = 256 << 20
	reserveCheckEvery = 1 << 20
)

// autoReserve is the reserve kept on a filesystem of total bytes.
func autoReserve(total int64) int64 {
	return min(max(total/100, minAutoReserve), maxAutoReserve, total/4)
}

// Store keeps blobs in a directory tree.
type Store struct {
	cfg Config
	// hashes keeps the running sha256 of sessions between requests, so a
	// chunked upload is hashed once, as it streams.
	mu     sync.Mutex
	hashes map[string]*sessionHash
}

type sessionHash struct {
	h      hash.Hash
	offset int64
}

var _ store.Blobs = (*Store)(nil)

// New returns a Store rooted at root with default settings.
func New(root string) (*Store, error) { return Open(Config{Root: root}) }

// Open returns a Store for cfg.
func Open(cfg Config) (*Store, error) {
	if cfg.Root == "" {
		return nil, errors.New("fs: empty root directory")
	}
	for _, d := range []string{"blobs", "uploads"} {
		if err := os.MkdirAll(filepath.Join(cfg.Root, d), 0o750); err != nil {
			return nil, fmt.Errorf("fs: create %s: %w", d, err)
		}
	}
	return &Store{cfg: cfg, hashes: map[string]*sessionHash{}}, nil
}

func (s *Store) blobPath(d oci.Digest) (string, error) {
	if err := d.Validate(); err != nil || !oci.SupportedAlgorithm(d.Algorithm()) {
		return "", fmt.Errorf("fs: %w: %q", oci.ErrInvalidDigest, d)
	}
	h := d.Encoded()
	return filepath.Join(s.cfg.Root, "blobs", string(d.Algorithm()), h[:2], h), nil
}

func (s *Store) uploadDir(id string) (string, error) {
	if !validID(id) {
		return "", fmt.Errorf("fs: upload %q: %w", id, store.ErrUploadUnknown)
	}
	return filepath.Join(s.cfg.Root, "uploads", id), nil
}

// validID accepts only the ids this package makes (hex), so an id from a URL
// can never name a path outside uploads/.
func validID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

// Stat implements [store.Blobs].
func (s *Store) Stat(_ context.Context, d oci.Digest) (int64, error) {
	p, err := s.blobPath(d)
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, iofs.ErrNotExist) {
			return 0, fmt.Errorf("fs: %s: %w", d, store.ErrBlobUnknown)
		}
		return 0, fmt.Errorf("fs: stat %s: %w", d, err)
	}
	return fi.Size(), nil
}

// Open implements [store.Blobs]; it returns an *os.File.
func (s *Store) Open(_ context.Context, d oci.Digest) (io.ReadSeekCloser, error) {
	p, err := s.blobPath(d)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, iofs.ErrNotExist) {
			return nil, fmt.Errorf("fs: %s: %w", d, store.ErrBlobUnknown)
		}
		return nil, fmt.Errorf("fs: open %s: %w", d, err)
	}
	return f, nil
}

// Delete implements [store.Blobs].
func (s *Store) Delete(_ context.Context, d oci.Digest) error {
	p, err := s.blobPath(d)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, iofs.ErrNotExist) {
		return fmt.Errorf("fs: delete %s: %w", d, err)
	}
	return nil
}

// Walk implements [store.Blobs].
func (s *Store) Walk(ctx context.Context, fn func(store.BlobInfo) error) error {
	root := filepath.Join(s.cfg.Root, "blobs")
	return filepath.WalkDir(root, func(path string, de iofs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if de.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) != 3 {
			return nil
		}
		d := digest.NewDigestFromEncoded(digest.Algorithm(parts[0]), parts[2])
		if d.Validate() != nil {
			return nil // not ours (e.g. a stray temp file)
		}
		fi, err := de.Info()
		if err != nil {
			if errors.Is(err, iofs.ErrNotExist) {
				return nil
			}
			return err
		}
		return fn(store.BlobInfo{Digest: d, Size: fi.Size(), ModTime: fi.ModTime()})
	})
}

// WalkUploads implements [store.Blobs].
func (s *Store) WalkUploads(ctx context.Context, fn func(id string, started time.Time) error) error {
	ents, err := os.ReadDir(filepath.Join(s.cfg.Root, "uploads"))
	if err != nil {
		return fmt.Errorf("fs: list uploads: %w", err)
	}
	for _, e := range ents {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !e.IsDir() || !validID(e.Name()) {
			continue
		}
		started, err := readStarted(filepath.Join(s.cfg.Root, "uploads", e.Name()))
		if err != nil {
			// A session dir without a start stamp was cut short by a crash at
			// creation: report it as ancient so it is swept.
			started = time.Time{}
		}
		if err := fn(e.Name(), started); err != nil {
			return err
		}
	}
	return nil
}

func readStarted(dir string) (time.Time, error) {
	b, err := os.ReadFile(filepath.Join(dir, "started"))
	if err != nil {
		return time.Time{}, err
	}
	return time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
}

// NewUpload implements [store.Blobs].
func (s *Store) NewUpload(_ context.Context) (store.Upload, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("fs: upload id: %w", err)
	}
	id := hex.EncodeToString(b[:])
	if err := s.checkReserve(0); err != nil {
		return nil, fmt.Errorf("fs: new upload: %w", err)
	}
	dir := filepath.Join(s.cfg.Root, "uploads", id)
	if err := os.Mkdir(dir, 0o750); err != nil {
		return nil, fmt.Errorf("fs: new upload: %w", err)
	}
	// A session that cannot start (a full disk, say) leaves nothing behind.
	if err := os.WriteFile(filepath.Join(dir, "started"), []byte(time.Now().UTC().Format(time.RFC3339Nano)), 0o640); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("fs: new upload: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "data"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("fs: new upload: %w", err)
	}
	return &upload{s: s, id: id, dir: dir, f: f, h: sha256.New()}, nil
}

// ResumeUpload implements [store.Blobs].
func (s *Store) ResumeUpload(_ context.Context, id string) (store.Upload, error) {
	dir, err := s.uploadDir(id)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "data"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		if errors.Is(err, iofs.ErrNotExist) {
			return nil, fmt.Errorf("fs: upload %s: %w", id, store.ErrUploadUnknown)
		}
		return nil, fmt.Errorf("fs: resume upload %s: %w", id, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("fs: resume upload %s: %w", id, err)
	}
	u := &upload{s: s, id: id, dir: dir, f: f, size: fi.Size()}
	s.mu.Lock()
	if sh, ok := s.hashes[id]; ok && sh.offset == u.size {
		u.h = sh.h
	}
	delete(s.hashes, id)
	s.mu.Unlock()
	if u.h == nil {
		u.h = loadHashState(dir, u.size) // nil when unknown: Commit rehashes
	}
	return u, nil
}

// loadHashState restores a persisted sha256 state saved at exactly offset.
func loadHashState(dir string, offset int64) hash.Hash {
	b, err := os.ReadFile(filepath.Join(dir, "hashstate"))
	if err != nil {
		return nil
	}
	i := strings.IndexByte(string(b), '\n')
	if i < 0 {
		return nil
	}
	off, err := strconv.ParseInt(string(b[:i]), 10, 64)
	if err != nil || off != offset {
		return nil
	}
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(b[i+1:]); err != nil {
		return nil
	}
	return h
}

type upload struct {
	s    *Store
	id   string
	dir  string
	f    *os.File
	h    hash.Hash // running sha256 of data[0:size], nil if unknown
	size int64
	done bool
	// unchecked counts bytes written since the free space was last
	// checked; checked is false until the first check.
	unchecked int64
	checked   bool
}

// checkReserve returns an error wrapping syscall.ENOSPC when writing n more
// bytes would leave less free space than the reserve.
func (s *Store) checkReserve(n int64) error {
	if s.cfg.Reserve < 0 {
		return nil
	}
	free, total, ok := diskSpace(s.cfg.Root)
	if !ok {
		return nil
	}
	reserve := s.cfg.Reserve
	if reserve == 0 {
		reserve = autoReserve(total)
	}
	if free-n < reserve {
		return fmt.Errorf("%d bytes free, %d kept in reserve: %w", free, reserve, syscall.ENOSPC)
	}
	return nil
}

func (u *upload) ID() string  { return u.id }
func (u *upload) Size() int64 { return u.size }

func (u *upload) Write(p []byte) (int, error) {
	if u.done {
		return 0, errors.New("fs: write to a finished upload")
	}
	if u.unchecked += int64(len(p)); !u.checked || u.unchecked >= reserveCheckEvery {
		u.checked, u.unchecked = true, 0
		if err := u.s.checkReserve(int64(len(p))); err != nil {
			return 0, fmt.Errorf("fs: upload %s: %w", u.id, err)
		}
	}
	n, err := u.f.Write(p)
	if u.h != nil {
		u.h.Write(p[:n])
	}
	u.size += int64(n)
	if err != nil {
		return n, fmt.Errorf("fs: upload %s: %w", u.id, err)
	}
	return n, nil
}

// ReadFrom lets io.Copy stream into the session with large buffers.
func (u *upload) ReadFrom(r io.Reader) (int64, error) {
	buf := make([]byte, 1<<20)
	return io.CopyBuffer(writerOnly{u}, r, buf)
}

type writerOnly struct{ io.Writer }

// Close keeps the session for a later resume, remembering the hash state.
func (u *upload) Close() error {
	if u.done {
		return nil
	}
	u.done = true
	err := u.f.Close()
	if u.h != nil {
		u.s.mu.Lock()
		u.s.hashes[u.id] = &sessionHash{h: u.h, offset: u.size}
		u.s.mu.Unlock()
		if m, ok := u.h.(encoding.BinaryMarshaler); ok {
			if st, merr := m.MarshalBinary(); merr == nil {
				b := append([]byte(strconv.FormatInt(u.size, 10)+"\n"), st...)
				_ = os.WriteFile(filepath.Join(u.dir, "hashstate"), b, 0o640)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("fs: close upload %s: %w", u.id, err)
	}
	return nil
}

func (u *upload) forget() {
	u.s.mu.Lock()
	delete(u.s.hashes, u.id)
	u.s.mu.Unlock()
}

// Cancel implements [store.Upload].
func (u *upload) Cancel(_ context.Context) error {
	if !u.done {
		u.done = true
		u.f.Close()
	}
	u.forget()
	if err := os.RemoveAll(u.dir); err != nil {
		return fmt.Errorf("fs: cancel upload %s: %w", u.id, err)
	}
	return nil
}

// Commit implements [store.Upload]. A failed commit discards the session
// and its bytes (a sync or rename that failed on a full disk must not
// leave them holding space).
func (u *upload) Commit(ctx context.Context, want oci.Digest) (_ store.BlobInfo, err error) {
	if u.done {
		return store.BlobInfo{}, errors.New("fs: commit of a finished upload")
	}
	if _, err := oci.ParseDigest(want.String()); err != nil {
		return store.BlobInfo{}, fmt.Errorf("fs: commit: %w", err)
	}
	defer func() {
		if err != nil {
			if !u.done {
				u.done = true
				u.f.Close()
			}
			u.forget()
			_ = os.RemoveAll(u.dir)
		}
	}()
	if u.s.cfg.Sync {
		if err := u.f.Sync(); err != nil {
			return store.BlobInfo{}, fmt.Errorf("fs: sync upload %s: %w", u.id, err)
		}
	}
	u.done = true
	if err := u.f.Close(); err != nil {
		return store.BlobInfo{}, fmt.Errorf("fs: close upload %s: %w", u.id, err)
	}
	u.forget()
	data := filepath.Join(u.dir, "data")
	got, err := u.digest(ctx, want.Algorithm(), data)
	if err != nil {
		return store.BlobInfo{}, err
	}
	if got != want {
		_ = os.RemoveAll(u.dir)
		return store.BlobInfo{}, fmt.Errorf("fs: upload %s hashes to %s, not %s: %w", u.id, got, want, store.ErrDigestMismatch)
	}
	dst, err := u.s.blobPath(want)
	if err != nil {
		return store.BlobInfo{}, err
	}
	info := store.BlobInfo{Digest: want, Size: u.size, ModTime: time.Now()}
	if _, err := os.Stat(dst); err == nil {
		// Already stored (content addressed: same bytes).
		_ = os.RemoveAll(u.dir)
		return info, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return store.BlobInfo{}, fmt.Errorf("fs: commit %s: %w", want, err)
	}
	if err := os.Rename(data, dst); err != nil {
		return store.BlobInfo{}, fmt.Errorf("fs: commit %s: %w", want, err)
	}
	if u.s.cfg.Sync {
		if err := syncDir(filepath.Dir(dst)); err != nil {
			return store.BlobInfo{}, fmt.Errorf("fs: commit %s: %w", want, err)
		}
	}
	_ = os.RemoveAll(u.dir)
	return info, nil
}

// digest returns the digest of the session's data with algorithm alg, using
// the running sha256 when it is complete, else rehashing the file.
func (u *upload) digest(ctx context.Context, alg digest.Algorithm, path string) (oci.Digest, error) {
	if alg == digest.SHA256 && u.h != nil {
		return digest.NewDigest(alg, u.h), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("fs: rehash upload %s: %w", u.id, err)
	}
	defer f.Close()
	dg := alg.Digester()
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, rerr := f.Read(buf)
		dg.Hash().Write(buf[:n])
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return "", fmt.Errorf("fs: rehash upload %s: %w", u.id, rerr)
		}
	}
	return dg.Digest(), nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
