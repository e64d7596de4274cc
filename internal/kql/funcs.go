package kql

import (
	"fmt"
	"sort"
	"strings"
)

// nameKind says how Kusto names the column of an unnamed function call
// (Kusto.Language's ResultNameKind): tostring(x) is named x, strlen(x)
// strlen_x, sum(x) sum_x, count() count_, and most others ColumnN.
type nameKind uint8

const (
	nameNone nameKind = iota
	nameFirstArg
	namePrefixFirstArg
)

type naming struct {
	kind   nameKind
	prefix string
}

// bindFunc checks the arguments of a call and compiles it.
type bindFunc func(b *binder, c *call, args []*cexpr) (*cexpr, error)

type scalarFunc struct {
	min, max int // max < 0: no upper bound
	naming   naming
	bind     bindFunc
	// typeArgs is true for functions that accept typeof(T) arguments.
	typeArgs bool
	// volatile functions are not folded into constants even when their
	// arguments are constant (none are at present: now() is fixed per query).
	volatile bool
}

var firstArg = naming{kind: nameFirstArg}

// scalarFuncs is the explicit list of scalar functions.
var scalarFuncs map[string]*scalarFunc

func init() {
	conv := func(t Type, f func(Value) Value) *scalarFunc {
		return &scalarFunc{min: 1, max: 1, naming: firstArg, bind: bindUnary(t, f)}
	}
	scalarFuncs = map[string]*scalarFunc{
		// conversions
		"tostring":   conv(TypeString, func(v Value) Value { return String(toStringValue(v)) }),
		"tolong":     conv(TypeLong, toLong),
		"toint":      conv(TypeLong, toInt),
		"todouble":   conv(TypeReal, toReal),
		"toreal":     conv(TypeReal, toReal),
		"tobool":     conv(TypeBool, toBool),
		"toboolean":  conv(TypeBool, toBool),
		"todatetime": conv(TypeDateTime, toDateTime),
		"totimespan": conv(TypeTimeSpan, toTimeSpan),
		"totime":     conv(TypeTimeSpan, toTimeSpan),
		"todynamic":  conv(TypeDynamic, toDynamic),
		"toobject":   conv(TypeDynamic, toDynamic),
		"parse_json": conv(TypeDynamic, toDynamic),
		"parsejson":  conv(TypeDynamic, toDynamic),
		// strings
		"strlen":         {min: 1, max: 1, naming: naming{kind: namePrefixFirstArg, prefix: "strlen"}, bind: bindUnary(TypeLong, strlenFn)},
		"tolower":        {min: 1, max: 1, bind: bindUnary(TypeString, func(v Value) Value { return String(strings.ToLower(toStringValue(v))) })},
		"toupper":        {min: 1, max: 1, bind: bindUnary(TypeString, func(v Value) Value { return String(strings.ToUpper(toStringValue(v))) })},
		"substring":      {min: 2, max: 3, bind: bindSubstring},
		"indexof":        {min: 2, max: 5, bind: bindIndexOf},
		"strcat":         {min: 1, max: 64, bind: bindStrcat},
		"strcat_delim":   {min: 3, max: 65, bind: bindStrcatDelim},
		"strcat_array":   {min: 2, max: 2, bind: bindStrcatArray},
		"split":          {min: 2, max: 3, naming: firstArg, bind: bindSplit},
		"extract":        {min: 3, max: 4, bind: bindExtract, typeArgs: true},
		"replace_string": {min: 3, max: 3, bind: bindReplaceString},
		"isempty":        {min: 1, max: 1, bind: bindUnary(TypeBool, func(v Value) Value { return Bool(isEmpty(v)) })},
		"isnotempty":     {min: 1, max: 1, bind: bindUnary(TypeBool, func(v Value) Value { return Bool(!isEmpty(v)) })},
		"notempty":       {min: 1, max: 1, bind: bindUnary(TypeBool, func(v Value) Value { return Bool(!isEmpty(v)) })},
		"isnull":         {min: 1, max: 1, bind: bindUnary(TypeBool, func(v Value) Value { return Bool(v.k == kNull) })},
		"isnotnull":      {min: 1, max: 1, bind: bindUnary(TypeBool, func(v Value) Value { return Bool(v.k != kNull) })},
		"notnull":        {min: 1, max: 1, bind: bindUnary(TypeBool, func(v Value) Value { return Bool(v.k != kNull) })},
		// logic and choice
		"not":      {min: 1, max: 1, bind: bindNot},
		"iif":      {min: 3, max: 3, bind: bindIif},
		"iff":      {min: 3, max: 3, bind: bindIif},
		"case":     {min: 3, max: -1, bind: bindCase},
		"coalesce": {min: 2, max: 64, bind: bindCoalesce},
		// time
		"ago": {min: 1, max: 1, bind: bindAgo},
		"now": {min: 0, max: 1, bind: bindNow},
		// numbers
		"bin":   {min: 2, max: 2, naming: firstArg, bind: bindBin},
		"floor": {min: 2, max: 2, naming: firstArg, bind: bindBin},
		"abs":   {min: 1, max: 1, bind: bindAbs},
		"round": {min: 1, max: 2, bind: bindRound},
		// dynamic
		"pack":            {min: 0, max: -1, bind: bindPack},
		"bag_pack":        {min: 0, max: -1, bind: bindPack},
		"set_has_element": {min: 2, max: 2, bind: bindSetHasElement},
		"array_length":    {min: 1, max: 1, bind: bindUnary(TypeLong, arrayLength)},
		"bag_keys":        {min: 1, max: 1, bind: bindUnary(TypeDynamic, bagKeys)},
		"gettype":         {min: 1, max: 1, bind: bindUnary(TypeString, getType)},
	}
}

