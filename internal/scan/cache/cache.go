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
	added atomic.Int64 // bytes put since the last Trim
	now   func() time.Time
}

// usageName is the file under root that lets a Trim skip walking the
// directory: the bytes the objects took and when that was last counted by
// a walk ("<bytes> <unix seconds>\n"). Each Trim adds what its process
// put (an object put again is counted again: the figure errs high). A
// walk costs ~10 µs an object, 50 ms with 5,000 skeletons, at the end of
// every scan that cached anything.
const usageName = ".usage"

// tmpPrefix marks objects being written (as objects.Dir names them).
const tmpPrefix = ".tmp-"

// staleTemp is the age from which an object being written is taken for
// one a crash left, and removed by a walk.
const staleTemp = time.Hour

// rewalkAfter is how long a Trim trusts the count in usageName: a process
// that stopped between its puts and its Trim, or files removed by hand,
// make it drift until the next walk.
const rewalkAfter = time.Hour

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
		b.added.Add(int64(len(data)))
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
// directory). Files being written (".tmp-" prefix) do not count; a walk
// removes those older than staleTemp, which a crash left.
//
// The directory is walked (and objects evicted) only when the count kept
// in usageName says it may be over budget, or is missing, unreadable, in
// use by another Trim or older than rewalkAfter; the walk's count is
// written back.
func (b *Bounded) Trim(ctx context.Context) error {
	if !b.wrote.Swap(false) {
		return nil
	}
	added := b.added.Swap(0)
	f, err := os.OpenFile(filepath.Join(b.root, usageName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		_, err := b.walk(ctx)
		return err
	}
	defer f.Close()
	if !tryLock(f) {
		// Another Trim is counting: walk without the count (as one
		// would without it), and leave the count to that Trim.
		_, err := b.walk(ctx)
		return err
	}
	now := b.now()
	if total, at, ok := readUsage(f); ok && !now.Before(at) && now.Sub(at) < rewalkAfter && total+added <= b.max {
		return writeUsage(f, total+added, at)
	}
	total, err := b.walk(ctx)
	if err != nil {
		return err
	}
	return writeUsage(f, total, now)
}

// readUsage reads the count in f (see usageName).
func readUsage(f *os.File) (total int64, at time.Time, ok bool) {
	var buf [64]byte
	n, _ := f.ReadAt(buf[:], 0)
	var secs int64
	if _, err := fmt.Sscanf(string(buf[:n]), "%d %d\n", &total, &secs); err != nil || total < 0 {
		return 0, time.Time{}, false
	}
	return total, time.Unix(secs, 0), true
}

// writeUsage replaces the count in f.
func writeUsage(f *os.File, total int64, at time.Time) error {
	if err := f.Truncate(0); err != nil {
		return fmt.Errorf("cache: %s: %w", usageName, err)
	}
	if _, err := f.WriteAt(fmt.Appendf(nil, "%d %d\n", total, at.Unix()), 0); err != nil {
		return fmt.Errorf("cache: %s: %w", usageName, err)
	}
	return nil
}

// walk counts the objects under root and evicts the least recently used
// until they fit the budget; it returns the bytes left.
func (b *Bounded) walk(ctx context.Context) (int64, error) {
	type obj struct {
		name string
		size int64
		mod  time.Time
	}
	var objs []obj
	var total int64
	now, usage := b.now(), filepath.Join(b.root, usageName)
	err := filepath.WalkDir(b.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !d.Type().IsRegular() || p == usage {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		if strings.HasPrefix(d.Name(), tmpPrefix) {
			// An object being written, or one a crash left half written
			// (the store is opened without removing them, as other
			// processes may be writing: objects.OpenShared).
			if now.Sub(fi.ModTime()) > staleTemp {
				_ = os.Remove(p)
			}
			return nil
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
		return 0, fmt.Errorf("cache: trim %s: %w", b.root, err)
	}
	if total <= b.max {
		return total, nil
	}
	slices.SortFunc(objs, func(x, y obj) int { return cmp.Or(x.mod.Compare(y.mod), strings.Compare(x.name, y.name)) })
	for _, o := range objs {
		if total <= b.max {
			break
		}
		if err := b.s.Delete(ctx, o.name); err != nil {
			return 0, fmt.Errorf("cache: evict %s: %w", o.name, err)
		}
		total -= o.size
	}
	return total, nil
}
