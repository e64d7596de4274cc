package kql

import (
	"context"
	"math"
	"slices"
)

// mv-expand turns each element of a dynamic array (or each entry of a
// property bag) into its own row. Several expressions expand side by side,
// the shorter ones padded with null. A null value gives one row with null;
// an empty array or bag gives no row. Bags expand to one-entry bags
// {"key": value} (kind=bag, the default) or to [key, value] (kind=array).
// An expanded column replaces the column it came from; an expression that
// is not a plain column (properties.additionalData.cve) becomes a new column
// named after it (properties_additionalData_cve).

// legacyLimit is the default row limit of the old mvexpand spelling.
const legacyLimit = 128

type mvTarget struct {
	eval   evalFn
	target int
	cast   bool
	to     Type
}

func (b *binder) mvExpand(in plan, op *mvExpandOp) (plan, error) {
	src := in.columns()
	sc := newScope(src)
	cols := slices.Clone(src)
	var targets []mvTarget
	for _, it := range op.items {
		c, err := b.expr(it.e, sc)
		if err != nil {
			return nil, err
		}
		if c.t != TypeDynamic {
			return nil, semanticErrorf(it.e.exprPos(), "mv-expand needs a dynamic array or property bag, but the expression is %s", c.t)
		}
		name := it.name
		if name == "" {
			if name = b.inferName(it.e); name == "" {
				name = b.newColumnName(sc)
			}
		}
		t := TypeDynamic
		if it.hasToType {
			t = it.toType
		}
		target := -1
		for i, col := range cols {
			if col.Name == name {
				target = i
			}
		}
		if target >= 0 {
			cols[target].Type = t
		} else {
			cols = append(cols, Column{Name: name, Type: t})
			target = len(cols) - 1
		}
		targets = append(targets, mvTarget{eval: c.eval, target: target, cast: it.hasToType, to: t})
	}
	indexCol := -1
	if op.itemIndex != "" {
		for _, col := range cols {
			if col.Name == op.itemIndex {
				return nil, semanticErrorf(op.pos, "with_itemindex: column %q already exists", op.itemIndex)
			}
		}
		cols = append(cols, Column{Name: op.itemIndex, Type: TypeLong})
		indexCol = len(cols) - 1
	}
	limit := int64(math.MaxInt64)
	if op.legacy {
		limit = legacyLimit
	}
	if op.limit != nil {
		n, err := b.constLong(op.limit, "the mv-expand limit")
		if err != nil {
			return nil, err
		}
		limit = n
	}
	return &mvExpandPlan{in: in, cols: cols, targets: targets, indexCol: indexCol, limit: limit, asArray: op.bagKind == "array"}, nil
}

type mvExpandPlan struct {
	in       plan
	cols     []Column
	targets  []mvTarget
	indexCol int
	limit    int64
	asArray  bool
}

func (p *mvExpandPlan) columns() []Column { return p.cols }

func (p *mvExpandPlan) open(ctx context.Context, x *execCtx) (RowIter, error) {
	in, err := p.in.open(ctx, x)
	if err != nil {
		return nil, err
	}
	return &mvIter{p: p, in: in, vals: make([]Value, len(p.targets))}, nil
}

type mvIter struct {
	p    *mvExpandPlan
	in   RowIter
	cur  Row
	vals []Value // the expanded value of each target for cur
	j, n int64   // next element index, element count for cur
	k    int
}

// count is how many rows a value expands to.
func count(v Value) int64 {
	switch v.k {
	case kArray:
		return int64(len(v.ref.arr))
	case kBag:
		return int64(len(v.ref.keys))
	}
	return 1 // null and scalars: one row
}

func (it *mvIter) elem(v Value, j int64) Value {
	switch v.k {
	case kArray:
		if j < int64(len(v.ref.arr)) {
			return v.ref.arr[j]
		}
		return Null()
	case kBag:
		if j >= int64(len(v.ref.keys)) {
			return Null()
		}
		k, e := v.ref.keys[j], v.ref.vals[j]
		if it.p.asArray {
			return Array(String(k), e)
		}
		return Bag([]string{k}, []Value{e})
	}
	if j == 0 {
		return v
	}
	return Null()
}

func (it *mvIter) Next(ctx context.Context) (Row, error) {
	p := it.p
	for it.cur == nil || it.j >= it.n {
		r, err := it.in.Next(ctx)
		if err != nil {
			return nil, err
		}
		it.cur, it.j, it.n = r, 0, 0
		for i, t := range p.targets {
			it.vals[i] = t.eval(r)
			it.n = max(it.n, count(it.vals[i]))
		}
		it.n = min(it.n, p.limit)
	}
	it.k++
	if it.k%checkEvery == 0 {
		if err := ctxErr(ctx); err != nil {
			return nil, err
		}
	}
	out := make(Row, len(p.cols))
	copy(out, it.cur)
	for i, t := range p.targets {
		v := it.elem(it.vals[i], it.j)
		if t.cast {
			v = cast(v, t.to)
		}
		out[t.target] = v
	}
	if p.indexCol >= 0 {
		out[p.indexCol] = Long(it.j)
	}
	it.j++
	return out, nil
}

func (it *mvIter) Close() error { return it.in.Close() }
