package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
)

// ErrUnknownFormat is returned by New for a format name it does not know.
var ErrUnknownFormat = errors.New("unknown report format")

// Formats returns the format names New accepts, in the order they are
// documented.
func Formats() []string { return []string{"table", "json", "sarif", "cyclonedx", "spdx"} }

// Color says when the table format uses ANSI colors.
type Color int

const (
	// ColorAuto colors only when the writer is a terminal.
	ColorAuto Color = iota
	// ColorNever never colors.
	ColorNever
	// ColorAlways always colors.
	ColorAlways
)

// Options tune the handlers. The zero value is what New uses.
type Options struct {
	// Color applies to the table format. ColorAuto checks whether the
	// writer is a terminal (an *os.File on a TTY). The CLI maps NO_COLOR
	// and --color flags to this.
	Color Color
	// Now is the clock the table format uses to show the advisory
	// database's age; nil means time.Now.
	Now func() time.Time
	// ToolVersion is drydock's version, written into SARIF, CycloneDX and
	// SPDX documents; empty leaves it out.
	ToolVersion string
}

// New returns the handler for format (one of Formats), writing to w,
// with default Options.
func New(format string, w io.Writer) (Handler, error) {
	return NewWithOptions(format, w, Options{})
}

// NewWithOptions returns the handler for format (one of Formats) writing
// to w.
func NewWithOptions(format string, w io.Writer, o Options) (Handler, error) {
	if w == nil {
		return nil, errors.New("report: nil writer")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	switch format {
	case "table":
		return newTable(w, o.Color == ColorAlways || (o.Color == ColorAuto && isTerminal(w)), o.Now), nil
	case "json":
		return NewJSON(w), nil
	case "sarif":
		return newSARIF(w, o.ToolVersion), nil
	case "cyclonedx":
		return newCycloneDX(w, o.ToolVersion), nil
	case "spdx":
		return newSPDX(w, o.ToolVersion), nil
	}
	return nil, fmt.Errorf("report: %w %q (valid formats: %s)", ErrUnknownFormat, format, strings.Join(Formats(), ", "))
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}
