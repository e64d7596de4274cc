package kql

import (
	"context"
	"io"
	"strings"
)

// Join kinds. Without kind=, Kusto joins with innerunique: left rows with a
// repeated key are dropped (one left row per key value) before matching.
// Null keys never match.
var joinKinds = map[string]bool{
	"inner": true, "innerunique": true, "leftouter": true, "rightouter": true, "fullouter": true,
	"leftsemi": true, "leftanti": true, "leftantisemi": true, "rightsemi": true, "rightanti": true, "rightantisemi": true,
}

func (b *binder) join(left plan, op *joinOp) (plan, error) {
	kind := op.kind
	if !joinKinds[kind] {
		return nil, semanticErrorf(op.kindPos, "unknown join kind %q (supported: inner, innerunique, leftouter, rightouter, fullouter, leftsemi, leftanti, rightsemi, rightanti)", kind)
	}
	kind = strings.Replace(kind, "antisemi", "anti", 1)
	right, err := b.pipeline(op.right)
	if err != nil {
		return nil, err
	}
	lcols, rcols := left.columns(), right.columns()
	ls, rs := newScope(lcols), newScope(rcols)
	jp := &joinPlan{left: left, right: right, kind: kind}
	for _, k := range op.on {
		li, ri := ls.find(k.left.name), rs.find(k.right.name)
		if li < 0 {
			return nil, semanticErrorf(k.left.pos, "join: the left side has no column %q", k.left.name)
		}
		if ri < 0 {
			return nil, semanticErrorf(k.right.pos, "join: the right side has no column %q", k.right.name)
		}
		lt, rt := lcols[li].Type, rcols[ri].Type
		var conv func(Value) Value
		switch {
		case lt == TypeDynamic || rt == TypeDynamic:
			return nil, semanticErrorf(k.pos, "join keys cannot be dynamic; convert the key first (e.g. extend k = tostring(...))")
		case lt == rt:
		case lt.numeric() && rt.numeric():
			conv = toReal
		default:
			return nil, semanticErrorf(k.pos, "join keys %q (%s) and %q (%s) have different types", k.left.name, lt, k.right.name, rt)
		}
		jp.lkeys = append(jp.lkeys, li)
		jp.rkeys = append(jp.rkeys, ri)
		jp.conv = append(jp.conv, conv)
	}
	switch kind {
	case "leftsemi", "leftanti":
		jp.cols = lcols
	case "rightsemi", "rightanti":
		jp.cols = rcols
	default:
		// Right columns whose names are taken get a number: name1, name2...
		var namer columnNamer
		for _, c := range lcols {
			namer.cols = append(namer.cols, c)
		}
		for _, c := range rcols {
			_, _ = namer.add(c.Name, c.Type, false, op.pos) // inferred names never fail
		}
		jp.cols = namer.cols
	}
	jp.lcols, jp.rcols = lcols, rcols
	return jp, nil
}

type joinPlan struct {
	left, right  plan
	kind         string
	lkeys, rkeys []int
	conv         []func(Value) Value
	cols         []Column
	lcols, rcols []Column
}

func (p *joinPlan) columns() []Column { return p.cols }

// key encodes a row's join key; ok is false when a key value is null.
func (p *joinPlan) key(buf []byte, r Row, idx []int) ([]byte, bool) {
	buf = buf[:0]
	for i, c := range idx {
		v := r[c]
		if p.conv[i] != nil {
			v = p.conv[i](v)
		}
		if v.k == kNull {
			return buf, false
		}
		buf = appendKey(buf, v, false)
	}
	return buf, true
}