// lookupNaming returns the naming rule of a scalar or aggregate function.
func lookupNaming(name string) naming {
	if a, ok := aggregates[name]; ok {
		return naming{kind: namePrefixFirstArg, prefix: a.prefix}
	}
	if f, ok := scalarFuncs[name]; ok {
		return f.naming
	}
	return naming{}
}

// functionNames lists the scalar functions for error messages.
func functionNames() string {
	names := make([]string, 0, len(scalarFuncs))
	for n := range scalarFuncs {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func (b *binder) callExpr(e *call, sc *scope) (*cexpr, error) {
	if _, ok := aggregates[e.name]; ok {
		return nil, semanticErrorf(e.pos, "%s() is an aggregation: use it in summarize (e.g. summarize %s(...) by ...)", e.name, e.name)
	}
	f, ok := scalarFuncs[e.name]
	if !ok {
		if g, ok2 := scalarFuncs[strings.ToLower(e.name)]; ok2 {
			_ = g
			return nil, semanticErrorf(e.pos, "unknown function %q (function names are case-sensitive: did you mean %s()?)", e.name, strings.ToLower(e.name))
		}
		return nil, semanticErrorf(e.pos, "unknown function %q (supported: %s)", e.name, functionNames())
	}
	if len(e.args) < f.min || (f.max >= 0 && len(e.args) > f.max) {
		return nil, semanticErrorf(e.pos, "%s() takes %s, not %d", e.name, arityText(f.min, f.max), len(e.args))
	}
	args := make([]*cexpr, len(e.args))
	for i, a := range e.args {
		if t, ok := a.(*typeofExpr); ok {
			if !f.typeArgs {
				return nil, semanticErrorf(t.pos, "%s() does not take a typeof(...) argument", e.name)
			}
			args[i] = &cexpr{t: t.t, isConst: true, col: colTypeArg, eval: func(Row) Value { return Null() }}
			continue
		}
		c, err := b.expr(a, sc)
		if err != nil {
			return nil, err
		}
		args[i] = c
	}
	c, err := f.bind(b, e, args)
	if err != nil {
		return nil, err
	}
	if f.volatile {
		return c, nil
	}
	return b.fold(c, args...), nil
}

// colTypeArg marks a typeof(T) argument.
const colTypeArg = -2

func arityText(min, max int) string {
	switch {
	case min == max && min == 1:
		return "1 argument"
	case min == max:
		return fmt.Sprintf("%d arguments", min)
	case max < 0:
		return fmt.Sprintf("at least %d arguments", min)
	}
	return fmt.Sprintf("%d to %d arguments", min, max)
}

// bindUnary makes a one-argument function with a fixed result type.
func bindUnary(t Type, f func(Value) Value) bindFunc {
	return func(_ *binder, _ *call, args []*cexpr) (*cexpr, error) {
		a := args[0].eval
		return &cexpr{t: t, col: -1, eval: func(r Row) Value { return f(a(r)) }}, nil
	}
}

// commonType is the type of values that may come from several branches
// (iif, case, coalesce).
func commonType(ts []*cexpr) (Type, bool) {
	t := ts[0].t
	for _, c := range ts[1:] {
		switch {
		case c.t == t:
		case c.t.numeric() && t.numeric():
			t = TypeReal
		case c.isConst && c.value().IsNull():
		case ts[0].isConst && ts[0].value().IsNull() && t == TypeDynamic:
			t = c.t
		case c.t == TypeDynamic || t == TypeDynamic:
			t = TypeDynamic
		default:
			return 0, false
		}
	}
	return t, true
}

func bindNot(_ *binder, c *call, args []*cexpr) (*cexpr, error) {
	if t := args[0].t; t != TypeBool && t != TypeDynamic {
		return nil, semanticErrorf(c.pos, "not() takes a bool, not %s", t)
	}
	a := args[0].eval
	return &cexpr{t: TypeBool, col: -1, eval: func(r Row) Value {
		v := toBool(a(r))
		if v.k == kNull {
			return v
		}
		return Bool(v.i == 0)
	}}, nil
}

func bindIif(_ *binder, c *call, args []*cexpr) (*cexpr, error) {
	if t := args[0].t; t != TypeBool && t != TypeDynamic {
		return nil, semanticErrorf(c.args[0].exprPos(), "%s() needs a bool condition, not %s", c.name, t)
	}
	t, ok := commonType(args[1:])
	if !ok {
		return nil, semanticErrorf(c.pos, "%s(): the two values have different types (%s and %s)", c.name, args[1].t, args[2].t)
	}
	cond, x, y := args[0].eval, castTo(args[1], t), castTo(args[2], t)
	return &cexpr{t: t, col: -1, eval: func(r Row) Value {
		if toBool(cond(r)).isTrue() {
			return x(r)
		}
		return y(r)
	}}, nil
}

// castTo converts an expression's values to t when its own type differs
// (long to real, null to the missing value of t).
func castTo(c *cexpr, t Type) evalFn {
	if c.t == t || t == TypeDynamic {
		return c.eval
	}
	conv, ev := converter(t), c.eval
	return func(r Row) Value { return conv(ev(r)) }
}

func bindCase(_ *binder, c *call, args []*cexpr) (*cexpr, error) {
	if len(args)%2 == 0 {
		return nil, semanticErrorf(c.pos, "case() takes pairs of condition, value and a final else value (an odd number of arguments)")
	}
	var vals []*cexpr
	for i := 0; i+1 < len(args); i += 2 {
		if t := args[i].t; t != TypeBool && t != TypeDynamic {
			return nil, semanticErrorf(c.args[i].exprPos(), "case(): condition %d is %s, not bool", i/2+1, t)
		}
		vals = append(vals, args[i+1])
	}
	vals = append(vals, args[len(args)-1])
	t, ok := commonType(vals)
	if !ok {
		return nil, semanticErrorf(c.pos, "case(): the values have different types")
	}
	conds := make([]evalFn, 0, len(args)/2)
	outs := make([]evalFn, 0, len(vals))
	for i := 0; i+1 < len(args); i += 2 {
		conds = append(conds, args[i].eval)
	}
	for _, v := range vals {
		outs = append(outs, castTo(v, t))
	}
	return &cexpr{t: t, col: -1, eval: func(r Row) Value {
		for i, cond := range conds {
			if toBool(cond(r)).isTrue() {
				return outs[i](r)
			}
		}
		return outs[len(outs)-1](r)
	}}, nil
}

func bindCoalesce(_ *binder, c *call, args []*cexpr) (*cexpr, error) {
	t, ok := commonType(args)
	if !ok {
		return nil, semanticErrorf(c.pos, "coalesce(): the arguments have different types")
	}
	outs := make([]evalFn, len(args))
	for i, a := range args {
		outs[i] = castTo(a, t)
	}
	return &cexpr{t: t, col: -1, eval: func(r Row) Value {
		for _, o := range outs {
			v := o(r)
			if v.k != kNull && !(v.k == kString && v.s == "") {
				return v
			}
		}
		return nullOf(t)
	}}, nil
}

func bindAgo(b *binder, c *call, args []*cexpr) (*cexpr, error) {
	if args[0].t != TypeTimeSpan {
		return nil, semanticErrorf(c.pos, "ago() takes a timespan (e.g. ago(1h)), not %s", args[0].t)
	}
	now, a := b.now, args[0].eval
	return &cexpr{t: TypeDateTime, col: -1, eval: func(r Row) Value {
		v := a(r)
		if v.k != kTimeSpan {
			return Null()
		}
		return Value{k: kDateTime, i: now - v.i}
	}}, nil
}

func bindNow(b *binder, c *call, args []*cexpr) (*cexpr, error) {
	now := b.now
	if len(args) == 0 {
		return constExpr(Value{k: kDateTime, i: now}, TypeDateTime), nil
	}
	if args[0].t != TypeTimeSpan {
		return nil, semanticErrorf(c.pos, "now() takes an optional timespan offset, not %s", args[0].t)
	}
	a := args[0].eval
	return &cexpr{t: TypeDateTime, col: -1, eval: func(r Row) Value {
		v := a(r)
		if v.k != kTimeSpan {
			return Null()
		}
		return Value{k: kDateTime, i: now + v.i}
	}}, nil
}
