package pkg

import (
	"go/build"
	"strings"
	"testing"
)

// TestImports keeps pkg a leaf: the standard library, oci and the purl
// library only.
func TestImports(t *testing.T) {
	checkImports(t, ".", "github.com/drydock/drydock/internal/oci", "github.com/package-url/packageurl-go")
}

func checkImports(t *testing.T, dir string, allowed ...string) {
	t.Helper()
	p, err := build.ImportDir(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range p.Imports {
		first, _, _ := strings.Cut(imp, "/")
		if !strings.Contains(first, ".") {
			continue // standard library
		}
		ok := false
		for _, a := range allowed {
			ok = ok || imp == a
		}
		if !ok {
			t.Errorf("%s imports %s", p.ImportPath, imp)
		}
	}
}
