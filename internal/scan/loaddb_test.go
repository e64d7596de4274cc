package scan_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/scan"
	"github.com/drydock/drydock/internal/scan/source"
	st "github.com/drydock/drydock/internal/scan/source/sourcetest"
	"github.com/drydock/drydock/internal/vulndb"
)

// TestLoadDB: a database opened by Options.LoadDB (while the layers are
// read) gives the report Options.DB gives; none gives a pending report;
// a failure to open it ends the scan.
func TestLoadDB(t *testing.T) {
	db := testDB(t)
	want := scanOne(t, alpine(t, "3.4.6"), opts(t))
	clock := func() time.Time { return scanNow }

	got := scanOne(t, alpine(t, "3.4.6"), scan.Options{Now: clock, LoadDB: func() (*vulndb.DB, error) { return db, nil }})
	got.Image.Repository = want.Image.Repository // the layouts' temporary directories
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("LoadDB report (-DB +LoadDB):\n%s", d)
	}
	none := scanOne(t, alpine(t, "3.4.6"), scan.Options{Now: clock, LoadDB: func() (*vulndb.DB, error) { return nil, nil }})
	if none.Status != finding.StatusPending || none.Reason != scan.ReasonNoDatabase {
		t.Errorf("no database: status %s (%s), want pending", none.Status, none.Reason)
	}

	boom := errors.New("boom")
	dir := t.TempDir()
	st.WriteLayout(t, dir, "test", alpine(t, "3.4.6"))
	src, err := source.Open(t.Context(), "oci:"+dir, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	_, err = scan.Scan(context.Background(), src, scan.Options{Now: clock, LoadDB: func() (*vulndb.DB, error) { return nil, boom }})
	if !errors.Is(err, boom) {
		t.Errorf("Scan with a failing LoadDB = %v, want %v", err, boom)
	}
}
