package layer_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"github.com/drydock/drydock/internal/scan/layer/gunzip"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/scan/layer"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

// readLayers reads blobs into a new Reader, each one directly or started
// ahead (ReadAhead before the previous layer is read, as package scan
// does).
func readLayers(t *testing.T, ahead bool, descs []layer.Desc, blobs ...[]byte) (*layer.Reader, error) {
	t.Helper()
	r, err := layer.New(layer.Config{}, prefixSel{"etc/", "usr/"})
	if err != nil {
		t.Fatal(err)
	}
	var next *layer.Ahead
	defer func() {
		if next != nil {
			next.Close()
		}
	}()
	for i, b := range blobs {
		var src io.Reader = bytes.NewReader(b)
		if ahead {
			if next == nil {
				next = layer.ReadAhead(t.Context(), src, 2)
			}
			src = next
			next = nil
			if i+1 < len(blobs) {
				next = layer.ReadAhead(t.Context(), bytes.NewReader(blobs[i+1]), 2)
			}
		}
		var d layer.Desc
		if descs != nil {
			d = descs[i]
		}
		if err := r.ReadLayer(t.Context(), d, src); err != nil {
			return r, err
		}
	}
	return r, nil
}

func TestReadAheadSameAsDirect(t *testing.T) {
	var big []lt.Entry
	for i := range 300 {
		big = append(big, lt.File("usr/share/f"+strings.Repeat("y", i%40), strings.Repeat("data ", 500+i)))
	}
	l0 := lt.Tar(t, append(big, lt.File("etc/a", "one"), lt.File("etc/b", "two"), lt.Symlink("etc/c", "b"))...)
	l1 := lt.Tar(t, lt.Whiteout("etc/a"), lt.File("etc/b", "three"), lt.Hardlink("etc/d", "etc/b"))
	l2 := lt.Tar(t, lt.Opaque("usr/share"), lt.File("usr/share/z", "last"))
	plain := [][]byte{l0, l1, l2}
	descs := []layer.Desc{{DiffID: lt.DiffID(l0)}, {DiffID: lt.DiffID(l1)}, {DiffID: lt.DiffID(l2)}}
	for _, tt := range []struct {
		name  string
		blobs [][]byte
	}{
		{"gzip", [][]byte{lt.Gzip(t, l0), lt.Gzip(t, l1), lt.Gzip(t, l2)}},
		{"zstd", [][]byte{lt.Zstd(t, l0), lt.Zstd(t, l1), lt.Zstd(t, l2)}},
		{"plain", plain},
		{"mixed", [][]byte{lt.Gzip(t, l0), l1, lt.Zstd(t, l2)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want, err := readLayers(t, false, descs, tt.blobs...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := readLayers(t, true, descs, tt.blobs...)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(files(want.FS(0)), files(got.FS(0))); d != "" {
				t.Errorf("files (-direct +ahead):\n%s", d)
			}
			if d := cmp.Diff(want.Layers(), got.Layers()); d != "" {
				t.Errorf("layers (-direct +ahead):\n%s", d)
			}
		})
	}
}

func TestReadAheadBrokenStreams(t *testing.T) {
	var entries []lt.Entry
	for i := range 200 {
		entries = append(entries, lt.File("etc/f"+strings.Repeat("x", i%50), strings.Repeat("content ", 100+i)))
	}
	plain := lt.Tar(t, entries...)
	gz := lt.Gzip(t, plain)
	zs := lt.Zstd(t, plain)
	flip := func(b []byte, at int) []byte {
		c := bytes.Clone(b)
		for i := at; i < at+16 && i < len(c); i++ {
			c[i] ^= 0x5a
		}
		return c
	}
	for _, tt := range []struct {
		name string
		blob []byte
		desc layer.Desc
		want error
	}{
		{"truncated gzip", gz[:len(gz)/2], layer.Desc{}, layer.ErrTruncated},
		{"truncated zstd", zs[:len(zs)/2], layer.Desc{}, layer.ErrTruncated},
		{"corrupt gzip", flip(gz, len(gz)/2), layer.Desc{}, layer.ErrCorrupt},
		{"corrupt gzip header", flip(gz, 0)[:64], layer.Desc{}, layer.ErrCorrupt},
		{"corrupt zstd", flip(zs, len(zs)/2), layer.Desc{}, layer.ErrCorrupt},
		{"xz", append([]byte{0xfd, '7', 'z', 'X', 'Z', 0}, make([]byte, 100)...), layer.Desc{}, layer.ErrUnsupportedCompression},
		{"diff_id mismatch", gz, layer.Desc{DiffID: lt.DiffID(gz)}, layer.ErrDiffIDMismatch},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// The broken layer comes second, so that it is read ahead.
			first := lt.Gzip(t, lt.Tar(t, lt.File("etc/ok", "ok")))
			descs := []layer.Desc{{}, tt.desc}
			_, want := readLayers(t, false, descs, first, tt.blob)
			_, got := readLayers(t, true, descs, first, tt.blob)
			if !errors.Is(got, tt.want) {
				t.Fatalf("ahead: err = %v, want %v", got, tt.want)
			}
			if want == nil || got.Error() != want.Error() {
				t.Errorf("ahead: err = %v, direct: %v", got, want)
			}
		})
	}
}

// countReader counts the bytes read from it.
type countReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func TestReadAheadIsBounded(t *testing.T) {
	noise := make([]byte, 16<<20) // incompressible: compressed ≈ decompressed
	if _, err := rand.Read(noise); err != nil {
		t.Fatal(err)
	}
	blob := lt.Gzip(t, lt.Tar(t, lt.Exec("usr/bin/noise", noise)))
	src := &countReader{r: bytes.NewReader(blob)}
	a := layer.ReadAhead(t.Context(), src, 4) // 1 MiB
	// Wait until decoding stops making progress.
	last := int64(-1)
	for i := 0; i < 100 && src.n.Load() != last; i++ {
		last = src.n.Load()
		time.Sleep(20 * time.Millisecond)
	}
	// The gzip decoder reads chunks ahead for its workers.
	if n, most := src.n.Load(), 2<<20+gunzip.MaxReadAhead(runtime.GOMAXPROCS(0)); n > most {
		t.Errorf("read ahead %d compressed bytes with a 1 MiB buffer (at most %d)", n, most)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	a.Close() // twice is harmless
	n := src.n.Load()
	time.Sleep(50 * time.Millisecond)
	if src.n.Load() != n {
		t.Error("decoding went on after Close")
	}
}
