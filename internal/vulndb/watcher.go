package vulndb

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Watcher keeps the current version of a store open and switches to a new
// one when an import or update installs it, so a running server picks up
// new data without a restart. It polls the pointer file's modification time
// and size; readers call [Watcher.DB] for each unit of work and keep using
// the *DB they got (old versions stay readable until unreachable).
type Watcher struct {
	dir    string
	opts   Options
	log    *slog.Logger
	onSwap func(*DB)
	cur    atomic.Pointer[DB]

	mu      sync.Mutex
	modTime time.Time
	size    int64
	name    string
	// The pointer file state whose version failed to open, and why: it is
	// not opened again until the pointer changes.
	failMod  time.Time
	failSize int64
	failErr  error
}

// NewWatcher returns a watcher of the store in dir; versions are opened with
// opts. onSwap, when not nil, is called after each switch to a new version
// (including the first load).
func NewWatcher(dir string, opts Options, log *slog.Logger, onSwap func(*DB)) (*Watcher, error) {
	if log == nil {
		return nil, errors.New("vulndb: nil logger")
	}
	return &Watcher{dir: dir, opts: opts, log: log, onSwap: onSwap}, nil
}

// DB returns the current version, or nil while there is none.
func (w *Watcher) DB() *DB { return w.cur.Load() }

// Reload checks the pointer file and opens the version it names if that is
// not the loaded one. It reports whether it switched. On error the loaded
// version stays in use.
func (w *Watcher) Reload() (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fi, err := os.Stat(filepath.Join(w.dir, pointerName))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil // no database yet
	}
	if err != nil {
		return false, err
	}
	if fi.ModTime().Equal(w.modTime) && fi.Size() == w.size && w.cur.Load() != nil {
		return false, nil
	}
	if w.failErr != nil && fi.ModTime().Equal(w.failMod) && fi.Size() == w.failSize {
		return false, w.failErr // the same broken version: do not map and hash it again
	}
	name, err := readPointer(w.dir)
	if err != nil {
		return false, err
	}
	if name == w.name && w.cur.Load() != nil {
		w.modTime, w.size = fi.ModTime(), fi.Size()
		return false, nil
	}
	db, err := OpenFileWith(filepath.Join(w.dir, name), w.opts)
	if err != nil {
		w.failMod, w.failSize, w.failErr = fi.ModTime(), fi.Size(), err
		return false, err
	}
	w.failErr = nil
	old := w.cur.Swap(db)
	w.modTime, w.size, w.name = fi.ModTime(), fi.Size(), name
	if old == nil || old.Version() != db.Version() {
		w.log.Info("advisory database loaded", "version", db.Version(), "records", db.meta.Records)
	}
	if w.onSwap != nil {
		w.onSwap(db)
	}
	return true, nil
}

// Run reloads at once and then every interval until ctx ends. Reload
// errors are retried at the next tick and logged when they first occur
// (not again at every tick while they persist); Run returns nil when ctx
// ends.
func (w *Watcher) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		return errors.New("vulndb: watch interval must be positive")
	}
	last := ""
	reload := func() {
		_, err := w.Reload()
		switch {
		case err == nil:
			last = ""
		case err.Error() != last:
			last = err.Error()
			w.log.WarnContext(ctx, "advisory database reload failed; retrying", "dir", w.dir, "err", err)
		}
	}
	reload()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			reload()
		}
	}
}
