package kql

import (
	"math"
	"time"
)

// kind is the run-time shape of a [Value].
type kind uint8

const (
	kNull kind = iota
	kBool
	kLong
	kReal
	kString
	kDateTime
	kTimeSpan
	kArray
	kBag
)

// Value is one cell: a scalar of one of the Kusto types, null, or a dynamic
// array or property bag. Values are immutable; copying one is cheap and
// shares any array or bag it holds.
//
// Dynamic scalars are represented like typed scalars (a dynamic holding the
// string "x" is the same Value as the string "x"); the static [Type] of the
// column or expression says which it is. A string column never holds null:
// Kusto strings have no null, the empty string plays that role.
type Value struct {
	s   string     // kString
	i   int64      // kBool (0/1), kLong, kReal (IEEE bits), kDateTime and kTimeSpan (100 ns ticks)
	ref *composite // kArray, kBag
	k   kind
}

// composite holds the elements of a dynamic array or the entries of a
// property bag. Bags keep their insertion order, so that values decoded from
// JSON render back with their keys in the same order.
type composite struct {
	arr  []Value        // kArray
	keys []string       // kBag, insertion order
	vals []Value        // kBag, parallel to keys
	idx  map[string]int // kBag with more than bagIndexMin keys
	size int64          // approximate bytes held, children included
}

// bagIndexMin is the bag size from which lookups use a map; below it a
// linear scan is faster (most lookups fail on the length or first byte).
const bagIndexMin = 32

// valueSize is the accounted size of the Value struct itself.
const valueSize = 40

// Null returns the null value.
func Null() Value { return Value{} }

// Bool returns a bool value.
func Bool(b bool) Value {
	if b {
		return Value{k: kBool, i: 1}
	}
	return Value{k: kBool}
}

// Long returns a long value.
func Long(i int64) Value { return Value{k: kLong, i: i} }

// Real returns a real value.
func Real(f float64) Value { return Value{k: kReal, i: int64(math.Float64bits(f))} }

// String returns a string value.
func String(s string) Value { return Value{k: kString, s: s} }

// DateTime returns a datetime value (UTC, 100 ns precision like Kusto).
func DateTime(t time.Time) Value { return Value{k: kDateTime, i: timeToTicks(t)} }

// TimeSpan returns a timespan value (100 ns precision like Kusto).
func TimeSpan(d time.Duration) Value { return Value{k: kTimeSpan, i: int64(d / 100)} }

// Array returns a dynamic array of vs (the slice is kept, not copied).
func Array(vs ...Value) Value {
	c := &composite{arr: vs, size: 64}
	for _, v := range vs {
		c.size += sizeOf(v)
	}
	return Value{k: kArray, ref: c}
}

// Bag returns a dynamic property bag with the given keys and values in
// order. A repeated key keeps its first position and its last value.
func Bag(keys []string, vals []Value) Value {
	var b bagBuilder
	for i, k := range keys {
		var v Value
		if i < len(vals) {
			v = vals[i]
		}
		b.set(k, v)
	}
	return b.value()
}

// bagBuilder builds a property bag.
type bagBuilder struct{ c *composite }

func (b *bagBuilder) set(k string, v Value) {
	if b.c == nil {
		b.c = &composite{size: 64}
	}
	c := b.c
	if i, ok := c.lookup(k); ok {
		c.size += sizeOf(v) - sizeOf(c.vals[i])
		c.vals[i] = v
		return
	}
	c.keys = append(c.keys, k)
	c.vals = append(c.vals, v)
	c.size += sizeOf(v) + int64(len(k)) + 16
	if c.idx != nil {
		c.idx[k] = len(c.keys) - 1
	} else if len(c.keys) > bagIndexMin {
		c.idx = make(map[string]int, len(c.keys)*2)
		for i, key := range c.keys {
			if _, dup := c.idx[key]; !dup {
				c.idx[key] = i
			}
		}
	}
}

func (b *bagBuilder) value() Value {
	if b.c == nil {
		b.c = &composite{size: 64}
	}
	return Value{k: kBag, ref: b.c}
}

// lookup finds key in a bag.
func (c *composite) lookup(key string) (int, bool) {
	if c.idx != nil {
		i, ok := c.idx[key]
		return i, ok
	}
	for i, k := range c.keys {
		if k == key {
			return i, true
		}
	}
	return 0, false
}

// sizeOf is the approximate number of bytes v holds.
func sizeOf(v Value) int64 {
	n := int64(valueSize + len(v.s))
	if v.ref != nil {
		n += v.ref.size
	}
	return n
}

// rowSize is the approximate number of bytes a row holds.
func rowSize(r Row) int64 {
	n := int64(24)
	for _, v := range r {
		n += sizeOf(v)
	}
	return n
}

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.k == kNull }

func (v Value) real() float64 { return math.Float64frombits(uint64(v.i)) }

func (v Value) isTrue() bool { return v.k == kBool && v.i != 0 }

// Interface returns v as a Go value: nil, bool, int64, float64, string,
// time.Time (UTC), time.Duration, []any or map[string]any.
func (v Value) Interface() any {
	switch v.k {
	case kBool:
		return v.i != 0
	case kLong:
		return v.i
	case kReal:
		return v.real()
	case kString:
		return v.s
	case kDateTime:
		return ticksToTime(v.i)
	case kTimeSpan:
		return time.Duration(v.i) * 100
	case kArray:
		out := make([]any, len(v.ref.arr))
		for i, e := range v.ref.arr {
			out[i] = e.Interface()
		}
		return out
	case kBag:
		out := make(map[string]any, len(v.ref.keys))
		for i, k := range v.ref.keys {
			out[k] = v.ref.vals[i].Interface()
		}
		return out
	}
	return nil
}

// String renders v the way tostring() does.
func (v Value) String() string { return renderString(v) }

// nullOf is the missing value of a column of type t: the empty string for
// strings (which have no null), null otherwise.
func nullOf(t Type) Value {
	if t == TypeString {
		return String("")
	}
	return Null()
}

// Row is one row of a table: one Value per column, in column order.
// Rows handed between operators are read-only: nobody modifies a row after
// giving it away, so rows may be kept without copying.
type Row []Value
