package kql

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsStandardOnly: the engine is a leaf library; it imports only
// the standard library (no storage, no drydock package), so that table
// providers depend on it and never the other way round.
func TestImportsStandardOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-f", `{{join .Imports " "}}`, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, imp := range strings.Fields(string(out)) {
		if first, _, _ := strings.Cut(imp, "/"); strings.Contains(first, ".") {
			t.Errorf("kql imports %s; it may only import the standard library", imp)
		}
	}
}
