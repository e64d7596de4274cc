package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// countFiles counts the regular files under dir (0 when it is missing).
func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

// TestScanLayerCache: the report of a scan served from the layer cache
// (per-image entry, or per-layer skeletons) is byte-for-byte the report
// of a scan that reads every layer (--no-cache, which reads them as the
// cache does but keeps nothing; layercache's TestEqualsFullScan compares
// that with the ordinary read); --no-cache leaves the cache alone;
// --cache-max-bytes evicts.
func TestScanLayerCache(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", fmt.Sprint(scanEpoch.Unix()))
	db := goldenDB(t)
	layout := appLayout(t)
	data := t.TempDir()
	scanJSON := func(extra ...string) string {
		t.Helper()
		args := append([]string{"--data", data, "scan", "--db", db, "--format", "json"}, extra...)
		code, out, errs := run(t, append(args, "oci:"+layout)...)
		if code != ExitOK && code != ExitFindings {
			t.Fatalf("exit %d, stderr %s", code, errs)
		}
		return out
	}
	cacheDir := filepath.Join(data, "cache")

	uncached := scanJSON("--no-cache")
	if n := countFiles(t, cacheDir); n != 0 {
		t.Fatalf("--no-cache wrote %d cache files", n)
	}
	first := scanJSON() // records the layers and the image
	if countFiles(t, filepath.Join(cacheDir, "layers")) == 0 || countFiles(t, filepath.Join(cacheDir, "images")) != 1 {
		t.Fatalf("first scan cached %d layer and %d image files", countFiles(t, filepath.Join(cacheDir, "layers")), countFiles(t, filepath.Join(cacheDir, "images")))
	}
	second := scanJSON() // the image entry
	if err := os.RemoveAll(filepath.Join(cacheDir, "images")); err != nil {
		t.Fatal(err)
	}
	third := scanJSON() // the layer skeletons, replayed
	for name, got := range map[string]string{"first": first, "second": second, "from skeletons": third} {
		if d := cmp.Diff(uncached, got); d != "" {
			t.Errorf("%s cached scan differs from an uncached one (-uncached +cached):\n%s", name, d)
		}
	}

	if err := os.RemoveAll(cacheDir); err != nil {
		t.Fatal(err)
	}
	if got := scanJSON("--cache-max-bytes", "1"); got != uncached {
		t.Error("scan with a 1-byte cache differs")
	}
	if n := countFiles(t, filepath.Join(cacheDir, "layers")) + countFiles(t, filepath.Join(cacheDir, "images")); n != 0 {
		t.Errorf("a 1-byte cache kept %d objects", n)
	}
	if code, _, _ := run(t, "--data", data, "scan", "--cache-max-bytes", "0", "oci:"+layout); code != ExitUsage {
		t.Errorf("--cache-max-bytes 0: exit %d, want %d", code, ExitUsage)
	}
}
