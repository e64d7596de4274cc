package kql

import (
	"math"
	"strconv"
	"strings"
)

// Expression grammar, lowest precedence first:
//
//	or
//	and
//	comparison and string operators, in, between (left to right)
//	+ -
//	* / %
//	unary - +
//	postfix: x.name  x[i]  x.[i]
//	primary: literals, names, calls, (expr), dynamic(...)

func (p *parser) expr() (expr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	return p.orExpr()
}

func (p *parser) orExpr() (expr, error) {
	l, err := p.andExpr()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		t := p.next()
		r, err := p.andExpr()
		if err != nil {
			return nil, err
		}
		l = &binExpr{pos: l.exprPos(), op: "or", opPos: t.pos, l: l, r: r}
	}
	return l, nil
}

func (p *parser) andExpr() (expr, error) {
	l, err := p.cmpExpr()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		t := p.next()
		r, err := p.cmpExpr()
		if err != nil {
			return nil, err
		}
		l = &binExpr{pos: l.exprPos(), op: "and", opPos: t.pos, l: l, r: r}
	}
	return l, nil
}

// stringOps are the word operators that compare strings.
var stringOps = map[string]bool{}

func init() {
	for _, w := range []string{"contains", "contains_cs", "has", "has_cs", "hasprefix", "hasprefix_cs",
		"hassuffix", "hassuffix_cs", "startswith", "startswith_cs", "endswith", "endswith_cs"} {
		stringOps[w] = true
		stringOps["!"+w] = true
	}
}

var punctCmp = map[string]string{"==": "==", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=", "=~": "=~", "!~": "!~"}

func (p *parser) cmpExpr() (expr, error) {
	l, err := p.addExpr()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		switch {
		case t.kind == tPunct && punctCmp[t.text] != "":
			p.next()
			r, err := p.addExpr()
			if err != nil {
				return nil, err
			}
			l = &binExpr{pos: l.exprPos(), op: punctCmp[t.text], opPos: t.pos, l: l, r: r}
		case t.kind == tIdent && stringOps[t.text]:
			p.next()
			r, err := p.addExpr()
			if err != nil {
				return nil, err
			}
			l = &binExpr{pos: l.exprPos(), op: t.text, opPos: t.pos, l: l, r: r}
		case t.kind == tIdent && t.text == "matches" && p.peekAt(1).kind == tIdent && p.peekAt(1).text == "regex":
			p.i += 2
			r, err := p.addExpr()
			if err != nil {
				return nil, err
			}
			l = &binExpr{pos: l.exprPos(), op: "matches regex", opPos: t.pos, l: l, r: r}
		case t.kind == tIdent && (t.text == "in" || t.text == "!in" || t.text == "in~" || t.text == "!in~" || t.text == "has_any" || t.text == "has_all"):
			p.next()
			in, err := p.inList(l, t)
			if err != nil {
				return nil, err
			}
			l = in
		case t.kind == tIdent && (t.text == "between" || t.text == "!between"):
			p.next()
			if _, err := p.expectPunct("("); err != nil {
				return nil, err
			}
			lo, err := p.addExpr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expectPunct(".."); err != nil {
				return nil, err
			}
			hi, err := p.addExpr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expectPunct(")"); err != nil {
				return nil, err
			}
			l = &betweenExpr{pos: l.exprPos(), not: t.text == "!between", x: l, lo: lo, hi: hi}
		default:
			return l, nil
		}
	}
}

func (p *parser) inList(x expr, op token) (expr, error) {
	if _, err := p.expectPunct("("); err != nil {
		return nil, err
	}
	in := &inExpr{pos: x.exprPos(), op: op.text, x: x}
	// (T | project c) is a subquery; so is a parenthesized pipeline.
	if t := p.peek(); (t.kind == tIdent && p.peekAt(1).kind == tPunct && p.peekAt(1).text == "|") ||
		(t.kind == tPunct && t.text == "(" && p.looksTabular()) {
		sub, err := p.pipeline()
		if err != nil {
			return nil, err
		}
		in.sub = sub
	} else if !p.isPunct(")") {
		list, err := p.exprList()
		if err != nil {
			return nil, err
		}
		in.list = list
	}
	if _, err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	return in, nil
}

