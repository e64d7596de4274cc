package kql

import (
	"context"
	"fmt"
)

// summarize groups rows by the by-expressions and aggregates each group.
// Output columns are the by columns, then the aggregations (Kusto's order);
// groups come out in the order they were first seen.

func unparen(e expr) expr {
	for {
		p, ok := e.(*paren)
		if !ok {
			return e
		}
		e = p.x
	}
}

func (b *binder) summarize(in plan, op *summarizeOp) (plan, error) {
	sc := newScope(in.columns())
	var namer columnNamer
	keys := make([]evalFn, 0, len(op.by))
	byCols := map[int]bool{}
	for _, it := range op.by {
		c, err := b.expr(it.e, sc)
		if err != nil {
			return nil, err
		}
		if c.t == TypeDynamic {
			return nil, semanticErrorf(it.e.exprPos(), "summarize cannot group by a dynamic value; convert it first, e.g. by tostring(...)")
		}
		name, declared, pos := it.name, it.name != "", it.namePos
		if name == "" {
			pos = it.e.exprPos()
			if c.col >= 0 && isPlainRef(it.e) {
				name, declared = sc.cols[c.col].Name, true
			} else if name = b.inferName(it.e); name == "" {
				name = b.newColumnName(sc)
			}
		}
		if _, err := namer.add(name, c.t, declared, pos); err != nil {
			return nil, err
		}
		keys = append(keys, stringSafe(c))
		if c.col >= 0 {
			byCols[c.col] = true
		}
	}
	var specs []*aggSpec
	for _, it := range op.aggs {
		cl, ok := unparen(it.e).(*call)
		var agg *aggregate
		if ok {
			agg = aggregates[cl.name]
		}
		if agg == nil {
			return nil, semanticErrorf(it.e.exprPos(), "summarize takes aggregations such as count(), sum(x), dcount(x), make_set(x) or arg_max(x, *); compute other expressions in an extend after it")
		}
		if len(cl.args) < agg.min || (agg.max >= 0 && len(cl.args) > agg.max) {
			return nil, semanticErrorf(cl.pos, "%s() takes %s, not %d", cl.name, arityText(agg.min, agg.max), len(cl.args))
		}
		args := make([]*cexpr, len(cl.args))
		for i, a := range cl.args {
			if _, isStar := a.(*star); isStar {
				if (cl.name != "arg_max" && cl.name != "arg_min") || i == 0 {
					return nil, semanticErrorf(a.exprPos(), "'*' is only allowed among the returned columns of arg_max and arg_min")
				}
				continue
			}
			c, err := b.expr(a, sc)
			if err != nil {
				return nil, err
			}
			args[i] = c
		}
		spec, err := agg.bind(b, cl, args, sc, byCols)
		if err != nil {
			return nil, err
		}
		for k, col := range spec.cols {
			name, declared, pos := col.Name, spec.declared[k], it.e.exprPos()
			if k == 0 && it.name != "" {
				name, declared, pos = it.name, true, it.namePos
			} else if name == "" {
				name = b.inferName(it.e)
			}
			if _, err := namer.add(name, col.Type, declared, pos); err != nil {
				return nil, err
			}
		}
		specs = append(specs, spec)
	}
	return &summarizePlan{in: in, cols: namer.cols, keys: keys, specs: specs}, nil
}

type summarizePlan struct {
	in    plan
	cols  []Column
	keys  []evalFn
	specs []*aggSpec
}

func (p *summarizePlan) columns() []Column { return p.cols }

type group struct {
	keys   []Value
	states []aggState
}

func (p *summarizePlan) newGroup(keys []Value) *group {
	g := &group{keys: keys, states: make([]aggState, len(p.specs))}
	for i, s := range p.specs {
		g.states[i] = s.newState()
	}
	return g
}

func (p *summarizePlan) open(ctx context.Context, x *execCtx) (RowIter, error) {
	in, err := p.in.open(ctx, x)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	var used int64
	grow := func(n int64) error {
		used += n
		return x.grow(n, "summarize")
	}
	groups := map[string]*group{}
	var order []*group
	var buf []byte
	scratch := make([]Value, len(p.keys))
	var single *group // no by clause: one group
	if len(p.keys) == 0 {
		single = p.newGroup(nil)
		order = append(order, single)
	}
	err = drain(ctx, in, func(r Row) error {
		g := single
		if g == nil {
			buf = buf[:0]
			for i, k := range p.keys {
				scratch[i] = k(r)
				buf = appendKey(buf, scratch[i], false)
			}
			var ok bool
			if g, ok = groups[string(buf)]; !ok {
				kv := make([]Value, len(scratch))
				copy(kv, scratch)
				g = p.newGroup(kv)
				groups[string(buf)] = g
				order = append(order, g)
				n := int64(len(buf))*2 + 96 + int64(len(p.specs))*64
				for _, v := range kv {
					n += sizeOf(v)
				}
				if err := grow(n); err != nil {
					return err
				}
			}
		}
		var n int64
		for _, s := range g.states {
			n += s.add(r)
		}
		if n > 0 {
			return grow(n)
		}
		return nil
	})
	if err != nil {
		x.release(used)
		return nil, err
	}
	rows := make([]Row, len(order))
	for i, g := range order {
		row := make(Row, len(p.cols))
		copy(row, g.keys)
		j := len(g.keys)
		for k, s := range g.states {
			w := len(p.specs[k].cols)
			s.result(row[j : j+w])
			j += w
		}
		if j != len(row) {
			x.release(used)
			return nil, fmt.Errorf("%w: summarize produced %d values for %d columns", ErrInternal, j, len(row))
		}
		for c := range row {
			if p.cols[c].Type == TypeString && row[c].k != kString {
				row[c] = String(toStringValue(row[c]))
			}
		}
		rows[i] = row
	}
	return &sliceIter{rows: rows, release: func() { x.release(used) }}, nil
}
