package kql

// The syntax tree. Every node knows where it starts in the query text so
// that errors found after parsing (unknown columns, type errors) point at
// the right line and column.

// query is a whole query: let statements, then one tabular expression.
type query struct {
	lets []*letStmt
	body *pipeline
}

// letStmt is `let name = expr;` (scalar) or `let name = (tabular);`.
type letStmt struct {
	pos    Pos
	name   string
	scalar expr      // set for scalar lets
	tab    *pipeline // set for tabular lets
}

// pipeline is a source followed by `| operator` steps.
type pipeline struct {
	pos    Pos
	source source
	ops    []operator
}

type source interface{ sourcePos() Pos }

// tableRef names a table (or a tabular let).
type tableRef struct {
	pos  Pos
	name string
}

// unionSource is `union [kind=..] [withsource=..] T1, T2` at the start.
type unionSource struct {
	pos Pos
	op  *unionOp
}

// printSource is `print [name =] expr, ...`.
type printSource struct {
	pos   Pos
	items []namedExpr
}

// datatableSource is `datatable(a:long, b:string) [1, "x", ...]`.
type datatableSource struct {
	pos    Pos
	cols   []Column
	values []expr
}

// subquery is a parenthesized pipeline used as a source.
type subquery struct {
	pos Pos
	p   *pipeline
}

func (s *tableRef) sourcePos() Pos        { return s.pos }
func (s *unionSource) sourcePos() Pos     { return s.pos }
func (s *printSource) sourcePos() Pos     { return s.pos }
func (s *datatableSource) sourcePos() Pos { return s.pos }
func (s *subquery) sourcePos() Pos        { return s.pos }

type operator interface{ opPos() Pos }

// namedExpr is `[name =] expr`; name is empty when not given.
type namedExpr struct {
	name    string
	namePos Pos
	e       expr
}

type whereOp struct {
	pos  Pos
	pred expr
}

type extendOp struct {
	pos   Pos
	items []namedExpr
}

type projectOp struct {
	pos   Pos
	items []namedExpr
}

// nameList is used by project-away, project-keep and project-reorder;
// names may hold the wildcard '*'.
type projectAwayOp struct {
	pos   Pos
	names []nameRef
	keep  bool // project-keep
}

type projectReorderOp struct {
	pos   Pos
	names []nameRef
}

type projectRenameOp struct {
	pos   Pos
	pairs []renamePair
}

type renamePair struct {
	newName string
	newPos  Pos
	old     nameRef
}

type nameRef struct {
	pos  Pos
	name string
}

type summarizeOp struct {
	pos  Pos
	aggs []namedExpr
	by   []namedExpr
}

type joinOp struct {
	pos     Pos
	kind    string
	kindPos Pos
	right   *pipeline
	on      []joinKey
}

// joinKey is `on col` (left == right == col) or `$left.a == $right.b`.
type joinKey struct {
	pos         Pos
	left, right nameRef
}

type mvExpandOp struct {
	pos       Pos
	legacy    bool   // mvexpand
	bagKind   string // "bag" (default) or "array"
	itemIndex string
	items     []mvItem
	limit     expr
}

type mvItem struct {
	namedExpr
	toType    Type
	hasToType bool
}

type distinctOp struct {
	pos   Pos
	star  bool
	items []expr
}

type parseOp struct {
	pos     Pos
	kind    string // simple, regex, relaxed
	flags   string
	subject expr
	pattern []parseElem
}

// parseElem is one element of a parse pattern: '*', a string constant or
// a column [: type].
type parseElem struct {
	pos     Pos
	star    bool
	literal string
	isLit   bool
	column  string
	typ     Type
}

type sortOp struct {
	pos  Pos
	keys []sortKey
}

type sortKey struct {
	e          expr
	asc        bool
	nullsFirst bool
}

type topOp struct {
	pos Pos
	n   expr
	key sortKey
}

type takeOp struct {
	pos Pos
	n   expr
}

type countOp struct{ pos Pos }

