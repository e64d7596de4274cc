package sqlmeta

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// maxCachedStmts bounds the statement cache of a pool. Every query text in
// this package is fixed (limits and lists are bound parameters), so the bound
// is only a guard.
const maxCachedStmts = 256

// stmtCache keeps prepared statements per query text. Parsing and planning
// a statement costs SQLite more than running the small queries of a
// registry, so each text is prepared once per connection and reused.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache { return &stmtCache{db: db, m: map[string]*sql.Stmt{}} }

// lookup returns the prepared statement for q if there is one.
func (c *stmtCache) lookup(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[q]
}

// get returns the prepared statement for q, preparing it if needed, or nil
// when the cache is full. It needs a free connection of the pool.
func (c *stmtCache) get(ctx context.Context, q string) (*sql.Stmt, error) {
	c.mu.Lock()
	st, ok := c.m[q]
	full := len(c.m) >= maxCachedStmts
	c.mu.Unlock()
	if ok || full {
		return st, nil
	}
	// Prepared without the lock: preparing waits for a free connection,
	// and a transaction holding one may be waiting for the lock.
	st, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[q]; ok {
		st.Close()
		return prev, nil
	}
	c.m[q] = st
	return st, nil
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, st := range c.m {
		errs = append(errs, st.Close())
		delete(c.m, q)
	}
	return errors.Join(errs...)
}

// querier is what the read helpers need: the read pool or a write
// transaction, both through the statement cache.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readPool runs queries on the read pool with cached statements.
type readPool struct {
	db    *sql.DB
	cache *stmtCache
}

func (p *readPool) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := p.cache.get(ctx, q)
	if err != nil || st == nil {
		return p.db.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (p *readPool) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := p.cache.get(ctx, q)
	if err != nil || st == nil {
		return p.db.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// wtx is a write transaction on the writer connection. Its statements come
// from the writer's cache; as the writer has a single connection, each is
// prepared once for the life of the store. A text seen for the first time
// runs unprepared and is prepared after the transaction ends: preparing on
// the writer pool needs its only connection, which the transaction holds.
type wtx struct {
	tx      *sql.Tx
	cache   *stmtCache
	pending []string
}

func (t *wtx) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	st := t.cache.lookup(q)
	if st == nil {
		t.pending = append(t.pending, q)
		return nil, nil
	}
	return t.tx.StmtContext(ctx, st), nil
}

func (t *wtx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := t.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return t.tx.ExecContext(ctx, q, args...)
	}
	return st.ExecContext(ctx, args...)
}

func (t *wtx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return t.tx.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (t *wtx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	st, _ := t.stmt(ctx, q)
	if st == nil {
		return t.tx.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
