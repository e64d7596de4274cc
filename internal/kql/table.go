package kql

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
)

// Catalog is the set of tables one query may read. The caller builds a
// Catalog for one caller (one identity): every table it returns must already
// be limited to the rows that identity may see. Queries reach data only
// through the Catalog (there is no cluster(), database() or external data
// syntax), so no query can see more than its Catalog gives.
type Catalog interface {
	// Table returns the table called name (names are case-sensitive), or an
	// error wrapping ErrUnknownTable.
	Table(name string) (Table, error)
}

// TableLister is implemented by catalogs that can list their tables; the
// list improves the message for unknown tables.
type TableLister interface {
	TableNames() []string
}

// Table is a named table with a fixed schema.
type Table interface {
	// Name is the table's name as queries write it.
	Name() string
	// Columns is the schema; every row from Scan has one value per column
	// in this order. Values must match the column types (a string column
	// holds strings, never null).
	Columns() []Column
	// Scan starts reading the table. The rows are already limited to what
	// the catalog's caller may see. pd describes filters the table may use
	// to skip rows early; applying them is optional, the engine filters
	// again. The returned iterator is closed by the engine.
	Scan(ctx context.Context, pd Pushdown) (RowIter, error)
}

// RowIter reads rows one at a time.
type RowIter interface {
	// Next returns the next row, or io.EOF after the last one. The row must
	// not be modified by the iterator afterwards (the engine may keep it).
	Next(ctx context.Context) (Row, error)
	// Close releases the iterator's resources.
	Close() error
}

// Pushdown is the part of a query a [Table] may evaluate itself.
type Pushdown struct {
	// Filters are predicates all true of every row the query keeps; they
	// come from the where operators that directly follow the table. A table
	// may skip rows for which a filter is false.
	Filters []Filter
}

// Filter is `Column == Value` (or `Column =~ Value` when CaseInsensitive)
// on a column of the table. Value has the column's type.
type Filter struct {
	Column          string
	CaseInsensitive bool
	Value           Value
}

// Matches reports whether row (of a table with columns cols) passes f;
// tables without an index can use it.
func (f Filter) Matches(cols []Column, row Row) bool {
	for i, c := range cols {
		if c.Name == f.Column && i < len(row) {
			if f.CaseInsensitive {
				return equalFold(toStringValue(row[i]), toStringValue(f.Value))
			}
			return !row[i].IsNull() && equalValues(row[i], f.Value)
		}
	}
	return true
}

// Compile-time checks of the implementations in this package.
var (
	_ Table       = (*MemTable)(nil)
	_ RowIter     = (*memIter)(nil)
	_ Catalog     = MapCatalog(nil)
	_ TableLister = MapCatalog(nil)
)

// MemTable is a table held in memory. Its Scan applies the pushdown
// filters, so it also serves as a reference for table implementations.
type MemTable struct {
	name string
	cols []Column
	rows []Row
}

// NewMemTable checks that every row fits cols and returns the table. rows
// are kept, not copied.
func NewMemTable(name string, cols []Column, rows []Row) (*MemTable, error) {
	for i, r := range rows {
		if len(r) != len(cols) {
			return nil, fmt.Errorf("kql: table %s: row %d has %d values for %d columns", name, i, len(r), len(cols))
		}
		for j, v := range r {
			if !fits(v, cols[j].Type) {
				return nil, fmt.Errorf("kql: table %s: row %d column %s: %s value in a %s column", name, i, cols[j].Name, kindType(v), cols[j].Type)
			}
		}
	}
	return &MemTable{name: name, cols: slices.Clone(cols), rows: rows}, nil
}

// fits reports whether v may be stored in a column of type t.
func fits(v Value, t Type) bool {
	if t == TypeDynamic {
		return true
	}
	if v.k == kNull {
		return t != TypeString
	}
	return kindType(v) == t
}

// Name implements [Table].
func (t *MemTable) Name() string { return t.name }

// Columns implements [Table].
func (t *MemTable) Columns() []Column { return slices.Clone(t.cols) }

// Scan implements [Table].
func (t *MemTable) Scan(_ context.Context, pd Pushdown) (RowIter, error) {
	it := &memIter{t: t}
	for _, f := range pd.Filters {
		for i, c := range t.cols {
			if c.Name == f.Column {
				it.filters = append(it.filters, memFilter{col: i, fold: f.CaseInsensitive, v: f.Value, s: toStringValue(f.Value)})
			}
		}
	}
	return it, nil
}

type memFilter struct {
	col  int
	fold bool
	v    Value
	s    string
}

func (f *memFilter) keep(r Row) bool {
	v := r[f.col]
	switch {
	case f.fold:
		return equalFold(toStringValue(v), f.s)
	case v.k == kString && f.v.k == kString:
		return v.s == f.v.s
	}
	return v.k != kNull && equalValues(v, f.v)
}

type memIter struct {
	t       *MemTable
	i       int
	filters []memFilter
}

func (it *memIter) Next(context.Context) (Row, error) {
next:
	for it.i < len(it.t.rows) {
		r := it.t.rows[it.i]
		it.i++
		for k := range it.filters {
			if !it.filters[k].keep(r) {
				continue next
			}
		}
		return r, nil
	}
	return nil, io.EOF
}

func (it *memIter) Close() error { return nil }

// MapCatalog is a Catalog of fixed tables keyed by name.
type MapCatalog map[string]Table

// Table implements [Catalog].
func (c MapCatalog) Table(name string) (Table, error) {
	if t, ok := c[name]; ok {
		return t, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownTable, name)
}

// TableNames implements [TableLister].
func (c MapCatalog) TableNames() []string {
	names := make([]string, 0, len(c))
	for n := range c {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
