package objects

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWalk(t *testing.T) {
	root := t.TempDir()
	d, err := Open(root, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, n := range []string{"layers/sha256/ab/abcd.skeleton", "layers/sha256/cd/cdef.skeleton", "inventories/sha256/ab/abcd.inventory"} {
		if err := d.Put(ctx, n, []byte(n)); err != nil {
			t.Fatal(err)
		}
	}
	// A file being written is not an object.
	if err := os.WriteFile(filepath.Join(root, "layers", "sha256", "ab", tmpPrefix+"1"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	walk := func(prefix string) []string {
		t.Helper()
		var got []string
		err := d.Walk(ctx, prefix, func(name string, mod time.Time) error {
			if mod.IsZero() || time.Since(mod) > time.Hour {
				t.Errorf("%s: modification time %s", name, mod)
			}
			got = append(got, name)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if diff := cmp.Diff([]string{"layers/sha256/ab/abcd.skeleton", "layers/sha256/cd/cdef.skeleton"}, walk("layers/")); diff != "" {
		t.Errorf("layers (-want +got):\n%s", diff)
	}
	if got := walk(""); len(got) != 3 {
		t.Errorf("everything: %v", got)
	}
	if got := walk("nothing-here/"); len(got) != 0 {
		t.Errorf("absent prefix: %v", got)
	}
	if err := d.Walk(ctx, "../", func(string, time.Time) error { return nil }); err == nil {
		t.Error("a prefix leaving the root was walked")
	}
}
