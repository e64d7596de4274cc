package kql

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The binder turns the syntax tree into a plan: it resolves names against
// the columns in scope, infers static types and result column names (with
// Kusto's naming rules), compiles expressions into closures and checks
// everything it can before a single row is read.

// evalFn computes an expression for one row.
type evalFn func(Row) Value

// cexpr is a compiled scalar expression.
type cexpr struct {
	t       Type
	eval    evalFn
	isConst bool
	col     int // index of the column when the expression is a plain column reference, else -1
}

func constExpr(v Value, t Type) *cexpr {
	return &cexpr{t: t, eval: func(Row) Value { return v }, isConst: true, col: -1}
}

// value returns the value of a constant expression.
func (c *cexpr) value() Value { return c.eval(nil) }

// scope is the row layout an expression sees.
type scope struct {
	cols   []Column
	byName map[string]int
}

func newScope(cols []Column) *scope { return &scope{cols: cols} }

func (s *scope) find(name string) int {
	if len(s.cols) > 12 {
		if s.byName == nil {
			s.byName = make(map[string]int, len(s.cols))
			for i, c := range s.cols {
				s.byName[c.Name] = i
			}
		}
		if i, ok := s.byName[name]; ok {
			return i
		}
		return -1
	}
	for i, c := range s.cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}

type letBinding struct {
	scalar    *cexpr
	tab       *pipeline
	resolving bool
}

type binder struct {
	cat    Catalog
	lets   map[string]*letBinding
	now    int64 // ticks of now(), fixed for the whole query
	colSeq int   // the N of the next ColumnN name
	// subqueries are the `in (subquery)` sets to load before the query runs.
	subqueries []*subquerySet
}

// bindQuery checks a parsed query and returns its plan and the subqueries
// to load before running it.
func bindQuery(q *query, cat Catalog, now int64) (plan, []*subquerySet, error) {
	b := &binder{cat: cat, lets: map[string]*letBinding{}, now: now, colSeq: 1}
	for _, l := range q.lets {
		lb := &letBinding{}
		if l.scalar != nil {
			// bound without columns, so it cannot depend on a row
			c, err := b.expr(l.scalar, newScope(nil))
			switch {
			case err == nil:
				lb.scalar = c
			case l.tab != nil:
				// `let T = name;` naming a table or tabular let
			default:
				return nil, nil, err
			}
		}
		if lb.scalar == nil {
			lb.tab = l.tab
		}
		b.lets[l.name] = lb
	}
	p, err := b.pipeline(q.body)
	if err != nil {
		return nil, nil, err
	}
	return p, b.subqueries, nil
}

// newColumnName returns the next ColumnN name not used in sc.
func (b *binder) newColumnName(sc *scope) string {
	for {
		name := "Column" + strconv.Itoa(b.colSeq)
		b.colSeq++
		if sc == nil || sc.find(name) < 0 {
			return name
		}
	}
}

// inferName is the column name Kusto gives an unnamed expression, or ""
// when there is none (then ColumnN is used). See Kusto.Language's
// Binder.GetExpressionResultName.
func (b *binder) inferName(e expr) string {
	switch e := e.(type) {
	case *paren:
		return b.inferName(e.x)
	case *ident:
		return e.name
	case *path:
		if left := b.inferName(e.x); left != "" {
			return left + "_" + e.name
		}
		return e.name
	case *index:
		right := ""
		if lit, ok := e.i.(*literal); ok && (lit.v.k == kString || lit.v.k == kLong) {
			right = toStringValue(lit.v)
		}
		if left := b.inferName(e.x); left != "" {
			return left + "_" + right
		}
		return right
	case *call:
		spec := lookupNaming(e.name)
		switch spec.kind {
		case nameFirstArg:
			if len(e.args) > 0 {
				return b.inferName(e.args[0])
			}
		case namePrefixFirstArg:
			if len(e.args) > 0 {
				return spec.prefix + "_" + b.inferName(e.args[0])
			}
			return spec.prefix + "_"
		}
	}
	return ""
}

// columnNamer collects the output columns of a projection-like operator,
// making inferred names unique and rejecting repeated declared names.
type columnNamer struct {
	cols     []Column
	declared map[string]bool
}

func (n *columnNamer) has(name string) bool {
	for _, c := range n.cols {
		if c.Name == name {
			return true
		}
	}
	return false
}

// add appends a column; declared names must be unique, inferred ones get a
// number appended (name1, name2, ...) like Kusto does.
func (n *columnNamer) add(name string, t Type, declared bool, pos Pos) (int, error) {
	if n.has(name) {
		if declared || n.declared[name] {
			return 0, semanticErrorf(pos, "column %q is declared more than once", name)
		}
		name = uniqueName(name, n.has)
	}
	if declared {
		if n.declared == nil {
			n.declared = map[string]bool{}
		}
		n.declared[name] = true
	}
	n.cols = append(n.cols, Column{Name: name, Type: t})
	return len(n.cols) - 1, nil
}

