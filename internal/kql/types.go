package kql

import "strings"

// Type is the static type of a column or expression, one of Kusto's scalar
// types. The zero value is [TypeDynamic].
//
// Kusto's int, decimal and guid types are not separate here: int is long
// (toint still truncates to 32 bits), decimal is real and guid is string.
type Type uint8

// The scalar types. Their String forms are the Kusto type names used in
// results: "dynamic", "bool", "long", "real", "string", "datetime",
// "timespan".
const (
	TypeDynamic Type = iota
	TypeBool
	TypeLong
	TypeReal
	TypeString
	TypeDateTime
	TypeTimeSpan
)

var typeNames = [...]string{
	TypeDynamic:  "dynamic",
	TypeBool:     "bool",
	TypeLong:     "long",
	TypeReal:     "real",
	TypeString:   "string",
	TypeDateTime: "datetime",
	TypeTimeSpan: "timespan",
}

// String returns the Kusto name of t.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "unknown"
}

// ParseType returns the type named s (case-insensitive), accepting Kusto's
// aliases: boolean, int, double, decimal, date, time, guid.
func ParseType(s string) (Type, bool) {
	switch strings.ToLower(s) {
	case "dynamic":
		return TypeDynamic, true
	case "bool", "boolean":
		return TypeBool, true
	case "long", "int":
		return TypeLong, true
	case "real", "double", "decimal":
		return TypeReal, true
	case "string", "guid":
		return TypeString, true
	case "datetime", "date":
		return TypeDateTime, true
	case "timespan", "time":
		return TypeTimeSpan, true
	}
	return 0, false
}

// numeric reports whether t is long or real.
func (t Type) numeric() bool { return t == TypeLong || t == TypeReal }

// Column is a named, typed column of a table or result.
type Column struct {
	Name string `json:"name"`
	Type Type   `json:"type"`
}

// MarshalText renders t as its Kusto name (JSON: "string", "long", ...).
func (t Type) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText parses a Kusto type name.
func (t *Type) UnmarshalText(b []byte) error {
	v, ok := ParseType(string(b))
	if !ok {
		return &typeNameError{string(b)}
	}
	*t = v
	return nil
}

type typeNameError struct{ name string }

func (e *typeNameError) Error() string { return "kql: unknown type name " + quote(e.name) }
