package kql

import (
	"math"
	"regexp"
	"strings"
	"unicode/utf8"
)

func strlenFn(v Value) Value { return Long(int64(utf8.RuneCountInString(toStringValue(v)))) }

// isEmpty: null or the empty string (an empty array or bag is not empty,
// as in Kusto).
func isEmpty(v Value) bool { return v.k == kNull || (v.k == kString && v.s == "") }

func needNumber(c *call, i int, a *cexpr) error {
	if a.t != TypeLong && a.t != TypeReal && a.t != TypeDynamic {
		return semanticErrorf(c.args[i].exprPos(), "%s(): argument %d must be a number, not %s", c.name, i+1, a.t)
	}
	return nil
}

// runeSlice returns s[start:start+length] counted in characters; a
// negative start counts from the end; length < 0 means to the end.
func runeSlice(s string, start, length int64) string {
	n := int64(utf8.RuneCountInString(s))
	if start < 0 {
		start += n
		if start < 0 {
			start = 0
		}
	}
	if start > n {
		return ""
	}
	end := n
	if length >= 0 && start+length < n {
		end = start + length
	}
	if isASCII(s) {
		return s[start:end]
	}
	r := []rune(s)
	return string(r[start:end])
}

func bindSubstring(_ *binder, c *call, args []*cexpr) (*cexpr, error) {
	for i := 1; i < len(args); i++ {
		if err := needNumber(c, i, args[i]); err != nil {
			return nil, err
		}
	}
	s, start := stringOf(args[0]), args[1].eval
	var length evalFn
	if len(args) == 3 {
		length = args[2].eval
	}
	return &cexpr{t: TypeString, col: -1, eval: func(r Row) Value {
		st := toLong(start(r))
		if st.k == kNull {
			return String("")
		}
		l := int64(-1)
		if length != nil {
			lv := toLong(length(r))
			if lv.k == kNull || lv.i < 0 {
				return String("")
			}
			l = lv.i
		}
		return String(runeSlice(s(r), st.i, l))
	}}, nil
}

func bindIndexOf(_ *binder, c *call, args []*cexpr) (*cexpr, error) {
	for i := 2; i < len(args); i++ {
		if err := needNumber(c, i, args[i]); err != nil {
			return nil, err
		}
	}
	src, look := stringOf(args[0]), stringOf(args[1])
	rest := args[2:]
	return &cexpr{t: TypeLong, col: -1, eval: func(r Row) Value {
		s, l := src(r), look(r)
		start, length, occ := int64(0), int64(-1), int64(1)
		for i, a := range rest {
			v := toLong(a.eval(r))
			if v.k == kNull {
				return Null()
			}
			switch i {
			case 0:
				start = v.i
			case 1:
				length = v.i
			case 2:
				occ = v.i
			}
		}
		if start < 0 || occ <= 0 || length < -1 {
			return Null()
		}
		rs := []rune(s)
		if start > int64(len(rs)) {
			return Long(-1)
		}
		end := int64(len(rs))
		if length >= 0 && start+length < end {
			end = start + length
		}
		hay := string(rs[start:end])
		from := 0
		for {
			i := strings.Index(hay[from:], l)
			if i < 0 {
				return Long(-1)
			}
			i += from
			occ--
			if occ == 0 {
				return Long(start + int64(utf8.RuneCountInString(hay[:i])))
			}
			if l == "" {
				from = i + 1
			} else {
				from = i + len(l)
			}
			if from > len(hay) {
				return Long(-1)
			}
		}
	}}, nil
}

func bindStrcat(_ *binder, _ *call, args []*cexpr) (*cexpr, error) {
	parts := make([]func(Row) string, len(args))
	for i, a := range args {
		parts[i] = stringOf(a)
	}
	return &cexpr{t: TypeString, col: -1, eval: func(r Row) Value {
		ss := make([]string, len(parts))
		n := 0
		for i, p := range parts {
			ss[i] = p(r)
			n += len(ss[i])
		}
		needValue("strcat", int64(n))
		return String(strings.Join(ss, ""))
	}}, nil
}

func bindStrcatDelim(_ *binder, _ *call, args []*cexpr) (*cexpr, error) {
	delim := stringOf(args[0])
	parts := make([]func(Row) string, len(args)-1)
	for i, a := range args[1:] {
		parts[i] = stringOf(a)
	}
	return &cexpr{t: TypeString, col: -1, eval: func(r Row) Value {
		d := delim(r)
		ss := make([]string, len(parts))
		n := len(d) * (len(parts) - 1)
		for i, p := range parts {
			ss[i] = p(r)
			n += len(ss[i])
		}
		needValue("strcat_delim", int64(n))
		return String(strings.Join(ss, d))
	}}, nil
}

