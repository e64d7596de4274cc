package kql

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func addSeeds(f *testing.F) {
	files, _ := filepath.Glob("testdata/queries/*.kql")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(string(b))
		}
	}
	for _, s := range []string{
		"T | where a.b[0].['c'] =~ @'x''y' and not(x in~ ('a', dynamic([1])))",
		"print datetime(2026-01-01) + time(1.02:03:04.5) - 1h, 0x1F, h'hidden', ```multi\nline```",
		"let x = 1; let T = (findings | take 1); T | join kind=leftouter (T) on $left.id == $right.id",
		"findings | mv-expand kind=array with_itemindex=i aliases to typeof(string) limit 2 | parse kind=regex flags=i id with 'cve-' y:long '-' *",
		"findings | summarize arg_max(cvssScore, *), make_bag_if(pack('a', 1), true, 5) by bin(publishedAt, 1d)",
		"datatable(a:long)[1,2,3] | top 2 by a desc nulls first | project-rename b = a | project-reorder b",
	} {
		f.Add(s)
	}
}

// FuzzParse: the parser never panics, and every error it reports is a
// positioned *Error inside the text.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, src string) {
		q, err := parse(src)
		if err == nil {
			if q == nil || q.body == nil {
				t.Fatalf("parse(%q) returned no query and no error", src)
			}
			return
		}
		var qe *Error
		if !errors.As(err, &qe) {
			t.Fatalf("parse(%q): %v is not a *kql.Error", src, err)
		}
		lines := strings.Count(src, "\n") + 1
		if qe.Pos.Line < 1 || qe.Pos.Col < 1 || qe.Pos.Line > lines {
			t.Fatalf("parse(%q): error position %v outside the text (%d lines)", src, qe.Pos, lines)
		}
	})
}

// FuzzRun: whatever the query, running it over the fixture never panics or
// trips an internal error; it returns a result or a query or limit error.
func FuzzRun(f *testing.F) {
	addSeeds(f)
	cat := fixtureCatalog(f, fixtureSub)
	lim := Limits{Now: fixtureNow, Timeout: 2 * time.Second, MaxRows: 2000, MaxMemory: 32 << 20}
	f.Fuzz(func(t *testing.T, src string) {
		start := time.Now()
		res, err := Run(t.Context(), src, cat, lim)
		// Generous margin: this catches a query that ignores its time
		// limit, not a slow machine.
		if d := time.Since(start); d > 5*lim.Timeout {
			t.Fatalf("%q took %s, past its time limit of %s: %v", src, d, lim.Timeout, err)
		}
		if err == nil {
			for _, r := range res.Rows {
				if len(r) != len(res.Columns) {
					t.Fatalf("%q: row of %d values for %d columns", src, len(r), len(res.Columns))
				}
				for i, v := range r {
					if !fits(v, res.Columns[i].Type) {
						t.Fatalf("%q: column %s (%s) holds a %s value", src, res.Columns[i].Name, res.Columns[i].Type, kindType(v))
					}
				}
			}
			return
		}
		if errors.Is(err, ErrInternal) {
			t.Fatalf("%q: %v", src, err)
		}
		var qe *Error
		if !errors.As(err, &qe) && !errors.Is(err, ErrTimeout) && !errors.Is(err, ErrRowLimit) && !errors.Is(err, ErrMemoryLimit) {
			t.Fatalf("%q: unexpected error %v", src, err)
		}
	})
}
