package kql

import (
	"regexp"
	"slices"
	"strings"
)

// The parse operator matches a string against a pattern of string
// constants, '*' and typed columns, and extends the row with the columns.
// The pattern becomes a regular expression anchored at the start of the
// string: constants are literal (kind=simple, relaxed) or regular
// expressions (kind=regex), '*' and string columns match lazily (a trailing
// string column takes the rest), long columns match -?digits, real columns
// a decimal number. If the string does not match, the new columns are
// empty (null). kind=simple also fails the whole match when a value does not
// convert to its column's type; kind=relaxed only nulls that column.

func (b *binder) parseOp(in plan, op *parseOp) (plan, error) {
	sc := newScope(in.columns())
	subj, err := b.expr(op.subject, sc)
	if err != nil {
		return nil, err
	}
	var re strings.Builder
	if op.flags != "" {
		re.WriteString("(?" + op.flags + ")")
	}
	re.WriteString("^")
	type out struct {
		name string
		t    Type
	}
	var outs []out
	for i, el := range op.pattern {
		last := i == len(op.pattern)-1
		switch {
		case el.star:
			if i > 0 && !op.pattern[i-1].star && !op.pattern[i-1].isLit && op.pattern[i-1].typ == TypeString {
				return nil, semanticErrorf(el.pos, "parse: '*' cannot follow a string column (both would match anything)")
			}
			re.WriteString("(?:.*?)")
		case el.isLit:
			if op.kind == "regex" {
				if _, err := regexp.Compile(el.literal); err != nil {
					return nil, semanticErrorf(el.pos, "parse: invalid regular expression: %v", err)
				}
				re.WriteString("(?:" + el.literal + ")")
			} else {
				re.WriteString(regexp.QuoteMeta(el.literal))
			}
		default:
			for _, o := range outs {
				if o.name == el.column {
					return nil, semanticErrorf(el.pos, "parse: column %q appears twice in the pattern", el.column)
				}
			}
			outs = append(outs, out{name: el.column, t: el.typ})
			switch el.typ {
			case TypeLong:
				re.WriteString(`(-?\d+)`)
			case TypeReal:
				re.WriteString(`(-?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)`)
			default:
				if last {
					re.WriteString("(.*)")
				} else {
					re.WriteString("(.*?)")
				}
			}
		}
	}
	if len(outs) == 0 {
		return nil, semanticErrorf(op.pos, "parse: the pattern extracts no column")
	}
	rx, err := regexp.Compile(re.String())
	if err != nil {
		return nil, semanticErrorf(op.pos, "parse: the pattern does not compile: %v", err)
	}
	cols := slices.Clone(in.columns())
	targets := make([]int, len(outs))
	convs := make([]func(Value) Value, len(outs))
	for i, o := range outs {
		t := -1
		for j, c := range cols {
			if c.Name == o.name {
				t = j
			}
		}
		if t >= 0 {
			cols[t].Type = o.t
		} else {
			cols = append(cols, Column{Name: o.name, Type: o.t})
			t = len(cols) - 1
		}
		targets[i] = t
		convs[i] = converter(o.t)
		if o.t == TypeDynamic {
			convs[i] = toDynamic
		}
	}
	src := stringOf(subj)
	relaxed := op.kind == "relaxed"
	n := len(cols)
	return &mapPlan{in: in, cols: cols, fn: func(r Row) Row {
		row := make(Row, n)
		copy(row, r)
		m := rx.FindStringSubmatch(src(r))
		vals := make([]Value, len(outs))
		ok := m != nil
		for i := range outs {
			if !ok {
				break
			}
			v := String(m[i+1])
			if outs[i].t != TypeString {
				v = convs[i](v)
				if v.k == kNull && !relaxed {
					ok = false
				}
			}
			vals[i] = v
		}
		for i, o := range outs {
			v := vals[i]
			if !ok {
				v = Null()
			}
			if o.t == TypeString && v.k != kString {
				v = String("")
			}
			row[targets[i]] = v
		}
		return row
	}}, nil
}