func bindStrcatArray(_ *binder, c *call, args []*cexpr) (*cexpr, error) {
	if args[0].t != TypeDynamic {
		return nil, semanticErrorf(c.args[0].exprPos(), "strcat_array() takes a dynamic array, not %s", args[0].t)
	}
	arr, delim := args[0].eval, stringOf(args[1])
	return &cexpr{t: TypeString, col: -1, eval: func(r Row) Value {
		v := arr(r)
		if v.k != kArray {
			return String("")
		}
		d := delim(r)
		ss := make([]string, len(v.ref.arr))
		n := len(d) * max(len(ss)-1, 0)
		for i, e := range v.ref.arr {
			ss[i] = toStringValue(e)
			if n += len(ss[i]); n > maxValueBytes {
				break
			}
		}
		needValue("strcat_array", int64(n))
		return String(strings.Join(ss, d))
	}}, nil
}

func bindSplit(_ *binder, c *call, args []*cexpr) (*cexpr, error) {
	if len(args) == 3 {
		if err := needNumber(c, 2, args[2]); err != nil {
			return nil, err
		}
	}
	src, delim := stringOf(args[0]), stringOf(args[1])
	var idx evalFn
	if len(args) == 3 {
		idx = args[2].eval
	}
	return &cexpr{t: TypeDynamic, col: -1, eval: func(r Row) Value {
		s, d := src(r), delim(r)
		var parts []string
		if d == "" {
			parts = []string{s}
		} else {
			needValue("split", int64(strings.Count(s, d)+1)*valueSize+int64(len(s)))
			parts = strings.Split(s, d)
		}
		if idx != nil {
			i := toLong(idx(r))
			if i.k == kNull || i.i < 0 || i.i >= int64(len(parts)) {
				return Array()
			}
			return Array(String(parts[i.i]))
		}
		vs := make([]Value, len(parts))
		for i, p := range parts {
			vs[i] = String(p)
		}
		return Array(vs...)
	}}, nil
}

// bindExtract: extract(regex, captureGroup, source [, typeof(T)]) returns
// the capture group of the first match ("" or null when there is none).
func bindExtract(b *binder, c *call, args []*cexpr) (*cexpr, error) {
	if err := needNumber(c, 1, args[1]); err != nil {
		return nil, err
	}
	t := TypeString
	if len(args) == 4 {
		if args[3].col != colTypeArg {
			return nil, semanticErrorf(c.args[3].exprPos(), "extract(): the fourth argument is a type, e.g. typeof(long)")
		}
		t = args[3].t
	}
	for i := 0; i < 3; i++ {
		if args[i].col == colTypeArg {
			return nil, semanticErrorf(c.args[i].exprPos(), "extract(): unexpected typeof(...)")
		}
	}
	var fixed *regexp.Regexp
	if args[0].isConst {
		re, err := regexp.Compile(toStringValue(args[0].value()))
		if err != nil {
			return nil, semanticErrorf(c.args[0].exprPos(), "extract(): invalid regular expression: %v", err)
		}
		fixed = re
	}
	pattern, group, src := stringOf(args[0]), args[1].eval, stringOf(args[2])
	cache := newRegexCache()
	conv := converter(t)
	missing := nullOf(t)
	return &cexpr{t: t, col: -1, eval: func(r Row) Value {
		re := fixed
		if re == nil {
			if re = cache.get(pattern(r)); re == nil {
				return missing
			}
		}
		g := toLong(group(r))
		if g.k == kNull || g.i < 0 || g.i > int64(re.NumSubexp()) {
			return missing
		}
		s := src(r)
		m := re.FindStringSubmatchIndex(s)
		if m == nil || m[2*g.i] < 0 {
			return missing
		}
		v := String(s[m[2*g.i]:m[2*g.i+1]])
		if t == TypeString {
			return v
		}
		return conv(v)
	}}, nil
}

func bindReplaceString(_ *binder, _ *call, args []*cexpr) (*cexpr, error) {
	text, look, rep := stringOf(args[0]), stringOf(args[1]), stringOf(args[2])
	return &cexpr{t: TypeString, col: -1, eval: func(r Row) Value {
		l := look(r)
		if l == "" {
			return String(text(r))
		}
		t, p := text(r), rep(r)
		if len(p) > len(l) {
			needValue("replace_string", int64(len(t))+int64(strings.Count(t, l))*int64(len(p)-len(l)))
		}
		return String(strings.ReplaceAll(t, l, p))
	}}, nil
}

// bindBin: bin(value, size) rounds down to a multiple of size, for numbers,
// datetimes and timespans.
func bindBin(_ *binder, c *call, args []*cexpr) (*cexpr, error) {
	v, size := args[0], args[1]
	switch {
	case v.t.numeric() && size.t.numeric():
	case (v.t == TypeDateTime || v.t == TypeTimeSpan) && size.t == TypeTimeSpan:
	default:
		return nil, semanticErrorf(c.pos, "%s() takes a number and a number, or a datetime/timespan and a timespan (not %s and %s)", c.name, v.t, size.t)
	}
	t := v.t
	if v.t == TypeLong && size.t == TypeReal {
		t = TypeReal
	}
	ve, se := v.eval, size.eval
	return &cexpr{t: t, col: -1, eval: func(r Row) Value {
		x, s := ve(r), se(r)
		if x.k == kNull || s.k == kNull {
			return Null()
		}
		switch {
		case x.k == kTimeSpan && s.k == kTimeSpan:
			if s.i <= 0 {
				return Null()
			}
			q, _ := floorDiv(x.i, s.i)
			return Value{k: x.k, i: q * s.i}
		case x.k == kDateTime && s.k == kTimeSpan:
			// Kusto bins .NET ticks, counted from 0001-01-01 (a Monday), so
			// bin(t, 7d) starts weeks on Mondays.
			if s.i <= 0 {
				return Null()
			}
			q, _ := floorDiv(x.i+netEpochTicks, s.i)
			return Value{k: kDateTime, i: q*s.i - netEpochTicks}
		case x.k == kLong && s.k == kLong:
			if s.i <= 0 {
				return Null()
			}
			q, _ := floorDiv(x.i, s.i)
			return Long(q * s.i)
		}
		xf, sf := toReal(x).real(), toReal(s).real()
		if sf <= 0 {
			return Null()
		}
		return Real(math.Floor(xf/sf) * sf)
	}}, nil
}

