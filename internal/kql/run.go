package kql

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Limits bound one query. Zero fields take the defaults.
type Limits struct {
	// Timeout is the time a query may run (default 30 s).
	Timeout time.Duration
	// MaxRows is the largest result a query may return (default 10,000);
	// a bigger result fails with ErrRowLimit.
	MaxRows int
	// MaxMemory bounds the bytes the operators that hold rows (summarize,
	// join, sort, top, distinct, make_list, dcount, ...) may hold at once
	// (default 256 MiB); past it the query fails with ErrMemoryLimit.
	MaxMemory int64
	// MaxQueryBytes bounds the length of the query text (default 64 KiB).
	MaxQueryBytes int
	// Now is the value of now() and the reference of ago() (zero: the
	// clock when the query starts). Tests use it for reproducible results.
	Now time.Time
}

// Default limits.
const (
	DefaultTimeout       = 30 * time.Second
	DefaultMaxRows       = 10_000
	DefaultMaxMemory     = 256 << 20
	DefaultMaxQueryBytes = 64 << 10
)

func (l Limits) withDefaults() Limits {
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultMaxRows
	}
	if l.MaxMemory <= 0 {
		l.MaxMemory = DefaultMaxMemory
	}
	if l.MaxQueryBytes <= 0 {
		l.MaxQueryBytes = DefaultMaxQueryBytes
	}
	return l
}

// Result is a query's output: typed columns and rows of values. Its JSON
// form is {"columns":[{"name":..,"type":..}],"rows":[[...],...]}.
type Result struct {
	Columns []Column `json:"columns"`
	Rows    []Row    `json:"rows"`
}

// Check parses and binds query against catalog without reading any row;
// it returns the result columns or the first error in the query.
func Check(query string, catalog Catalog, limits Limits) ([]Column, error) {
	limits = limits.withDefaults()
	p, _, err := prepare(query, catalog, limits)
	if err != nil {
		return nil, err
	}
	return p.columns(), nil
}

func prepare(query string, catalog Catalog, limits Limits) (p plan, subs []*subquerySet, err error) {
	if len(query) > limits.MaxQueryBytes {
		return nil, nil, syntaxErrorf(Pos{Line: 1, Col: 1}, "the query is longer than %d bytes", limits.MaxQueryBytes)
	}
	defer func() {
		if r := recover(); r != nil {
			p, subs = nil, nil
			err = recovered(r)
		}
	}()
	q, err := parse(query)
	if err != nil {
		return nil, nil, err
	}
	now := limits.Now
	if now.IsZero() {
		now = time.Now()
	}
	return bindQuery(q, catalog, timeToTicks(now))
}

// Run parses, checks and runs query against the tables of catalog. Errors
// in the query are *[Error] values (wrapping ErrSyntax or ErrSemantic) with
// the line and column; running past a limit fails with ErrTimeout,
// ErrRowLimit or ErrMemoryLimit.
func Run(ctx context.Context, query string, catalog Catalog, limits Limits) (res *Result, err error) {
	limits = limits.withDefaults()
	p, subs, err := prepare(query, catalog, limits)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, limits.Timeout,
		fmt.Errorf("%w (%s): narrow the query with where, take or summarize", ErrTimeout, limits.Timeout))
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			res = nil
			err = recovered(r)
		}
	}()
	x := &execCtx{maxMem: limits.MaxMemory}
	for _, s := range subs {
		if err := s.load(ctx, x); err != nil {
			return nil, err
		}
	}
	it, err := p.open(ctx, x)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	res = &Result{Columns: p.columns(), Rows: []Row{}}
	for {
		r, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(res.Rows) >= limits.MaxRows {
			return nil, fmt.Errorf("%w: the result has more than %d rows; add '| take N', '| summarize ...' or a narrower where", ErrRowLimit, limits.MaxRows)
		}
		if err := x.grow(rowSize(r), "the result"); err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, r)
	}
	return res, nil
}

// subquerySet is the set of values an `in (subquery)` compares with, or
// (scalar) the value of toscalar(subquery). Both run once, before the
// query, as they cannot depend on the outer rows.
type subquerySet struct {
	plan plan
	conv func(Value) Value
	fold bool
	set  map[string]struct{}

	scalar bool
	value  Value
}

func (s *subquerySet) load(ctx context.Context, x *execCtx) error {
	it, err := s.plan.open(ctx, x)
	if err != nil {
		return err
	}
	defer it.Close()
	if s.scalar {
		r, err := it.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		s.value = r[0]
		return nil
	}
	s.set = map[string]struct{}{}
	var buf []byte
	return drain(ctx, it, func(r Row) error {
		v := s.conv(r[0])
		if v.k == kNull {
			return nil
		}
		buf = appendKey(buf[:0], v, s.fold)
		if _, ok := s.set[string(buf)]; ok {
			return nil
		}
		s.set[string(buf)] = struct{}{}
		return x.grow(int64(len(buf))+48, "in (subquery)")
	})
}
