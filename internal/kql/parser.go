package kql

import (
	"strconv"
	"strings"
)

// maxDepth bounds the nesting of expressions and subqueries.
const maxDepth = 200

type parser struct {
	toks  []token
	i     int
	depth int
}

// parse turns query text into a syntax tree.
func parse(src string) (*query, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	return q, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tPunct && t.text == s
}

func (p *parser) isWord(s string) bool {
	t := p.peek()
	return t.kind == tIdent && t.text == s
}

func (p *parser) acceptPunct(s string) bool {
	if p.isPunct(s) {
		p.i++
		return true
	}
	return false
}

func (p *parser) acceptWord(s string) bool {
	if p.isWord(s) {
		p.i++
		return true
	}
	return false
}

func (p *parser) errExpected(what string) error {
	t := p.peek()
	return syntaxErrorf(t.pos, "expected %s, found %s", what, t.describe())
}

func (p *parser) expectPunct(s string) (token, error) {
	if p.isPunct(s) {
		return p.next(), nil
	}
	return token{}, p.errExpected("'" + s + "'")
}

func (p *parser) expectWord(s string) (token, error) {
	if p.isWord(s) {
		return p.next(), nil
	}
	return token{}, p.errExpected("'" + s + "'")
}

// name reads an identifier or a bracketed name ['x y'].
func (p *parser) name(what string) (string, Pos, error) {
	t := p.peek()
	if t.kind == tIdent && !strings.HasPrefix(t.text, "!") {
		p.next()
		return t.text, t.pos, nil
	}
	if t.kind == tPunct && t.text == "[" && p.peekAt(1).kind == tString && p.peekAt(2).kind == tPunct && p.peekAt(2).text == "]" {
		p.i += 3
		return p.toks[p.i-2].text, t.pos, nil
	}
	return "", t.pos, p.errExpected(what)
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return syntaxErrorf(p.peek().pos, "query nested too deeply (more than %d levels)", maxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func (p *parser) query() (*query, error) {
	q := &query{}
	for p.isWord("let") {
		l, err := p.letStmt()
		if err != nil {
			return nil, err
		}
		q.lets = append(q.lets, l)
	}
	if p.peek().kind == tEOF {
		return nil, p.errExpected("a table name or a tabular expression")
	}
	body, err := p.pipeline()
	if err != nil {
		return nil, err
	}
	q.body = body
	p.acceptPunct(";")
	if p.peek().kind != tEOF {
		t := p.peek()
		if t.kind == tIdent && t.text == "let" {
			return nil, syntaxErrorf(t.pos, "let statements must come before the query")
		}
		return nil, p.errExpected("'|' or the end of the query")
	}
	return q, nil
}

func (p *parser) letStmt() (*letStmt, error) {
	kw := p.next()
	name, _, err := p.name("a name after 'let'")
	if err != nil {
		return nil, err
	}
	if _, err := p.expectPunct("="); err != nil {
		return nil, err
	}
	l := &letStmt{pos: kw.pos, name: name}
	// Scalar first; a '|' (or a tabular keyword) means it was tabular.
	save := p.i
	e, err := p.expr()
	if err == nil && (p.isPunct(";")) {
		if id, ok := e.(*ident); ok {
			l.tab = &pipeline{pos: id.pos, source: &tableRef{pos: id.pos, name: id.name}}
		}
		l.scalar = e
	} else {
		p.i = save
		tab, err := p.pipeline()
		if err != nil {
			return nil, err
		}
		l.tab = tab
	}
	if _, err := p.expectPunct(";"); err != nil {
		return nil, err
	}
	return l, nil
}

// atOpEnd reports whether the current operator's arguments are over.
func (p *parser) atOpEnd() bool {
	t := p.peek()
	return t.kind == tEOF || (t.kind == tPunct && (t.text == "|" || t.text == ")" || t.text == ";"))
}

func (p *parser) pipeline() (*pipeline, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	start := p.peek().pos
	src, err := p.source()
	if err != nil {
		return nil, err
	}
	pl := &pipeline{pos: start, source: src}
	for p.acceptPunct("|") {
		op, err := p.operator()
		if err != nil {
			return nil, err
		}
		pl.ops = append(pl.ops, op)
	}
	return pl, nil
}

func (p *parser) source() (source, error) {
	t := p.peek()
	switch {
	case t.kind == tPunct && t.text == "(":
		p.next()
		sub, err := p.pipeline()
		if err != nil {
			return nil, err
		}
		if _, err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		return &subquery{pos: t.pos, p: sub}, nil
	case t.kind == tIdent && t.text == "union":
		p.next()
		u, err := p.unionArgs(t.pos)
		if err != nil {
			return nil, err
		}
		return &unionSource{pos: t.pos, op: u}, nil
	case t.kind == tIdent && t.text == "print":
		p.next()
		items, err := p.namedList()
		if err != nil {
			return nil, err
		}
		return &printSource{pos: t.pos, items: items}, nil
	case t.kind == tIdent && t.text == "datatable" && p.peekAt(1).kind == tPunct && p.peekAt(1).text == "(":
		p.next()
		return p.datatable(t.pos)
	}
	name, pos, err := p.name("a table name")
	if err != nil {
		return nil, err
	}
	return &tableRef{pos: pos, name: name}, nil
}

func (p *parser) datatable(pos Pos) (source, error) {
	p.next() // (
	d := &datatableSource{pos: pos}
	for {
		name, _, err := p.name("a column name")
		if err != nil {
			return nil, err
		}
		if _, err := p.expectPunct(":"); err != nil {
			return nil, err
		}
		t, err := p.typeName()
		if err != nil {
			return nil, err
		}
		d.cols = append(d.cols, Column{Name: name, Type: t})
		if !p.acceptPunct(",") {
			break
		}
	}
	if _, err := p.expectPunct(")"); err != nil {
		return nil, err
	}
	if _, err := p.expectPunct("["); err != nil {
		return nil, err
	}
	for !p.isPunct("]") {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		d.values = append(d.values, e)
		if !p.acceptPunct(",") {
			break
		}
	}
	if _, err := p.expectPunct("]"); err != nil {
		return nil, err
	}
	return d, nil
}

func (p *parser) typeName() (Type, error) {
	t := p.peek()
	if t.kind == tIdent {
		if typ, ok := ParseType(t.text); ok {
			p.next()
			return typ, nil
		}
	}
	return 0, p.errExpected("a type (string, long, real, bool, datetime, timespan, dynamic)")
}

// opName reads an operator name, joining hyphenated ones (mv-expand).
func (p *parser) opName() (string, Pos, error) {
	t := p.peek()
	if t.kind != tIdent {
		return "", t.pos, p.errExpected("a query operator after '|'")
	}
	p.next()
	name := t.text
	if d := p.peek(); d.kind == tPunct && d.text == "-" && !d.space && d.off == t.end {
		if w := p.peekAt(1); w.kind == tIdent && !w.space && w.off == d.end {
			p.i += 2
			name += "-" + w.text
		}
	}
	return name, t.pos, nil
}

func (p *parser) operator() (operator, error) {
	name, pos, err := p.opName()
	if err != nil {
		return nil, err
	}
	switch name {
	case "where", "filter":
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		return &whereOp{pos: pos, pred: e}, nil
	case "extend":
		items, err := p.namedList()
		if err != nil {
			return nil, err
		}
		return &extendOp{pos: pos, items: items}, nil
	case "project":
		items, err := p.namedList()
		if err != nil {
			return nil, err
		}
		return &projectOp{pos: pos, items: items}, nil
	case "project-away", "project-keep":
		names, err := p.wildcardNames()
		if err != nil {
			return nil, err
		}
		return &projectAwayOp{pos: pos, names: names, keep: name == "project-keep"}, nil
	case "project-reorder":
		names, err := p.wildcardNames()
		if err != nil {
			return nil, err
		}
		return &projectReorderOp{pos: pos, names: names}, nil
	case "project-rename":
		return p.projectRename(pos)
	case "summarize":
		return p.summarize(pos)
	case "join":
		return p.join(pos)
	case "mv-expand", "mvexpand":
		return p.mvExpand(pos, name == "mvexpand")
	case "distinct":
		if p.acceptPunct("*") {
			return &distinctOp{pos: pos, star: true}, nil
		}
		items, err := p.exprList()
		if err != nil {
			return nil, err
		}
		return &distinctOp{pos: pos, items: items}, nil
	case "parse":
		return p.parseOperator(pos)
	case "order", "sort":
		if _, err := p.expectWord("by"); err != nil {
			return nil, err
		}
		var keys []sortKey
		for {
			k, err := p.sortKey()
			if err != nil {
				return nil, err
			}
			keys = append(keys, k)
			if !p.acceptPunct(",") {
				break
			}
		}
		return &sortOp{pos: pos, keys: keys}, nil
	case "top":
		n, err := p.expr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expectWord("by"); err != nil {
			return nil, err
		}
		k, err := p.sortKey()
		if err != nil {
			return nil, err
		}
		return &topOp{pos: pos, n: n, key: k}, nil
	case "take", "limit":
		n, err := p.expr()
		if err != nil {
			return nil, err
		}
		return &takeOp{pos: pos, n: n}, nil
	case "count":
		return &countOp{pos: pos}, nil
	case "getschema":
		return &getschemaOp{pos: pos}, nil
	case "render":
		depth := 0
		for t := p.peek(); t.kind != tEOF; t = p.peek() {
			if t.kind == tPunct {
				if t.text == "(" {
					depth++
				} else if t.text == ")" {
					if depth == 0 {
						break
					}
					depth--
				} else if depth == 0 && (t.text == "|" || t.text == ";") {
					break
				}
			}
			p.next()
		}
		return &renderOp{pos: pos}, nil
	case "union":
		return p.unionArgs(pos)
	}
	return nil, syntaxErrorf(pos, "unknown query operator %q (supported: where, extend, project, project-away, project-keep, project-rename, project-reorder, summarize, join, mv-expand, distinct, parse, order by, sort by, top, take, limit, count, union, getschema, render)", name)
}

func (p *parser) sortKey() (sortKey, error) {
	e, err := p.expr()
	if err != nil {
		return sortKey{}, err
	}
	k := sortKey{e: e}
	switch {
	case p.acceptWord("asc"):
		k.asc = true
	case p.acceptWord("desc"):
	}
	// Kusto: nulls first by default when ascending, last when descending.
	k.nullsFirst = k.asc
	if p.acceptWord("nulls") {
		switch {
		case p.acceptWord("first"):
			k.nullsFirst = true
		case p.acceptWord("last"):
			k.nullsFirst = false
		default:
			return sortKey{}, p.errExpected("'first' or 'last' after 'nulls'")
		}
	}
	return k, nil
}

func (p *parser) wildcardNames() ([]nameRef, error) {
	var names []nameRef
	for {
		t := p.peek()
		var b strings.Builder
		// a name may be a pattern of identifier parts and '*': prop*, *Id, a*b
		for {
			c := p.peek()
			if b.Len() > 0 && c.space {
				break
			}
			if c.kind == tIdent && !strings.HasPrefix(c.text, "!") {
				b.WriteString(c.text)
				p.next()
			} else if c.kind == tPunct && c.text == "*" {
				b.WriteString("*")
				p.next()
			} else if b.Len() == 0 && c.kind == tPunct && c.text == "[" {
				n, _, err := p.name("a column name")
				if err != nil {
					return nil, err
				}
				b.WriteString(n)
				break
			} else {
				break
			}
			if n := p.peek(); n.off != p.toks[p.i-1].end {
				break
			}
		}
		if b.Len() == 0 {
			return nil, p.errExpected("a column name")
		}
		names = append(names, nameRef{pos: t.pos, name: b.String()})
		if !p.acceptPunct(",") {
			return names, nil
		}
	}
}

func (p *parser) projectRename(pos Pos) (operator, error) {
	op := &projectRenameOp{pos: pos}
	for {
		n, np, err := p.name("a new column name")
		if err != nil {
			return nil, err
		}
		if _, err := p.expectPunct("="); err != nil {
			return nil, err
		}
		o, op2, err := p.name("the column to rename")
		if err != nil {
			return nil, err
		}
		op.pairs = append(op.pairs, renamePair{newName: n, newPos: np, old: nameRef{pos: op2, name: o}})
		if !p.acceptPunct(",") {
			return op, nil
		}
	}
}

func (p *parser) summarize(pos Pos) (operator, error) {
	op := &summarizeOp{pos: pos}
	// summarize hint.x=y parameters are accepted and ignored.
	for p.peek().kind == tIdent && strings.HasPrefix(p.peek().text, "hint") && p.peekAt(1).kind == tPunct && p.peekAt(1).text == "." {
		for !p.isPunct("=") && !p.atOpEnd() {
			p.next()
		}
		p.acceptPunct("=")
		p.next()
	}
	if !p.isWord("by") && !p.atOpEnd() {
		aggs, err := p.namedList()
		if err != nil {
			return nil, err
		}
		op.aggs = aggs
	}
	if p.acceptWord("by") {
		by, err := p.namedList()
		if err != nil {
			return nil, err
		}
		op.by = by
	}
	if len(op.aggs) == 0 && len(op.by) == 0 {
		return nil, p.errExpected("an aggregation or 'by'")
	}
	return op, nil
}

func (p *parser) join(pos Pos) (operator, error) {
	op := &joinOp{pos: pos, kind: "innerunique", kindPos: pos}
	for p.peek().kind == tIdent && !p.isWord("on") {
		t := p.peek()
		if t.text == "kind" && p.peekAt(1).kind == tPunct && p.peekAt(1).text == "=" {
			p.i += 2
			k, kp, err := p.name("a join kind")
			if err != nil {
				return nil, err
			}
			op.kind, op.kindPos = strings.ToLower(k), kp
			continue
		}
		if strings.HasPrefix(t.text, "hint") && p.peekAt(1).kind == tPunct && p.peekAt(1).text == "." {
			for !p.isPunct("=") && !p.atOpEnd() {
				p.next()
			}
			p.acceptPunct("=")
			p.next()
			continue
		}
		break
	}
	if p.isPunct("(") {
		p.next()
		right, err := p.pipeline()
		if err != nil {
			return nil, err
		}
		if _, err := p.expectPunct(")"); err != nil {
			return nil, err
		}
		op.right = right
	} else {
		n, np, err := p.name("the right side of the join: a table name or (a query)")
		if err != nil {
			return nil, err
		}
		op.right = &pipeline{pos: np, source: &tableRef{pos: np, name: n}}
	}
	if _, err := p.expectWord("on"); err != nil {
		return nil, err
	}
	for {
		k, err := p.joinKey()
		if err != nil {
			return nil, err
		}
		op.on = append(op.on, k)
		if !p.acceptPunct(",") && !p.acceptWord("and") {
			return op, nil
		}
	}
}

func (p *parser) joinKey() (joinKey, error) {
	side := func() (string, nameRef, error) {
		t := p.peek()
		if t.kind == tIdent && (t.text == "$left" || t.text == "$right") {
			p.next()
			if _, err := p.expectPunct("."); err != nil {
				return "", nameRef{}, err
			}
			n, np, err := p.name("a column name")
			return t.text, nameRef{pos: np, name: n}, err
		}
		n, np, err := p.name("a join column or $left.column == $right.column")
		return "", nameRef{pos: np, name: n}, err
	}
	start := p.peek().pos
	s1, r1, err := side()
	if err != nil {
		return joinKey{}, err
	}
	if s1 == "" {
		return joinKey{pos: start, left: r1, right: r1}, nil
	}
	if _, err := p.expectPunct("=="); err != nil {
		return joinKey{}, err
	}
	s2, r2, err := side()
	if err != nil {
		return joinKey{}, err
	}
	switch {
	case s1 == "$left" && s2 == "$right":
		return joinKey{pos: start, left: r1, right: r2}, nil
	case s1 == "$right" && s2 == "$left":
		return joinKey{pos: start, left: r2, right: r1}, nil
	}
	return joinKey{}, syntaxErrorf(start, "a join condition compares $left.column with $right.column")
}

func (p *parser) mvExpand(pos Pos, legacy bool) (operator, error) {
	op := &mvExpandOp{pos: pos, legacy: legacy, bagKind: "bag"}
	for p.peek().kind == tIdent && p.peekAt(1).kind == tPunct && p.peekAt(1).text == "=" {
		switch p.peek().text {
		case "kind", "bagexpansion":
			p.i += 2
			k, kp, err := p.name("bag or array")
			if err != nil {
				return nil, err
			}
			if k != "bag" && k != "array" {
				return nil, syntaxErrorf(kp, "expected bag or array, found %q", k)
			}
			op.bagKind = k
			continue
		case "with_itemindex":
			p.i += 2
			n, _, err := p.name("an index column name")
			if err != nil {
				return nil, err
			}
			op.itemIndex = n
			continue
		}
		break
	}
	for {
		ne, err := p.namedExpr()
		if err != nil {
			return nil, err
		}
		item := mvItem{namedExpr: ne}
		if p.acceptWord("to") {
			if _, err := p.expectWord("typeof"); err != nil {
				return nil, err
			}
			if _, err := p.expectPunct("("); err != nil {
				return nil, err
			}
			t, err := p.typeName()
			if err != nil {
				return nil, err
			}
			if _, err := p.expectPunct(")"); err != nil {
				return nil, err
			}
			item.toType, item.hasToType = t, true
		}
		op.items = append(op.items, item)
		if !p.acceptPunct(",") {
			break
		}
	}
	if p.acceptWord("limit") {
		n, err := p.expr()
		if err != nil {
			return nil, err
		}
		op.limit = n
	}
	return op, nil
}

func (p *parser) parseOperator(pos Pos) (operator, error) {
	op := &parseOp{pos: pos, kind: "simple"}
	for p.peek().kind == tIdent && p.peekAt(1).kind == tPunct && p.peekAt(1).text == "=" && (p.isWord("kind") || p.isWord("flags")) {
		w := p.next().text
		p.next()
		v := p.next()
		if v.kind != tIdent {
			return nil, syntaxErrorf(v.pos, "expected a %s value, found %s", w, v.describe())
		}
		if w == "kind" {
			switch v.text {
			case "simple", "regex", "relaxed":
				op.kind = v.text
			default:
				return nil, syntaxErrorf(v.pos, "expected simple, regex or relaxed, found %q", v.text)
			}
		} else {
			op.flags = v.text
		}
	}
	subject, err := p.expr()
	if err != nil {
		return nil, err
	}
	op.subject = subject
	if _, err := p.expectWord("with"); err != nil {
		return nil, err
	}
	for !p.atOpEnd() {
		t := p.peek()
		switch {
		case t.kind == tPunct && t.text == "*":
			p.next()
			op.pattern = append(op.pattern, parseElem{pos: t.pos, star: true})
		case t.kind == tPunct && t.text == ",":
			p.next()
		case t.kind == tString:
			var b strings.Builder
			for p.peek().kind == tString {
				b.WriteString(p.next().text)
			}
			op.pattern = append(op.pattern, parseElem{pos: t.pos, literal: b.String(), isLit: true})
		default:
			n, np, err := p.name("a string, '*' or a column name in the parse pattern")
			if err != nil {
				return nil, err
			}
			el := parseElem{pos: np, column: n, typ: TypeString}
			if p.acceptPunct(":") {
				typ, err := p.typeName()
				if err != nil {
					return nil, err
				}
				el.typ = typ
			}
			op.pattern = append(op.pattern, el)
		}
	}
	if len(op.pattern) == 0 {
		return nil, p.errExpected("a parse pattern after 'with'")
	}
	return op, nil
}

func (p *parser) unionArgs(pos Pos) (*unionOp, error) {
	op := &unionOp{pos: pos, kind: "outer"}
	for p.peek().kind == tIdent && p.peekAt(1).kind == tPunct && p.peekAt(1).text == "=" {
		switch p.peek().text {
		case "kind":
			p.i += 2
			k, kp, err := p.name("inner or outer")
			if err != nil {
				return nil, err
			}
			if k != "inner" && k != "outer" {
				return nil, syntaxErrorf(kp, "expected inner or outer, found %q", k)
			}
			op.kind = k
			continue
		case "withsource":
			p.i += 2
			n, _, err := p.name("a column name")
			if err != nil {
				return nil, err
			}
			op.withSource = n
			continue
		case "isfuzzy":
			p.i += 3
			continue
		}
		break
	}
	for {
		t := p.peek()
		if t.kind == tPunct && t.text == "(" {
			p.next()
			sub, err := p.pipeline()
			if err != nil {
				return nil, err
			}
			if _, err := p.expectPunct(")"); err != nil {
				return nil, err
			}
			op.tables = append(op.tables, sub)
		} else {
			n, np, err := p.name("a table name or (a query)")
			if err != nil {
				return nil, err
			}
			op.tables = append(op.tables, &pipeline{pos: np, source: &tableRef{pos: np, name: n}})
		}
		if !p.acceptPunct(",") {
			return op, nil
		}
	}
}

// namedList reads `[name =] expr, ...`.
func (p *parser) namedList() ([]namedExpr, error) {
	var out []namedExpr
	for {
		ne, err := p.namedExpr()
		if err != nil {
			return nil, err
		}
		out = append(out, ne)
		if !p.acceptPunct(",") {
			return out, nil
		}
	}
}

func (p *parser) namedExpr() (namedExpr, error) {
	t := p.peek()
	if t.kind == tIdent && !strings.HasPrefix(t.text, "!") && p.peekAt(1).kind == tPunct && p.peekAt(1).text == "=" {
		p.i += 2
		e, err := p.expr()
		if err != nil {
			return namedExpr{}, err
		}
		return namedExpr{name: t.text, namePos: t.pos, e: e}, nil
	}
	if t.kind == tPunct && t.text == "[" && p.peekAt(1).kind == tString && p.peekAt(2).kind == tPunct && p.peekAt(2).text == "]" &&
		p.peekAt(3).kind == tPunct && p.peekAt(3).text == "=" {
		name := p.toks[p.i+1].text
		p.i += 4
		e, err := p.expr()
		if err != nil {
			return namedExpr{}, err
		}
		return namedExpr{name: name, namePos: t.pos, e: e}, nil
	}
	e, err := p.expr()
	if err != nil {
		return namedExpr{}, err
	}
	return namedExpr{e: e}, nil
}

func (p *parser) exprList() ([]expr, error) {
	var out []expr
	for {
		e, err := p.expr()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		if !p.acceptPunct(",") {
			return out, nil
		}
	}
}

func parseLong(t token) (int64, error) {
	n, err := strconv.ParseInt(t.text, 10, 64)
	if err != nil {
		return 0, syntaxErrorf(t.pos, "number %s is out of range for long", t.text)
	}
	return n, nil
}