// looksTabular reports whether the parenthesized group at the cursor holds
// a '|' at its own level.
func (p *parser) looksTabular() bool {
	depth := 0
	for j := p.i; j < len(p.toks); j++ {
		t := p.toks[j]
		if t.kind != tPunct {
			continue
		}
		switch t.text {
		case "(", "[", "{":
			depth++
		case ")", "]", "}":
			depth--
			if depth == 0 {
				return false
			}
		case "|":
			if depth == 1 {
				return true
			}
		}
	}
	return false
}

func (p *parser) addExpr() (expr, error) {
	l, err := p.mulExpr()
	if err != nil {
		return nil, err
	}
	for p.isPunct("+") || p.isPunct("-") {
		t := p.next()
		r, err := p.mulExpr()
		if err != nil {
			return nil, err
		}
		l = &binExpr{pos: l.exprPos(), op: t.text, opPos: t.pos, l: l, r: r}
	}
	return l, nil
}

func (p *parser) mulExpr() (expr, error) {
	l, err := p.unaryExpr()
	if err != nil {
		return nil, err
	}
	for p.isPunct("*") || p.isPunct("/") || p.isPunct("%") {
		t := p.next()
		r, err := p.unaryExpr()
		if err != nil {
			return nil, err
		}
		l = &binExpr{pos: l.exprPos(), op: t.text, opPos: t.pos, l: l, r: r}
	}
	return l, nil
}

func (p *parser) unaryExpr() (expr, error) {
	if p.isPunct("-") || p.isPunct("+") {
		t := p.next()
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.unaryExpr()
		if err != nil {
			return nil, err
		}
		// Fold signs into numeric literals so that -9223372036854775808 and
		// dynamic([-1]) work.
		if lit, ok := x.(*literal); ok && t.text == "-" {
			switch lit.v.k {
			case kLong:
				return &literal{pos: t.pos, v: Long(-lit.v.i), t: lit.t}, nil
			case kReal:
				return &literal{pos: t.pos, v: Real(-lit.v.real()), t: lit.t}, nil
			case kTimeSpan:
				return &literal{pos: t.pos, v: Value{k: kTimeSpan, i: -lit.v.i}, t: lit.t}, nil
			}
		}
		return &unary{pos: t.pos, op: t.text, x: x}, nil
	}
	return p.postfixExpr()
}

func (p *parser) postfixExpr() (expr, error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		switch {
		case t.kind == tPunct && t.text == ".":
			p.next()
			n := p.peek()
			switch {
			case n.kind == tPunct && n.text == "[":
				p.next()
				i, err := p.expr()
				if err != nil {
					return nil, err
				}
				if _, err := p.expectPunct("]"); err != nil {
					return nil, err
				}
				x = &index{pos: x.exprPos(), x: x, i: i}
			case n.kind == tIdent && !strings.HasPrefix(n.text, "!"):
				p.next()
				x = &path{pos: x.exprPos(), x: x, name: n.text}
			case n.kind == tString:
				p.next()
				x = &path{pos: x.exprPos(), x: x, name: n.text}
			default:
				return nil, p.errExpected("a property name after '.'")
			}
		case t.kind == tPunct && t.text == "[":
			p.next()
			i, err := p.expr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expectPunct("]"); err != nil {
				return nil, err
			}
			x = &index{pos: x.exprPos(), x: x, i: i}
		default:
			return x, nil
		}
	}
}

// literalTypes are the names usable as typed literals: long(5), real(null).
var literalTypes = map[string]Type{
	"bool": TypeBool, "boolean": TypeBool, "int": TypeLong, "long": TypeLong,
	"real": TypeReal, "double": TypeReal, "decimal": TypeReal, "string": TypeString, "guid": TypeString,
}

