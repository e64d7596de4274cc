package querytables

import (
	"context"
	"io"
	"strings"

	"github.com/drydock/drydock/internal/kql"
)

// batchIter streams rows that fill produces a batch at a time; fill
// returns done after the last batch.
type batchIter struct {
	fill func(ctx context.Context) (rows []kql.Row, done bool, err error)
	buf  []kql.Row
	done bool
}

func (it *batchIter) Next(ctx context.Context) (kql.Row, error) {
	for len(it.buf) == 0 {
		if it.done {
			return nil, io.EOF
		}
		if err := ctx.Err(); err != nil {
			return nil, context.Cause(ctx)
		}
		rows, done, err := it.fill(ctx)
		if err != nil {
			return nil, err
		}
		it.buf, it.done = rows, done
	}
	r := it.buf[0]
	it.buf = it.buf[1:]
	return r, nil
}

func (it *batchIter) Close() error { return nil }

// empty is an iterator without rows.
func empty() kql.RowIter { return &batchIter{done: true} }

// filters reads a Pushdown: the string a column must equal (exactly, or
// ignoring case), and whether the filters contradict each other.
type filters struct {
	exact map[string]string
	fold  map[string]string
	bools map[string]bool
	none  bool // two filters on one column cannot both hold
}

func readFilters(pd kql.Pushdown) filters {
	f := filters{exact: map[string]string{}, fold: map[string]string{}, bools: map[string]bool{}}
	for _, x := range pd.Filters {
		switch v := x.Value.Interface().(type) {
		case string:
			if x.CaseInsensitive {
				if old, ok := f.fold[x.Column]; ok && !strings.EqualFold(old, v) {
					f.none = true
				}
				f.fold[x.Column] = v
				continue
			}
			if old, ok := f.exact[x.Column]; ok && old != v {
				f.none = true
			}
			f.exact[x.Column] = v
		case bool:
			if old, ok := f.bools[x.Column]; ok && old != v {
				f.none = true
			}
			f.bools[x.Column] = v
		}
	}
	for col, v := range f.fold {
		if e, ok := f.exact[col]; ok && !strings.EqualFold(e, v) {
			f.none = true
		}
	}
	return f
}

// str returns the value column must equal exactly, if a filter says.
func (f filters) str(col string) (string, bool) {
	v, ok := f.exact[col]
	return v, ok
}

// matches reports whether s passes the filters on col (exact and
// case-insensitive).
func (f filters) matches(col, s string) bool {
	if v, ok := f.exact[col]; ok && v != s {
		return false
	}
	if v, ok := f.fold[col]; ok && !strings.EqualFold(v, s) {
		return false
	}
	return true
}
