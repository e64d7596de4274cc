//go:build conformance

package registry

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestConformanceSuite runs the OCI distribution-spec conformance suite
// (scripts/install-tools.sh installs it into .tools/bin) against the handler
// alone, every group enabled. The end-to-end version against `drydock
// serve` is in test/e2e. Run with:
//
//	go test -tags conformance -run TestConformanceSuite ./internal/registry/
func TestConformanceSuite(t *testing.T) {
	bin, err := exec.LookPath("conformance")
	if err != nil {
		bin, _ = filepath.Abs(filepath.Join("..", "..", ".tools", "bin", "conformance"))
		if _, err := os.Stat(bin); err != nil {
			t.Skip("conformance suite not installed (scripts/install-tools.sh)")
		}
	}
	e := newEnv(t)
	results := t.TempDir()
	if err := os.WriteFile(filepath.Join(results, "none.yaml"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), bin)
	cmd.Dir = results
	cmd.Env = append(os.Environ(),
		"OCI_REGISTRY="+strings.TrimPrefix(e.srv.URL, "http://"),
		"OCI_TLS=disabled",
		"OCI_VERSION=1.1",
		"OCI_RESULTS_DIR="+results,
		"OCI_CONFIGURATION="+filepath.Join(results, "none.yaml"),
		"OCI_API_BLOBS_UPLOAD_CANCEL=true",
		"OCI_API_BLOBS_DIGEST_HEADER=true",
		"OCI_API_MANIFESTS_DIGEST_HEADER=true",
		"OCI_API_MANIFESTS_TAG_PARAM="+os.Getenv("OCI_API_MANIFESTS_TAG_PARAM"),
		"OCI_DATA_SPARSE="+os.Getenv("OCI_DATA_SPARSE"),
	)
	out, err := cmd.CombinedOutput()
	summary := string(out)
	if i := strings.Index(summary, "OCI Conformance Result"); i >= 0 {
		summary = summary[i:]
	}
	t.Logf("%s", summary)
	if keep := os.Getenv("CONFORMANCE_KEEP"); keep != "" {
		for _, f := range []string{"junit.xml", "report.html"} {
			if b, rerr := os.ReadFile(filepath.Join(results, f)); rerr == nil {
				_ = os.WriteFile(filepath.Join(keep, f), b, 0o644)
			}
		}
	}
	if err != nil {
		t.Fatalf("conformance: %v", err)
	}
}
