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
