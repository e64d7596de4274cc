package kql

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONDepth bounds the nesting of decoded JSON.
const maxJSONDepth = 512

// errJSON is wrapped by every JSON decoding error.
var errJSON = errors.New("invalid JSON")

// FromJSON decodes JSON into a dynamic value. Objects become property bags
// that keep their key order, integers that fit become longs and other
// numbers reals.
func FromJSON(data []byte) (Value, error) {
	d := &jsonDecoder{b: data}
	d.space()
	v, err := d.value(0)
	if err != nil {
		return Value{}, err
	}
	d.space()
	if d.i != len(d.b) {
		return Value{}, d.errorf("unexpected data after the value")
	}
	return v, nil
}

// Dynamic converts a Go value to a dynamic value by way of its JSON
// encoding (so struct field order and json tags are kept). time.Time values
// become strings, as in JSON.
func Dynamic(v any) (Value, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Value{}, fmt.Errorf("kql: dynamic: %w", err)
	}
	return FromJSON(b)
}

type jsonDecoder struct {
	b []byte
	i int
}

func (d *jsonDecoder) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", errJSON, d.i, fmt.Sprintf(format, args...))
}

func (d *jsonDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value(depth int) (Value, error) {
	if depth > maxJSONDepth {
		return Value{}, d.errorf("nested too deeply")
	}
	if d.i >= len(d.b) {
		return Value{}, d.errorf("unexpected end of input")
	}
	switch c := d.b[d.i]; {
	case c == '{':
		d.i++
		var bb bagBuilder
		d.space()
		if d.i < len(d.b) && d.b[d.i] == '}' {
			d.i++
			return bb.value(), nil
		}
		for {
			d.space()
			if d.i >= len(d.b) || d.b[d.i] != '"' {
				return Value{}, d.errorf("expected a string key")
			}
			k, err := d.str()
			if err != nil {
				return Value{}, err
			}
			d.space()
			if d.i >= len(d.b) || d.b[d.i] != ':' {
				return Value{}, d.errorf("expected ':'")
			}
			d.i++
			d.space()
			v, err := d.value(depth + 1)
			if err != nil {
				return Value{}, err
			}
			bb.set(k, v)
			d.space()
			if d.i < len(d.b) && d.b[d.i] == ',' {
				d.i++
				continue
			}
			if d.i < len(d.b) && d.b[d.i] == '}' {
				d.i++
				return bb.value(), nil
			}
			return Value{}, d.errorf("expected ',' or '}'")
		}
	case c == '[':
		d.i++
		var vs []Value
		d.space()
		if d.i < len(d.b) && d.b[d.i] == ']' {
			d.i++
			return Array(vs...), nil
		}
		for {
			d.space()
			v, err := d.value(depth + 1)
			if err != nil {
				return Value{}, err
			}
			vs = append(vs, v)
			d.space()
			if d.i < len(d.b) && d.b[d.i] == ',' {
				d.i++
				continue
			}
			if d.i < len(d.b) && d.b[d.i] == ']' {
				d.i++
				return Array(vs...), nil
			}
			return Value{}, d.errorf("expected ',' or ']'")
		}
	case c == '"':
		s, err := d.str()
		if err != nil {
			return Value{}, err
		}
		return String(s), nil
	case c == 't':
		return d.word("true", Bool(true))
	case c == 'f':
		return d.word("false", Bool(false))
	case c == 'n':
		return d.word("null", Null())
	case c == '-' || isDigit(c):
		return d.number()
	}
	return Value{}, d.errorf("unexpected character %q", d.b[d.i])
}

func (d *jsonDecoder) word(w string, v Value) (Value, error) {
	if len(d.b)-d.i >= len(w) && string(d.b[d.i:d.i+len(w)]) == w {
		d.i += len(w)
		return v, nil
	}
	return Value{}, d.errorf("invalid literal")
}

func (d *jsonDecoder) number() (Value, error) {
	start := d.i
	if d.b[d.i] == '-' {
		d.i++
	}
	isInt := true
	for d.i < len(d.b) {
		c := d.b[d.i]
		if isDigit(c) {
			d.i++
			continue
		}
		if c == '.' || c == 'e' || c == 'E' || ((c == '+' || c == '-') && (d.b[d.i-1] == 'e' || d.b[d.i-1] == 'E')) {
			isInt = false
			d.i++
			continue
		}
		break
	}
	text := string(d.b[start:d.i])
	if isInt {
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return Long(n), nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return Value{}, d.errorf("invalid number %q", text)
	}
	return Real(f), nil
}

// str decodes a JSON string starting at the opening quote.
func (d *jsonDecoder) str() (string, error) {
	d.i++ // opening quote
	start := d.i
	for d.i < len(d.b) && d.b[d.i] != '"' && d.b[d.i] != '\\' && d.b[d.i] >= 0x20 {
		d.i++
	}
	if d.i < len(d.b) && d.b[d.i] == '"' { // fast path: no escapes
		s := string(d.b[start:d.i])
		d.i++
		return s, nil
	}
	out := append([]byte(nil), d.b[start:d.i]...)
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return string(out), nil
		case c < 0x20:
			return "", d.errorf("control character in string")
		case c == '\\':
			if d.i+1 >= len(d.b) {
				return "", d.errorf("unterminated escape")
			}
			e := d.b[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, e)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := d.hex4()
				if !ok {
					return "", d.errorf("invalid \\u escape")
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
						save := d.i
						d.i += 2
						if x, ok := d.hex4(); ok {
							r2 = x
						} else {
							d.i = save
						}
					}
					r = utf16.DecodeRune(r, r2)
				}
				out = utf8.AppendRune(out, r)
			default:
				return "", d.errorf("invalid escape \\%c", e)
			}
		default:
			out = append(out, c)
			d.i++
		}
	}
	return "", d.errorf("unterminated string")
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if len(d.b)-d.i < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(d.b[d.i:d.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	d.i += 4
	return rune(n), true
}

// appendJSON appends the JSON form of v: datetimes and timespans as
// strings, non-finite reals as the strings "NaN", "Infinity", "-Infinity".
func appendJSON(b []byte, v Value) []byte {
	switch v.k {
	case kNull:
		return append(b, "null"...)
	case kBool:
		if v.i != 0 {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case kLong:
		return strconv.AppendInt(b, v.i, 10)
	case kReal:
		f := v.real()
		switch {
		case math.IsNaN(f):
			return append(b, `"NaN"`...)
		case math.IsInf(f, 1):
			return append(b, `"Infinity"`...)
		case math.IsInf(f, -1):
			return append(b, `"-Infinity"`...)
		}
		return appendFloat(b, f)
	case kString:
		return appendJSONString(b, v.s)
	case kDateTime:
		return appendJSONString(b, formatDateTime(v.i))
	case kTimeSpan:
		return appendJSONString(b, formatTimeSpan(v.i))
	case kArray:
		b = append(b, '[')
		for i, e := range v.ref.arr {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, e)
		}
		return append(b, ']')
	case kBag:
		b = append(b, '{')
		for i, k := range v.ref.keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSON(b, v.ref.vals[i])
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

// appendFloat formats like encoding/json (and JavaScript): plain decimal
// notation for ordinary magnitudes, exponent otherwise.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD;
// HTML characters are not escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// MarshalJSON renders v as JSON (see the package documentation for the
// forms of datetimes, timespans and special reals).
func (v Value) MarshalJSON() ([]byte, error) { return appendJSON(nil, v), nil }

// quote returns s as a double-quoted string for messages.
func quote(s string) string { return string(appendJSONString(nil, s)) }
