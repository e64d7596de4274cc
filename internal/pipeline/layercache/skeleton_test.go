package layercache

import (
	"archive/tar"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
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
