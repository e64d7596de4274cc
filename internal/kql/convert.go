package kql

import (
	"math"
	"strconv"
	"strings"
)

// Conversions between types, as the to*() functions do them. A value that
// cannot be converted becomes null (the empty string for tostring), never an
// error: Kusto's conversion functions do not fail queries.

// netEpochTicks is the .NET tick count of 1970-01-01 (ticks from 0001-01-01);
// tolong(datetime) returns .NET ticks like Kusto does.
const netEpochTicks = 621355968000000000

// toStringValue is v as a string, in a query: an array or bag of more
// than maxValueBytes fails it (valueLimit), as its JSON text would be
// built from references to values the query may have made large.
func toStringValue(v Value) string {
	if v.ref != nil {
		needValue("tostring", sizeOf(v)) // about the size of its JSON text
	}
	return renderString(v)
}

// renderString is v as a string (its JSON text for an array or bag), with
// no bound: for rendering a result, outside a running query.
func renderString(v Value) string {
	switch v.k {
	case kNull:
		return ""
	case kString:
		return v.s
	case kBool:
		if v.i != 0 {
			return "true"
		}
		return "false"
	case kLong:
		return strconv.FormatInt(v.i, 10)
	case kReal:
		f := v.real()
		switch {
		case math.IsNaN(f):
			return "NaN"
		case math.IsInf(f, 1):
			return "Infinity"
		case math.IsInf(f, -1):
			return "-Infinity"
		}
		return string(appendFloat(nil, f))
	case kDateTime:
		return formatDateTime(v.i)
	case kTimeSpan:
		return formatTimeSpan(v.i)
	}
	return string(appendJSON(nil, v)) // arrays and bags: their JSON text
}

func toLong(v Value) Value {
	switch v.k {
	case kLong:
		return v
	case kBool:
		return Long(v.i)
	case kReal:
		return realToLong(v.real())
	case kString:
		s := strings.TrimSpace(v.s)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return Long(n)
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return realToLong(f)
		}
	case kDateTime:
		return Long(v.i + netEpochTicks)
	case kTimeSpan:
		return Long(v.i)
	}
	return Null()
}

func realToLong(f float64) Value {
	if math.IsNaN(f) || f >= 9.223372036854775807e18 || f < -9.223372036854775808e18 {
		return Null()
	}
	return Long(int64(f))
}

// toInt converts like toint(): a long truncated to 32 bits, null when out
// of range.
func toInt(v Value) Value {
	l := toLong(v)
	if l.k == kLong && (l.i > math.MaxInt32 || l.i < math.MinInt32) {
		return Null()
	}
	return l
}

func toReal(v Value) Value {
	switch v.k {
	case kReal:
		return v
	case kLong, kBool:
		return Real(float64(v.i))
	case kString:
		s := strings.TrimSpace(v.s)
		switch strings.ToLower(s) {
		case "nan":
			return Real(math.NaN())
		case "inf", "+inf", "infinity", "+infinity":
			return Real(math.Inf(1))
		case "-inf", "-infinity":
			return Real(math.Inf(-1))
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return Real(f)
		}
	case kTimeSpan:
		return Real(float64(v.i))
	case kDateTime:
		return Real(float64(v.i + netEpochTicks))
	}
	return Null()
}

func toBool(v Value) Value {
	switch v.k {
	case kBool:
		return v
	case kLong:
		return Bool(v.i != 0)
	case kReal:
		f := v.real()
		if math.IsNaN(f) {
			return Null()
		}
		return Bool(f != 0)
	case kString:
		switch strings.ToLower(strings.TrimSpace(v.s)) {
		case "true", "1":
			return Bool(true)
		case "false", "0":
			return Bool(false)
		}
	}
	return Null()
}

func toDateTime(v Value) Value {
	switch v.k {
	case kDateTime:
		return v
	case kString:
		if t, ok := parseDateTime(v.s); ok {
			return Value{k: kDateTime, i: t}
		}
	}
	return Null()
}

func toTimeSpan(v Value) Value {
	switch v.k {
	case kTimeSpan:
		return v
	case kString:
		if t, ok := parseTimeSpan(v.s); ok {
			return Value{k: kTimeSpan, i: t}
		}
	}
	return Null()
}

// toDynamic converts like todynamic()/parse_json(): a string holding JSON
// is parsed; a string that is not JSON stays a (dynamic) string; anything
// else is kept.
func toDynamic(v Value) Value {
	if v.k != kString {
		return v
	}
	d, err := FromJSON([]byte(v.s))
	if err != nil {
		return v
	}
	return d
}

// converter returns the conversion of any value to type t (dynamic keeps
// the value as it is).
func converter(t Type) func(Value) Value {
	switch t {
	case TypeString:
		return func(v Value) Value { return String(toStringValue(v)) }
	case TypeLong:
		return toLong
	case TypeReal:
		return toReal
	case TypeBool:
		return toBool
	case TypeDateTime:
		return toDateTime
	case TypeTimeSpan:
		return toTimeSpan
	}
	return func(v Value) Value { return v }
}

// cast keeps v when its run-time kind already is t and gives null
// otherwise (mv-expand ... to typeof(t) only casts, it does not parse).
// Longs are accepted where reals are expected.
func cast(v Value, t Type) Value {
	switch t {
	case TypeDynamic:
		return v
	case TypeString:
		if v.k == kString {
			return v
		}
		if v.k == kNull {
			return String("")
		}
		return String(toStringValue(v)) // Kusto renders non-strings as their text
	case TypeLong:
		if v.k == kLong {
			return v
		}
	case TypeReal:
		if v.k == kReal {
			return v
		}
		if v.k == kLong {
			return Real(float64(v.i))
		}
	case TypeBool:
		if v.k == kBool {
			return v
		}
	case TypeDateTime:
		if v.k == kDateTime {
			return v
		}
		if v.k == kString {
			return toDateTime(v)
		}
	case TypeTimeSpan:
		if v.k == kTimeSpan {
			return v
		}
		if v.k == kString {
			return toTimeSpan(v)
		}
	}
	return Null()
}

// kindType is the natural static type of a run-time value.
func kindType(v Value) Type {
	switch v.k {
	case kBool:
		return TypeBool
	case kLong:
		return TypeLong
	case kReal:
		return TypeReal
	case kString:
		return TypeString
	case kDateTime:
		return TypeDateTime
	case kTimeSpan:
		return TypeTimeSpan
	}
	return TypeDynamic
}
