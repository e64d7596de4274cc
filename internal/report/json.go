package report

import (
	"bytes"
	"io"

	"github.com/drydock/drydock/internal/finding"
)

// NewJSON returns the handler of the canonical format: the report as one
// JSON document (schema drydock.report/v1), indented by two spaces, with a
// trailing newline. Decode reads it back.
func NewJSON(w io.Writer) Handler { return &jsonHandler{w: w} }

type jsonHandler struct {
	collector
	w io.Writer
}

func (h *jsonHandler) Flush() error {
	return h.flush("json", func(r *finding.Report) error {
		b, err := r.MarshalJSON()
		if err != nil {
			return err
		}
		out := indent(make([]byte, 0, len(b)+len(b)/2), b)
		_, err = h.w.Write(append(out, '\n'))
		return err
	})
}

// indent appends src, compact JSON that encoding/json wrote, to dst as
// json.Indent(dst, src, "", "  ") would, and as an Encoder with that
// indentation writes it: a member or element a line, "{}" and "[]" for
// empty ones. Unlike json.Indent it trusts src to be valid, and so does
// not run the JSON scanner over it: that was as long as encoding the
// report (10 ms for one of 900 KB). FuzzIndent holds it to json.Indent.
func indent(dst, src []byte) []byte {
	depth := 0
	opened := false // after '{' or '[': a newline unless it closes at once
	for i := 0; i < len(src); i++ {
		c := src[i]
		if opened {
			opened = false
			if c == '}' || c == ']' {
				depth--
				dst = append(dst, c)
				continue
			}
			dst = newline(dst, depth)
		}
		switch c {
		case '"':
			end := stringEnd(src, i)
			dst = append(dst, src[i:end]...)
			i = end - 1
		case '{', '[':
			depth++
			opened = true
			dst = append(dst, c)
		case ',':
			dst = newline(append(dst, c), depth)
		case ':':
			dst = append(dst, ':', ' ')
		case '}', ']':
			depth--
			dst = append(newline(dst, depth), c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// stringEnd returns the index just past the string that starts with the
// quote at src[i] (len(src) when it does not end).
func stringEnd(src []byte, i int) int {
	for j := i + 1; j < len(src); {
		k := bytes.IndexAny(src[j:], `"\`)
		if k < 0 {
			break
		}
		j += k
		if src[j] == '"' {
			return j + 1
		}
		j += 2 // an escape and the byte it escapes
	}
	return len(src)
}

// newline appends a line break and depth levels of indentation.
func newline(dst []byte, depth int) []byte {
	dst = append(dst, '\n')
	for range depth {
		dst = append(dst, ' ', ' ')
	}
	return dst
}
