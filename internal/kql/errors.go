package kql

import (
	"errors"
	"fmt"
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
