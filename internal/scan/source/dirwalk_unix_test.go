//go:build unix

package source

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestWalkSwappedDirectory: a directory replaced by a symbolic link to
// one outside the root after the walk entered it is still walked as the
// directory it entered: its entries, looked at relative to the open
// directory, are the ones inside the root, never the link target's.
func TestWalkSwappedDirectory(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	for _, p := range []string{
		filepath.Join(root, "a", "x", "in"),
		filepath.Join(outside, "x", "out"),
		filepath.Join(outside, "x", "in"),
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w := &walker{ctx: context.Background(), root: root}
	defer w.close()
	var got []string
	for {
		h, err := w.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, h.Name)
		if h.Name == "a/" {
			a := filepath.Join(root, "a")
			if err := os.Rename(a, a+".old"); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(outside, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	if diff := cmp.Diff([]string{"a/", "a/x/", "a/x/in"}, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if len(w.stack) != 0 {
		t.Errorf("%d directories still open after the walk", len(w.stack))
	}
}
