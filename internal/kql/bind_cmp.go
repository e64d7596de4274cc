package kql

import (
	"regexp"
	"strings"
)

// compareDomain is the type both sides are compared as: equal types as
// they are, long with real as numbers, and a dynamic side converted to the
// other side's type (a dynamic string compared with a datetime is parsed
// as a datetime). Other mixes are errors, as in Kusto.
func compareDomain(l, r Type) (Type, bool) {
	switch {
	case l == r:
		return l, true
	case l.numeric() && r.numeric():
		return TypeReal, true
	case l == TypeDynamic:
		return dynamicDomain(r), true
	case r == TypeDynamic:
		return dynamicDomain(l), true
	}
	return 0, false
}

// dynamicDomain is the type a dynamic value is compared as against a value
// of type t: numbers as real, so that a dynamic 7.5 is greater than 7.
func dynamicDomain(t Type) Type {
	if t.numeric() {
		return TypeReal
	}
	return t
}

// sideConverter converts one side of a comparison to the domain.
func sideConverter(c *cexpr, domain Type) evalFn {
	if c.t == TypeDynamic && domain != TypeDynamic {
		conv, ev := converter(domain), c.eval
		if domain == TypeString {
			return func(r Row) Value {
				v := ev(r)
				if v.k == kNull { // a missing property is null, not ""
					return v
				}
				return conv(v)
			}
		}
		return func(r Row) Value { return conv(ev(r)) }
	}
	return c.eval
}

func comparison(e *binExpr, l, r *cexpr) (*cexpr, error) {
	domain, ok := compareDomain(l.t, r.t)
	if !ok {
		return nil, semanticErrorf(e.opPos, "cannot compare %s with %s; convert one side with tostring(), tolong(), toreal() or todatetime()", l.t, r.t)
	}
	if domain == TypeBool && e.op != "==" && e.op != "!=" {
		return nil, semanticErrorf(e.opPos, "bool values can only be compared with == and !=")
	}
	op := e.op
	if l.t == TypeString && r.t == TypeString && (op == "==" || op == "!=") {
		le, re := l.eval, r.eval
		neg := op == "!="
		if r.isConst {
			s := r.value().s
			return &cexpr{t: TypeBool, col: -1, eval: func(row Row) Value { return Bool((le(row).s == s) != neg) }}, nil
		}
		return &cexpr{t: TypeBool, col: -1, eval: func(row Row) Value { return Bool((le(row).s == re(row).s) != neg) }}, nil
	}
	le, re := sideConverter(l, domain), sideConverter(r, domain)
	return &cexpr{t: TypeBool, col: -1, eval: func(row Row) Value { return compareOp(op, le(row), re(row)) }}, nil
}

// compareOp applies a comparison with Kusto's null rules: null == null and
// null != null are null; null == x is false and null != x is true; an
// ordering with a null is null.
func compareOp(op string, a, c Value) Value {
	if a.k == kNull || c.k == kNull {
		switch {
		case a.k == kNull && c.k == kNull:
			return Null()
		case op == "==":
			return Bool(false)
		case op == "!=":
			return Bool(true)
		}
		return Null()
	}
	switch op {
	case "==":
		return Bool(equalValues(a, c))
	case "!=":
		return Bool(!equalValues(a, c))
	}
	n, ok := compareValues(a, c)
	if !ok {
		return Null()
	}
	switch op {
	case "<":
		return Bool(n < 0)
	case "<=":
		return Bool(n <= 0)
	case ">":
		return Bool(n > 0)
	}
	return Bool(n >= 0)
}

func stringOperator(e *binExpr, l, r *cexpr) (*cexpr, error) {
	op := strings.TrimPrefix(e.op, "!")
	neg := op != e.op
	var match func(h, n string) bool
	switch op {
	case "contains":
		match = containsFold
	case "contains_cs":
		match = strings.Contains
	case "has":
		match = func(h, n string) bool { return hasTerm(h, n, true, termWhole) }
	case "has_cs":
		match = func(h, n string) bool { return hasTerm(h, n, false, termWhole) }
	case "hasprefix":
		match = func(h, n string) bool { return hasTerm(h, n, true, termPrefix) }
	case "hasprefix_cs":
		match = func(h, n string) bool { return hasTerm(h, n, false, termPrefix) }
	case "hassuffix":
		match = func(h, n string) bool { return hasTerm(h, n, true, termSuffix) }
	case "hassuffix_cs":
		match = func(h, n string) bool { return hasTerm(h, n, false, termSuffix) }
	case "startswith":
		match = hasPrefixFold
	case "startswith_cs":
		match = strings.HasPrefix
	case "endswith":
		match = hasSuffixFold
	case "endswith_cs":
		match = strings.HasSuffix
	default:
		return nil, semanticErrorf(e.opPos, "unknown operator %q", e.op)
	}
	if r.t == TypeBool || l.t == TypeBool {
		return nil, semanticErrorf(e.opPos, "'%s' compares strings, not bool values", e.op)
	}
	le, re := stringOf(l), stringOf(r)
	return &cexpr{t: TypeBool, col: -1, eval: func(row Row) Value {
		return Bool(match(le(row), re(row)) != neg)
	}}, nil
}

