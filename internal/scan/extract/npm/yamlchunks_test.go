package npm

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// lockfilesIn returns the files of testdata whose paths match; the test
// fails when there are fewer than least.
func lockfilesIn(t testing.TB, match func(p string) bool, least int) map[string][]byte {
	out := make(map[string][]byte)
	err := filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "fuzz") || !match(p) {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = b
		return err
	})
	if err != nil || len(out) < least {
		t.Fatalf("%d lockfiles, %v", len(out), err)
	}
	return out
}

// pnpmLockfiles returns the pnpm-lock.yaml files of testdata: written by
// pnpm 7, 8 and 9 (see testdata/README.md), and pnpm 12's env document.
func pnpmLockfiles(t testing.TB) map[string][]byte {
	return lockfilesIn(t, func(p string) bool { return strings.HasSuffix(p, ".yaml") }, 8)
}

// TestPnpmChunks: pnpm's own lockfiles (and pnpm 12's two documents) are
// read an entry at a time, to what the whole documents give; lockfiles laid out otherwise, or with a
// part that does not parse, are left to the whole document.
func TestPnpmChunks(t *testing.T) {
	files := pnpmLockfiles(t)
	files["two documents"] = slices.Concat(files["testdata/pnpm12-env.yaml"], []byte("---\n"), files["testdata/pnpm9-lock.yaml"])
	for p, data := range files {
		got, ok := decodePnpmDocumentChunks(data)
		if !ok {
			t.Errorf("%s: not read an entry at a time", p)
			continue
		}
		want, err := decodePnpmDocuments(data)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-whole +chunks):\n%s", p, diff)
		}
	}
	for _, s := range []string{
		"lockfileVersion: '9.0'\npackages:\n\ta@1.0.0: {}\n",                                            // a tab
		"--- !!map\nlockfileVersion: '9.0'\n",                                                           // a document marker with content
		"lockfileVersion: '9.0'\n...\n",                                                                 // a document end marker
		"lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    resolution: {integrity: x}\n a@2.0.0: {}\n", // less indented
		"lockfileVersion: '9.0'\npackages:\n  - a\n",                                                    // a sequence
		"lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {}\npackages:\n  b@1.0.0: {}\n",                  // twice
		"lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {}\n  a@1.0.0: {}\n",                             // an entry twice
		"lockfileVersion: '9.0'\npackages:\n  a@1.0.0: &x {}\n  b@1.0.0: *x\n",                          // an alias
		"lockfileVersion: '9.0'\npackages:\n  a@1.0.0: \"x\n  b@1.0.0: y\"\n",                           // a quoted scalar over two entries' lines
		"lockfileVersion: '9.0'\n'packages':\n  a@1.0.0: {}\n",                                          // a quoted top-level key
		"lockfileVersion: '9.0'\nnull: 1\nNull: 2\n",                                                    // two keys YAML reads as one (null)
	} {
		if _, ok := decodePnpmDocumentChunks([]byte(s)); ok {
			t.Errorf("%q read an entry at a time", s)
		}
	}
}

// FuzzPnpmChunks: wherever decodePnpmDocumentChunks reads a lockfile,
// its whole documents read to the same.
func FuzzPnpmChunks(f *testing.F) {
	for _, data := range pnpmLockfiles(f) {
		f.Add(data)
	}
	f.Add([]byte("lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    resolution: {integrity: x}\n\nsnapshots:\n  a@1.0.0: {}\n"))
	f.Add(slices.Concat(pnpmLockfiles(f)["testdata/pnpm12-env.yaml"], []byte("---\nlockfileVersion: '9.0'\npackages:\n  a@1.0.0: {}\n")))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := decodePnpmDocumentChunks(data)
		if !ok {
			return
		}
		want, err := decodePnpmDocuments(data)
		if err != nil {
			t.Fatalf("read an entry at a time, but the whole document: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-whole +chunks):\n%s", diff)
		}
	})
}

// berryLockfiles returns the yarn berry lockfiles of testdata (yarn 3
// and 4).
func berryLockfiles(t testing.TB) map[string][]byte {
	return lockfilesIn(t, func(p string) bool {
		return strings.Contains(filepath.Base(p), "berry") && strings.HasSuffix(p, ".lock")
	}, 4)
}

// TestBerryChunks: yarn's own berry lockfiles are read an entry at a
// time, to what the whole document gives.
func TestBerryChunks(t *testing.T) {
	for p, data := range berryLockfiles(t) {
		got, ok := decodeBerryChunks(data)
		if !ok {
			t.Errorf("%s: not read an entry at a time", p)
			continue
		}
		want, err := decodeBerryWhole(data)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(berryKV{})); diff != "" {
			t.Errorf("%s (-whole +chunks):\n%s", p, diff)
		}
	}
	for _, s := range []string{
		"__metadata:\n  version: 6\n\"a@npm:1\":\n  resolution: \"a@npm:1.0.0\"\n\"a@npm:1\":\n  resolution: \"a@npm:1.0.0\"\n", // twice
		"__metadata:\n  version: 6\n? \"a@npm:1\"\n: {resolution: \"a@npm:1.0.0\"}\n",                                           // a complex key
		"__metadata:\n  version: 6\n\"a@npm:1\": &x\n  resolution: \"a@npm:1.0.0\"\n\"b@npm:1\": *x\n",                          // an alias
	} {
		if _, ok := decodeBerryChunks([]byte(s)); ok {
			t.Errorf("%q read an entry at a time", s)
		}
	}
}

// FuzzBerryChunks: wherever decodeBerryChunks reads a lockfile, the whole
// document reads to the same.
func FuzzBerryChunks(f *testing.F) {
	for _, data := range berryLockfiles(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := decodeBerryChunks(data)
		if !ok {
			return
		}
		want, err := decodeBerryWhole(data)
		if err != nil {
			t.Fatalf("read an entry at a time, but the whole document: %v", err)
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(berryKV{}), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("(-whole +chunks):\n%s", diff)
		}
	})
}
