package kql

import "strings"

// Parsers of the operators with their own syntax (join, mv-expand, parse,
// union, summarize, sort keys, project-* name lists) and of datatable.

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
