package kql

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// Conditions callers branch on with errors.Is.
var (
	// ErrSyntax is wrapped by errors in the query text (a *[Error] with the
	// position).
	ErrSyntax = errors.New("syntax error")
	// ErrSemantic is wrapped by errors in the meaning of the query: unknown
	// columns, tables or functions, wrong argument types (a *[Error] with the
	// position).
	ErrSemantic = errors.New("semantic error")
	// ErrUnknownTable is wrapped (together with ErrSemantic) when a query
	// names a table the catalog does not have. Catalogs return it too.
	ErrUnknownTable = errors.New("unknown table")
	// ErrTimeout means the query ran past its time limit.
	ErrTimeout = errors.New("query time limit exceeded")
	// ErrRowLimit means the result has more rows than the limit allows.
	ErrRowLimit = errors.New("query result row limit exceeded")
	// ErrMemoryLimit means an operator needed more memory than allowed.
	ErrMemoryLimit = errors.New("query memory limit exceeded")
	// ErrInternal means the engine failed on its own; it is a bug.
	ErrInternal = errors.New("internal query engine error")
)

// Pos is a position in the query text: line and column count from 1, and
// columns count characters (not bytes).
type Pos struct {
	Line, Col int
}

// String formats p as "line 3, column 14".
func (p Pos) String() string { return fmt.Sprintf("line %d, column %d", p.Line, p.Col) }

// Error is an error at a position of the query. It wraps [ErrSyntax] or
// [ErrSemantic] (and [ErrUnknownTable] for unknown tables).
type Error struct {
	Pos Pos
	Msg string
	// Kind is ErrSyntax or ErrSemantic.
	Kind error
	// Err is an optional further cause (e.g. ErrUnknownTable).
	Err error
}

// Error formats as "line 3, column 14: expected ...".
func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Unwrap returns the kind and the cause.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

func syntaxErrorf(p Pos, format string, args ...any) *Error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...), Kind: ErrSyntax}
}

func semanticErrorf(p Pos, format string, args ...any) *Error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, args...), Kind: ErrSemantic}
}

// maxValueBytes bounds one value a function builds (strcat, replace_string,
// split, tostring of a dynamic value, ...). Nested or chained calls grow a
// value geometrically (strcat(a, a, ..., a) of strcat(b, b, ..., b)), and
// the operators account for memory only once a row is held: without this
// bound, a short query could make the process allocate without limit.
const maxValueBytes = 16 << 20

// valueLimit is raised, as a panic, by a function about to build a value
// of more than maxValueBytes; Run recovers it as an ErrMemoryLimit error
// (the functions return values, not errors).
type valueLimit struct{ fn string }

func (v valueLimit) err() error {
	return fmt.Errorf("%w: %s() would build a value of more than %d MiB; narrow the query first",
		ErrMemoryLimit, v.fn, maxValueBytes>>20)
}

// needValue raises valueLimit when fn is about to build a value of n bytes
// (approximately) past maxValueBytes.
func needValue(fn string, n int64) {
	if n > maxValueBytes {
		panic(valueLimit{fn})
	}
}

// recovered turns a panic of the engine into the query's error.
func recovered(r any) error {
	if v, ok := r.(valueLimit); ok {
		return v.err()
	}
	return fmt.Errorf("%w: %v\n%s", ErrInternal, r, debug.Stack())
}
