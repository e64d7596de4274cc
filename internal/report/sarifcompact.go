package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// sarifMinusOne are the SARIF 2.1.0 properties whose default is -1 (their
// schema says so): an index, offset, id or rank of -1 means "not given".
var sarifMinusOne = map[string]bool{
	"absoluteAddress": true, "byteOffset": true, "charOffset": true,
	"executionOrder": true, "id": true, "index": true, "invocationIndex": true,
	"itemCount": true, "length": true, "parentIndex": true, "rank": true,
	"resultGraphIndex": true, "ruleIndex": true, "runGraphIndex": true,
}

// compactSARIF rewrites go-sarif's output without the values SARIF 2.1.0
// defines as defaults, which the library writes out in full: empty arrays
// and objects, and -1 for the properties in sarifMinusOne. A reader takes
// an absent property for its default, so the log says the same with a
// fifth fewer bytes and a third fewer lines a result. A run's "results"
// stays even when empty: SARIF reads an empty results array as "no
// results" and an absent one as "the tool produced none" (it did not
// run). Key order and everything else is kept; the output is indented
// like go-sarif's.
func compactSARIF(src []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	v, err := readOrdered(dec)
	if err != nil {
		return nil, fmt.Errorf("sarif: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("sarif: trailing data after the log")
	}
	v, _ = pruneSARIF("", v)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("sarif: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// orderedObject is a JSON object that keeps its keys' order.
type orderedObject []member

type member struct {
	key string
	val any
}

func (o orderedObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(m.key)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(m.val)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// readOrdered reads one JSON value: objects as orderedObject, arrays as
// []any, numbers as json.Number, the rest as encoding/json does.
func readOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := orderedObject{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key %v is not a string", kt)
				}
				v, err := readOrdered(dec)
				if err != nil {
					return nil, err
				}
				obj = append(obj, member{k, v})
			}
			_, err := dec.Token() // '}'
			return obj, err
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := readOrdered(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token() // ']'
			return arr, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	}
	return tok, nil
}

// pruneSARIF drops defaults from v, the value of property key; keep is
// false when v itself is a default its parent should leave out.
func pruneSARIF(key string, v any) (_ any, keep bool) {
	switch t := v.(type) {
	case orderedObject:
		out := t[:0]
		for _, m := range t {
			if val, ok := pruneSARIF(m.key, m.val); ok {
				out = append(out, member{m.key, val})
			}
		}
		return out, len(out) > 0
	case []any:
		for i, e := range t {
			t[i], _ = pruneSARIF("", e) // elements stay, even if empty
		}
		return t, len(t) > 0 || key == "results"
	case json.Number:
		return t, !(sarifMinusOne[key] && t.String() == "-1")
	}
	return v, true
}
