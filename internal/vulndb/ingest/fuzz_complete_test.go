package ingest

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestEveryParserIsFuzzed: every feed parser in Parsers has a fuzz target
// in its package (issue 7: every feed parser is fuzzed).
func TestEveryParserIsFuzzed(t *testing.T) {
	const prefix = "github.com/drydock/drydock/internal/vulndb/"
	target := regexp.MustCompile(`(?m)^func Fuzz\w*\(f \*testing\.F\)`)
	for _, p := range Parsers() {
		pkg := reflect.TypeOf(p).PkgPath()
		rel, ok := strings.CutPrefix(pkg, prefix)
		if !ok {
			t.Errorf("%s: package %s is not under internal/vulndb", p.Name(), pkg)
			continue
		}
		files, err := filepath.Glob(filepath.Join("..", filepath.FromSlash(rel), "*_test.go"))
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			found = found || target.Match(b)
		}
		if !found {
			t.Errorf("feed parser %s (%s) has no fuzz target", p.Name(), pkg)
		}
	}
}
