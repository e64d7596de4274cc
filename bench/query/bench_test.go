package main

import (
	"sync"
	"testing"
	"time"

	"github.com/drydock/drydock/internal/kql"
)

var (
	catOnce  sync.Once
	benchCat kql.MapCatalog
)

// catalog generates the benchmark tables once per test binary.
func catalog() kql.MapCatalog {
	catOnce.Do(func() {
		benchCat = kql.MapCatalog{
			"findings":          genFindings(1_000_000, 1),
			"images":            genImages(20_000, 2),
			"securityresources": genSubAssessments(100_000, 20_000, 3),
		}
	})
	return benchCat
}

// BenchmarkQueries runs each benchmark query; ns/op is one whole query.
// go test ./bench/query -run '^$' -bench . -benchtime 5x
func BenchmarkQueries(b *testing.B) {
	cat := catalog()
	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := kql.Run(b.Context(), q.text, cat, kql.Limits{Timeout: time.Minute, MaxMemory: 4 << 30}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestQueriesAnswer checks the benchmark queries on a small data set, so
// that a broken query cannot pass unnoticed as a fast one.
func TestQueriesAnswer(t *testing.T) {
	cat := kql.MapCatalog{
		"findings":          genFindings(20_000, 1),
		"images":            genImages(500, 2),
		"securityresources": genSubAssessments(2_000, 500, 3),
	}
	for _, q := range queries {
		res, err := kql.Run(t.Context(), q.text, cat, kql.Limits{})
		if err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		if len(res.Rows) == 0 {
			t.Errorf("%s: no rows", q.name)
		}
	}
	// Every expanded CVE of the mv-expand query finds its image (the
	// generator only refers to existing images): findings summed over os
	// equals the number of CVEs in the table.
	res, err := kql.Run(t.Context(), `securityresources | project n = array_length(properties.additionalData.cve) | summarize sum(n)`, cat, kql.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := res.Rows[0][0].Interface().(int64)
	res, err = kql.Run(t.Context(), queries[3].text+" | summarize sum(findings)", cat, kql.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Rows[0][0].Interface().(int64); got != want {
		t.Errorf("joined findings = %d, want %d", got, want)
	}
}
