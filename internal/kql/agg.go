package kql

import (
	"hash/maphash"
	"strconv"
)

// aggState accumulates one aggregation for one group.
type aggState interface {
	// add takes one row and returns how many bytes the state grew by.
	add(r Row) int64
	// result writes the aggregation's columns (one for most aggregations).
	result(out []Value)
}

// aggSpec is a bound aggregation: its output columns and a state factory.
type aggSpec struct {
	cols     []Column
	declared []bool
	newState func() aggState
}

type aggregate struct {
	prefix   string
	min, max int
	bind     func(b *binder, c *call, args []*cexpr, in *scope, by map[int]bool) (*aggSpec, error)
}

// aggregates is the explicit list of aggregation functions.
var aggregates map[string]*aggregate

func init() {
	aggregates = map[string]*aggregate{
		"count":        {prefix: "count", min: 0, max: 1, bind: bindCount},
		"countif":      {prefix: "countif", min: 1, max: 1, bind: bindCountIf},
		"dcount":       {prefix: "dcount", min: 1, max: 2, bind: bindDcount},
		"dcountif":     {prefix: "dcountif", min: 2, max: 3, bind: bindDcount},
		"sum":          {prefix: "sum", min: 1, max: 1, bind: bindSum},
		"sumif":        {prefix: "sumif", min: 2, max: 2, bind: bindSum},
		"avg":          {prefix: "avg", min: 1, max: 1, bind: bindAvg},
		"avgif":        {prefix: "avgif", min: 2, max: 2, bind: bindAvg},
		"min":          {prefix: "min", min: 1, max: 1, bind: bindMinMax(-1)},
		"max":          {prefix: "max", min: 1, max: 1, bind: bindMinMax(1)},
		"minif":        {prefix: "minif", min: 2, max: 2, bind: bindMinMax(-1)},
		"maxif":        {prefix: "maxif", min: 2, max: 2, bind: bindMinMax(1)},
		"make_list":    {prefix: "list", min: 1, max: 2, bind: bindMakeList(false, false)},
		"make_list_if": {prefix: "list", min: 2, max: 3, bind: bindMakeList(false, true)},
		"make_set":     {prefix: "set", min: 1, max: 2, bind: bindMakeList(true, false)},
		"make_set_if":  {prefix: "set", min: 2, max: 3, bind: bindMakeList(true, true)},
		"make_bag":     {prefix: "bag", min: 1, max: 2, bind: bindMakeBag(false)},
		"make_bag_if":  {prefix: "bag", min: 2, max: 3, bind: bindMakeBag(true)},
		"arg_max":      {prefix: "max", min: 1, max: -1, bind: bindArgMinMax(1)},
		"arg_min":      {prefix: "min", min: 1, max: -1, bind: bindArgMinMax(-1)},
		"take_any":     {prefix: "any", min: 1, max: 1, bind: bindTakeAny},
		"any":          {prefix: "any", min: 1, max: 1, bind: bindTakeAny},
	}
}

func oneCol(t Type, f func() aggState) *aggSpec {
	return &aggSpec{cols: []Column{{Type: t}}, declared: []bool{false}, newState: f}
}

func needBool(c *call, i int, a *cexpr) error {
	if a.t != TypeBool && a.t != TypeDynamic {
		return semanticErrorf(c.args[i].exprPos(), "%s(): the predicate must be bool, not %s", c.name, a.t)
	}
	return nil
}

// maxSizeArg reads the optional constant maximum size of make_list and
// friends (default 1,048,576 like Kusto).
func maxSizeArg(c *call, args []*cexpr, i int) (int, error) {
	if len(args) <= i {
		return 1 << 20, nil
	}
	if !args[i].isConst {
		return 0, semanticErrorf(c.args[i].exprPos(), "%s(): the maximum size must be a constant number > 0", c.name)
	}
	v := toLong(args[i].value())
	if v.k == kNull || v.i <= 0 {
		return 0, semanticErrorf(c.args[i].exprPos(), "%s(): the maximum size must be a constant number > 0", c.name)
	}
	return int(min(v.i, 1<<30)), nil
}

type countState struct {
	n    int64
	pred evalFn
}

func (s *countState) add(r Row) int64 {
	if s.pred == nil || toBool(s.pred(r)).isTrue() {
		s.n++
	}
	return 0
}
func (s *countState) result(out []Value) { out[0] = Long(s.n) }

