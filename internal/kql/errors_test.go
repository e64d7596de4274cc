package kql

import (
	"errors"
	"strings"
	"testing"
)

// TestErrorPositions checks that errors point at the right line and
// column (columns count characters, not bytes) and say what is wrong.
func TestErrorPositions(t *testing.T) {
	tests := []struct {
		name  string
		query string
		kind  error
		want  string // the whole message, or its start when it ends with "..."
	}{
		{name: "missing by expression", query: "findings\n| summarize count() by", kind: ErrSyntax,
			want: "line 2, column 23: expected an expression, found end of query"},
		{name: "unknown operator", query: "findings\n| wher severity == 'High'", kind: ErrSyntax,
			want: `line 2, column 3: unknown query operator "wher" ...`},
		{name: "unterminated string", query: "findings\n| where id == \"CVE", kind: ErrSyntax,
			want: "line 2, column 15: unterminated string literal"},
		{name: "unbalanced parenthesis", query: "findings | where (cvssScore > 7", kind: ErrSyntax,
			want: "line 1, column 32: expected ')', found end of query"},
		{name: "bad datetime", query: "print datetime(2026-13-01)", kind: ErrSyntax,
			want: "line 1, column 7: invalid datetime literal datetime(2026-13-01)..."},
		{name: "bad timespan unit", query: "print 3weeks", kind: ErrSyntax,
			want: `line 1, column 7: invalid number or timespan "3weeks"...`},
		{name: "pipe without operator", query: "findings |", kind: ErrSyntax,
			want: "line 1, column 11: expected a query operator after '|', found end of query"},
		{name: "let after query", query: "findings; let x = 1; print x", kind: ErrSyntax,
			want: "line 1, column 11: let statements must come before the query"},
		{name: "stray token", query: "findings | take 1 2", kind: ErrSyntax,
			want: "line 1, column 19: expected '|' or the end of the query, found '2'"},
		{name: "unexpected character", query: "findings | where id == #x", kind: ErrSyntax,
			want: `line 1, column 24: unexpected character '#'`},
		{name: "characters not bytes", query: "print ä = 1, ö = \"x\" + ", kind: ErrSyntax,
			want: "line 1, column 24: expected an expression, found end of query"},
		{name: "unknown column", query: "findings\n| where severity == 'High'\n| project id, pkg", kind: ErrSemantic,
			want: `line 3, column 15: unknown column or variable "pkg" ...`},
		{name: "column gone after project", query: "findings | project id | where severity == 'x'", kind: ErrSemantic,
			want: `line 1, column 31: unknown column or variable "severity" (columns: id)`},
		{name: "unknown function", query: "findings | extend x = tolowr(id)", kind: ErrSemantic,
			want: `line 1, column 23: unknown function "tolowr" ...`},
		{name: "aggregate outside summarize", query: "findings | extend n = count()", kind: ErrSemantic,
			want: "line 1, column 23: count() is an aggregation: use it in summarize..."},
		{name: "wrong arity", query: "findings | extend x = substring(id)", kind: ErrSemantic,
			want: "line 1, column 23: substring() takes 2 to 3 arguments, not 1"},
		{name: "compare string with long", query: "findings\n| where severity > 5", kind: ErrSemantic,
			want: "line 2, column 18: cannot compare string with long..."},
		{name: "where not bool", query: "findings | where cvssScore", kind: ErrSemantic,
			want: "line 1, column 18: where needs a bool condition, but the expression is real"},
		{name: "path on a string", query: "findings | extend x = id.a", kind: ErrSemantic,
			want: "line 1, column 23: property access .a needs a dynamic value, but the expression is string"},
		{name: "group by dynamic", query: "findings | summarize count() by aliases", kind: ErrSemantic,
			want: "line 1, column 33: summarize cannot group by a dynamic value..."},
		{name: "sum of dynamic", query: "securityresources | summarize sum(properties.x)", kind: ErrSemantic,
			want: "line 1, column 35: sum() needs a number or timespan, not dynamic; convert dynamic values with toreal() or tolong()"},
		{name: "bad regex", query: "findings | where id matches regex '(('", kind: ErrSemantic,
			want: "line 1, column 35: invalid regular expression: ..."},
		{name: "join column missing", query: "findings | join (images) on $left.digest == $right.dgst", kind: ErrSemantic,
			want: `line 1, column 52: join: the right side has no column "dgst"`},
		{name: "join kind", query: "findings | join kind=outer (images) on digest", kind: ErrSemantic,
			want: `line 1, column 22: unknown join kind "outer"...`},
		{name: "duplicate declared name", query: "findings | project a = id, a = package", kind: ErrSemantic,
			want: `line 1, column 28: column "a" is declared more than once`},
		{name: "unknown table in join", query: "findings\n| join kind=inner (image) on digest", kind: ErrSemantic,
			want: `line 2, column 20: unknown table "image" (tables: findings, images, securityresources)`},
		{name: "mv-expand of a string", query: "findings | mv-expand id", kind: ErrSemantic,
			want: "line 1, column 22: mv-expand needs a dynamic array or property bag, but the expression is string"},
		{name: "take needs a constant", query: "findings | take cvssScore", kind: ErrSemantic,
			want: `line 1, column 17: unknown column or variable "cvssScore"...`},
		{name: "string plus", query: "print 'a' + 'b'", kind: ErrSemantic,
			want: "line 1, column 11: operator '+' cannot be applied to string and string; use strcat() to join strings"},
		{name: "self-referencing let", query: "let T = T | take 1; T", kind: ErrSemantic,
			want: "line 1, column 9: let T refers to itself"},
	}
	cat := fixtureCatalog(t, fixtureSub)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(t.Context(), tt.query, cat, fixtureLimits())
			if err == nil {
				t.Fatalf("no error for %q", tt.query)
			}
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("error %v is not a *kql.Error", err)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %v does not wrap %v", err, tt.kind)
			}
			got := err.Error()
			if prefix, ok := strings.CutSuffix(tt.want, "..."); ok {
				if !strings.HasPrefix(got, prefix) {
					t.Errorf("error\n got %s\nwant %s", got, tt.want)
				}
			} else if got != tt.want {
				t.Errorf("error\n got %s\nwant %s", got, tt.want)
			}
			// Check finds the same error without running anything.
			if _, cerr := Check(tt.query, cat, fixtureLimits()); cerr == nil || cerr.Error() != got {
				t.Errorf("Check = %v, want %s", cerr, got)
			}
		})
	}
}

func TestUnknownTableWraps(t *testing.T) {
	_, err := Run(t.Context(), "nosuch | take 1", fixtureCatalog(t, fixtureSub), fixtureLimits())
	if !errors.Is(err, ErrUnknownTable) || !errors.Is(err, ErrSemantic) {
		t.Fatalf("err = %v, want ErrUnknownTable and ErrSemantic", err)
	}
}
