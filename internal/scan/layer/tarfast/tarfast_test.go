package tarfast

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// entryReader is what both readers offer.
type entryReader interface {
	Next() (*tar.Header, error)
	Read([]byte) (int, error)
}

// walk reads every entry of r: its header, and its contents, all of them
// or (every third entry) only the first 100 bytes, leaving the rest to
// Next. It returns what it saw, errors included, as text.
func walk(r entryReader) []string {
	var out []string
	for i := 0; i < 10000; i++ {
		hdr, err := r.Next()
		if err != nil {
			return append(out, "next: "+errText(err))
		}
		out = append(out, fmt.Sprintf("header %#v", *hdr))
		var data []byte
		if i%3 == 2 {
			buf := make([]byte, 100)
			n, err := io.ReadFull(r, buf)
			data = buf[:n]
			if err != nil {
				out = append(out, "partial read: "+errText(err))
			}
		} else {
			data, err = io.ReadAll(r)
			if err != nil {
				out = append(out, "read: "+errText(err))
			}
		}
		out = append(out, fmt.Sprintf("data %q", data))
	}
	return out
}

func errText(err error) string {
	switch {
	case err == io.EOF:
		return "io.EOF"
	case err == io.ErrUnexpectedEOF:
		return "io.ErrUnexpectedEOF"
	case errors.Is(err, tar.ErrHeader):
		return "tar.ErrHeader"
	}
	return err.Error()
}

// same fails t unless Reader reads data as archive/tar does.
func same(t *testing.T, name string, data []byte) {
	t.Helper()
	want := walk(tar.NewReader(bytes.NewReader(data)))
	got := walk(NewReader(bytes.NewReader(data)))
	if !reflect.DeepEqual(want, got) {
		for i := range max(len(want), len(got)) {
			var w, g string
			if i < len(want) {
				w = want[i]
			}
			if i < len(got) {
				g = got[i]
			}
			if w != g {
				t.Fatalf("%s: step %d:\narchive/tar: %s\ntarfast:     %s", name, i, w, g)
			}
		}
	}
}

