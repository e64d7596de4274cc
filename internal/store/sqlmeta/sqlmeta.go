package sqlmeta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"github.com/drydock/drydock/internal/store"
)

var _ store.Meta = (*Store)(nil)

// Synchronous is SQLite's PRAGMA synchronous level for the writer.
type Synchronous string

// Durability levels; see the package documentation.
const (
	// SyncNormal survives a crash of the process but may lose the last
	// commits on power loss or an OS crash (WAL is synced at checkpoints).
	SyncNormal Synchronous = "NORMAL"
	// SyncFull syncs the WAL at every commit: acknowledged writes survive
	// power loss too.
	SyncFull Synchronous = "FULL"
)

// Config configures [Open]. The zero value of every field but Path picks the
// default.
type Config struct {
	// Path is the SQLite database file; it is created with its schema if
	// absent. Its directory must exist. In-memory databases are refused:
	// the writer and the readers are separate connections and must share
	// one file.
	Path string
	// BusyTimeout is how long a connection waits for a lock held by another
	// process (or a checkpoint) before failing with SQLITE_BUSY. Within one
	// process writes queue on the single writer connection instead.
	// Default 10s.
	BusyTimeout time.Duration
	// Synchronous is the durability level of commits: SyncNormal (default;
	// survives process crashes) or SyncFull (survives power loss; about 2x
	// slower commits). See the package documentation.
	Synchronous Synchronous
	// ReadConns is the size of the read pool. Default 2×GOMAXPROCS, at
	// least 4.
	ReadConns int
	// CacheKiB is the page cache of each connection in KiB. Default 0 keeps
	// SQLite's default (2 MiB); memory grows by this times (ReadConns+1).
	CacheKiB int
}

func (c Config) withDefaults() (Config, error) {
	if c.Path == "" || c.Path == ":memory:" || strings.Contains(c.Path, "mode=memory") {
		return c, errors.New("sqlmeta: config: Path must name a database file")
	}
	if strings.ContainsAny(c.Path, "?#") {
		return c, fmt.Errorf("sqlmeta: config: Path %q must not contain '?' or '#'", c.Path)
	}
	if c.BusyTimeout == 0 {
		c.BusyTimeout = 10 * time.Second
	}
	if c.BusyTimeout < 0 {
		return c, fmt.Errorf("sqlmeta: config: negative BusyTimeout %s", c.BusyTimeout)
	}
	switch strings.ToUpper(string(c.Synchronous)) {
	case "":
		c.Synchronous = SyncNormal
	case string(SyncNormal), string(SyncFull):
		c.Synchronous = Synchronous(strings.ToUpper(string(c.Synchronous)))
	default:
		return c, fmt.Errorf("sqlmeta: config: Synchronous %q: want NORMAL or FULL", c.Synchronous)
	}
	if c.ReadConns == 0 {
		c.ReadConns = max(4, 2*runtime.GOMAXPROCS(0))
	}
	if c.ReadConns < 0 {
		return c, fmt.Errorf("sqlmeta: config: negative ReadConns %d", c.ReadConns)
	}
	if c.CacheKiB < 0 {
		return c, fmt.Errorf("sqlmeta: config: negative CacheKiB %d", c.CacheKiB)
	}
	return c, nil
}

// Store is the SQL implementation of [store.Meta]. It is safe for concurrent
// use.
type Store struct {
	w      *sql.DB // one connection: every write transaction
	wc     *stmtCache
	r      *sql.DB // read pool
	rq     *readPool
	logger *slog.Logger
	now    func() time.Time
}

// Open opens (creating if needed) the database at cfg.Path, applies pending
// migrations and returns the store.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*Store, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		return nil, errors.New("sqlmeta: nil logger")
	}
	w, err := sql.Open(driverName, dsn(cfg, true))
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: open %s: %w", cfg.Path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{w: w, wc: newStmtCache(w), logger: logger, now: time.Now}
	// The writer connects first: it switches the file to WAL mode, which the
	// read-only connections cannot do.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlmeta: open %s: %w", cfg.Path, err)
	}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open(driverName, dsn(cfg, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlmeta: open %s: %w", cfg.Path, err)
	}
	r.SetMaxOpenConns(cfg.ReadConns)
	r.SetMaxIdleConns(cfg.ReadConns)
	s.r = r
	s.rq = &readPool{db: r, cache: newStmtCache(r)}
	if err := r.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlmeta: open %s: %w", cfg.Path, err)
	}
	v, err := sqliteVersion(ctx, r)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlmeta: open %s: %w", cfg.Path, err)
	}
	logger.InfoContext(ctx, "metadata store open", "path", cfg.Path, "sqlite", v,
		"synchronous", string(cfg.Synchronous), "read_conns", cfg.ReadConns)
	return s, nil
}

// Ping checks that both pools can reach the database.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlmeta: ping: %w", err)
	}
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("sqlmeta: ping: %w", err)
	}
	return nil
}

// Close checkpoints the write-ahead log and closes both pools.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.rq.cache.close(), s.r.Close())
	}
	errs = append(errs, s.wc.close())
	if err := checkpoint(context.Background(), s.w); err != nil {
		s.logger.Warn("wal checkpoint on close", "err", err)
	}
	errs = append(errs, s.w.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlmeta: close: %w", err)
	}
	return nil
}

// write runs fn in a write transaction on the single writer connection and
// commits it when fn returns nil. fn's error is returned unwrapped so that
// sentinels and *store.MissingReferenceError reach the caller as they are.
// A database that cannot grow (full disk) fails the write with an error
// that also wraps syscall.ENOSPC.
func (s *Store) write(ctx context.Context, fn func(tx *wtx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return diskFull(fmt.Errorf("begin: %w", err))
	}
	t := &wtx{tx: tx, cache: s.wc}
	defer func() { s.prepare(ctx, t.pending) }()
	if err := fn(t); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			s.logger.WarnContext(ctx, "rollback failed", "err", rbErr)
		}
		return diskFull(err)
	}
	if err := tx.Commit(); err != nil {
		return diskFull(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// prepare adds write statements first seen in a transaction to the cache,
// once the transaction has released the writer connection. A failure only
// costs speed: the statement runs unprepared next time and is retried.
func (s *Store) prepare(ctx context.Context, qs []string) {
	for _, q := range qs {
		if _, err := s.wc.get(ctx, q); err != nil {
			s.logger.DebugContext(ctx, "prepare statement", "err", err)
			return
		}
	}
}

func exec(ctx context.Context, tx *wtx, query string, args ...any) (sql.Result, error) {
	return tx.ExecContext(ctx, rebind(query), args...)
}

// writeCount runs one statement in a write transaction and returns the
// rows it changed.
func (s *Store) writeCount(ctx context.Context, query string, args ...any) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *wtx) error {
		res, err := exec(ctx, tx, query, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

func queryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	return q.QueryRowContext(ctx, rebind(query), args...)
}

func query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	return q.QueryContext(ctx, rebind(query), args...)
}

// exists runs a query selecting one row and reports whether it found one.
func exists(ctx context.Context, q querier, query string, args ...any) (bool, error) {
	var one int
	err := queryRow(ctx, q, query, args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// limitQ is appended to queries that take a row limit as their last
// argument, given by [limitArg].
const limitQ = " LIMIT ?"

// limitArg is the LIMIT argument for n rows, n < 0 meaning no limit.
func limitArg(n int) int64 {
	if n < 0 {
		return noLimit
	}
	return int64(n)
}
