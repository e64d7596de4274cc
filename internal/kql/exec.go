package kql

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
)

// plan is one operator of a bound query.
type plan interface {
	// columns is the operator's output schema.
	columns() []Column
	// open starts the operator (and its inputs).
	open(ctx context.Context, x *execCtx) (RowIter, error)
}

// execCtx is the state shared by the operators of one running query.
type execCtx struct {
	maxMem int64
	mem    int64
}

// grow accounts n more bytes held by what, failing past the memory limit.
func (x *execCtx) grow(n int64, what string) error {
	x.mem += n
	if x.mem > x.maxMem {
		return fmt.Errorf("%w: %s needs more than %d MiB; narrow the query first (where, take, fewer columns or groups)",
			ErrMemoryLimit, what, x.maxMem>>20)
	}
	return nil
}

func (x *execCtx) release(n int64) { x.mem -= n }

// checkEvery is how many rows pass between context checks.
const checkEvery = 256

// ctxErr reports a finished context as the query error: the engine's own
// time limit becomes ErrTimeout.
func ctxErr(ctx context.Context) error {
	if ctx.Err() == nil {
		return nil
	}
	if cause := context.Cause(ctx); errors.Is(cause, ErrTimeout) {
		return cause
	}
	return ctx.Err()
}

// drain reads it to the end, calling f for each row.
func drain(ctx context.Context, it RowIter, f func(Row) error) error {
	for {
		r, err := it.Next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := f(r); err != nil {
			return err
		}
	}
}

// scanPlan reads a catalog table.
type scanPlan struct {
	table Table
	cols  []Column
	pd    Pushdown
}

func (p *scanPlan) columns() []Column { return p.cols }

func (p *scanPlan) open(ctx context.Context, _ *execCtx) (RowIter, error) {
	it, err := p.table.Scan(ctx, p.pd)
	if err != nil {
		if e := ctxErr(ctx); e != nil {
			return nil, e
		}
		return nil, fmt.Errorf("kql: scan %s: %w", p.table.Name(), err)
	}
	return &scanIter{in: it, name: p.table.Name(), width: len(p.cols)}, nil
}

// scanIter checks the context every few rows and the width of each row.
type scanIter struct {
	in    RowIter
	name  string
	width int
	n     int
}

func (it *scanIter) Next(ctx context.Context) (Row, error) {
	it.n++
	if it.n%checkEvery == 0 {
		if err := ctxErr(ctx); err != nil {
			return nil, err
		}
	}
	r, err := it.in.Next(ctx)
	if err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		if e := ctxErr(ctx); e != nil {
			return nil, e
		}
		return nil, fmt.Errorf("kql: scan %s: %w", it.name, err)
	}
	if len(r) != it.width {
		return nil, fmt.Errorf("%w: table %s returned a row of %d values for %d columns", ErrInternal, it.name, len(r), it.width)
	}
	return r, nil
}

func (it *scanIter) Close() error { return it.in.Close() }

// filterPlan keeps the rows for which pred is true (null counts as false).
type filterPlan struct {
	in   plan
	pred evalFn
}

func (p *filterPlan) columns() []Column { return p.in.columns() }

func (p *filterPlan) open(ctx context.Context, x *execCtx) (RowIter, error) {
	in, err := p.in.open(ctx, x)
	if err != nil {
		return nil, err
	}
	return &filterIter{in: in, pred: p.pred}, nil
}

type filterIter struct {
	in   RowIter
	pred evalFn
}

func (it *filterIter) Next(ctx context.Context) (Row, error) {
	for {
		r, err := it.in.Next(ctx)
		if err != nil {
			return nil, err
		}
		if v := it.pred(r); v.k == kBool && v.i != 0 {
			return r, nil
		}
	}
}

func (it *filterIter) Close() error { return it.in.Close() }

// mapPlan turns each row into another (extend, project, parse, ...).
type mapPlan struct {
	in   plan
	cols []Column
	fn   func(Row) Row
}

func (p *mapPlan) columns() []Column { return p.cols }

func (p *mapPlan) open(ctx context.Context, x *execCtx) (RowIter, error) {
	in, err := p.in.open(ctx, x)
	if err != nil {
		return nil, err
	}
	return &mapIter{in: in, fn: p.fn}, nil
}

type mapIter struct {
	in RowIter
	fn func(Row) Row
}

func (it *mapIter) Next(ctx context.Context) (Row, error) {
	r, err := it.in.Next(ctx)
	if err != nil {
		return nil, err
	}
	return it.fn(r), nil
}

func (it *mapIter) Close() error { return it.in.Close() }

// renamePlan passes rows through under a new schema (project-rename).
type renamePlan struct {
	in   plan
	cols []Column
}

func (p *renamePlan) columns() []Column { return p.cols }
func (p *renamePlan) open(ctx context.Context, x *execCtx) (RowIter, error) {
	return p.in.open(ctx, x)
}

// takePlan passes the first n rows.
type takePlan struct {
	in plan
	n  int64
}

func (p *takePlan) columns() []Column { return p.in.columns() }

func (p *takePlan) open(ctx context.Context, x *execCtx) (RowIter, error) {
	in, err := p.in.open(ctx, x)
	if err != nil {
		return nil, err
	}
	return &takeIter{in: in, left: p.n}, nil
}

type takeIter struct {
	in   RowIter
	left int64
}

func (it *takeIter) Next(ctx context.Context) (Row, error) {
	if it.left <= 0 {
		return nil, io.EOF
	}
	r, err := it.in.Next(ctx)
	if err != nil {
		return nil, err
	}
	it.left--
	return r, nil
}

func (it *takeIter) Close() error { return it.in.Close() }

// countPlan counts its input rows.
type countPlan struct{ in plan }

func (p *countPlan) columns() []Column { return []Column{{Name: "Count", Type: TypeLong}} }

func (p *countPlan) open(ctx context.Context, x *execCtx) (RowIter, error) {
	in, err := p.in.open(ctx, x)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	var n int64
	if err := drain(ctx, in, func(Row) error { n++; return nil }); err != nil {
		return nil, err
	}
	return &sliceIter{rows: []Row{{Long(n)}}}, nil
}

// valuesPlan produces fixed rows (print, datatable, getschema).
type valuesPlan struct {
	cols []Column
	rows []Row
}

func (p *valuesPlan) columns() []Column { return p.cols }
func (p *valuesPlan) open(context.Context, *execCtx) (RowIter, error) {
	return &sliceIter{rows: slices.Clone(p.rows)}, nil
}

// sliceIter returns rows from a slice; release (if set) runs on Close to
// give back the memory the rows were accounted with.
type sliceIter struct {
	rows    []Row
	i       int
	release func()
}

func (it *sliceIter) Next(ctx context.Context) (Row, error) {
	if it.i >= len(it.rows) {
		return nil, io.EOF
	}
	r := it.rows[it.i]
	it.rows[it.i] = nil
	it.i++
	if it.i%checkEvery == 0 {
		if err := ctxErr(ctx); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (it *sliceIter) Close() error {
	if it.release != nil {
		it.release()
		it.release = nil
	}
	return nil
}