func (b *binder) matchesRegex(e *binExpr, l, r *cexpr) (*cexpr, error) {
	le := stringOf(l)
	if r.isConst {
		re, err := regexp.Compile(toStringValue(r.value()))
		if err != nil {
			return nil, semanticErrorf(e.r.exprPos(), "invalid regular expression: %v", err)
		}
		return &cexpr{t: TypeBool, col: -1, eval: func(row Row) Value { return Bool(re.MatchString(le(row))) }}, nil
	}
	rs := stringOf(r)
	cache := newRegexCache()
	return &cexpr{t: TypeBool, col: -1, eval: func(row Row) Value {
		re := cache.get(rs(row))
		if re == nil {
			return Null()
		}
		return Bool(re.MatchString(le(row)))
	}}, nil
}

// regexCache compiles regular expressions that are not constants, keeping
// a few.
type regexCache struct{ m map[string]*regexp.Regexp }

func newRegexCache() *regexCache { return &regexCache{m: map[string]*regexp.Regexp{}} }

func (c *regexCache) get(s string) *regexp.Regexp {
	if re, ok := c.m[s]; ok {
		return re
	}
	re, err := regexp.Compile(s)
	if err != nil {
		re = nil
	}
	if len(c.m) > 64 {
		clear(c.m)
	}
	c.m[s] = re
	return re
}

func (b *binder) betweenExpr(e *betweenExpr, sc *scope) (*cexpr, error) {
	x, err := b.expr(e.x, sc)
	if err != nil {
		return nil, err
	}
	lo, err := b.expr(e.lo, sc)
	if err != nil {
		return nil, err
	}
	hi, err := b.expr(e.hi, sc)
	if err != nil {
		return nil, err
	}
	he := hi.eval
	if x.t == TypeDateTime && lo.t == TypeDateTime && hi.t == TypeTimeSpan {
		// datetime between (start .. span) means start .. start+span.
		loe, spe := lo.eval, hi.eval
		he = func(r Row) Value { return arith('+', loe(r), spe(r)) }
		hi = &cexpr{t: TypeDateTime, eval: he, col: -1, isConst: lo.isConst && hi.isConst}
	}
	for _, side := range []*cexpr{lo, hi} {
		if _, ok := compareDomain(x.t, side.t); !ok {
			return nil, semanticErrorf(e.pos, "between cannot compare %s with %s", x.t, side.t)
		}
	}
	dl, _ := compareDomain(x.t, lo.t)
	dh, _ := compareDomain(x.t, hi.t)
	xl, xh := sideConverter(x, dl), sideConverter(x, dh)
	le, hce := sideConverter(lo, dl), sideConverter(hi, dh)
	not := e.not
	c := &cexpr{t: TypeBool, col: -1, eval: func(r Row) Value {
		a := compareOp(">=", xl(r), le(r))
		z := compareOp("<=", xh(r), hce(r))
		if a.k == kNull || z.k == kNull {
			return Null()
		}
		return Bool((a.i != 0 && z.i != 0) != not)
	}}
	return b.fold(c, x, lo, hi), nil
}

