package layer

import (
	"go/build"
	"strings"
	"testing"
)

// TestImports keeps the layer reader independent of the rest of the
// scanner: it knows selectors, not extractors.
func TestImports(t *testing.T) {
	p, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range p.Imports {
		first, _, _ := strings.Cut(imp, "/")
		switch {
		case !strings.Contains(first, "."):
		case imp == "github.com/drydock/drydock/internal/oci":
		case imp == "github.com/drydock/drydock/internal/scan/layer/gunzip",
			imp == "github.com/drydock/drydock/internal/scan/layer/tarfast":
		case strings.HasPrefix(imp, "github.com/klauspost/compress/"):
		case imp == "golang.org/x/sync/semaphore": // ReadWhole's budget
		default:
			t.Errorf("layer imports %s", imp)
		}
	}
}