func bindCount(_ *binder, c *call, args []*cexpr, _ *scope, _ map[int]bool) (*aggSpec, error) {
	if len(args) == 1 { // legacy count(predicate)
		if err := needBool(c, 0, args[0]); err != nil {
			return nil, err
		}
		pred := args[0].eval
		return oneCol(TypeLong, func() aggState { return &countState{pred: pred} }), nil
	}
	return oneCol(TypeLong, func() aggState { return &countState{} }), nil
}

func bindCountIf(_ *binder, c *call, args []*cexpr, _ *scope, _ map[int]bool) (*aggSpec, error) {
	if err := needBool(c, 0, args[0]); err != nil {
		return nil, err
	}
	pred := args[0].eval
	return oneCol(TypeLong, func() aggState { return &countState{pred: pred} }), nil
}

// dcountState counts distinct values by their 64-bit hashes: exact unless
// two distinct values collide (about one chance in 10^7 at a million
// distinct values). Kusto estimates with HyperLogLog; this is closer.
type dcountState struct {
	x, pred evalFn
	seen    map[uint64]struct{}
	buf     []byte
}

// dcountSeed seeds the value hashes of dcount.
var dcountSeed = maphash.MakeSeed()

func (s *dcountState) add(r Row) int64 {
	if s.pred != nil && !toBool(s.pred(r)).isTrue() {
		return 0
	}
	v := s.x(r)
	if v.k == kNull {
		return 0
	}
	s.buf = appendKey(s.buf[:0], v, false)
	h := maphash.Bytes(dcountSeed, s.buf)
	if _, ok := s.seen[h]; ok {
		return 0
	}
	if s.seen == nil {
		s.seen = map[uint64]struct{}{}
	}
	s.seen[h] = struct{}{}
	return 24
}
func (s *dcountState) result(out []Value) { out[0] = Long(int64(len(s.seen))) }

func bindDcount(_ *binder, c *call, args []*cexpr, _ *scope, _ map[int]bool) (*aggSpec, error) {
	x := args[0].eval
	var pred evalFn
	if c.name == "dcountif" {
		if err := needBool(c, 1, args[1]); err != nil {
			return nil, err
		}
		pred = args[1].eval
	}
	if args[0].t == TypeDynamic {
		return nil, semanticErrorf(c.args[0].exprPos(), "%s() needs a scalar value; convert the dynamic value first (e.g. tostring())", c.name)
	}
	return oneCol(TypeLong, func() aggState { return &dcountState{x: x, pred: pred} }), nil
}

type sumState struct {
	x, pred evalFn
	t       Type
	l       int64
	f       float64
	n       int64
}

func (s *sumState) add(r Row) int64 {
	if s.pred != nil && !toBool(s.pred(r)).isTrue() {
		return 0
	}
	v := s.x(r)
	switch v.k {
	case kLong, kTimeSpan:
		s.l += v.i
		s.f += float64(v.i)
	case kReal:
		s.f += v.real()
	default:
		return 0
	}
	s.n++
	return 0
}

func (s *sumState) result(out []Value) {
	switch s.t {
	case TypeLong:
		out[0] = Long(s.l)
	case TypeTimeSpan:
		out[0] = Value{k: kTimeSpan, i: s.l}
	default:
		out[0] = Real(s.f)
	}
}

func summable(c *call, a *cexpr) error {
	if !a.t.numeric() && a.t != TypeTimeSpan {
		hint := ""
		if a.t == TypeDynamic {
			hint = "; convert dynamic values with toreal() or tolong()"
		}
		return semanticErrorf(c.args[0].exprPos(), "%s() needs a number or timespan, not %s%s", c.name, a.t, hint)
	}
	return nil
}

func bindSum(_ *binder, c *call, args []*cexpr, _ *scope, _ map[int]bool) (*aggSpec, error) {
	if err := summable(c, args[0]); err != nil {
		return nil, err
	}
	var pred evalFn
	if c.name == "sumif" {
		if err := needBool(c, 1, args[1]); err != nil {
			return nil, err
		}
		pred = args[1].eval
	}
	x, t := args[0].eval, args[0].t
	return oneCol(t, func() aggState { return &sumState{x: x, pred: pred, t: t} }), nil
}

type avgState struct{ sumState }

func (s *avgState) result(out []Value) {
	if s.n == 0 {
		out[0] = Null()
		return
	}
	if s.t == TypeTimeSpan {
		out[0] = Value{k: kTimeSpan, i: int64(s.f / float64(s.n))}
		return
	}
	out[0] = Real(s.f / float64(s.n))
}

