package cache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fileStore keeps objects as files under root, as objects.Dir does.
type fileStore string

var errNotFound = errors.New("not found")

func (s fileStore) path(name string) string {
	return filepath.Join(string(s), filepath.FromSlash(name))
}
func (s fileStore) Get(_ context.Context, name string) ([]byte, error) {
	b, err := os.ReadFile(s.path(name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, errNotFound
	}
	return b, err
}
func (s fileStore) Put(_ context.Context, name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(s.path(name)), 0o750); err != nil {
		return err
	}
	return os.WriteFile(s.path(name), data, 0o640)
}
func (s fileStore) Delete(_ context.Context, name string) error {
	err := os.Remove(s.path(name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && d.Name() != usageName {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// bounded250 is a cache of files in a new directory with a budget of 250
// bytes, and that directory.
func bounded250(t *testing.T) (*Bounded, string) {
	t.Helper()
	root := t.TempDir()
	b, err := New(fileStore(root), root, 250)
	if err != nil {
		t.Fatal(err)
	}
	return b, root
}

func TestTrimEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := context.Background()
	b, root := bounded250(t)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.now = func() time.Time { clock = clock.Add(time.Minute); return clock }
	obj := make([]byte, 100)
	for i, name := range []string{"layers/a", "layers/b", "layers/c"} {
		if err := b.Put(ctx, name, obj); err != nil {
			t.Fatal(err)
		}
		mod := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(-10+i) * time.Hour)
		os.Chtimes(filepath.Join(root, name), mod, mod)
	}
	if _, err := b.Get(ctx, "layers/a"); err != nil { // a: oldest put, but used last
		t.Fatal(err)
	}
	if err := b.Trim(ctx); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"layers/a", "layers/c"}, files(t, root)); d != "" {
		t.Errorf("after Trim (-want +got):\n%s", d)
	}

	// Nothing put since: Trim leaves even an oversized directory alone.
	os.WriteFile(filepath.Join(root, "layers/big"), make([]byte, 1000), 0o640)
	if err := b.Trim(ctx); err != nil {
		t.Fatal(err)
	}
	if got := len(files(t, root)); got != 3 {
		t.Errorf("Trim with nothing put removed files: %d left, want 3", got)
	}
	if _, err := b.Get(ctx, "layers/missing"); !errors.Is(err, errNotFound) {
		t.Errorf("Get of a missing object = %v, want the store's error", err)
	}
}

// TestTrimCounts: a Trim walks the directory only when the count in
// usageName is missing, unreadable, locked by another Trim, too old, or
// says the budget may be exceeded.
func TestTrimCounts(t *testing.T) {
	ctx := context.Background()
	b, root := bounded250(t)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.now = func() time.Time { return clock }
	age := 0
	put := func(name string, size int) {
		t.Helper()
		if err := b.Put(ctx, name, make([]byte, size)); err != nil {
			t.Fatal(err)
		}
		age++ // later puts are more recent
		mod := clock.Add(time.Duration(age) * time.Second)
		os.Chtimes(filepath.Join(root, name), mod, mod)
	}
	trim := func(want ...string) {
		t.Helper()
		if err := b.Trim(ctx); err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, files(t, root)); d != "" {
			t.Errorf("after Trim (-want +got):\n%s", d)
		}
	}
	usage := func(want string) {
		t.Helper()
		got, err := os.ReadFile(filepath.Join(root, usageName))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", usageName, got, err, want)
		}
	}
	t0 := clock.Unix()

	put("layers/a", 100)
	trim("layers/a") // no count yet: walked
	usage(fmt.Sprintf("100 %d\n", t0))

	// A file the count does not know stays until a walk finds it.
	os.WriteFile(filepath.Join(root, "layers/hidden"), make([]byte, 1000), 0o640)
	os.Chtimes(filepath.Join(root, "layers/hidden"), clock, clock) // the oldest
	put("layers/b", 100)
	trim("layers/a", "layers/b", "layers/hidden") // 200 counted, within budget: not walked
	usage(fmt.Sprintf("200 %d\n", t0))

	// An hour on, the count is walked again.
	clock = clock.Add(rewalkAfter)
	put("layers/c", 10)
	trim("layers/a", "layers/b", "layers/c")
	usage(fmt.Sprintf("210 %d\n", clock.Unix()))

	// Over budget by the count: walked, the least recently used evicted.
	put("layers/d", 100)
	trim("layers/b", "layers/c", "layers/d")
	usage(fmt.Sprintf("210 %d\n", clock.Unix()))

	// Another Trim holds the count: this one walks and leaves it alone.
	f, err := os.OpenFile(filepath.Join(root, usageName), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !tryLock(f) {
		t.Fatal("the test cannot lock the count")
	}
	put("layers/e", 100)
	trim("layers/c", "layers/d", "layers/e")
	usage(fmt.Sprintf("210 %d\n", clock.Unix()))
	f.Close()

	// An unreadable count is walked and rewritten; the walk removes
	// objects being written for longer than staleTemp (a crash left
	// them), not the others.
	for name, mod := range map[string]time.Time{".tmp-old": clock.Add(-staleTemp - time.Second), ".tmp-new": clock} {
		os.WriteFile(filepath.Join(root, "layers", name), make([]byte, 1000), 0o640)
		os.Chtimes(filepath.Join(root, "layers", name), mod, mod)
	}
	os.WriteFile(filepath.Join(root, usageName), []byte("garbage"), 0o600)
	os.WriteFile(filepath.Join(root, "layers/hidden"), make([]byte, 1000), 0o640)
	os.Chtimes(filepath.Join(root, "layers/hidden"), clock, clock)
	put("layers/f", 10)
	trim("layers/.tmp-new", "layers/c", "layers/d", "layers/e", "layers/f")
	usage(fmt.Sprintf("220 %d\n", clock.Unix()))
}

func TestNewRejects(t *testing.T) {
	root := t.TempDir()
	for _, tt := range []struct {
		name string
		s    Store
		root string
		max  int64
	}{
		{"no store", nil, root, 1},
		{"no root", fileStore(root), "", 1},
		{"zero budget", fileStore(root), root, 0},
	} {
		if _, err := New(tt.s, tt.root, tt.max); err == nil {
			t.Errorf("%s: New succeeded", tt.name)
		}
	}
}
