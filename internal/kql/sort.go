package kql

import (
	"container/heap"
	"context"
	"slices"
)

// boundKey is a compiled sort key. Kusto's defaults: descending, nulls
// last when descending and first when ascending (NaN sorts with null).
type boundKey struct {
	eval       evalFn
	asc        bool
	nullsFirst bool
}

// sortPlan implements order by / sort by, and top when top is set (then
// only limit rows are kept while reading).
type sortPlan struct {
	in    plan
	keys  []boundKey
	limit int64
	top   bool
}

func (p *sortPlan) columns() []Column { return p.in.columns() }

type sortEntry struct {
	row  Row
	keys []Value
	seq  int64
	size int64
}

// less orders entries by the keys, then by input order (a stable sort).
func (p *sortPlan) less(a, b *sortEntry) bool {
	for i, k := range p.keys {
		va, vb := a.keys[i], b.keys[i]
		an, bn := isNullish(va), isNullish(vb)
		switch {
		case an && bn:
			continue
		case an:
			return k.nullsFirst
		case bn:
			return !k.nullsFirst
		}
		c := sortCompare(va, vb)
		if c == 0 {
			continue
		}
		if k.asc {
			return c < 0
		}
		return c > 0
	}
	return a.seq < b.seq
}

// worstFirst is a heap whose top is the entry that sorts last.
type worstFirst struct {
	p *sortPlan
	e []*sortEntry
}

func (h *worstFirst) Len() int           { return len(h.e) }
func (h *worstFirst) Less(i, j int) bool { return h.p.less(h.e[j], h.e[i]) }
func (h *worstFirst) Swap(i, j int)      { h.e[i], h.e[j] = h.e[j], h.e[i] }
func (h *worstFirst) Push(x any)         { h.e = append(h.e, x.(*sortEntry)) }
func (h *worstFirst) Pop() any {
	old := h.e
	x := old[len(old)-1]
	h.e = old[:len(old)-1]
	return x
}

func (p *sortPlan) open(ctx context.Context, x *execCtx) (RowIter, error) {
	in, err := p.in.open(ctx, x)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	what := "sort"
	if p.top {
		what = "top"
	}
	var used int64
	h := &worstFirst{p: p}
	var seq int64
	err = drain(ctx, in, func(r Row) error {
		if p.top && p.limit == 0 {
			return nil
		}
		e := &sortEntry{row: r, keys: make([]Value, len(p.keys)), seq: seq}
		seq++
		for i, k := range p.keys {
			e.keys[i] = k.eval(r)
		}
		if p.top && int64(len(h.e)) >= p.limit {
			if !p.less(e, h.e[0]) {
				return nil
			}
			old := heap.Pop(h).(*sortEntry)
			used -= old.size
			x.release(old.size)
		}
		e.size = rowSize(r) + 64 + int64(len(e.keys))*valueSize
		used += e.size
		if err := x.grow(e.size, what); err != nil {
			return err
		}
		if p.top {
			heap.Push(h, e)
		} else {
			h.e = append(h.e, e)
		}
		return nil
	})
	if err != nil {
		x.release(used)
		return nil, err
	}
	entries := h.e
	slices.SortFunc(entries, func(a, b *sortEntry) int {
		switch {
		case p.less(a, b):
			return -1
		case p.less(b, a):
			return 1
		}
		return 0
	})
	rows := make([]Row, len(entries))
	for i, e := range entries {
		rows[i] = e.row
	}
	return &sliceIter{rows: rows, release: func() { x.release(used) }}, nil
}

// distinctPlan passes each distinct row once, in first-seen order.
type distinctPlan struct{ in plan }

func (p *distinctPlan) columns() []Column { return p.in.columns() }

func (p *distinctPlan) open(ctx context.Context, x *execCtx) (RowIter, error) {
	in, err := p.in.open(ctx, x)
	if err != nil {
		return nil, err
	}
	return &distinctIter{in: in, x: x, seen: map[string]struct{}{}}, nil
}

type distinctIter struct {
	in   RowIter
	x    *execCtx
	seen map[string]struct{}
	buf  []byte
	used int64
}

func (it *distinctIter) Next(ctx context.Context) (Row, error) {
	for {
		r, err := it.in.Next(ctx)
		if err != nil {
			return nil, err
		}
		it.buf = it.buf[:0]
		for _, v := range r {
			it.buf = appendKey(it.buf, v, false)
		}
		if _, ok := it.seen[string(it.buf)]; ok {
			continue
		}
		it.seen[string(it.buf)] = struct{}{}
		n := int64(len(it.buf)) + 48
		it.used += n
		if err := it.x.grow(n, "distinct"); err != nil {
			return nil, err
		}
		return r, nil
	}
}

func (it *distinctIter) Close() error {
	it.x.release(it.used)
	it.used = 0
	return it.in.Close()
}
