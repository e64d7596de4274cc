package layercache

import (
	"archive/tar"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestSkeletonCodec(t *testing.T) {
	sk := newSkeleton("sha256:abc", []string{"osinfo@1", "os/apk@1", "go/binary@1"},
		[]Entry{
			{Name: "./lib/apk/db/installed", Type: tar.TypeReg, Mode: 0o644, Size: 5, ModTime: 1700000000, Content: []byte("hello"), HasContent: true},
			{Name: "empty", Type: tar.TypeReg, Mode: 0o600, Content: []byte{}, HasContent: true, Pinned: true},
			{Name: "bin/app", Type: tar.TypeReg, Mode: 0o755, Size: 1 << 20, Reduced: map[string]Output{
				"go/binary@1": {Data: []byte("path\texample.com/app")}, "x@1": {}, "y@2": {Err: "bad binary"}}},
			{Name: "lib", Link: "usr/lib", Type: tar.TypeSymlink, Mode: 0o777},
			{Name: "etc/", Type: tar.TypeDir, Mode: 0o755, ModTime: -5},
			{Name: "usr/share/doc/README", Type: tar.TypeReg, Mode: 0o644, Size: 7, Unwanted: true},
		}...)
	b := sk.Marshal()
	got, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(view(sk), view(got)); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	for _, bad := range [][]byte{nil, []byte("not zstd"), b[:len(b)/2]} {
		if _, err := Unmarshal(bad); err == nil {
			t.Errorf("Unmarshal(%d bytes) succeeded", len(bad))
		}
	}
	enc := encoders.Get().(interface{ EncodeAll([]byte, []byte) []byte })
	defer encoders.Put(enc)
	for _, raw := range []string{"DDSK\x02", "XXXX\x01", "DDSK\x01\x00\x00\xff\xff\xff\xff\x0f"} {
		if _, err := Unmarshal(enc.EncodeAll([]byte(raw), nil)); !errors.Is(err, errCorrupt) {
			t.Errorf("Unmarshal(%q) = %v, want errCorrupt", raw, err)
		}
	}
}

// FuzzSkeleton: a stored skeleton is read back from disk, where it may be
// damaged. Any bytes (compressed as skeletons are stored) decode to a
// skeleton or errCorrupt, never a panic or an allocation beyond the input's
// size, and what decodes re-encodes to the same skeleton.
func FuzzSkeleton(f *testing.F) {
	sk := newSkeleton("sha256:abc", []string{"osinfo@1", "go/binary@1"},
		Entry{Name: "etc/os-release", Type: tar.TypeReg, Mode: 0o644, Size: 3, Content: []byte("x=1"), HasContent: true},
		Entry{Name: "bin/app", Type: tar.TypeReg, Mode: 0o755, Size: 9, Reduced: map[string]Output{"go/binary@1": {Data: []byte("m")}}},
		Entry{Name: "lib", Link: "usr/lib", Type: tar.TypeSymlink})
	dec := decoders.Get().(interface {
		DecodeAll([]byte, []byte) ([]byte, error)
	})
	raw, err := dec.DecodeAll(sk.Marshal(), nil)
	decoders.Put(dec)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add([]byte("DDSK\x01"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		enc := encoders.Get().(interface{ EncodeAll([]byte, []byte) []byte })
		data := enc.EncodeAll(raw, nil)
		encoders.Put(enc)
		got, err := Unmarshal(data)
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("error %v is not errCorrupt", err)
			}
			return
		}
		again, err := Unmarshal(got.Marshal())
		if err != nil {
			t.Fatalf("re-encoded skeleton does not decode: %v", err)
		}
		if diff := cmp.Diff(view(got), view(again), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

// skeletonView is a skeleton's contents as plain values, to compare.
type skeletonView struct {
	DiffID    string
	Selectors []string
	Entries   []Entry
}

func view(s *Skeleton) skeletonView {
	v := skeletonView{DiffID: s.DiffID, Selectors: s.Selectors}
	for _, e := range s.All() {
		v.Entries = append(v.Entries, e)
	}
	return v
}

// TestSkeletonEntries: entries come back as added, in order and one by
// one, across marks, with names sharing prefixes or not, and times that go
// back and forth.
func TestSkeletonEntries(t *testing.T) {
	var want []Entry
	for i := range 3*markEvery + 5 {
		e := Entry{Name: fmt.Sprintf("usr/share/doc/pkg%d/file%d", i/7, i), Type: tar.TypeReg, Mode: 0o644,
			Size: int64(i * 1000), ModTime: int64(1700000000 + (i%3-1)*86400)}
		switch i % 10 {
		case 3:
			e.Name = "a" // shorter than the one before, sharing one byte
		case 4:
			e.Name, e.Type, e.Link, e.Size = "usr/lib", tar.TypeSymlink, "../lib", 0
		case 5:
			e.Content, e.HasContent = []byte(fmt.Sprint("contents ", i)), true
		case 6:
			e.Reduced = map[string]Output{"go/binary@1": {Data: []byte{byte(i)}}}
		case 7:
			e.Pinned, e.Content, e.HasContent = true, []byte{}, true
		case 8:
			e.ModTime = -1 << 40
		case 0, 1:
			e.Unwanted = true
		}
		want = append(want, e)
	}
	sk := newSkeleton("sha256:x", nil, want...)
	if sk.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", sk.Len(), len(want))
	}
	if diff := cmp.Diff(want, view(sk).Entries); diff != "" {
		t.Errorf("All (-want +got):\n%s", diff)
	}
	for i := len(want) - 1; i >= 0; i-- {
		if diff := cmp.Diff(want[i], sk.At(i)); diff != "" {
			t.Fatalf("At(%d) (-want +got):\n%s", i, diff)
		}
	}
	got, err := Unmarshal(sk.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, view(got).Entries, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("after a round trip (-want +got):\n%s", diff)
	}
}

// TestSkeletonSize: a million entries of a typical layer (names in
// directories, one time) take less than 40 bytes each in memory.
func TestSkeletonSize(t *testing.T) {
	if testing.Short() {
		t.Skip("a million entries")
	}
	sk := newSkeleton("sha256:x", nil)
	for i := range 1_000_000 {
		sk.add(Entry{Name: fmt.Sprintf("usr/share/many/d%04d/file-with-a-longish-name-%07d.txt", i/1000, i),
			Type: tar.TypeReg, Mode: 0o644, Size: 12, ModTime: 1700000000})
	}
	if per := sk.size() / int64(sk.Len()); per > 40 {
		t.Errorf("%d bytes an entry, want at most 40", per)
	}
}

// suffixSel wants the regular files whose names end in suffix.
type suffixSel string

func (s suffixSel) Wants(p string, fi fs.FileInfo) bool {
	return fi.Mode().IsRegular() && strings.HasSuffix(p, string(s))
}

// TestMarkUnwanted: a skeleton taken over for other selectors (Cache.fits)
// has its Unwanted marks set again for them: a file the new selectors want
// (one too large to need contents, say) is no longer marked, or a replay
// would not offer it to them.
func TestMarkUnwanted(t *testing.T) {
	sk := newSkeleton("sha256:x", []string{"a@1"},
		Entry{Name: "etc/a.conf", Type: tar.TypeReg, Size: 5, Content: []byte("hello"), HasContent: true},
		Entry{Name: "./opt/big.bin", Type: tar.TypeReg, Size: 1 << 30, Unwanted: true},
		Entry{Name: "opt/other", Type: tar.TypeReg, Size: 3, Unwanted: true},
		Entry{Name: "opt/link.bin", Link: "big.bin", Type: tar.TypeSymlink},
		Entry{Name: "opt/.wh.gone.bin", Type: tar.TypeReg},
		Entry{Name: "../up.bin", Type: tar.TypeReg},
	)
	markUnwanted(sk, []selector{{key: "a@1", sel: suffixSel(".conf")}, {key: "b@1", sel: suffixSel(".bin")}})
	var got []bool
	for _, e := range sk.All() {
		got = append(got, e.Unwanted)
	}
	if diff := cmp.Diff([]bool{false, false, true, false, false, false}, got); diff != "" {
		t.Errorf("Unwanted marks (-want +got):\n%s", diff)
	}
	// What the marks leave alone stays.
	if e := sk.At(0); !e.HasContent || string(e.Content) != "hello" || e.Size != 5 {
		t.Errorf("entry 0 = %+v", e)
	}
}