func (p *parser) primary() (expr, error) {
	t := p.peek()
	switch t.kind {
	case tString:
		var b strings.Builder
		for p.peek().kind == tString { // 'a' 'b' is 'ab'
			b.WriteString(p.next().text)
		}
		return &literal{pos: t.pos, v: String(b.String()), t: TypeString}, nil
	case tLong:
		p.next()
		n, err := parseLong(t)
		if err != nil {
			// too big for a long; Kusto makes it a real.
			f, ferr := strconv.ParseFloat(t.text, 64)
			if ferr != nil {
				return nil, err
			}
			return &literal{pos: t.pos, v: Real(f), t: TypeReal}, nil
		}
		return &literal{pos: t.pos, v: Long(n), t: TypeLong}, nil
	case tReal:
		p.next()
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, syntaxErrorf(t.pos, "invalid number %s", t.text)
		}
		return &literal{pos: t.pos, v: Real(f), t: TypeReal}, nil
	case tTimeSpan:
		p.next()
		return &literal{pos: t.pos, v: Value{k: kTimeSpan, i: t.val}, t: TypeTimeSpan}, nil
	case tDateTime:
		p.next()
		if strings.EqualFold(t.text, "null") {
			return &literal{pos: t.pos, t: TypeDateTime}, nil
		}
		ticks, ok := parseDateTime(t.text)
		if !ok {
			return nil, syntaxErrorf(t.pos, "invalid datetime literal datetime(%s): use ISO 8601, e.g. datetime(2024-01-31) or datetime(2024-01-31T10:00:00Z)", t.text)
		}
		return &literal{pos: t.pos, v: Value{k: kDateTime, i: ticks}, t: TypeDateTime}, nil
	case tTimeLit:
		p.next()
		if strings.EqualFold(t.text, "null") {
			return &literal{pos: t.pos, t: TypeTimeSpan}, nil
		}
		ticks, ok := parseTimeSpan(t.text)
		if !ok {
			return nil, syntaxErrorf(t.pos, "invalid timespan literal %q: use e.g. 1h, 30m, 2d or time(1.02:03:04)", t.text)
		}
		return &literal{pos: t.pos, v: Value{k: kTimeSpan, i: ticks}, t: TypeTimeSpan}, nil
	case tPunct:
		switch t.text {
		case "(":
			p.next()
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expectPunct(")"); err != nil {
				return nil, err
			}
			return &paren{pos: t.pos, x: x}, nil
		case "[":
			n, pos, err := p.name("an expression")
			if err != nil {
				return nil, err
			}
			return &ident{pos: pos, name: n}, nil
		case "*":
			p.next()
			return &star{pos: t.pos}, nil
		}
	case tIdent:
		if strings.HasPrefix(t.text, "!") {
			break
		}
		return p.identExpr()
	}
	return nil, p.errExpected("an expression")
}

func (p *parser) identExpr() (expr, error) {
	t := p.next()
	open := p.isPunct("(")
	switch lower := strings.ToLower(t.text); {
	case lower == "true" || lower == "false":
		return &literal{pos: t.pos, v: Bool(lower == "true"), t: TypeBool}, nil
	case t.text == "null" && !open:
		return &literal{pos: t.pos, t: TypeDynamic}, nil
	case t.text == "dynamic" && open:
		p.next()
		v, err := p.dynValue(0)
		if err != nil {
			return nil, err
		}
		if _, err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return &dynamicLit{pos: t.pos, v: v}, nil
	case t.text == "typeof" && open:
		p.next()
		typ, err := p.typeName()
		if err != nil {
			return nil, err
		}
		if _, err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return &typeofExpr{pos: t.pos, t: typ}, nil
	case open && literalTypes[t.text] != 0:
		return p.typedLiteral(t)
	case t.text == "toscalar" && open:
		p.next()
		sub, err := p.pipeline()
		if err != nil {
			return nil, err
		}
		if _, err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return &scalarSub{pos: t.pos, p: sub}, nil
	case open:
		p.next()
		c := &call{pos: t.pos, name: t.text}
		if !p.isPunct(")") {
			args, err := p.exprList()
			if err != nil {
				return nil, err
			}
			c.args = args
		}
		if _, err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return c, nil
	}
	return &ident{pos: t.pos, name: t.text}, nil
}

