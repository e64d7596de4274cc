package kql

import (
	"fmt"
	pathpkg "path"
	"slices"
	"strconv"
)

// operator binds one `| operator` step on top of in.
func (b *binder) operator(in plan, op operator) (plan, error) {
	sc := newScope(in.columns())
	switch op := op.(type) {
	case *whereOp:
		c, err := b.expr(op.pred, sc)
		if err != nil {
			return nil, err
		}
		if c.t != TypeBool && c.t != TypeDynamic {
			return nil, semanticErrorf(op.pred.exprPos(), "where needs a bool condition, but the expression is %s", c.t)
		}
		pred := c.eval
		if c.t == TypeDynamic {
			pred = func(r Row) Value { return toBool(c.eval(r)) }
		}
		return &filterPlan{in: in, pred: pred}, nil
	case *extendOp:
		return b.extend(in, op.items)
	case *projectOp:
		return b.project(in, op.items)
	case *projectAwayOp:
		return b.projectAway(in, op)
	case *projectReorderOp:
		return b.projectReorder(in, op)
	case *projectRenameOp:
		return b.projectRename(in, op)
	case *summarizeOp:
		return b.summarize(in, op)
	case *joinOp:
		return b.join(in, op)
	case *mvExpandOp:
		return b.mvExpand(in, op)
	case *distinctOp:
		p := in
		if !op.star {
			items := make([]namedExpr, len(op.items))
			for i, e := range op.items {
				items[i] = namedExpr{e: e}
			}
			var err error
			if p, err = b.project(in, items); err != nil {
				return nil, err
			}
		}
		return &distinctPlan{in: p}, nil
	case *parseOp:
		return b.parseOp(in, op)
	case *sortOp:
		keys, err := b.sortKeys(op.keys, sc)
		if err != nil {
			return nil, err
		}
		return &sortPlan{in: in, keys: keys}, nil
	case *topOp:
		n, err := b.constLong(op.n, "the number of rows of top")
		if err != nil {
			return nil, err
		}
		keys, err := b.sortKeys([]sortKey{op.key}, sc)
		if err != nil {
			return nil, err
		}
		return &sortPlan{in: in, keys: keys, limit: n, top: true}, nil
	case *takeOp:
		n, err := b.constLong(op.n, "the number of rows of take")
		if err != nil {
			return nil, err
		}
		return &takePlan{in: in, n: n}, nil
	case *countOp:
		return &countPlan{in: in}, nil
	case *getschemaOp:
		return getschema(in.columns()), nil
	case *renderOp:
		return in, nil
	case *unionOp:
		return b.union(in, op)
	}
	return nil, fmt.Errorf("%w: unknown operator %T", ErrInternal, op)
}

// stringSafe makes sure a string-typed expression never yields null.
func stringSafe(c *cexpr) evalFn {
	if c.t != TypeString {
		return c.eval
	}
	ev := c.eval
	return func(r Row) Value {
		v := ev(r)
		if v.k != kString {
			return String(toStringValue(v))
		}
		return v
	}
}

func (b *binder) extend(in plan, items []namedExpr) (plan, error) {
	cols := slices.Clone(in.columns())
	type step struct {
		target int
		eval   evalFn
	}
	var steps []step
	for _, it := range items {
		// Later items see the columns added by earlier ones (extend a = 1, b = a + 1).
		sc := newScope(cols)
		c, err := b.expr(it.e, sc)
		if err != nil {
			return nil, err
		}
		name := it.name
		if name == "" {
			if name = b.inferName(it.e); name == "" {
				name = b.newColumnName(sc)
			}
		}
		target := sc.find(name)
		if target >= 0 {
			cols[target] = Column{Name: name, Type: c.t} // an existing name is replaced in place
		} else {
			cols = append(cols, Column{Name: name, Type: c.t})
			target = len(cols) - 1
		}
		steps = append(steps, step{target: target, eval: stringSafe(c)})
	}
	n := len(cols)
	return &mapPlan{in: in, cols: cols, fn: func(r Row) Row {
		out := make(Row, n)
		copy(out, r)
		for _, s := range steps {
			out[s.target] = s.eval(out)
		}
		return out
	}}, nil
}

