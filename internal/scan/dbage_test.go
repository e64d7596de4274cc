package scan_test

import (
	"testing"
	"time"

	"github.com/drydock/drydock/internal/scan"
	"github.com/drydock/drydock/internal/scan/source"
)

// TestReportDBUpdatedAt: a report's db.updatedAt is when the database's
// newest data was modified, not when the database file was built.
func TestReportDBUpdatedAt(t *testing.T) {
	db := testDB(t)
	st := db.Status()
	var newest time.Time
	for _, s := range st.Sources() {
		if s.UpdatedAt.After(newest) {
			newest = s.UpdatedAt
		}
	}
	// The shared data was last modified long before this test imported it.
	if newest.IsZero() || !newest.Before(st.Stamp.BuiltAt.Add(-24*time.Hour)) {
		t.Fatalf("newest data %v, built %v", newest, st.Stamp.BuiltAt)
	}
	src, err := source.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rs, err := scan.Scan(t.Context(), src, scan.Options{DB: db, Now: func() time.Time { return scanNow }})
	if err != nil || len(rs) != 1 {
		t.Fatalf("Scan = %v, %v", rs, err)
	}
	if got := rs[0].DB; !got.UpdatedAt.Equal(newest) || got.Version != db.Version() {
		t.Errorf("report db = %+v, want version %s updated at %v", got, db.Version(), newest)
	}
}
