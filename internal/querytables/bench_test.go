package querytables_test

import (
	"testing"
	"time"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/kql"
	pt "github.com/drydock/drydock/internal/projection/projectiontest"
)

// BenchmarkPublishedQuery2 runs the second published query over the
// fixture's 144 sub-assessments (reports cached): the cost of rendering
// securityresources rows.
func BenchmarkPublishedQuery2(b *testing.B) {
	tb, _ := newTables(b)
	cat := tb.Catalog(&access.Identity{}, "h")
	for b.Loop() {
		if _, err := kql.Run(b.Context(), publishedQuery2, cat, kql.Limits{Now: pt.ScannedAt, Timeout: time.Minute}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/144, "ns/row")
}
