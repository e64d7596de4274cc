package kql

import (
	"cmp"
	"encoding/binary"
	"math"
	"strings"
)

// compareValues orders two non-null values. ok is false when they cannot be
// ordered (different kinds, arrays, bags, NaN). Longs and reals compare
// numerically; strings ordinally.
func compareValues(a, b Value) (c int, ok bool) {
	if a.k == b.k {
		switch a.k {
		case kLong, kDateTime, kTimeSpan, kBool:
			return cmp.Compare(a.i, b.i), true
		case kString:
			return strings.Compare(a.s, b.s), true
		case kReal:
			x, y := a.real(), b.real()
			if math.IsNaN(x) || math.IsNaN(y) {
				return 0, false
			}
			return cmp.Compare(x, y), true
		}
		return 0, false
	}
	if (a.k == kLong || a.k == kReal) && (b.k == kLong || b.k == kReal) {
		x, y := toReal(a).real(), toReal(b).real()
		if math.IsNaN(x) || math.IsNaN(y) {
			return 0, false
		}
		return cmp.Compare(x, y), true
	}
	return 0, false
}

// equalValues reports whether two non-null values are equal: numerically
// for numbers, deeply for arrays and bags.
func equalValues(a, b Value) bool {
	if a.k == kArray || a.k == kBag || b.k == kArray || b.k == kBag {
		return deepEqual(a, b)
	}
	c, ok := compareValues(a, b)
	return ok && c == 0
}

func deepEqual(a, b Value) bool {
	if a.k != b.k {
		// An array or bag equals only one of its own kind; scalars of
		// different kinds compare as values (a long and a real).
		if a.k == kNull || b.k == kNull || a.k == kArray || a.k == kBag || b.k == kArray || b.k == kBag {
			return false
		}
		c, ok := compareValues(a, b)
		return ok && c == 0
	}
	switch a.k {
	case kNull:
		return true
	case kArray:
		if len(a.ref.arr) != len(b.ref.arr) {
			return false
		}
		for i := range a.ref.arr {
			if !deepEqual(a.ref.arr[i], b.ref.arr[i]) {
				return false
			}
		}
		return true
	case kBag:
		if len(a.ref.keys) != len(b.ref.keys) {
			return false
		}
		for i, k := range a.ref.keys {
			j, ok := b.ref.lookup(k)
			if !ok || !deepEqual(a.ref.vals[i], b.ref.vals[j]) {
				return false
			}
		}
		return true
	}
	return equalValues(a, b)
}

// kindRank orders kinds for sorting mixed dynamic values.
var kindRank = [...]int{kNull: 0, kBool: 1, kLong: 2, kReal: 2, kDateTime: 3, kTimeSpan: 4, kString: 5, kArray: 6, kBag: 7}

// sortCompare is a total order over non-null values for sorting; values of
// different kinds are ordered by kind, arrays and bags by their JSON text.
func sortCompare(a, b Value) int {
	if c, ok := compareValues(a, b); ok {
		return c
	}
	if ra, rb := kindRank[a.k], kindRank[b.k]; ra != rb {
		return cmp.Compare(ra, rb)
	}
	if a.k == kReal || b.k == kReal { // NaN among numbers: NaN first
		an, bn := a.k == kReal && math.IsNaN(a.real()), b.k == kReal && math.IsNaN(b.real())
		switch {
		case an && bn:
			return 0
		case an:
			return -1
		case bn:
			return 1
		}
	}
	return strings.Compare(toStringValue(a), toStringValue(b))
}

// isNullish is true for null and NaN, which sort together (nulls first or
// last) as in Kusto.
func isNullish(v Value) bool {
	return v.k == kNull || (v.k == kReal && math.IsNaN(v.real()))
}

// appendKey appends an encoding of v that is equal for equal values of the
// same kind; it keys hash tables (summarize, distinct, join, dcount,
// make_set). fold lower-cases strings (for in~).
func appendKey(b []byte, v Value, fold bool) []byte {
	b = append(b, byte(v.k))
	switch v.k {
	case kBool, kLong, kDateTime, kTimeSpan:
		b = binary.LittleEndian.AppendUint64(b, uint64(v.i))
	case kReal:
		f := v.real()
		if f == 0 {
			f = 0 // -0 == 0
		}
		if math.IsNaN(f) {
			f = math.NaN()
		}
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	case kString:
		s := v.s
		if fold {
			s = strings.ToLower(s)
		}
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	case kArray:
		b = binary.AppendUvarint(b, uint64(len(v.ref.arr)))
		for _, e := range v.ref.arr {
			b = appendKey(b, e, fold)
		}
	case kBag:
		b = binary.AppendUvarint(b, uint64(len(v.ref.keys)))
		for i, k := range v.ref.keys {
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
			b = appendKey(b, v.ref.vals[i], fold)
		}
	}
	return b
}
