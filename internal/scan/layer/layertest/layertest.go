// Package layertest builds layer tarballs for tests: plain, gzip and zstd,
// with any entry type, including the malformed ones a hostile image would
// carry.
package layertest

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/drydock/drydock/internal/oci"
)

// Entry is one tar entry. Type defaults to a regular file (a directory when
// Name ends in "/"); Mode defaults to 0644 (0755 for directories).
type Entry struct {
	Name string
	Type byte
	Body string
	Link string // symlink target or hard link name
	Mode int64
}

// File returns a regular file entry.
func File(name, body string) Entry { return Entry{Name: name, Body: body} }

// Exec returns an executable regular file entry.
func Exec(name string, body []byte) Entry { return Entry{Name: name, Body: string(body), Mode: 0o755} }

// Dir returns a directory entry.
func Dir(name string) Entry { return Entry{Name: name, Type: tar.TypeDir} }

// Symlink returns a symbolic link entry.
func Symlink(name, target string) Entry {
	return Entry{Name: name, Type: tar.TypeSymlink, Link: target}
}

// Hardlink returns a hard link entry.
func Hardlink(name, target string) Entry { return Entry{Name: name, Type: tar.TypeLink, Link: target} }

// Whiteout returns the whiteout entry deleting name from lower layers.
func Whiteout(name string) Entry {
	dir, base := "", name
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			dir, base = name[:i+1], name[i+1:]
			break
		}
	}
	return File(dir+".wh."+base, "")
}

// Opaque returns the entry marking dir opaque (its lower contents hidden).
func Opaque(dir string) Entry { return File(dir+"/.wh..wh..opq", "") }

// Header returns the tar header for e.
func (e Entry) Header() *tar.Header {
	h := &tar.Header{Name: e.Name, Typeflag: e.Type, Linkname: e.Link, Mode: e.Mode, Format: tar.FormatPAX}
	if h.Typeflag == 0 {
		h.Typeflag = tar.TypeReg
		if len(e.Name) > 0 && e.Name[len(e.Name)-1] == '/' {
			h.Typeflag = tar.TypeDir
		}
	}
	if h.Mode == 0 {
		h.Mode = 0o644
		if h.Typeflag == tar.TypeDir {
			h.Mode = 0o755
		}
	}
	if h.Typeflag == tar.TypeReg {
		h.Size = int64(len(e.Body))
	}
	return h
}

// Tar returns a tar stream of entries.
func Tar(tb testing.TB, entries ...Entry) []byte {
	tb.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		if err := tw.WriteHeader(e.Header()); err != nil {
			tb.Fatalf("layertest: header %q: %v", e.Name, err)
		}
		if _, err := tw.Write([]byte(e.Body)); err != nil {
			tb.Fatalf("layertest: body %q: %v", e.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		tb.Fatalf("layertest: %v", err)
	}
	return buf.Bytes()
}

// Gzip compresses b with gzip.
func Gzip(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// Zstd compresses b with zstd.
func Zstd(tb testing.TB, b []byte) []byte {
	tb.Helper()
	zw, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		tb.Fatal(err)
	}
	defer zw.Close()
	return zw.EncodeAll(b, nil)
}

// DiffID returns the sha256 digest of an uncompressed tar stream.
func DiffID(b []byte) oci.Digest {
	return oci.Digest(fmt.Sprintf("sha256:%x", sha256.Sum256(b)))
}
