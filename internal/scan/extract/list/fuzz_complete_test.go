package list

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// fuzzTarget matches a Go fuzz target declaration.
var fuzzTarget = regexp.MustCompile(`(?m)^func Fuzz\w*\(f \*testing\.F\)`)

// TestEveryExtractorIsFuzzed: every extractor in All has a fuzz target in
// its package (issue 7: every package parser is fuzzed; bench/fuzz/run.sh
// and scripts/fuzz-short.sh find the targets).
func TestEveryExtractorIsFuzzed(t *testing.T) {
	const prefix = "github.com/drydock/drydock/internal/scan/extract/"
	for _, e := range All() {
		pkg := reflect.TypeOf(e).PkgPath()
		rel, ok := strings.CutPrefix(pkg, prefix)
		if !ok {
			t.Errorf("%s: package %s is not under internal/scan/extract", e.Name(), pkg)
			continue
		}
		if !hasFuzzTarget(t, filepath.Join("..", filepath.FromSlash(rel))) {
			t.Errorf("%s (%s) has no fuzz target: add a func Fuzz... to its _test.go files", e.Name(), pkg)
		}
	}
}

func hasFuzzTarget(t *testing.T, dir string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if fuzzTarget.Match(b) {
			return true
		}
	}
	return false
}