// uniqueName appends 1, 2, ... to name until taken reports false.
func uniqueName(name string, taken func(string) bool) string {
	for i := 1; ; i++ {
		c := name + strconv.Itoa(i)
		if !taken(c) {
			return c
		}
	}
}

func (b *binder) pipeline(pl *pipeline) (plan, error) {
	ops := pl.ops
	var p plan
	var err error
	switch s := pl.source.(type) {
	case *tableRef:
		var n int
		p, n, err = b.tableSource(s, ops)
		ops = ops[n:]
	case *subquery:
		p, err = b.pipeline(s.p)
	case *unionSource:
		p, err = b.union(nil, s.op)
	case *printSource:
		p, err = b.print(s)
	case *datatableSource:
		p, err = b.datatable(s)
	default:
		err = fmt.Errorf("%w: unknown source %T", ErrInternal, s)
	}
	if err != nil {
		return nil, err
	}
	for _, op := range ops {
		if p, err = b.operator(p, op); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// tableSource resolves a table (or tabular let) and binds the where
// operators that follow it directly, passing their simple equality
// conjuncts down to the table. It returns how many operators it consumed.
func (b *binder) tableSource(s *tableRef, ops []operator) (plan, int, error) {
	if lb, ok := b.lets[s.name]; ok && lb.tab != nil {
		if lb.resolving {
			return nil, 0, semanticErrorf(s.pos, "let %s refers to itself", s.name)
		}
		lb.resolving = true
		p, err := b.pipeline(lb.tab)
		lb.resolving = false
		return p, 0, err
	}
	t, err := b.cat.Table(s.name)
	if err != nil {
		if errors.Is(err, ErrUnknownTable) {
			e := semanticErrorf(s.pos, "unknown table %q%s", s.name, b.tableHint(s.name))
			e.Err = ErrUnknownTable
			return nil, 0, e
		}
		return nil, 0, fmt.Errorf("kql: table %s: %w", s.name, err)
	}
	scan := &scanPlan{table: t, cols: t.Columns()}
	var p plan = scan
	n := 0
	for _, op := range ops {
		w, ok := op.(*whereOp)
		if !ok {
			break
		}
		if p, err = b.operator(p, w); err != nil {
			return nil, 0, err
		}
		scan.pd.Filters = append(scan.pd.Filters, b.pushdownFilters(w.pred, scan.cols)...)
		n++
	}
	return p, n, nil
}

func (b *binder) tableHint(name string) string {
	l, ok := b.cat.(TableLister)
	if !ok {
		return ""
	}
	names := l.TableNames()
	for _, n := range names {
		if strings.EqualFold(n, name) {
			return fmt.Sprintf(" (table names are case-sensitive: did you mean %q?)", n)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return " (tables: " + strings.Join(names, ", ") + ")"
}

// pushdownFilters extracts `column == literal` and `column =~ literal`
// conjuncts on non-dynamic columns.
func (b *binder) pushdownFilters(e expr, cols []Column) []Filter {
	for {
		p, ok := e.(*paren)
		if !ok {
			break
		}
		e = p.x
	}
	be, ok := e.(*binExpr)
	if !ok {
		return nil
	}
	if be.op == "and" {
		return append(b.pushdownFilters(be.l, cols), b.pushdownFilters(be.r, cols)...)
	}
	if be.op != "==" && be.op != "=~" {
		return nil
	}
	id, lit := asIdentLiteral(be.l, be.r)
	if id == nil {
		id, lit = asIdentLiteral(be.r, be.l)
	}
	if id == nil {
		return nil
	}
	for _, c := range cols {
		if c.Name != id.name || c.Type == TypeDynamic {
			continue
		}
		if be.op == "=~" && c.Type != TypeString {
			return nil
		}
		v := lit.v
		if lit.t != c.Type {
			if !(c.Type.numeric() && lit.t.numeric()) {
				return nil
			}
			v = converter(c.Type)(v)
		}
		if v.IsNull() {
			return nil
		}
		return []Filter{{Column: c.Name, CaseInsensitive: be.op == "=~", Value: v}}
	}
	return nil
}

func asIdentLiteral(a, c expr) (*ident, *literal) {
	id, ok1 := a.(*ident)
	lit, ok2 := c.(*literal)
	if ok1 && ok2 {
		return id, lit
	}
	return nil, nil
}

// constLong evaluates a constant long expression (take 10, top 5).
func (b *binder) constLong(e expr, what string) (int64, error) {
	c, err := b.expr(e, newScope(nil))
	if err != nil {
		return 0, err
	}
	if !c.isConst || (c.t != TypeLong && c.t != TypeReal) {
		return 0, semanticErrorf(e.exprPos(), "%s must be a constant number", what)
	}
	v := toLong(c.value())
	if v.IsNull() || v.i < 0 {
		return 0, semanticErrorf(e.exprPos(), "%s must be a number >= 0", what)
	}
	return v.i, nil
}
