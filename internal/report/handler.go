package report

import (
	"context"
	"errors"
	"fmt"

	"github.com/drydock/drydock/internal/finding"
)

// Handler receives the results of one scan and writes them in one format.
//
// Calls come from one goroutine: any number of Package and Finding calls,
// in any order, and exactly one Report call, then one Flush. A handler
// keeps its own copy of what it is given; the caller may reuse its values
// after each call returns.
type Handler interface {
	// Package adds one package of the inventory.
	Package(ctx context.Context, p *finding.Package) error
	// Finding adds one finding, silenced ones included.
	Finding(ctx context.Context, f *finding.Finding) error
	// Report sets the report-level fields: schema, image, status, reason,
	// scannedAt, db, summary and remediationPlan. Its Packages and
	// Findings are ignored (they come through Package and Finding).
	Report(ctx context.Context, r *finding.Report) error
	// Flush writes the output. After Flush the handler accepts no more
	// calls. It returns ErrIncomplete when Report was not called.
	Flush() error
}

var (
	// ErrIncomplete is returned by Flush when Report was never called.
	ErrIncomplete = errors.New("report: no report-level data (Report was not called)")
	// ErrFlushed is returned by calls made after Flush.
	ErrFlushed = errors.New("report: handler already flushed")
)

// collector implements the streaming half of Handler for formats that
// need the whole document before writing (all of them: JSON must be one
// value, the table is sorted, SARIF and CycloneDX index rules and
// components).
type collector struct {
	packages []finding.Package
	findings []finding.Finding
	head     *finding.Report
	flushed  bool
}

func (c *collector) Package(ctx context.Context, p *finding.Package) error {
	if err := c.accept(ctx); err != nil {
		return err
	}
	if p == nil {
		return errors.New("report: nil package")
	}
	c.packages = append(c.packages, *p)
	return nil
}

func (c *collector) Finding(ctx context.Context, f *finding.Finding) error {
	if err := c.accept(ctx); err != nil {
		return err
	}
	if f == nil {
		return errors.New("report: nil finding")
	}
	c.findings = append(c.findings, *f.Clone())
	return nil
}

func (c *collector) Report(ctx context.Context, r *finding.Report) error {
	if err := c.accept(ctx); err != nil {
		return err
	}
	if r == nil {
		return errors.New("report: nil report")
	}
	h := *r
	h.Packages, h.Findings = nil, nil
	if r.RemediationPlan != nil {
		p := *r.RemediationPlan
		h.RemediationPlan = &p
	}
	c.head = &h
	return nil
}

func (c *collector) accept(ctx context.Context) error {
	if c.flushed {
		return ErrFlushed
	}
	return ctx.Err()
}

// document assembles the collected report and marks the handler flushed.
func (c *collector) document() (*finding.Report, error) {
	if c.flushed {
		return nil, ErrFlushed
	}
	if c.head == nil {
		return nil, ErrIncomplete
	}
	c.flushed = true
	r := *c.head
	if r.Schema == "" {
		r.Schema = finding.SchemaV1
	}
	r.Packages = c.packages
	r.Findings = c.findings
	return &r, nil
}

// flush is the Flush of every format: assemble, then render.
func (c *collector) flush(format string, render func(*finding.Report) error) error {
	r, err := c.document()
	if err != nil {
		return err
	}
	if err := render(r); err != nil {
		return fmt.Errorf("report: %s: %w", format, err)
	}
	return nil
}