// typedLiteral parses long(5), int(null), real(nan), bool(true), string("x").
func (p *parser) typedLiteral(t token) (expr, error) {
	typ := literalTypes[t.text]
	p.next() // (
	v := p.peek()
	var val Value
	switch {
	case v.kind == tIdent && v.text == "null":
		p.next()
		val = nullOf(typ)
	default:
		x, err := p.unaryExpr()
		if err != nil {
			return nil, err
		}
		lit, ok := x.(*literal)
		if !ok {
			if id, isID := x.(*ident); isID && typ == TypeReal {
				switch strings.ToLower(id.name) {
				case "nan":
					lit = &literal{v: Real(math.NaN())}
				case "inf":
					lit = &literal{v: Real(math.Inf(1))}
				}
			} else if u, isU := x.(*unary); isU && typ == TypeReal {
				if id, isID := u.x.(*ident); isID && strings.EqualFold(id.name, "inf") {
					sign := 1
					if u.op == "-" {
						sign = -1
					}
					lit = &literal{v: Real(math.Inf(sign))}
				}
			}
			if lit == nil {
				return nil, syntaxErrorf(x.exprPos(), "%s(...) takes a literal value or null", t.text)
			}
		}
		val = converter(typ)(lit.v)
		if val.k == kNull && lit.v.k != kNull {
			return nil, syntaxErrorf(x.exprPos(), "%s is not a valid %s literal", toStringValue(lit.v), typ)
		}
	}
	if _, err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	return &literal{pos: t.pos, v: val, t: typ}, nil
}

// dynValue parses the inside of dynamic(...): JSON with Kusto literals.
func (p *parser) dynValue(depth int) (Value, error) {
	if depth > maxDepth {
		return Value{}, syntaxErrorf(p.peek().pos, "dynamic literal nested too deeply")
	}
	t := p.peek()
	switch {
	case t.kind == tPunct && t.text == "[":
		p.next()
		var vs []Value
		for !p.isPunct("]") {
			v, err := p.dynValue(depth + 1)
			if err != nil {
				return Value{}, err
			}
			vs = append(vs, v)
			if !p.acceptPunct(",") {
				break
			}
		}
		if _, err := p.expectPunct("]"); err != nil {
			return Value{}, err
		}
		return Array(vs...), nil
	case t.kind == tPunct && t.text == "{":
		p.next()
		var bb bagBuilder
		for !p.isPunct("}") {
			k := p.next()
			if k.kind != tString && k.kind != tIdent {
				return Value{}, syntaxErrorf(k.pos, "expected a property name, found %s", k.describe())
			}
			if _, err := p.expectPunct(":"); err != nil {
				return Value{}, err
			}
			v, err := p.dynValue(depth + 1)
			if err != nil {
				return Value{}, err
			}
			bb.set(k.text, v)
			if !p.acceptPunct(",") {
				break
			}
		}
		if _, err := p.expectPunct("}"); err != nil {
			return Value{}, err
		}
		return bb.value(), nil
	}
	x, err := p.unaryExpr()
	if err != nil {
		return Value{}, err
	}
	switch e := x.(type) {
	case *literal:
		return e.v, nil
	case *dynamicLit:
		return e.v, nil
	}
	return Value{}, syntaxErrorf(x.exprPos(), "dynamic(...) holds only constants: JSON values and literals")
}
