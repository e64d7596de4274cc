package report

import (
	"encoding/json"
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
		e := json.NewEncoder(h.w)
		e.SetEscapeHTML(false)
		e.SetIndent("", "  ")
		return e.Encode(r)
	})
}