func bindAvg(_ *binder, c *call, args []*cexpr, _ *scope, _ map[int]bool) (*aggSpec, error) {
	if err := summable(c, args[0]); err != nil {
		return nil, err
	}
	var pred evalFn
	if c.name == "avgif" {
		if err := needBool(c, 1, args[1]); err != nil {
			return nil, err
		}
		pred = args[1].eval
	}
	x, t := args[0].eval, TypeReal
	if args[0].t == TypeTimeSpan {
		t = TypeTimeSpan
	}
	return oneCol(t, func() aggState { return &avgState{sumState{x: x, pred: pred, t: t}} }), nil
}

type minMaxState struct {
	x, pred evalFn
	dir     int
	best    Value
	t       Type
}

func (s *minMaxState) add(r Row) int64 {
	if s.pred != nil && !toBool(s.pred(r)).isTrue() {
		return 0
	}
	v := s.x(r)
	if isNullish(v) {
		return 0
	}
	if s.best.k == kNull || sortCompare(v, s.best)*s.dir > 0 {
		grow := sizeOf(v) - sizeOf(s.best)
		s.best = v
		return max(grow, 0)
	}
	return 0
}

func (s *minMaxState) result(out []Value) {
	if s.best.k == kNull {
		out[0] = nullOf(s.t)
		return
	}
	out[0] = s.best
}

func bindMinMax(dir int) func(*binder, *call, []*cexpr, *scope, map[int]bool) (*aggSpec, error) {
	return func(_ *binder, c *call, args []*cexpr, _ *scope, _ map[int]bool) (*aggSpec, error) {
		var pred evalFn
		if len(args) == 2 {
			if err := needBool(c, 1, args[1]); err != nil {
				return nil, err
			}
			pred = args[1].eval
		}
		if args[0].t == TypeBool {
			return nil, semanticErrorf(c.args[0].exprPos(), "%s() needs an orderable value, not bool", c.name)
		}
		x, t := args[0].eval, args[0].t
		return oneCol(t, func() aggState { return &minMaxState{x: x, pred: pred, dir: dir, t: t} }), nil
	}
}

type listState struct {
	x, pred evalFn
	set     bool
	max     int
	vals    []Value
	seen    map[string]struct{}
	buf     []byte
}

func (s *listState) add(r Row) int64 {
	if len(s.vals) >= s.max || (s.pred != nil && !toBool(s.pred(r)).isTrue()) {
		return 0
	}
	v := s.x(r)
	if v.k == kNull {
		return 0
	}
	grow := sizeOf(v)
	if s.set {
		s.buf = appendKey(s.buf[:0], v, false)
		if _, ok := s.seen[string(s.buf)]; ok {
			return 0
		}
		if s.seen == nil {
			s.seen = map[string]struct{}{}
		}
		s.seen[string(s.buf)] = struct{}{}
		grow += int64(len(s.buf)) + 48
	}
	s.vals = append(s.vals, v)
	return grow
}

func (s *listState) result(out []Value) { out[0] = Array(s.vals...) }

func bindMakeList(set, cond bool) func(*binder, *call, []*cexpr, *scope, map[int]bool) (*aggSpec, error) {
	return func(_ *binder, c *call, args []*cexpr, _ *scope, _ map[int]bool) (*aggSpec, error) {
		var pred evalFn
		sizeArg := 1
		if cond {
			if err := needBool(c, 1, args[1]); err != nil {
				return nil, err
			}
			pred, sizeArg = args[1].eval, 2
		}
		n, err := maxSizeArg(c, args, sizeArg)
		if err != nil {
			return nil, err
		}
		x := args[0].eval
		return oneCol(TypeDynamic, func() aggState { return &listState{x: x, pred: pred, set: set, max: n} }), nil
	}
}

// bagState merges property bags; the first value seen for a key is kept.
type bagState struct {
	x, pred evalFn
	max     int
	b       bagBuilder
	n       int
}

func (s *bagState) add(r Row) int64 {
	if s.pred != nil && !toBool(s.pred(r)).isTrue() {
		return 0
	}
	v := s.x(r)
	if v.k != kBag {
		return 0
	}
	var grow int64
	for i, k := range v.ref.keys {
		if s.n >= s.max {
			break
		}
		if s.b.c != nil {
			if _, ok := s.b.c.lookup(k); ok {
				continue
			}
		}
		s.b.set(k, v.ref.vals[i])
		s.n++
		grow += sizeOf(v.ref.vals[i]) + int64(len(k)) + 16
	}
	return grow
}

func (s *bagState) result(out []Value) { out[0] = s.b.value() }

