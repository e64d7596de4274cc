package layercache

import (
	"archive/tar"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestSkeletonCodec(t *testing.T) {
	sk := &Skeleton{
		DiffID:    "sha256:abc",
		Selectors: []string{"osinfo@1", "os/apk@1", "go/binary@1"},
		Entries: []Entry{
			{Name: "./lib/apk/db/installed", Type: tar.TypeReg, Mode: 0o644, Size: 5, ModTime: 1700000000, Content: []byte("hello"), HasContent: true},
			{Name: "empty", Type: tar.TypeReg, Mode: 0o600, Content: []byte{}, HasContent: true, Pinned: true},
			{Name: "bin/app", Type: tar.TypeReg, Mode: 0o755, Size: 1 << 20, Reduced: map[string]Output{
				"go/binary@1": {Data: []byte("path\texample.com/app")}, "x@1": {}, "y@2": {Err: "bad binary"}}},
			{Name: "lib", Link: "usr/lib", Type: tar.TypeSymlink, Mode: 0o777},
			{Name: "etc/", Type: tar.TypeDir, Mode: 0o755, ModTime: -5},
		},
	}
	b := sk.Marshal()
	got, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sk, got); diff != "" {
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
	sk := &Skeleton{DiffID: "sha256:abc", Selectors: []string{"osinfo@1", "go/binary@1"}, Entries: []Entry{
		{Name: "etc/os-release", Type: tar.TypeReg, Mode: 0o644, Size: 3, Content: []byte("x=1"), HasContent: true},
		{Name: "bin/app", Type: tar.TypeReg, Mode: 0o755, Size: 9, Reduced: map[string]Output{"go/binary@1": {Data: []byte("m")}}},
		{Name: "lib", Link: "usr/lib", Type: tar.TypeSymlink},
	}}
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
		if diff := cmp.Diff(got, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}
