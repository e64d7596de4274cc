package vulndb_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// allowed lists, for each package of the advisory database, the drydock
// packages it may import: the OSV model and the CVSS calculator are leaves,
// feeds know only the model, the store knows no feed parser, and nothing
// here imports the rest of drydock.
var allowed = map[string][]string{
	"vulndb/osv":         {},
	"vulndb/cvss":        {},
	"vulndb/feed":        {"vulndb/osv"},
	"vulndb/feed/osv":    {"vulndb/feed", "vulndb/osv"},
	"vulndb/feed/alpine": {"vulndb/feed", "vulndb/osv"},
	"vulndb/feed/debian": {"vulndb/feed", "vulndb/osv"},
	"vulndb/feed/kev":    {"vulndb/feed", "vulndb/osv"},
	"vulndb/feed/epss":   {"vulndb/feed", "vulndb/osv"},
	"vulndb/feed/nvd":    {"vulndb/feed", "vulndb/osv", "vulndb/cvss"},
	"vulndb":             {"vulndb/osv", "vulndb/feed", "vulndb/cvss"},
	"vulndb/ingest": {"vulndb", "vulndb/feed", "vulndb/feed/osv", "vulndb/feed/alpine", "vulndb/feed/debian",
		"vulndb/feed/kev", "vulndb/feed/epss", "vulndb/feed/nvd"},
	"vulndb/update": {"vulndb", "vulndb/ingest"},
	"vulndb/live":   {"vulndb", "vulndb/update"},
	// vulndbtest builds databases for other packages' tests.
	"vulndb/vulndbtest": {"vulndb", "vulndb/ingest"},
}

func TestImportDirection(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	const mod = "github.com/drydock/drydock/internal/"
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(f[0], mod)
		allow, ok := allowed[pkg]
		if !ok {
			t.Errorf("package %s is not in the allowed list of depcheck_test.go", pkg)
			continue
		}
		seen++
		for _, imp := range f[1:] {
			if dep, ok := strings.CutPrefix(imp, mod); ok && !slices.Contains(allow, dep) {
				t.Errorf("%s imports %s; allowed: %v", pkg, dep, allow)
			} else if strings.HasPrefix(imp, "github.com/drydock/") && !ok {
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
	}
	if seen != len(allowed) {
		t.Errorf("checked %d packages, the list has %d", seen, len(allowed))
	}
}