type getschemaOp struct{ pos Pos }

// renderOp is `render chart ...`: a visualization hint with no effect on
// the data, accepted so that queries copied from dashboards run.
type renderOp struct{ pos Pos }

type unionOp struct {
	pos        Pos
	kind       string // outer (default) or inner
	withSource string
	tables     []*pipeline
}

func (o *whereOp) opPos() Pos          { return o.pos }
func (o *extendOp) opPos() Pos         { return o.pos }
func (o *projectOp) opPos() Pos        { return o.pos }
func (o *projectAwayOp) opPos() Pos    { return o.pos }
func (o *projectReorderOp) opPos() Pos { return o.pos }
func (o *projectRenameOp) opPos() Pos  { return o.pos }
func (o *summarizeOp) opPos() Pos      { return o.pos }
func (o *joinOp) opPos() Pos           { return o.pos }
func (o *mvExpandOp) opPos() Pos       { return o.pos }
func (o *distinctOp) opPos() Pos       { return o.pos }
func (o *parseOp) opPos() Pos          { return o.pos }
func (o *sortOp) opPos() Pos           { return o.pos }
func (o *topOp) opPos() Pos            { return o.pos }
func (o *takeOp) opPos() Pos           { return o.pos }
func (o *countOp) opPos() Pos          { return o.pos }
func (o *getschemaOp) opPos() Pos      { return o.pos }
func (o *renderOp) opPos() Pos         { return o.pos }
func (o *unionOp) opPos() Pos          { return o.pos }

// Scalar expressions.
type expr interface{ exprPos() Pos }

type literal struct {
	pos Pos
	v   Value
	t   Type
}

// ident is a name: a column, a let variable, or $left/$right.
type ident struct {
	pos  Pos
	name string
}

// path is x.name.
type path struct {
	pos  Pos
	x    expr
	name string
}

// index is x[i] (also written x.[i]).
type index struct {
	pos Pos
	x   expr
	i   expr
}

type call struct {
	pos  Pos
	name string
	args []expr
	// typeArg holds typeof(T) arguments, e.g. extract(re, 1, s, typeof(long)).
}

// typeofExpr is typeof(T), allowed as a function argument.
type typeofExpr struct {
	pos Pos
	t   Type
}

type star struct{ pos Pos }

type paren struct {
	pos Pos
	x   expr
}

type unary struct {
	pos Pos
	op  string // "-" or "+"
	x   expr
}

type binExpr struct {
	pos   Pos
	op    string // arithmetic, comparison, string operators, and/or
	opPos Pos
	l, r  expr
}

type inExpr struct {
	pos  Pos
	op   string // in, !in, in~, !in~, has_any, has_all
	x    expr
	list []expr
	sub  *pipeline // in (T | project x)
}

type betweenExpr struct {
	pos    Pos
	not    bool
	x      expr
	lo, hi expr
}

// scalarSub is toscalar(query): the first column of the first row.
type scalarSub struct {
	pos Pos
	p   *pipeline
}

func (e *scalarSub) exprPos() Pos { return e.pos }

// dynamicLit is dynamic(...): a constant JSON-like value.
type dynamicLit struct {
	pos Pos
	v   Value
}

func (e *literal) exprPos() Pos     { return e.pos }
func (e *ident) exprPos() Pos       { return e.pos }
func (e *path) exprPos() Pos        { return e.pos }
func (e *index) exprPos() Pos       { return e.pos }
func (e *call) exprPos() Pos        { return e.pos }
func (e *typeofExpr) exprPos() Pos  { return e.pos }
func (e *star) exprPos() Pos        { return e.pos }
func (e *paren) exprPos() Pos       { return e.pos }
func (e *unary) exprPos() Pos       { return e.pos }
func (e *binExpr) exprPos() Pos     { return e.pos }
func (e *inExpr) exprPos() Pos      { return e.pos }
func (e *betweenExpr) exprPos() Pos { return e.pos }
func (e *dynamicLit) exprPos() Pos  { return e.pos }
