package kql

import (
	"context"
	"io"
	"strconv"
)

// union concatenates tables. kind=outer (the default) keeps every column,
// filling missing ones with null; a name that appears with different types
// becomes one column per type, named name_type (x_long, x_string) as in
// Kusto. kind=inner keeps only the columns every input has.
// withsource=Name adds a first column with the input's table name.

func (b *binder) union(first plan, op *unionOp) (plan, error) {
	var inputs []plan
	var names []string
	if first != nil {
		inputs = append(inputs, first)
		names = append(names, "")
	}
	for i, t := range op.tables {
		p, err := b.pipeline(t)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, p)
		name := "union_arg" + strconv.Itoa(i)
		if ref, ok := t.source.(*tableRef); ok && len(t.ops) == 0 {
			name = ref.name
		}
		names = append(names, name)
	}
	if first != nil {
		names[0] = "union_arg_in"
	}
	types := map[string]map[Type]bool{}
	for _, in := range inputs {
		for _, c := range in.columns() {
			if types[c.Name] == nil {
				types[c.Name] = map[Type]bool{}
			}
			types[c.Name][c.Type] = true
		}
	}
	finalName := func(c Column) string {
		if len(types[c.Name]) > 1 {
			return c.Name + "_" + c.Type.String()
		}
		return c.Name
	}
	var cols []Column
	index := map[string]int{}
	if op.withSource != "" {
		if _, taken := types[op.withSource]; taken {
			return nil, semanticErrorf(op.pos, "union withsource=%s: an input already has a column of that name", op.withSource)
		}
		cols = append(cols, Column{Name: op.withSource, Type: TypeString})
		index[op.withSource] = 0
	}
	for k, in := range inputs {
		for _, c := range in.columns() {
			n := finalName(c)
			if _, ok := index[n]; ok {
				continue
			}
			if op.kind == "inner" && !inAll(inputs, c) {
				continue
			}
			if op.kind == "inner" && k > 0 {
				continue
			}
			index[n] = len(cols)
			cols = append(cols, Column{Name: n, Type: c.Type})
		}
	}
	maps := make([][]int, len(inputs)) // output column -> input column or -1
	for k, in := range inputs {
		m := make([]int, len(cols))
		for i := range m {
			m[i] = -1
		}
		for j, c := range in.columns() {
			if i, ok := index[finalName(c)]; ok && !(op.withSource != "" && i == 0) {
				m[i] = j
			}
		}
		maps[k] = m
	}
	return &unionPlan{inputs: inputs, names: names, cols: cols, maps: maps, withSource: op.withSource != ""}, nil
}

func inAll(inputs []plan, c Column) bool {
	for _, in := range inputs {
		found := false
		for _, d := range in.columns() {
			if d.Name == c.Name && d.Type == c.Type {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

type unionPlan struct {
	inputs     []plan
	names      []string
	cols       []Column
	maps       [][]int
	withSource bool
}

func (p *unionPlan) columns() []Column { return p.cols }

func (p *unionPlan) open(_ context.Context, x *execCtx) (RowIter, error) {
	return &unionIter{p: p, x: x}, nil
}

type unionIter struct {
	p   *unionPlan
	x   *execCtx
	k   int
	cur RowIter
}

func (it *unionIter) Next(ctx context.Context) (Row, error) {
	p := it.p
	for it.k < len(p.inputs) {
		if it.cur == nil {
			in, err := p.inputs[it.k].open(ctx, it.x)
			if err != nil {
				return nil, err
			}
			it.cur = in
		}
		r, err := it.cur.Next(ctx)
		if err == io.EOF {
			it.cur.Close()
			it.cur = nil
			it.k++
			continue
		}
		if err != nil {
			return nil, err
		}
		out := make(Row, len(p.cols))
		for i, j := range p.maps[it.k] {
			if j >= 0 {
				out[i] = r[j]
			} else {
				out[i] = nullOf(p.cols[i].Type)
			}
		}
		if p.withSource {
			out[0] = String(p.names[it.k])
		}
		return out, nil
	}
	return nil, io.EOF
}

func (it *unionIter) Close() error {
	if it.cur != nil {
		err := it.cur.Close()
		it.cur = nil
		return err
	}
	return nil
}