func (b *binder) project(in plan, items []namedExpr) (plan, error) {
	sc := newScope(in.columns())
	var namer columnNamer
	evals := make([]evalFn, 0, len(items))
	direct := true
	idx := make([]int, 0, len(items))
	for _, it := range items {
		c, err := b.expr(it.e, sc)
		if err != nil {
			return nil, err
		}
		name, declared := it.name, it.name != ""
		pos := it.namePos
		if name == "" {
			pos = it.e.exprPos()
			switch {
			case c.col >= 0 && isPlainRef(it.e):
				name, declared = sc.cols[c.col].Name, true
			default:
				if name = b.inferName(it.e); name == "" {
					name = b.newColumnName(sc)
				}
			}
		}
		if _, err := namer.add(name, c.t, declared, pos); err != nil {
			return nil, err
		}
		evals = append(evals, stringSafe(c))
		if c.col >= 0 {
			idx = append(idx, c.col)
		} else {
			direct = false
		}
	}
	cols := namer.cols
	if direct {
		return &mapPlan{in: in, cols: cols, fn: func(r Row) Row {
			out := make(Row, len(idx))
			for j, i := range idx {
				out[j] = r[i]
			}
			return out
		}}, nil
	}
	return &mapPlan{in: in, cols: cols, fn: func(r Row) Row {
		out := make(Row, len(evals))
		for j, ev := range evals {
			out[j] = ev(r)
		}
		return out
	}}, nil
}

// isPlainRef reports whether e is just a column name (maybe in parentheses).
func isPlainRef(e expr) bool {
	switch e := e.(type) {
	case *ident:
		return true
	case *paren:
		return isPlainRef(e.x)
	}
	return false
}

// matchNames returns the indexes of the columns matching a name or a
// wildcard pattern, in column order.
func matchNames(cols []Column, n nameRef) ([]int, error) {
	var out []int
	wild := false
	for i := 0; i < len(n.name); i++ {
		if n.name[i] == '*' {
			wild = true
		}
	}
	for i, c := range cols {
		if wild {
			if ok, _ := pathpkg.Match(n.name, c.Name); ok {
				out = append(out, i)
			}
		} else if c.Name == n.name {
			out = append(out, i)
		}
	}
	if len(out) == 0 && !wild {
		return nil, semanticErrorf(n.pos, "unknown column %q", n.name)
	}
	return out, nil
}

func remap(in plan, cols []Column, idx []int) plan {
	return &mapPlan{in: in, cols: cols, fn: func(r Row) Row {
		out := make(Row, len(idx))
		for j, i := range idx {
			out[j] = r[i]
		}
		return out
	}}
}

func (b *binder) projectAway(in plan, op *projectAwayOp) (plan, error) {
	src := in.columns()
	hit := make([]bool, len(src))
	for _, n := range op.names {
		m, err := matchNames(src, n)
		if err != nil {
			return nil, err
		}
		for _, i := range m {
			hit[i] = true
		}
	}
	var cols []Column
	var idx []int
	for i, c := range src {
		if hit[i] == op.keep {
			cols = append(cols, c)
			idx = append(idx, i)
		}
	}
	return remap(in, cols, idx), nil
}

func (b *binder) projectReorder(in plan, op *projectReorderOp) (plan, error) {
	src := in.columns()
	used := make([]bool, len(src))
	var idx []int
	for _, n := range op.names {
		m, err := matchNames(src, n)
		if err != nil {
			return nil, err
		}
		for _, i := range m {
			if !used[i] {
				used[i] = true
				idx = append(idx, i)
			}
		}
	}
	for i := range src {
		if !used[i] {
			idx = append(idx, i)
		}
	}
	cols := make([]Column, len(idx))
	for j, i := range idx {
		cols[j] = src[i]
	}
	return remap(in, cols, idx), nil
}