func bindMakeBag(cond bool) func(*binder, *call, []*cexpr, *scope, map[int]bool) (*aggSpec, error) {
	return func(_ *binder, c *call, args []*cexpr, _ *scope, _ map[int]bool) (*aggSpec, error) {
		if args[0].t != TypeDynamic {
			return nil, semanticErrorf(c.args[0].exprPos(), "%s() takes dynamic property bags, not %s", c.name, args[0].t)
		}
		var pred evalFn
		sizeArg := 1
		if cond {
			if err := needBool(c, 1, args[1]); err != nil {
				return nil, err
			}
			pred, sizeArg = args[1].eval, 2
		}
		n, err := maxSizeArg(c, args, sizeArg)
		if err != nil {
			return nil, err
		}
		x := args[0].eval
		return oneCol(TypeDynamic, func() aggState { return &bagState{x: x, pred: pred, max: n} }), nil
	}
}

// argState keeps the values of the row where the first argument is
// largest (dir 1) or smallest (dir -1).
type argState struct {
	key   evalFn
	outs  []evalFn
	dir   int
	best  Value
	vals  []Value
	found bool
	size  int64
}

func (s *argState) add(r Row) int64 {
	k := s.key(r)
	if isNullish(k) {
		return 0
	}
	if s.found && sortCompare(k, s.best)*s.dir <= 0 {
		return 0
	}
	s.found = true
	s.best = k
	if s.vals == nil {
		s.vals = make([]Value, len(s.outs))
	}
	var size int64
	for i, o := range s.outs {
		s.vals[i] = o(r)
		size += sizeOf(s.vals[i])
	}
	grow := size - s.size
	s.size = size
	return max(grow, 0)
}

func (s *argState) result(out []Value) {
	copy(out, s.vals)
}

func bindArgMinMax(dir int) func(*binder, *call, []*cexpr, *scope, map[int]bool) (*aggSpec, error) {
	prefix := "max"
	if dir < 0 {
		prefix = "min"
	}
	return func(b *binder, c *call, args []*cexpr, in *scope, byCols map[int]bool) (*aggSpec, error) {
		if args[0].t == TypeBool || args[0].t == TypeDynamic {
			return nil, semanticErrorf(c.args[0].exprPos(), "%s(): the first argument must be orderable, not %s", c.name, args[0].t)
		}
		spec := &aggSpec{}
		var outs []evalFn
		added := map[int]bool{}
		anyStar := false
		for _, a := range c.args {
			if _, ok := a.(*star); ok {
				anyStar = true
			}
		}
		primary := b.inferName(c.args[0])
		for i, a := range c.args {
			if _, ok := a.(*star); ok {
				for j, col := range in.cols {
					if anyStar && i > 0 && (added[j] || byCols[j]) {
						continue
					}
					added[j] = true
					spec.cols = append(spec.cols, col)
					spec.declared = append(spec.declared, false)
					jj := j
					outs = append(outs, func(r Row) Value { return r[jj] })
				}
				continue
			}
			ce := args[i]
			if ce.col >= 0 {
				if anyStar && i > 0 && (added[ce.col] || byCols[ce.col]) {
					continue
				}
				added[ce.col] = true
				spec.cols = append(spec.cols, in.cols[ce.col])
				spec.declared = append(spec.declared, false)
				outs = append(outs, ce.eval)
				continue
			}
			name := b.inferName(a)
			if name == "" {
				if i == 0 {
					name = prefix + "_"
				} else {
					name = prefix + "_" + primary + "_arg" + strconv.Itoa(i)
				}
			}
			spec.cols = append(spec.cols, Column{Name: name, Type: ce.t})
			spec.declared = append(spec.declared, false)
			outs = append(outs, ce.eval)
		}
		key := args[0].eval
		spec.newState = func() aggState { return &argState{key: key, outs: outs, dir: dir} }
		return spec, nil
	}
}

type anyState struct {
	x     evalFn
	v     Value
	found bool
}

func (s *anyState) add(r Row) int64 {
	if s.found {
		return 0
	}
	v := s.x(r)
	if v.k == kNull {
		return 0
	}
	s.v, s.found = v, true
	return sizeOf(v)
}
func (s *anyState) result(out []Value) { out[0] = s.v }

func bindTakeAny(b *binder, c *call, args []*cexpr, in *scope, _ map[int]bool) (*aggSpec, error) {
	if _, ok := c.args[0].(*star); ok {
		return nil, semanticErrorf(c.pos, "%s(*) is not supported; name the columns", c.name)
	}
	name := b.inferName(c.args[0])
	if name == "" {
		name = "any_arg0"
	}
	x, t := args[0].eval, args[0].t
	return &aggSpec{cols: []Column{{Name: name, Type: t}}, declared: []bool{false}, newState: func() aggState {
		return &anyState{x: x, v: nullOf(t)}
	}}, nil
}