func (b *binder) inExpr(e *inExpr, sc *scope) (*cexpr, error) {
	x, err := b.expr(e.x, sc)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "has_any", "has_all":
		return b.hasAnyAll(e, x, sc)
	}
	fold := strings.HasSuffix(e.op, "~")
	neg := strings.HasPrefix(e.op, "!")
	if e.sub != nil {
		return b.inSubquery(e, x, fold, neg)
	}
	if len(e.list) == 1 { // x in (T): a table name alone is a subquery
		if id, ok := e.list[0].(*ident); ok && sc.find(id.name) < 0 {
			if _, isLet := b.lets[id.name]; (isLet && b.lets[id.name].tab != nil) || b.isTable(id.name) {
				e.sub = &pipeline{pos: id.pos, source: &tableRef{pos: id.pos, name: id.name}}
				return b.inSubquery(e, x, fold, neg)
			}
		}
	}
	items := make([]*cexpr, 0, len(e.list))
	allConst := true
	for _, it := range e.list {
		c, err := b.expr(it, sc)
		if err != nil {
			return nil, err
		}
		items = append(items, c)
		allConst = allConst && c.isConst
	}
	if fold && x.t != TypeString && x.t != TypeDynamic {
		return nil, semanticErrorf(e.pos, "'%s' compares strings, not %s", e.op, x.t)
	}
	if allConst {
		var vals []Value
		for _, c := range items {
			v := c.value()
			if v.k == kArray { // dynamic arrays in the list are flattened
				vals = append(vals, v.ref.arr...)
			} else {
				vals = append(vals, v)
			}
		}
		domain := inDomain(x.t, vals)
		conv := converter(domain)
		set := make(map[string]struct{}, len(vals))
		for _, v := range vals {
			v = conv(v)
			if v.k == kNull {
				continue
			}
			set[string(appendKey(nil, v, fold))] = struct{}{}
		}
		xe := x.eval
		if x.t != domain {
			xe = func(r Row) Value { return conv(x.eval(r)) }
		}
		if x.t == TypeString && len(vals) <= 8 {
			// a few strings: comparing beats hashing
			strs := make([]string, 0, len(vals))
			for _, v := range vals {
				if v.k != kNull {
					strs = append(strs, toStringValue(v))
				}
			}
			match := func(s string) bool {
				for _, c := range strs {
					if s == c || (fold && equalFold(s, c)) {
						return true
					}
				}
				return false
			}
			return b.fold(&cexpr{t: TypeBool, col: -1, eval: func(r Row) Value {
				return Bool(match(xe(r).s) != neg)
			}}, x), nil
		}
		var buf []byte
		return b.fold(&cexpr{t: TypeBool, col: -1, eval: func(r Row) Value {
			v := xe(r)
			if v.k == kNull {
				return Bool(neg)
			}
			buf = appendKey(buf[:0], v, fold)
			_, ok := set[string(buf)]
			return Bool(ok != neg)
		}}, x), nil
	}
	xe := x.eval
	return &cexpr{t: TypeBool, col: -1, eval: func(r Row) Value {
		v := xe(r)
		if v.k == kNull {
			return Bool(neg)
		}
		for _, it := range items {
			w := it.eval(r)
			var list []Value
			if w.k == kArray {
				list = w.ref.arr
			} else {
				list = []Value{w}
			}
			for _, w := range list {
				if fold {
					if equalFold(toStringValue(v), toStringValue(w)) {
						return Bool(!neg)
					}
				} else if w.k != kNull && (equalValues(v, w) || (v.k == kString) != (w.k == kString) && toStringValue(v) == toStringValue(w)) {
					return Bool(!neg)
				}
			}
		}
		return Bool(neg)
	}}, nil
}

func (b *binder) isTable(name string) bool {
	_, err := b.cat.Table(name)
	return err == nil
}

// inDomain is the type the values of an in-list are compared as.
func inDomain(x Type, vals []Value) Type {
	if x != TypeDynamic {
		if x == TypeLong {
			for _, v := range vals {
				if v.k == kReal {
					return TypeReal
				}
			}
		}
		return x
	}
	t := TypeDynamic
	for i, v := range vals {
		vt := dynamicDomain(kindType(v))
		if i == 0 {
			t = vt
		} else if vt != t {
			return TypeDynamic
		}
	}
	return t
}

func (b *binder) hasAnyAll(e *inExpr, x *cexpr, sc *scope) (*cexpr, error) {
	var items []*cexpr
	for _, it := range e.list {
		c, err := b.expr(it, sc)
		if err != nil {
			return nil, err
		}
		if !c.isConst {
			return nil, semanticErrorf(it.exprPos(), "%s takes constant values", e.op)
		}
		items = append(items, c)
	}
	var terms []string
	for _, c := range items {
		v := c.value()
		if v.k == kArray {
			for _, el := range v.ref.arr {
				terms = append(terms, toStringValue(el))
			}
		} else {
			terms = append(terms, toStringValue(v))
		}
	}
	xe := stringOf(x)
	all := e.op == "has_all"
	return b.fold(&cexpr{t: TypeBool, col: -1, eval: func(r Row) Value {
		h := xe(r)
		for _, t := range terms {
			if hasTerm(h, t, true, termWhole) != all {
				return Bool(!all)
			}
		}
		return Bool(all)
	}}, x), nil
}

// inSubquery binds x in (T | project c): the subquery runs once before the
// main query (it cannot refer to the outer row) and its first column
// becomes a set.
func (b *binder) inSubquery(e *inExpr, x *cexpr, fold, neg bool) (*cexpr, error) {
	sub, err := b.pipeline(e.sub)
	if err != nil {
		return nil, err
	}
	cols := sub.columns()
	if len(cols) == 0 {
		return nil, semanticErrorf(e.sub.pos, "the subquery of '%s' returns no columns", e.op)
	}
	domain, ok := compareDomain(x.t, cols[0].Type)
	if !ok {
		return nil, semanticErrorf(e.pos, "'%s' cannot compare %s with the subquery's %s column %q", e.op, x.t, cols[0].Type, cols[0].Name)
	}
	conv := converter(domain)
	holder := &subquerySet{plan: sub, conv: conv, fold: fold}
	b.subqueries = append(b.subqueries, holder)
	xe := x.eval
	var buf []byte
	return &cexpr{t: TypeBool, col: -1, eval: func(r Row) Value {
		v := conv(xe(r))
		if v.k == kNull {
			return Bool(neg)
		}
		buf = appendKey(buf[:0], v, fold)
		_, found := holder.set[string(buf)]
		return Bool(found != neg)
	}}, nil
}