func (p *joinPlan) open(ctx context.Context, x *execCtx) (RowIter, error) {
	rin, err := p.right.open(ctx, x)
	if err != nil {
		return nil, err
	}
	it := &joinIter{p: p, x: x, table: map[string][]int{}}
	var buf []byte
	err = drain(ctx, rin, func(r Row) error {
		idx := len(it.rrows)
		it.rrows = append(it.rrows, r)
		n := rowSize(r) + 32
		var ok bool
		if buf, ok = p.key(buf, r, p.rkeys); ok {
			it.table[string(buf)] = append(it.table[string(buf)], idx)
			n += int64(len(buf)) + 64
		}
		it.used += n
		return x.grow(n, "join (right side)")
	})
	rin.Close()
	if err != nil {
		x.release(it.used)
		return nil, err
	}
	switch p.kind {
	case "rightouter", "fullouter", "rightsemi", "rightanti":
		it.matched = make([]bool, len(it.rrows))
	case "innerunique":
		it.seen = map[string]struct{}{}
	}
	lin, err := p.left.open(ctx, x)
	if err != nil {
		x.release(it.used)
		return nil, err
	}
	it.lin = lin
	return it, nil
}

type joinIter struct {
	p       *joinPlan
	x       *execCtx
	lin     RowIter
	rrows   []Row
	table   map[string][]int
	matched []bool
	seen    map[string]struct{}
	used    int64
	buf     []byte

	cur     Row   // left row being matched
	pending []int // right rows still to pair with cur
	leftEOF bool
	tail    int // next right row to consider after the left side ended
	emitted int
}

func (it *joinIter) combine(l, r Row) Row {
	out := make(Row, len(it.p.lcols)+len(it.p.rcols))
	if l == nil {
		for i, c := range it.p.lcols {
			out[i] = nullOf(c.Type)
		}
	} else {
		copy(out, l)
	}
	off := len(it.p.lcols)
	if r == nil {
		for i, c := range it.p.rcols {
			out[off+i] = nullOf(c.Type)
		}
	} else {
		copy(out[off:], r)
	}
	return out
}

func (it *joinIter) Next(ctx context.Context) (Row, error) {
	p := it.p
	for {
		it.emitted++
		if it.emitted%checkEvery == 0 {
			if err := ctxErr(ctx); err != nil {
				return nil, err
			}
		}
		if len(it.pending) > 0 {
			ri := it.pending[0]
			it.pending = it.pending[1:]
			return it.combine(it.cur, it.rrows[ri]), nil
		}
		if it.leftEOF {
			return it.nextTail()
		}
		l, err := it.lin.Next(ctx)
		if err == io.EOF {
			it.leftEOF = true
			continue
		}
		if err != nil {
			return nil, err
		}
		var matches []int
		var ok bool
		if it.buf, ok = p.key(it.buf, l, p.lkeys); ok {
			if p.kind == "innerunique" {
				if _, dup := it.seen[string(it.buf)]; dup {
					continue
				}
				it.seen[string(it.buf)] = struct{}{}
				n := int64(len(it.buf)) + 48
				it.used += n
				if err := it.x.grow(n, "join"); err != nil {
					return nil, err
				}
			}
			matches = it.table[string(it.buf)]
		}
		if it.matched != nil {
			for _, ri := range matches {
				it.matched[ri] = true
			}
		}
		switch p.kind {
		case "inner", "innerunique", "rightouter":
			it.cur, it.pending = l, matches
		case "leftouter", "fullouter":
			if len(matches) == 0 {
				return it.combine(l, nil), nil
			}
			it.cur, it.pending = l, matches
		case "leftsemi":
			if len(matches) > 0 {
				return l, nil
			}
		case "leftanti":
			if len(matches) == 0 {
				return l, nil
			}
		}
	}
}

// nextTail emits the right rows that depend on the whole left side.
func (it *joinIter) nextTail() (Row, error) {
	for it.tail < len(it.rrows) {
		i := it.tail
		it.tail++
		switch it.p.kind {
		case "rightouter", "fullouter":
			if !it.matched[i] {
				return it.combine(nil, it.rrows[i]), nil
			}
		case "rightsemi":
			if it.matched[i] {
				return it.rrows[i], nil
			}
		case "rightanti":
			if !it.matched[i] {
				return it.rrows[i], nil
			}
		default:
			it.tail = len(it.rrows)
		}
	}
	return nil, io.EOF
}

func (it *joinIter) Close() error {
	it.x.release(it.used)
	it.used = 0
	it.rrows, it.table = nil, nil
	return it.lin.Close()
}