func bindAbs(_ *binder, c *call, args []*cexpr) (*cexpr, error) {
	a := args[0]
	if !a.t.numeric() && a.t != TypeTimeSpan && a.t != TypeDynamic {
		return nil, semanticErrorf(c.pos, "abs() takes a number or timespan, not %s", a.t)
	}
	ev := a.eval
	return &cexpr{t: a.t, col: -1, eval: func(r Row) Value {
		v := ev(r)
		switch v.k {
		case kLong, kTimeSpan:
			if v.i < 0 {
				return Value{k: v.k, i: -v.i}
			}
			return v
		case kReal:
			return Real(math.Abs(v.real()))
		}
		return Null()
	}}, nil
}

func bindRound(_ *binder, c *call, args []*cexpr) (*cexpr, error) {
	if err := needNumber(c, 0, args[0]); err != nil {
		return nil, err
	}
	var prec evalFn
	if len(args) == 2 {
		if err := needNumber(c, 1, args[1]); err != nil {
			return nil, err
		}
		prec = args[1].eval
	}
	t := args[0].t
	if t == TypeDynamic {
		t = TypeReal
	}
	ev := args[0].eval
	return &cexpr{t: t, col: -1, eval: func(r Row) Value {
		v := ev(r)
		p := int64(0)
		if prec != nil {
			pv := toLong(prec(r))
			if pv.k == kNull {
				return Null()
			}
			p = pv.i
		}
		if v.k == kLong && t == TypeLong && p >= 0 {
			return v
		}
		f := toReal(v)
		if f.k == kNull {
			return Null()
		}
		m := math.Pow(10, float64(p))
		out := math.Round(f.real()*m) / m
		if t == TypeLong {
			return realToLong(out)
		}
		return Real(out)
	}}, nil
}

func bindPack(_ *binder, c *call, args []*cexpr) (*cexpr, error) {
	if len(args)%2 != 0 {
		return nil, semanticErrorf(c.pos, "%s() takes pairs of key and value", c.name)
	}
	for i := 0; i < len(args); i += 2 {
		if t := args[i].t; t != TypeString && t != TypeDynamic {
			return nil, semanticErrorf(c.args[i].exprPos(), "%s(): keys are strings, not %s", c.name, t)
		}
	}
	return &cexpr{t: TypeDynamic, col: -1, eval: func(r Row) Value {
		var bb bagBuilder
		for i := 0; i < len(args); i += 2 {
			bb.set(toStringValue(args[i].eval(r)), args[i+1].eval(r))
		}
		return bb.value()
	}}, nil
}

func bindSetHasElement(_ *binder, c *call, args []*cexpr) (*cexpr, error) {
	if args[0].t != TypeDynamic {
		return nil, semanticErrorf(c.args[0].exprPos(), "set_has_element() takes a dynamic array, not %s", args[0].t)
	}
	arr, val := args[0].eval, args[1].eval
	return &cexpr{t: TypeBool, col: -1, eval: func(r Row) Value {
		a, v := arr(r), val(r)
		if a.k != kArray {
			return Null()
		}
		for _, e := range a.ref.arr {
			if e.k == kNull && v.k == kNull {
				return Bool(true)
			}
			if e.k != kNull && v.k != kNull && equalValues(e, v) {
				return Bool(true)
			}
		}
		return Bool(false)
	}}, nil
}

func arrayLength(v Value) Value {
	if v.k != kArray {
		return Null()
	}
	return Long(int64(len(v.ref.arr)))
}

func bagKeys(v Value) Value {
	if v.k != kBag {
		return Null()
	}
	ks := make([]Value, len(v.ref.keys))
	for i, k := range v.ref.keys {
		ks[i] = String(k)
	}
	return Array(ks...)
}

// getType names the run-time type like Kusto's gettype().
func getType(v Value) Value {
	switch v.k {
	case kNull:
		return String("null")
	case kBool:
		return String("bool")
	case kLong:
		return String("long")
	case kReal:
		return String("real")
	case kString:
		return String("string")
	case kDateTime:
		return String("datetime")
	case kTimeSpan:
		return String("timespan")
	case kArray:
		return String("array")
	}
	return String("dictionary")
}
