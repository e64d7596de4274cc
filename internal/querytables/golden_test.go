package querytables_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/kql"
	pt "github.com/drydock/drydock/internal/projection/projectiontest"
)

var update = flag.Bool("update", false, "rewrite the golden outputs of testdata/queries")

// TestGoldenQueries runs every testdata/queries/*.kql over tenant A's
// tables — built from the real scan report of the Alpine 3.4.6 image
// (internal/report/testdata/alpine-3.4.6.json) — and compares the result
// with the .json beside it. Review a golden file before committing it
// (go test -run TestGoldenQueries ./internal/querytables/ -args -update):
// it is the expected answer; testdata/queries/README.md says how it was checked.
func TestGoldenQueries(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "queries", "*.kql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no query files: %v", err)
	}
	tb, _ := newTables(t)
	cat := tb.Catalog(alice, "h")
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".kql")
		t.Run(name, func(t *testing.T) {
			q, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			res := run(t, cat, string(q), pt.ScannedAt)
			if len(res.Rows) == 0 {
				t.Fatalf("%s: no rows; a golden query must have an answer", f)
			}
			var got bytes.Buffer
			if err := kql.WriteJSON(&got, res); err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(f, ".kql") + ".json"
			if *update {
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got.String()); diff != "" {
				t.Errorf("%s (-want +got):\n%s", f, diff)
			}
		})
	}
}
