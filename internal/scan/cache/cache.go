package cache

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultMaxBytes is the default budget of a cache directory.
const DefaultMaxBytes = 512 << 20

// Store gets and puts whole objects by slash-separated name; object name
// is the file root/name.
type Store interface {
	Get(ctx context.Context, name string) ([]byte, error)
	Put(ctx context.Context, name string, data []byte) error
	Delete(ctx context.Context, name string) error
}

// Bounded is a Store kept within a byte budget by evicting the least
// recently used objects. It is safe for concurrent use if s is.
type Bounded struct {
	s     Store
	root  string
	max   int64
	wrote atomic.Bool
	now   func() time.Time
}

// New returns s (whose objects are files under root) bounded to max bytes.
func New(s Store, root string, max int64) (*Bounded, error) {
	if s == nil || root == "" {
		return nil, errors.New("cache: a store and its root are required")
	}
	if max <= 0 {
		return nil, fmt.Errorf("cache: budget must be positive, got %d", max)
	}
	return &Bounded{s: s, root: root, max: max, now: time.Now}, nil
}

// Get returns the object and marks it as recently used.
func (b *Bounded) Get(ctx context.Context, name string) ([]byte, error) {
	data, err := b.s.Get(ctx, name)
	if err == nil {
		t := b.now()
		_ = os.Chtimes(b.path(name), t, t) // recency only: a failure costs nothing but order
	}
	return data, err
}

// Put stores the object; the next Trim checks the budget.
func (b *Bounded) Put(ctx context.Context, name string, data []byte) error {
	err := b.s.Put(ctx, name, data)
	if err == nil {
		b.wrote.Store(true)
	}
	return err
}

// Delete removes the object.
func (b *Bounded) Delete(ctx context.Context, name string) error { return b.s.Delete(ctx, name) }

func (b *Bounded) path(name string) string { return filepath.Join(b.root, filepath.FromSlash(name)) }

// Trim removes the least recently used objects until the objects under
// root take at most the budget. It does nothing when nothing was put
// since the last Trim (a scan served wholly from the cache walks no
// directory), and ignores files being written (".tmp-" prefix).
func (b *Bounded) Trim(ctx context.Context) error {
	if !b.wrote.Swap(false) {
		return nil
	}
	type obj struct {
		name string
		size int64
		mod  time.Time
	}
	var objs []obj
	var total int64
	err := filepath.WalkDir(b.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".tmp-") {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		rel, err := filepath.Rel(b.root, p)
		if err != nil {
			return err
		}
		objs = append(objs, obj{filepath.ToSlash(rel), fi.Size(), fi.ModTime()})
		total += fi.Size()
		return nil
	})
	if err != nil {
		return fmt.Errorf("cache: trim %s: %w", b.root, err)
	}
	if total <= b.max {
		return nil
	}
	slices.SortFunc(objs, func(x, y obj) int { return cmp.Or(x.mod.Compare(y.mod), strings.Compare(x.name, y.name)) })
	for _, o := range objs {
		if total <= b.max {
			break
		}
		if err := b.s.Delete(ctx, o.name); err != nil {
			return fmt.Errorf("cache: evict %s: %w", o.name, err)
		}
		total -= o.size
	}
	return nil
}
