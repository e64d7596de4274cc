package drydock_test

import (
	"os/exec"
	"strings"
	"testing"
)

// leaves lists packages that must import nothing of drydock's, and layers
// lists which drydock packages a package may import. Imports point one way:
// cmd -> cli -> server/registry -> store -> oci (STYLE.md §1).
var allowed = map[string][]string{
	"internal/oci":           {},
	"internal/version":       {},
	"internal/access":        {},
	"internal/config":        {},
	"internal/store":         {"internal/oci"},
	"internal/store/fs":      {"internal/oci", "internal/store"},
	"internal/store/sqlmeta": {"internal/oci", "internal/store"},
	"internal/server":        {},
	"internal/registry":      {"internal/oci", "internal/store", "internal/access"},
	// The scanner is a library: it knows nothing of the server, the
	// registry or the metadata store.
	"internal/pkg":                {"internal/oci"},
	"internal/finding":            {},
	"internal/report":             {"internal/finding"},
	"internal/scan/layer":         {"internal/oci", "internal/scan/layer/gunzip", "internal/scan/layer/tarfast"},
	"internal/scan/layer/gunzip":  {},
	"internal/scan/layer/tarfast": {},
	"internal/scan/extract":       {"internal/pkg", "internal/scan/layer", "internal/scan/osinfo"},
}

func TestImportDirection(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const mod = "github.com/drydock/drydock/"
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(f[0], mod)
		allow, ok := allowed[pkg]
		if !ok {
			continue
		}
		for _, imp := range f[1:] {
			if !strings.HasPrefix(imp, mod) {
				continue
			}
			dep := strings.TrimPrefix(imp, mod)
			okDep := false
			for _, a := range allow {
				if dep == a {
					okDep = true
				}
			}
			if !okDep {
				t.Errorf("%s imports %s; allowed: %v", pkg, dep, allow)
			}
		}
	}
}
