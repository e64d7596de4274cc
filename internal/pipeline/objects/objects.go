// Package objects stores the scan pipeline's derived objects (per-layer
// skeletons, per-image inventories) by name: a directory of files on the
// local filesystem now, an object store bucket later. Objects are caches
// or can be recomputed from the images' blobs: losing one costs a re-read,
// never a wrong result.
//
// # Layout
//
//	ROOT/
//	  <name>      one file per object; names are slash-separated paths
//	              such as "layers/sha256/ab/abcd....skeleton" and
//	              "inventories/sha256/ab/abcd....inventory"
//
// A Put writes a temporary file in the same directory and renames it into
// place, so a reader sees the old or the new object, never a part of one,
// and a crash leaves at worst a temporary file (removed by Open).
package objects

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// ErrNotFound is returned (wrapped) by Get for a name that holds nothing.
var ErrNotFound = errors.New("object not found")

// Store gets and puts whole objects by name.
type Store interface {
	// Get returns the object's bytes or an error wrapping ErrNotFound.
	Get(ctx context.Context, name string) ([]byte, error)
	// Put stores data under name, replacing what was there atomically.
	Put(ctx context.Context, name string, data []byte) error
	// Delete removes an object; deleting an absent object is not an error.
	Delete(ctx context.Context, name string) error
}

// Dir is a Store in a directory of the local filesystem.
type Dir struct {
	root string
	sync bool
}

var _ Store = (*Dir)(nil)

// tmpPrefix marks files being written.
const tmpPrefix = ".tmp-"

// Open returns the store rooted at root, creating it, and removes
// temporary files a crash left. With sync, Put fsyncs each object.
func Open(root string, sync bool) (*Dir, error) {
	if root == "" {
		return nil, errors.New("objects: empty root")
	}
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, fmt.Errorf("objects: %w", err)
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), tmpPrefix) {
			return os.Remove(p)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("objects: clean %s: %w", root, err)
	}
	return &Dir{root: root, sync: sync}, nil
}

// OpenShared returns the store rooted at root, creating it, for a
// directory other processes may be using at the same time (drydock scan's
// cache, which parallel scans share; a data directory a server is
// using): unlike Open it leaves temporary files alone, since they may be
// objects being written, and walks nothing (a scan of an image it has
// seen costs a few milliseconds; walking 5,000 objects cost ~30). Whoever
// owns the directory removes what crashes left: the server at Open,
// drydock scan's cache when it walks to trim (package scan/cache).
func OpenShared(root string) (*Dir, error) {
	if root == "" {
		return nil, errors.New("objects: empty root")
	}
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, fmt.Errorf("objects: %w", err)
	}
	return &Dir{root: root}, nil
}

// file maps a name to its path, refusing names that would leave the root.
func (d *Dir) file(name string) (string, error) {
	clean := path.Clean(name)
	if name == "" || clean != name || strings.HasPrefix(clean, "/") || clean == ".." || strings.HasPrefix(clean, "../") ||
		strings.HasPrefix(path.Base(clean), tmpPrefix) {
		return "", fmt.Errorf("objects: invalid name %q", name)
	}
	return filepath.Join(d.root, filepath.FromSlash(clean)), nil
}

// Get implements [Store].
func (d *Dir) Get(ctx context.Context, name string) ([]byte, error) {
	p, err := d.file(name)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("objects: %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("objects: %w", err)
	}
	return b, nil
}

// Put implements [Store].
func (d *Dir) Put(ctx context.Context, name string, data []byte) error {
	p, err := d.file(name)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return fmt.Errorf("objects: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), tmpPrefix)
	if err != nil {
		return fmt.Errorf("objects: %w", err)
	}
	_, err = f.Write(data)
	if err == nil && d.sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("objects: put %s: %w", name, err)
	}
	return nil
}

// Walker is implemented by stores that can list their objects (the
// garbage collector sweeps the ones nothing uses any more).
type Walker interface {
	// Walk calls fn with the name and modification time of every object
	// whose name starts with prefix (a directory such as "layers/"), in
	// lexical order. An error from fn stops the walk and is returned.
	// Objects written or deleted during the walk may or may not be seen.
	Walk(ctx context.Context, prefix string, fn func(name string, modTime time.Time) error) error
}

var _ Walker = (*Dir)(nil)

// Walk implements [Walker].
func (d *Dir) Walk(ctx context.Context, prefix string, fn func(name string, modTime time.Time) error) error {
	start := d.root
	if prefix != "" {
		dir := strings.TrimSuffix(prefix, "/")
		p, err := d.file(dir)
		if err != nil {
			return err
		}
		start = p
	}
	err := filepath.WalkDir(start, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed meanwhile, or no such prefix yet
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() || strings.HasPrefix(e.Name(), tmpPrefix) {
			return nil
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(d.root, p)
		if err != nil {
			return err
		}
		return fn(filepath.ToSlash(rel), info.ModTime())
	})
	if err != nil {
		return fmt.Errorf("objects: walk %s: %w", prefix, err)
	}
	return nil
}

// Delete implements [Store].
func (d *Dir) Delete(ctx context.Context, name string) error {
	p, err := d.file(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("objects: delete %s: %w", name, err)
	}
	return nil
}

// Discard is a Store that keeps nothing: every Get is a miss. It lets a
// cache built on a Store (the layer cache) do its work for one scan
// without writing anything (`drydock scan --no-cache`).
type Discard struct{}

var _ Store = Discard{}

// Get implements [Store]: always ErrNotFound.
func (Discard) Get(_ context.Context, name string) ([]byte, error) {
	return nil, fmt.Errorf("objects: %s: %w", name, ErrNotFound)
}

// Put implements [Store]: the data is dropped.
func (Discard) Put(context.Context, string, []byte) error { return nil }

// Delete implements [Store].
func (Discard) Delete(context.Context, string) error { return nil }