// written returns tars made by archive/tar's writer in each format, with
// the cases a layer may hold.
func written(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	mtime := time.Unix(1700000000, 0)
	long := strings.Repeat("d", 120) + "/" + strings.Repeat("f", 110)
	for _, f := range []tar.Format{tar.FormatUSTAR, tar.FormatPAX, tar.FormatGNU} {
		var buf bytes.Buffer
		w := tar.NewWriter(&buf)
		add := func(h *tar.Header, data string) {
			h.Format, h.ModTime = f, mtime
			if h.Typeflag == tar.TypeReg {
				h.Size = int64(len(data))
			}
			if err := w.WriteHeader(h); err != nil {
				return // this format cannot hold it
			}
			_, _ = io.WriteString(w, data)
		}
		add(&tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}, "")
		add(&tar.Header{Name: "etc/os-release", Typeflag: tar.TypeReg, Mode: 0o644, Uname: "root", Gname: "root"}, "ID=alpine\n")
		add(&tar.Header{Name: "usr/lib/big", Typeflag: tar.TypeReg, Mode: 0o644}, strings.Repeat("x", 1500))
		add(&tar.Header{Name: "bin/sh", Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777}, "")
		add(&tar.Header{Name: "bin/ash", Typeflag: tar.TypeLink, Linkname: "bin/busybox"}, "")
		add(&tar.Header{Name: "dev/null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3, Mode: 0o666}, "")
		add(&tar.Header{Name: "run/fifo", Typeflag: tar.TypeFifo}, "")
		add(&tar.Header{Name: long, Typeflag: tar.TypeReg}, "long name")
		add(&tar.Header{Name: "usr/" + strings.Repeat("p", 90) + "/x", Typeflag: tar.TypeReg}, "prefix")
		add(&tar.Header{Name: "huge/uid", Typeflag: tar.TypeReg, Uid: 1 << 30}, "base-256 in GNU, PAX record in PAX")
		add(&tar.Header{Name: "ünï.txt", Typeflag: tar.TypeReg}, "non-ASCII name")
		add(&tar.Header{Name: "opt/.wh..wh..opq", Typeflag: tar.TypeReg}, "")
		add(&tar.Header{Name: "x", Typeflag: tar.TypeReg, PAXRecords: map[string]string{"SCHILY.xattr.security.capability": "\x01\x00"}}, "xattr")
		// Times PAX carries (BuildKit and containerd write sub-second
		// mtimes), before 1970 too, and records with no meaning to tar.
		sub := &tar.Header{Name: "sub/second", Typeflag: tar.TypeReg, PAXRecords: map[string]string{"comment": "made by a test", "LIBARCHIVE.creationtime": "1700000000"}}
		if f == tar.FormatPAX {
			if err := w.WriteHeader(&tar.Header{Name: "sub/", Typeflag: tar.TypeDir, Format: f, ModTime: time.Unix(1700000000, 123456789),
				AccessTime: time.Unix(1700000001, 5), ChangeTime: time.Unix(-86400, -1)}); err != nil {
				t.Fatal(err)
			}
		}
		add(sub, "pax records")
		add(&tar.Header{Name: "old/", Typeflag: tar.TypeDir, Linkname: strings.Repeat("l", 120)}, "")
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		out["written-"+f.String()] = buf.Bytes()
	}
	return out
}

// corpus returns the test tars: those GNU tar 1.34 wrote in testdata (see
// testdata/README.md) and those archive/tar writes.
func corpus(t testing.TB) map[string][]byte {
	out := written(t)
	files, err := filepath.Glob("testdata/*.tar")
	if err != nil || len(files) == 0 {
		t.Fatalf("testdata: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

func TestSameAsArchiveTar(t *testing.T) {
	for name, data := range corpus(t) {
		same(t, name, data)
		// Truncated anywhere, and damaged: every header field, the
		// checksum, the contents, and a zero block then a header.
		for cut := 0; cut < len(data); cut += 97 + len(data)/50 {
			same(t, fmt.Sprintf("%s cut at %d", name, cut), data[:cut])
		}
		for _, at := range []int{0, 100, 124, 136, 148, 156, 157, 257, 263, 329, 345, 357, 511, 512, 700, 1024, 1100, 1536} {
			if at >= len(data) {
				continue
			}
			for _, b := range []byte{0, ' ', '8', 0x80, 0xff, 'x', 'g', 'L', 'S'} {
				bad := bytes.Clone(data)
				bad[at] = b
				same(t, fmt.Sprintf("%s with %#x at %d", name, b, at), bad)
			}
		}
		zero := append(make([]byte, 512), data...)
		same(t, name+" after a zero block", zero)
	}
}

// TestPlainHeadersParsedHere: the headers of the common formats are
// parsed by the Reader, not handed to archive/tar (which would make it no
// faster); only PAX and GNU extensions, V7 headers and those with
// non-octal numbers are.
func TestPlainHeadersParsedHere(t *testing.T) {
	data := corpus(t)
	for name, maxHanded := range map[string]int{
		"gnu.tar": 2, "oldgnu.tar": 2, "ustar.tar": 0, "posix.tar": 0, "v7.tar": 99,
		"written-USTAR": 0, "written-GNU": 3, "written-PAX": 0,
	} {
		r := NewReader(bytes.NewReader(data[name]))
		n := 0
		for {
			if _, err := r.Next(); err != nil {
				break
			}
			n++
		}
		if r.handed > maxHanded || (r.handed == n && name != "v7.tar") {
			t.Errorf("%s: %d of %d entries handed to archive/tar, want at most %d", name, r.handed, n, maxHanded)
		}
	}
}

// FuzzSameAsArchiveTar: on any bytes, Reader gives the headers, contents
// and errors archive/tar gives.
func FuzzSameAsArchiveTar(f *testing.F) {
	for _, data := range corpus(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		same(t, "input", data)
	})
}

// BenchmarkNext compares the readers on a layer of 10,000 small files.
func BenchmarkNext(b *testing.B) {
	var buf bytes.Buffer
	w := tar.NewWriter(&buf)
	for i := range 10000 {
		name := fmt.Sprintf("usr/share/many/d%02d/file-%05d.txt", i/1000, i)
		if err := w.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: 12, ModTime: time.Unix(1700000000, 0)}); err != nil {
			b.Fatal(err)
		}
		_, _ = io.WriteString(w, "hello world\n")
	}
	_ = w.Close()
	data := buf.Bytes()
	for _, tc := range []struct {
		name string
		open func(io.Reader) entryReader
	}{
		{"archive-tar", func(r io.Reader) entryReader { return tar.NewReader(r) }},
		{"tarfast", func(r io.Reader) entryReader { return NewReader(r) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				r := tc.open(bytes.NewReader(data))
				for {
					if _, err := r.Next(); err != nil {
						break
					}
				}
			}
		})
	}
}
