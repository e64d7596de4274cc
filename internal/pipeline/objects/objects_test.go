package objects

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestDir(t *testing.T) {
	root := t.TempDir()
	// A temporary file left by a crash goes at Open.
	if err := os.MkdirAll(filepath.Join(root, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(root, "a", tmpPrefix+"123")
	if err := os.WriteFile(leftover, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// OpenShared leaves it: it may be another process's object being
	// written.
	if _, err := OpenShared(root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(leftover); err != nil {
		t.Fatalf("OpenShared removed a temporary file: %v", err)
	}
	d, err := Open(root, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(leftover); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file survived Open: %v", err)
	}
	ctx := t.Context()
	if _, err := d.Get(ctx, "layers/sha256/ab/abc"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of an absent object: %v", err)
	}
	for _, v := range []string{"one", "two"} {
		if err := d.Put(ctx, "layers/sha256/ab/abc", []byte(v)); err != nil {
			t.Fatal(err)
		}
		got, err := d.Get(ctx, "layers/sha256/ab/abc")
		if err != nil || string(got) != v {
			t.Fatalf("Get = %q, %v; want %q", got, err, v)
		}
	}
	if err := d.Delete(ctx, "layers/sha256/ab/abc"); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, "layers/sha256/ab/abc"); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	for _, bad := range []string{"", "/etc/passwd", "../x", "a/../../x", "a//b", "a/" + tmpPrefix + "x"} {
		if err := d.Put(ctx, bad, nil); err == nil {
			t.Errorf("Put(%q) succeeded", bad)
		}
	}
}

func TestDiscard(t *testing.T) {
	var s Store = Discard{}
	if err := s.Put(t.Context(), "layers/a", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Get(t.Context(), "layers/a"); !errors.Is(err, ErrNotFound) || b != nil {
		t.Errorf("Get after Put: %q, %v; want ErrNotFound", b, err)
	}
	if err := s.Delete(t.Context(), "layers/a"); err != nil {
		t.Error(err)
	}
}
