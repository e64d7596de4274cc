package kql

import (
	"fmt"
	"math"
	"strings"
)

// expr compiles a scalar expression against the columns of sc.
func (b *binder) expr(e expr, sc *scope) (*cexpr, error) {
	switch e := e.(type) {
	case *literal:
		return constExpr(e.v, e.t), nil
	case *dynamicLit:
		return constExpr(e.v, TypeDynamic), nil
	case *paren:
		return b.expr(e.x, sc)
	case *ident:
		return b.identExpr(e, sc)
	case *path:
		x, err := b.expr(e.x, sc)
		if err != nil {
			return nil, err
		}
		if x.t != TypeDynamic {
			return nil, semanticErrorf(e.pos, "property access .%s needs a dynamic value, but the expression is %s", e.name, x.t)
		}
		name, xe := e.name, x.eval
		return b.fold(&cexpr{t: TypeDynamic, col: -1, eval: func(r Row) Value {
			return member(xe(r), name)
		}}, x), nil
	case *index:
		return b.indexExpr(e, sc)
	case *unary:
		x, err := b.expr(e.x, sc)
		if err != nil {
			return nil, err
		}
		if e.op == "+" {
			return x, nil
		}
		switch x.t {
		case TypeLong, TypeReal, TypeTimeSpan, TypeDynamic:
		default:
			return nil, semanticErrorf(e.pos, "unary minus needs a number or timespan, not %s", x.t)
		}
		xe := x.eval
		return b.fold(&cexpr{t: x.t, col: -1, eval: func(r Row) Value { return negate(xe(r)) }}, x), nil
	case *binExpr:
		return b.binaryExpr(e, sc)
	case *inExpr:
		return b.inExpr(e, sc)
	case *betweenExpr:
		return b.betweenExpr(e, sc)
	case *call:
		return b.callExpr(e, sc)
	case *scalarSub:
		sub, err := b.pipeline(e.p)
		if err != nil {
			return nil, err
		}
		cols := sub.columns()
		if len(cols) == 0 {
			return nil, semanticErrorf(e.pos, "the query of toscalar() returns no columns")
		}
		h := &subquerySet{plan: sub, scalar: true, value: nullOf(cols[0].Type)}
		b.subqueries = append(b.subqueries, h)
		return &cexpr{t: cols[0].Type, col: -1, eval: func(Row) Value { return h.value }}, nil
	case *star:
		return nil, semanticErrorf(e.pos, "'*' is only allowed in a function's argument list (e.g. arg_max(x, *))")
	case *typeofExpr:
		return nil, semanticErrorf(e.pos, "typeof(...) is only allowed as a function argument or after 'to'")
	}
	return nil, fmt.Errorf("%w: unknown expression %T", ErrInternal, e)
}

// fold evaluates an expression once when all its inputs are constant.
func (b *binder) fold(c *cexpr, inputs ...*cexpr) *cexpr {
	for _, in := range inputs {
		if !in.isConst {
			return c
		}
	}
	return constExpr(c.eval(nil), c.t)
}

func (b *binder) identExpr(e *ident, sc *scope) (*cexpr, error) {
	if i := sc.find(e.name); i >= 0 {
		return &cexpr{t: sc.cols[i].Type, col: i, eval: func(r Row) Value { return r[i] }}, nil
	}
	if lb, ok := b.lets[e.name]; ok && lb.scalar != nil {
		return lb.scalar, nil
	}
	hint := ""
	for _, c := range sc.cols {
		if strings.EqualFold(c.Name, e.name) {
			hint = fmt.Sprintf(" (column names are case-sensitive: did you mean %q?)", c.Name)
			break
		}
	}
	if hint == "" {
		if _, err := b.cat.Table(e.name); err == nil {
			hint = " (it is a table: use it as the start of a query, or in join, union or in (...))"
		} else if len(sc.cols) > 0 && len(sc.cols) <= 30 {
			names := make([]string, len(sc.cols))
			for i, c := range sc.cols {
				names[i] = c.Name
			}
			hint = " (columns: " + strings.Join(names, ", ") + ")"
		}
	}
	return nil, semanticErrorf(e.pos, "unknown column or variable %q%s", e.name, hint)
}

// member returns v.name for a property bag, null otherwise.
func member(v Value, name string) Value {
	if v.k != kBag {
		return Null()
	}
	if i, ok := v.ref.lookup(name); ok {
		return v.ref.vals[i]
	}
	return Null()
}

