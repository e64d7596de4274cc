package pipeline_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportDirection: the pipeline talks to storage through the store
// contracts and to the scanner as a library; it knows nothing of the
// HTTP side (registry, server, API) or of a store implementation, and the
// layer cache nothing of the metadata store at all.
func TestImportDirection(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	forbidden := map[string][]string{
		"internal/pipeline":            {"internal/registry", "internal/server", "internal/api", "internal/cli", "internal/store/sqlmeta", "internal/store/fs"},
		"internal/pipeline/layercache": {"internal/store", "internal/registry", "internal/server", "internal/api"},
		"internal/pipeline/objects":    {"internal/"},
		"internal/api":                 {"internal/registry", "internal/cli", "internal/store/sqlmeta", "internal/server"},
	}
	const mod = "github.com/drydock/drydock/"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, mod+"internal/pipeline/...", mod+"internal/api").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(f[0], mod)
		for _, imp := range f[1:] {
			dep, ok := strings.CutPrefix(imp, mod)
			if !ok {
				continue
			}
			for _, bad := range forbidden[pkg] {
				if dep == bad || strings.HasPrefix(dep, bad+"/") || (strings.HasSuffix(bad, "/") && strings.HasPrefix(dep, bad)) {
					t.Errorf("%s imports %s", pkg, dep)
				}
			}
		}
	}
}
