package kql

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// genTable produces n rows (n < 0: without end) computed from the row
// number, optionally sleeping per row.
type genTable struct {
	n     int64
	sleep time.Duration
}

func (g *genTable) Name() string { return "gen" }
func (g *genTable) Columns() []Column {
	return []Column{{Name: "i", Type: TypeLong}, {Name: "s", Type: TypeString}, {Name: "d", Type: TypeDynamic}}
}
func (g *genTable) Scan(context.Context, Pushdown) (RowIter, error) { return &genIter{g: g}, nil }

type genIter struct {
	g *genTable
	i int64
}

func (it *genIter) Next(ctx context.Context) (Row, error) {
	if it.g.n >= 0 && it.i >= it.g.n {
		return nil, io.EOF
	}
	if it.g.sleep > 0 {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(it.g.sleep):
		}
	}
	i := it.i
	it.i++
	return Row{Long(i), String(fmt.Sprintf("s%07d", i)), Array(Long(i), Long(i+1))}, nil
}

func (it *genIter) Close() error { return nil }

func TestLimits(t *testing.T) {
	tests := []struct {
		name  string
		table *genTable
		query string
		lim   Limits
		want  error
		msg   string
	}{
		{name: "row limit", table: &genTable{n: 1000}, query: "gen", lim: Limits{MaxRows: 100},
			want: ErrRowLimit, msg: "the result has more than 100 rows"},
		{name: "row limit is not hit by exactly the limit", table: &genTable{n: 100}, query: "gen", lim: Limits{MaxRows: 100}},
		{name: "summarize groups", table: &genTable{n: 200_000}, query: "gen | summarize count() by s", lim: Limits{MaxMemory: 4 << 20},
			want: ErrMemoryLimit, msg: "summarize needs more than 4 MiB"},
		{name: "sort", table: &genTable{n: 200_000}, query: "gen | order by i asc | take 1", lim: Limits{MaxMemory: 4 << 20},
			want: ErrMemoryLimit, msg: "sort needs more than 4 MiB"},
		{name: "top keeps only n rows", table: &genTable{n: 200_000}, query: "gen | top 5 by i asc", lim: Limits{MaxMemory: 4 << 20}},
		{name: "join right side", table: &genTable{n: 200_000}, query: "gen | take 1 | join kind=inner (gen) on i", lim: Limits{MaxMemory: 4 << 20},
			want: ErrMemoryLimit, msg: "join (right side) needs more than 4 MiB"},
		{name: "distinct", table: &genTable{n: 200_000}, query: "gen | distinct s | count", lim: Limits{MaxMemory: 4 << 20},
			want: ErrMemoryLimit, msg: "distinct needs more"},
		{name: "dcount", table: &genTable{n: 200_000}, query: "gen | summarize dcount(s)", lim: Limits{MaxMemory: 4 << 20},
			want: ErrMemoryLimit},
		{name: "make_list", table: &genTable{n: 200_000}, query: "gen | summarize make_list(d)", lim: Limits{MaxMemory: 4 << 20},
			want: ErrMemoryLimit},
		{name: "streaming operators need no memory", table: &genTable{n: 200_000},
			query: "gen | extend x = i * 2 | mv-expand d | where x % 2 == 0 | project s, d | count", lim: Limits{MaxMemory: 1 << 20}},
		{name: "time limit", table: &genTable{n: -1}, query: "gen | where i < 0 | count", lim: Limits{Timeout: 50 * time.Millisecond},
			want: ErrTimeout, msg: "query time limit exceeded (50ms)"},
		{name: "time limit in a slow table", table: &genTable{n: -1, sleep: time.Millisecond}, query: "gen | count",
			lim: Limits{Timeout: 50 * time.Millisecond}, want: ErrTimeout},
		{name: "query length", table: &genTable{n: 1}, query: "gen | where s == '" + strings.Repeat("x", 100) + "'",
			lim: Limits{MaxQueryBytes: 64}, want: ErrSyntax, msg: "line 1, column 1: the query is longer than 64 bytes"},
		// One value a function builds is bounded (16 MiB): values grown by
		// chained calls would otherwise be allocated before any operator
		// accounts for them. e is 8 MiB (s, 8 bytes, times 16^5).
		{name: "strcat of strcat", table: &genTable{n: 1}, query: grow16("s", "a", "b", "c", "d", "e", "f") + " | count",
			want: ErrMemoryLimit, msg: "strcat() would build a value of more than 16 MiB"},
		{name: "strcat below the bound", table: &genTable{n: 1}, query: grow16("s", "a", "b", "c", "d", "e") + " | count"},
		{name: "replace_string", table: &genTable{n: 1}, query: grow16("s", "a", "b", "c", "d", "e") + " | extend r = replace_string(e, 's', e) | count",
			want: ErrMemoryLimit, msg: "replace_string() would build"},
		{name: "split", table: &genTable{n: 1}, query: grow16("s", "a", "b", "c", "d", "e") + " | extend r = split(e, '0') | count",
			want: ErrMemoryLimit, msg: "split() would build"},
		{name: "tostring of a bag", table: &genTable{n: 1}, query: grow16("s", "a", "b", "c", "d", "e") + " | extend r = tostring(pack('x', e, 'y', e, 'z', e)) | count",
			want: ErrMemoryLimit, msg: "tostring() would build"},
		{name: "strcat_delim", table: &genTable{n: 1}, query: grow16("s", "a", "b", "c", "d", "e") + " | extend r = strcat_delim('-', e, e, e) | count",
			want: ErrMemoryLimit, msg: "strcat_delim() would build"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := Run(t.Context(), tt.query, MapCatalog{"gen": tt.table}, tt.lim)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Run error = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s to fail", d)
			}
		})
	}
}

// grow16 is "gen | extend a = strcat(s, s, ... 16 times) | extend b =
// strcat(a, ...)" and so on through names: each column 16 times the one
// before.
func grow16(from string, names ...string) string {
	q := "gen"
	for _, n := range names {
		q += " | extend " + n + " = strcat(" + strings.TrimSuffix(strings.Repeat(from+", ", 16), ", ") + ")"
		from = n
	}
	return q
}

func TestCallerCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err := Run(ctx, "gen | count", MapCatalog{"gen": &genTable{n: -1}}, Limits{})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
