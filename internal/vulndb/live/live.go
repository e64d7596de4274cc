package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/vulndb/update"
)

// Defaults of the [Config] durations.
const (
	DefaultUpdateInterval = 24 * time.Hour
	DefaultRetryInterval  = time.Hour
	DefaultPollInterval   = 2 * time.Second
)

// Config configures a [Manager].
type Config struct {
	// Dir is the advisory database directory (vulndb.Dir(data)).
	Dir string
	// AutoUpdate updates the database from Sources in the background; when
	// false the manager only serves and follows what `drydock db import`
	// and `drydock db update` install.
	AutoUpdate bool
	// UpdateInterval is the time between updates; DefaultUpdateInterval
	// when zero.
	UpdateInterval time.Duration
	// RetryInterval is the wait after a failed update;
	// DefaultRetryInterval when zero.
	RetryInterval time.Duration
	// PollInterval is how often the store is checked for a version
	// installed by another process; DefaultPollInterval when zero.
	PollInterval time.Duration
	// Sources are the feeds to update from, each "URL" or "NAME=URL"
	// (see update.ParseSource); the public feeds (update.DefaultSources)
	// when empty.
	Sources []string
	// Update holds the other update settings (HTTP client, import options
	// and limits). Its Sources and Now are replaced by the fields above;
	// AllowPartial is always on.
	Update update.Config
	// Open tunes the versions opened (lookup cache).
	Open vulndb.Options
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Manager serves the current database version and keeps it up to date.
// Its methods are safe for concurrent use.
type Manager struct {
	cfg     Config
	sources []update.Source
	log     *slog.Logger
	store   *vulndb.Store
	watcher *vulndb.Watcher

	mu         sync.Mutex
	onChange   []func(*vulndb.DB)
	running    bool
	updating   bool
	lastUpdate time.Time // end of the last successful update
	lastErr    error
	lastErrAt  time.Time
	next       time.Time // next update attempt; zero when none is planned
}

// New returns a manager of the database in cfg.Dir (created if missing).
// It does no other I/O: loading and updating happen in Run.
func New(cfg Config, log *slog.Logger) (*Manager, error) {
	if log == nil {
		return nil, errors.New("live: nil logger")
	}
	if cfg.UpdateInterval < 0 || cfg.RetryInterval < 0 || cfg.PollInterval < 0 {
		return nil, errors.New("live: negative interval")
	}
	if cfg.UpdateInterval == 0 {
		cfg.UpdateInterval = DefaultUpdateInterval
	}
	if cfg.RetryInterval == 0 {
		cfg.RetryInterval = DefaultRetryInterval
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m := &Manager{cfg: cfg, log: log}
	for _, s := range cfg.Sources {
		src, err := update.ParseSource(s)
		if err != nil {
			return nil, fmt.Errorf("live: %w", err)
		}
		m.sources = append(m.sources, src)
	}
	store, err := vulndb.NewStore(cfg.Dir, log)
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	m.store = store
	m.watcher, err = vulndb.NewWatcher(cfg.Dir, cfg.Open, log, m.changed)
	if err != nil {
		return nil, fmt.Errorf("live: %w", err)
	}
	return m, nil
}

// OnChange registers f to be called with each new version once it is
// loaded: the first one Run finds and every one installed later. Register
// before Run to see the first. f runs on the manager's goroutine: it must
// not block (start long work, such as re-matching stored images, in its
// own goroutine).
func (m *Manager) OnChange(f func(*vulndb.DB)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.onChange = append(m.onChange, f)
}

func (m *Manager) changed(db *vulndb.DB) {
	m.mu.Lock()
	fs := slices.Clone(m.onChange)
	m.mu.Unlock()
	for _, f := range fs {
		f(db)
	}
}

// DB returns the current version, or nil while there is none. Callers use
// the version they got for one unit of work (a scan) and ask again for
// the next.
func (m *Manager) DB() *vulndb.DB { return m.watcher.DB() }

// Run loads the current version, follows new ones and, with AutoUpdate,
// updates on schedule (see the package doc), until ctx ends. It returns
// nil then, and an error only when it is already running.
func (m *Manager) Run(ctx context.Context) error {
	m.mu.Lock()
	if m.running {
		m.mu.Unlock()
		return errors.New("live: already running")
	}
	m.running = true
	m.mu.Unlock()

	// The watcher loads the current version at once and logs a version
	// it cannot open (damaged, older format) once.
	var wg sync.WaitGroup
	defer wg.Wait()
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	wg.Go(func() { m.watcher.Run(wctx, m.cfg.PollInterval) })
	_, err := m.watcher.Reload()
	if !m.cfg.AutoUpdate {
		if m.DB() == nil && err == nil { // an error is logged by the watcher
			m.log.WarnContext(ctx, "no advisory database and automatic updates are off: findings stay pending; run 'drydock db update' or 'drydock db import PATH'", "dir", m.cfg.Dir)
		}
		<-ctx.Done()
		return nil
	}
	m.plan(m.firstAttempt())
	for {
		m.mu.Lock()
		wait := m.next.Sub(m.cfg.Now())
		m.mu.Unlock()
		t := time.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		m.update(ctx)
		if ctx.Err() != nil {
			return nil
		}
	}
}

// firstAttempt is when the first update runs: at once without a database,
// else UpdateInterval after any source was last fetched.
func (m *Manager) firstAttempt() time.Time {
	now := m.cfg.Now()
	db := m.DB()
	if db == nil {
		return now
	}
	st := db.Status()
	var last time.Time
	for _, s := range st.Sources() {
		if f := s.FetchedAt(); f.After(last) {
			last = f
		}
	}
	if last.IsZero() {
		return now
	}
	return last.Add(m.cfg.UpdateInterval)
}

func (m *Manager) plan(t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next = t
}

// update runs one update and plans the next attempt.
func (m *Manager) update(ctx context.Context) {
	m.mu.Lock()
	m.updating = true
	m.mu.Unlock()
	quiet := slog.New(demote{m.log.Handler()})
	cfg := m.cfg.Update
	cfg.Sources, cfg.Now, cfg.AllowPartial = m.sources, m.cfg.Now, true
	cfg.Import.Log = quiet
	start := m.cfg.Now()
	res, err := update.Run(ctx, m.store, cfg, quiet)
	if res.Built {
		// Switch now rather than at the next poll.
		if _, rerr := m.watcher.Reload(); rerr != nil && err == nil {
			err = rerr
		}
	}
	now := m.cfg.Now()
	m.mu.Lock()
	m.updating = false
	if ctx.Err() != nil {
		m.mu.Unlock()
		m.log.InfoContext(context.WithoutCancel(ctx), "advisory database update interrupted by shutdown")
		return
	}
	if err != nil {
		m.lastErr, m.lastErrAt = err, now
		m.next = now.Add(m.cfg.RetryInterval)
	} else {
		m.lastErr, m.lastErrAt = nil, time.Time{}
		m.lastUpdate = now
		m.next = now.Add(m.cfg.UpdateInterval)
	}
	next := m.next
	m.mu.Unlock()

	failed := 0
	for _, s := range res.Sources {
		if s.Err != nil {
			failed++
		}
	}
	took := now.Sub(start).Round(time.Millisecond)
	db := m.DB()
	switch {
	case err == nil && res.Built:
		m.log.InfoContext(ctx, "advisory database updated", "version", res.Commit.Version,
			"advisories", res.Commit.Meta.Records, "sources", len(res.Sources), "took", took, "next_update", next)
	case err == nil:
		m.log.InfoContext(ctx, "advisory database is up to date", "sources", len(res.Sources), "took", took, "next_update", next)
	case res.Built:
		m.log.WarnContext(ctx, "advisory database updated, but some sources failed and keep their previous data; will retry",
			"version", res.Commit.Version, "failed", failed, "sources", len(res.Sources), "retry_at", next, "err", err)
	case db == nil:
		m.log.WarnContext(ctx, "no advisory database: the update failed, so findings stay pending; will retry",
			"retry_at", next, "sources", len(res.Sources), "failed", failed, "err", err)
	default:
		m.log.WarnContext(ctx, "advisory database update failed; keeping the loaded version; will retry",
			"version", db.Version(), "retry_at", next, "err", err)
	}
}

// demote logs every record at DEBUG: the update's per-source lines, which
// the manager sums up in one line per attempt.
type demote struct{ h slog.Handler }

func (d demote) Enabled(ctx context.Context, _ slog.Level) bool {
	return d.h.Enabled(ctx, slog.LevelDebug)
}

func (d demote) Handle(ctx context.Context, r slog.Record) error {
	r.Level = slog.LevelDebug
	return d.h.Handle(ctx, r)
}

func (d demote) WithAttrs(as []slog.Attr) slog.Handler { return demote{d.h.WithAttrs(as)} }
func (d demote) WithGroup(name string) slog.Handler    { return demote{d.h.WithGroup(name)} }