func (b *binder) projectRename(in plan, op *projectRenameOp) (plan, error) {
	cols := slices.Clone(in.columns())
	sc := newScope(cols)
	for _, pr := range op.pairs {
		i := sc.find(pr.old.name)
		if i < 0 {
			return nil, semanticErrorf(pr.old.pos, "unknown column %q", pr.old.name)
		}
		if j := sc.find(pr.newName); j >= 0 && j != i {
			return nil, semanticErrorf(pr.newPos, "column %q already exists", pr.newName)
		}
		cols[i].Name = pr.newName
		sc = newScope(cols)
	}
	return &renamePlan{in: in, cols: cols}, nil
}

// dataTypes are the .NET type names getschema reports, as Kusto does.
var dataTypes = map[Type]string{
	TypeString: "System.String", TypeLong: "System.Int64", TypeReal: "System.Double", TypeBool: "System.Boolean",
	TypeDateTime: "System.DateTime", TypeTimeSpan: "System.TimeSpan", TypeDynamic: "System.Object",
}

func getschema(cols []Column) plan {
	rows := make([]Row, len(cols))
	for i, c := range cols {
		rows[i] = Row{String(c.Name), Long(int64(i)), String(dataTypes[c.Type]), String(c.Type.String())}
	}
	return &valuesPlan{cols: []Column{
		{Name: "ColumnName", Type: TypeString}, {Name: "ColumnOrdinal", Type: TypeLong},
		{Name: "DataType", Type: TypeString}, {Name: "ColumnType", Type: TypeString},
	}, rows: rows}
}

func (b *binder) sortKeys(keys []sortKey, sc *scope) ([]boundKey, error) {
	out := make([]boundKey, len(keys))
	for i, k := range keys {
		c, err := b.expr(k.e, sc)
		if err != nil {
			return nil, err
		}
		out[i] = boundKey{eval: c.eval, asc: k.asc, nullsFirst: k.nullsFirst}
	}
	return out, nil
}

func (b *binder) print(s *printSource) (plan, error) {
	sc := newScope(nil)
	var namer columnNamer
	row := make(Row, 0, len(s.items))
	for i, it := range s.items {
		c, err := b.expr(it.e, sc)
		if err != nil {
			return nil, err
		}
		name := it.name
		if name == "" {
			name = "print_" + strconv.Itoa(i)
		}
		if _, err := namer.add(name, c.t, it.name != "", it.namePos); err != nil {
			return nil, err
		}
		row = append(row, stringSafe(c)(nil))
	}
	return &valuesPlan{cols: namer.cols, rows: []Row{row}}, nil
}

func (b *binder) datatable(s *datatableSource) (plan, error) {
	n := len(s.cols)
	if len(s.values)%n != 0 {
		return nil, semanticErrorf(s.pos, "datatable has %d values for %d columns; give a value for every column of every row", len(s.values), n)
	}
	var namer columnNamer
	for _, c := range s.cols {
		if _, err := namer.add(c.Name, c.Type, true, s.pos); err != nil {
			return nil, err
		}
	}
	rows := make([]Row, 0, len(s.values)/n)
	sc := newScope(nil)
	for i := 0; i < len(s.values); i += n {
		row := make(Row, n)
		for j := 0; j < n; j++ {
			e := s.values[i+j]
			c, err := b.expr(e, sc)
			if err != nil {
				return nil, err
			}
			if !c.isConst {
				return nil, semanticErrorf(e.exprPos(), "datatable values must be constants")
			}
			v := c.value()
			want := s.cols[j].Type
			if v.k != kNull && want != TypeDynamic && c.t != want && !(want == TypeReal && c.t == TypeLong) {
				return nil, semanticErrorf(e.exprPos(), "datatable column %s is %s, the value is %s", s.cols[j].Name, want, c.t)
			}
			if want == TypeDynamic {
				row[j] = v
			} else {
				row[j] = converter(want)(v)
				if want == TypeString && row[j].k == kNull {
					row[j] = String("")
				}
			}
		}
		rows = append(rows, row)
	}
	return &valuesPlan{cols: namer.cols, rows: rows}, nil
}
