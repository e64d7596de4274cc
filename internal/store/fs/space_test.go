//go:build linux || darwin

package fs

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestAutoReserve(t *testing.T) {
	for _, tc := range []struct{ total, want int64 }{
		{32 << 20, 8 << 20},          // a quarter of a tiny disk
		{64 << 20, 16 << 20},         // the floor
		{1 << 30, 16 << 20},          // 1% is below the floor
		{10 << 30, (10 << 30) / 100}, // 1%
		{1 << 40, 256 << 20},         // the cap
	} {
		if got := autoReserve(tc.total); got != tc.want {
			t.Errorf("autoReserve(%d) = %d, want %d", tc.total, got, tc.want)
		}
	}
}

// TestReserve: uploads stop with ENOSPC before they eat into the reserve,
// and a session refused a write holds no more bytes than before.
func TestReserve(t *testing.T) {
	root := t.TempDir()
	free, total, ok := diskSpace(root)
	if !ok || total <= 0 || free <= 0 {
		t.Fatalf("diskSpace(%s) = %d, %d, %v", root, free, total, ok)
	}
	open := func(reserve int64) *Store {
		s, err := Open(Config{Root: root, Reserve: reserve})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	unlimited, full := open(-1), open(free+1<<40)

	if _, err := full.NewUpload(t.Context()); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("NewUpload below the reserve: %v, want ENOSPC", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(root, "uploads")); len(ents) != 0 {
		t.Errorf("a refused session left %d entries in uploads/", len(ents))
	}

	up, err := unlimited.NewUpload(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.Write(randBytes(t, 1000)); err != nil {
		t.Fatal(err)
	}
	if err := up.Close(); err != nil {
		t.Fatal(err)
	}
	up, err = full.ResumeUpload(t.Context(), up.ID())
	if err != nil {
		t.Fatal(err)
	}
	if n, err := up.Write(randBytes(t, 10)); n != 0 || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Write below the reserve = %d, %v; want 0, ENOSPC", n, err)
	}
	if up.Size() != 1000 {
		t.Errorf("Size after a refused write = %d, want 1000", up.Size())
	}
	if err := up.Cancel(t.Context()); err != nil {
		t.Fatal(err)
	}

	// The automatic reserve lets a small upload through on a disk that is
	// not nearly full.
	if free > 2*autoReserve(total) {
		up, err := open(0).NewUpload(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := up.Write(randBytes(t, 10)); err != nil {
			t.Errorf("Write with the automatic reserve: %v", err)
		}
		up.Cancel(t.Context())
	}
}