// element returns v[i]: an array element (negative counts from the end)
// or a bag member.
func element(v, i Value) Value {
	switch v.k {
	case kArray:
		n := toLong(i)
		if n.IsNull() || i.k == kString {
			return Null()
		}
		idx := n.i
		if idx < 0 {
			idx += int64(len(v.ref.arr))
		}
		if idx < 0 || idx >= int64(len(v.ref.arr)) {
			return Null()
		}
		return v.ref.arr[idx]
	case kBag:
		if i.k != kString {
			return Null()
		}
		return member(v, i.s)
	}
	return Null()
}

func (b *binder) indexExpr(e *index, sc *scope) (*cexpr, error) {
	x, err := b.expr(e.x, sc)
	if err != nil {
		return nil, err
	}
	if x.t != TypeDynamic {
		return nil, semanticErrorf(e.pos, "indexing [...] needs a dynamic array or bag, but the expression is %s", x.t)
	}
	i, err := b.expr(e.i, sc)
	if err != nil {
		return nil, err
	}
	switch i.t {
	case TypeLong, TypeString, TypeDynamic, TypeReal:
	default:
		return nil, semanticErrorf(e.i.exprPos(), "an index is a number (arrays) or a string (bags), not %s", i.t)
	}
	xe, ie := x.eval, i.eval
	return b.fold(&cexpr{t: TypeDynamic, col: -1, eval: func(r Row) Value { return element(xe(r), ie(r)) }}, x, i), nil
}

func negate(v Value) Value {
	switch v.k {
	case kLong:
		return Long(-v.i)
	case kReal:
		return Real(-v.real())
	case kTimeSpan:
		return Value{k: kTimeSpan, i: -v.i}
	}
	return Null()
}

func (b *binder) binaryExpr(e *binExpr, sc *scope) (*cexpr, error) {
	l, err := b.expr(e.l, sc)
	if err != nil {
		return nil, err
	}
	r, err := b.expr(e.r, sc)
	if err != nil {
		return nil, err
	}
	var c *cexpr
	switch e.op {
	case "and", "or":
		c, err = logical(e, l, r)
	case "+", "-", "*", "/", "%":
		c, err = arithmetic(e, l, r)
	case "==", "!=", "<", "<=", ">", ">=":
		c, err = comparison(e, l, r)
	case "=~", "!~":
		le, re := stringOf(l), stringOf(r)
		neg := e.op == "!~"
		c = &cexpr{t: TypeBool, col: -1, eval: func(row Row) Value {
			return Bool(equalFold(le(row), re(row)) != neg)
		}}
	case "matches regex":
		c, err = b.matchesRegex(e, l, r)
	default:
		c, err = stringOperator(e, l, r)
	}
	if err != nil {
		return nil, err
	}
	return b.fold(c, l, r), nil
}

// stringOf converts an expression's values to strings (dynamic values and
// numbers by their text; null to "").
func stringOf(c *cexpr) func(Row) string {
	ev := c.eval
	if c.t == TypeString {
		return func(r Row) string { return ev(r).s }
	}
	return func(r Row) string { return toStringValue(ev(r)) }
}

func logical(e *binExpr, l, r *cexpr) (*cexpr, error) {
	for _, x := range []*cexpr{l, r} {
		if x.t != TypeBool && x.t != TypeDynamic {
			return nil, semanticErrorf(e.opPos, "'%s' needs bool operands, not %s", e.op, x.t)
		}
	}
	le, re := l.eval, r.eval
	// Three-valued logic: null and false is false, null or true is true.
	if e.op == "and" {
		return &cexpr{t: TypeBool, col: -1, eval: func(row Row) Value {
			a := toBool(le(row))
			if a.k == kBool && a.i == 0 {
				return a
			}
			c := toBool(re(row))
			if c.k == kBool && c.i == 0 {
				return c
			}
			if a.k == kNull || c.k == kNull {
				return Null()
			}
			return Bool(true)
		}}, nil
	}
	return &cexpr{t: TypeBool, col: -1, eval: func(row Row) Value {
		a := toBool(le(row))
		if a.isTrue() {
			return a
		}
		c := toBool(re(row))
		if c.isTrue() {
			return c
		}
		if a.k == kNull || c.k == kNull {
			return Null()
		}
		return Bool(false)
	}}, nil
}

