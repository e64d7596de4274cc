package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/drydock/drydock/internal/finding"
)

// ErrUnsupportedSchema is returned by Decode for a document that is not a
// drydock.report/v1 report.
var ErrUnsupportedSchema = errors.New("report: unsupported schema")

// Decode reads one canonical JSON report (schema drydock.report/v1).
// Unknown fields are ignored, so reports written by newer versions that
// only added fields still decode.
func Decode(r io.Reader) (*finding.Report, error) {
	var rep finding.Report
	d := json.NewDecoder(r)
	if err := d.Decode(&rep); err != nil {
		return nil, fmt.Errorf("report: decode: %w", err)
	}
	if rep.Schema != finding.SchemaV1 {
		return nil, fmt.Errorf("%w: %q (want %q)", ErrUnsupportedSchema, rep.Schema, finding.SchemaV1)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("report: decode: trailing data after the report")
	}
	return &rep, nil
}

// Replay sends a whole report to h, in the order a scan does (packages,
// findings, report-level fields) and flushes it. Replaying stored JSON into
// any handler converts it to that handler's format.
func Replay(ctx context.Context, r *finding.Report, h Handler) error {
	for i := range r.Packages {
		if err := h.Package(ctx, &r.Packages[i]); err != nil {
			return fmt.Errorf("report: replay package %s: %w", r.Packages[i].Name, err)
		}
	}
	for i := range r.Findings {
		if err := h.Finding(ctx, &r.Findings[i]); err != nil {
			return fmt.Errorf("report: replay finding %s: %w", r.Findings[i].ID, err)
		}
	}
	if err := h.Report(ctx, r); err != nil {
		return fmt.Errorf("report: replay: %w", err)
	}
	return h.Flush()
}
