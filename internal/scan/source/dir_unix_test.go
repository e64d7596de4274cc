//go:build unix

package source_test

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drydock/drydock/internal/scan/layer"
	"github.com/drydock/drydock/internal/scan/source"
)

// TestDirSwappedFiles: a file replaced between the walk's lstat and its
// read, by a FIFO (opening one for reading would wait for a writer) or by
// a symbolic link leading out of the root, reads as layer.ErrUnreadable:
// no hang, and nothing from outside the root.
func TestDirSwappedFiles(t *testing.T) {
	root := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret")
	mustWrite(t, outside, "outside the root")
	mustWrite(t, filepath.Join(root, "fifo"), "was a file")
	mustWrite(t, filepath.Join(root, "link"), "was a file")
	es, _, err := images(t, "dir:"+root, source.Options{})[0].OpenEntries(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer es.Close()
	eachEntry(t, es, func(h *tar.Header) {
		p := filepath.Join(root, h.Name)
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		switch h.Name {
		case "fifo":
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Skipf("no FIFOs here: %v", err)
			}
		case "link":
			if err := os.Symlink(outside, p); err != nil {
				t.Fatal(err)
			}
		}
		done := make(chan struct{})
		var b []byte
		var err error
		go func() {
			defer close(done)
			b, err = io.ReadAll(es)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: read blocked", h.Name)
		}
		if !errors.Is(err, layer.ErrUnreadable) || len(b) != 0 {
			t.Errorf("%s: read %q, %v; want nothing and ErrUnreadable", h.Name, b, err)
		}
	})
}

// TestDirSwappedDirectory: a directory on a wanted file's path replaced
// by a symbolic link to a directory outside the root, after the walk
// listed it: the file reads as layer.ErrUnreadable, and nothing from
// outside the root is read.
func TestDirSwappedDirectory(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	mustWrite(t, filepath.Join(outside, "x", "secret"), "outside the root")
	mustWrite(t, filepath.Join(root, "a", "x", "secret"), "inside")
	es, _, err := images(t, "dir:"+root, source.Options{})[0].OpenEntries(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer es.Close()
	var read []string
	eachEntry(t, es, func(h *tar.Header) {
		if h.Name != "a/x/secret" {
			return
		}
		a := filepath.Join(root, "a")
		if err := os.Rename(a, a+".old"); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outside, a); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(es)
		if !errors.Is(err, layer.ErrUnreadable) || len(b) != 0 {
			t.Errorf("read %q, %v; want nothing and ErrUnreadable", b, err)
		}
		read = append(read, h.Name)
	})
	if len(read) != 1 {
		t.Errorf("the walk gave a/x/secret %d times", len(read))
	}
}

// An archive that is not a regular file (docker save IMAGE | drydock scan
// docker-archive:/dev/stdin) is refused with a way out, not a seek error.
func TestArchiveNotAFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	// Opening a FIFO for reading waits for a writer.
	go func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
	}()
	for _, tt := range []struct{ ref, want string }{
		{"docker-archive:" + fifo, "is a pipe; an archive is read at its members' offsets: save the image to a file first (docker save -o image.tar IMAGE)"},
		{"oci-archive:" + dir, "is a directory"},
	} {
		_, err := source.Open(t.Context(), tt.ref, source.Options{})
		if !errors.Is(err, source.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want ErrInvalid saying %q", tt.ref, err, tt.want)
		}
	}
}
