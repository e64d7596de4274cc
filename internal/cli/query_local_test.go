package cli

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock/drydock/internal/store/sqlmeta"
)

// TestQueryDataDir runs drydock query on a data directory without a server.
func TestQueryDataDir(t *testing.T) {
	dir := t.TempDir()
	meta, err := sqlmeta.Open(t.Context(), sqlmeta.Config{Path: filepath.Join(dir, "meta.db")}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := meta.EnsureSubscription(t.Context(), "default", "default"); err != nil {
		t.Fatal(err)
	}
	meta.Close()
	t.Setenv("DRYDOCK_SERVER", "")

	code, out, errs := run(t, "query", "--data", dir, "--format", "csv", "images | count")
	if code != 0 || strings.TrimSpace(out) != "Count\n0" {
		t.Errorf("images | count: exit %d, out %q, err %q", code, out, errs)
	}
	code, _, errs = run(t, "query", "--data", dir, "images | where")
	if code == 0 || !strings.Contains(errs, "line 1, column 15") {
		t.Errorf("bad query: exit %d, err %q", code, errs)
	}
	code, _, errs = run(t, "query", "--data", filepath.Join(dir, "missing"), "images")
	if code == 0 || !strings.Contains(errs, "no drydock data") {
		t.Errorf("missing data dir: exit %d, err %q", code, errs)
	}
}