// arithmeticType is the result type of l op r, or false when Kusto does
// not define it.
func arithmeticType(op string, l, r Type) (Type, bool) {
	if l == TypeDynamic || r == TypeDynamic {
		return TypeDynamic, true
	}
	switch {
	case l == TypeLong && r == TypeLong:
		return TypeLong, true
	case l.numeric() && r.numeric():
		return TypeReal, true
	}
	switch op {
	case "+":
		switch {
		case l == TypeDateTime && r == TypeTimeSpan, l == TypeTimeSpan && r == TypeDateTime:
			return TypeDateTime, true
		case l == TypeTimeSpan && r == TypeTimeSpan:
			return TypeTimeSpan, true
		}
	case "-":
		switch {
		case l == TypeDateTime && r == TypeDateTime:
			return TypeTimeSpan, true
		case l == TypeDateTime && r == TypeTimeSpan:
			return TypeDateTime, true
		case l == TypeTimeSpan && r == TypeTimeSpan:
			return TypeTimeSpan, true
		}
	case "*":
		if (l == TypeTimeSpan && r.numeric()) || (l.numeric() && r == TypeTimeSpan) {
			return TypeTimeSpan, true
		}
	case "/":
		switch {
		case l == TypeTimeSpan && r == TypeTimeSpan:
			return TypeReal, true
		case l == TypeTimeSpan && r.numeric():
			return TypeTimeSpan, true
		}
	case "%":
		if l == TypeTimeSpan && r == TypeTimeSpan {
			return TypeTimeSpan, true
		}
	}
	return 0, false
}

func arithmetic(e *binExpr, l, r *cexpr) (*cexpr, error) {
	t, ok := arithmeticType(e.op, l.t, r.t)
	if !ok {
		hint := ""
		if e.op == "+" && (l.t == TypeString || r.t == TypeString) {
			hint = "; use strcat() to join strings"
		}
		return nil, semanticErrorf(e.opPos, "operator '%s' cannot be applied to %s and %s%s", e.op, l.t, r.t, hint)
	}
	le, re, op := l.eval, r.eval, e.op[0]
	if l.t == TypeLong && r.t == TypeLong {
		return &cexpr{t: t, col: -1, eval: func(row Row) Value {
			a, c := le(row), re(row)
			if a.k != kLong || c.k != kLong {
				return Null()
			}
			return arithLong(op, a.i, c.i)
		}}, nil
	}
	return &cexpr{t: t, col: -1, eval: func(row Row) Value { return arith(op, le(row), re(row)) }}, nil
}

func arithLong(op byte, a, c int64) Value {
	switch op {
	case '+':
		return Long(a + c)
	case '-':
		return Long(a - c)
	case '*':
		return Long(a * c)
	case '/':
		if c == 0 || (c == -1 && a == math.MinInt64) {
			return Null()
		}
		return Long(a / c)
	case '%':
		if c == 0 || c == -1 {
			if c == -1 {
				return Long(0)
			}
			return Null()
		}
		return Long(a % c)
	}
	return Null()
}

// arith applies op to two run-time values of any kinds.
func arith(op byte, a, c Value) Value {
	if a.k == kNull || c.k == kNull {
		return Null()
	}
	if a.k == kLong && c.k == kLong {
		return arithLong(op, a.i, c.i)
	}
	num := func(v Value) bool { return v.k == kLong || v.k == kReal }
	if num(a) && num(c) {
		x, y := toReal(a).real(), toReal(c).real()
		switch op {
		case '+':
			return Real(x + y)
		case '-':
			return Real(x - y)
		case '*':
			return Real(x * y)
		case '/':
			return Real(x / y)
		case '%':
			return Real(math.Mod(x, y))
		}
	}
	ts := func(i int64) Value { return Value{k: kTimeSpan, i: i} }
	switch {
	case op == '+' && a.k == kDateTime && c.k == kTimeSpan:
		return Value{k: kDateTime, i: a.i + c.i}
	case op == '+' && a.k == kTimeSpan && c.k == kDateTime:
		return Value{k: kDateTime, i: a.i + c.i}
	case op == '-' && a.k == kDateTime && c.k == kTimeSpan:
		return Value{k: kDateTime, i: a.i - c.i}
	case op == '-' && a.k == kDateTime && c.k == kDateTime:
		return ts(a.i - c.i)
	case a.k == kTimeSpan && c.k == kTimeSpan:
		switch op {
		case '+':
			return ts(a.i + c.i)
		case '-':
			return ts(a.i - c.i)
		case '/':
			return Real(float64(a.i) / float64(c.i))
		case '%':
			if c.i == 0 {
				return Null()
			}
			return ts(a.i % c.i)
		}
	case op == '*' && a.k == kTimeSpan && num(c):
		return ts(int64(float64(a.i) * toReal(c).real()))
	case op == '*' && num(a) && c.k == kTimeSpan:
		return ts(int64(toReal(a).real() * float64(c.i)))
	case op == '/' && a.k == kTimeSpan && num(c):
		d := toReal(c).real()
		if d == 0 {
			return Null()
		}
		return ts(int64(float64(a.i) / d))
	}
	return Null()
}
