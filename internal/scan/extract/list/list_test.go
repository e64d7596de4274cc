package list_test

import (
	"os"
	"path"
	"reflect"
	"testing"

	"github.com/drydock/drydock/internal/scan/extract/list"
)

// notExtractors are the directories under extract/ that hold no extractor.
var notExtractors = map[string]bool{"list": true, "extracttest": true, "binstream": true}

func TestAllIsComplete(t *testing.T) {
	listed := map[string]bool{}
	names := map[string]bool{}
	for _, ex := range list.All() {
		pkgPath := reflect.TypeOf(ex).PkgPath()
		listed[path.Base(pkgPath)] = true
		if names[ex.Name()] {
			t.Errorf("duplicate extractor name %q", ex.Name())
		}
		names[ex.Name()] = true
		if ex.Version() < 1 {
			t.Errorf("%s: version %d, want >= 1", ex.Name(), ex.Version())
		}
	}
	dirs, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() || notExtractors[d.Name()] || d.Name() == "testdata" {
			continue
		}
		if !listed[d.Name()] {
			t.Errorf("extractor package extract/%s is not in list.All()", d.Name())
		}
	}
}
