package gunzip

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"
)

// inflateAll decodes the whole gzip member in gz with one decoder.
func inflateAll(t testing.TB, gz []byte) []byte {
	t.Helper()
	h, err := headerLen(gz)
	if err != nil {
		t.Fatal(err)
	}
	d := new(decoder)
	if err := d.reset(gz, 0, int64(h)*8, nil); err != nil {
		t.Fatal(err)
	}
	// The trailer's size (mod 4 GiB) sizes the output: no regrowth.
	isize := int(binary.LittleEndian.Uint32(gz[len(gz)-4:]))
	out := make([]byte, max(1<<20, isize+2*windowSize))
	op := 0
	for {
		if len(out)-op < 2*windowSize {
			bigger := make([]byte, 2*len(out))
			copy(bigger, out[:op])
			out = bigger
		}
		var st status
		op, st, err = run(d, out, op, len(out)-maxMatch-slack, 1<<62)
		if err != nil {
			t.Fatalf("at output %d: %v", op, err)
		}
		if st == stFinal {
			return out[:op]
		}
	}
}

func gzipped(t testing.TB, data []byte, level int) []byte {
	var b bytes.Buffer
	w, err := gzip.NewWriterLevel(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func TestInflateLevels(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "bin", "go"))
	if err != nil {
		data = bytes.Repeat([]byte("drydock "), 100000)
	}
	data = data[:min(len(data), 4<<20)]
	for _, level := range []int{gzip.NoCompression, gzip.HuffmanOnly, 1, 6, 9} {
		got := inflateAll(t, gzipped(t, data, level))
		if !bytes.Equal(got, data) {
			t.Fatalf("level %d: output differs (%d vs %d bytes)", level, len(got), len(data))
		}
	}
}

func BenchmarkInflate(b *testing.B) {
	gz, err := os.ReadFile(os.Getenv("GUNZIP_BENCH"))
	if err != nil {
		b.Skip("GUNZIP_BENCH names a gzip file")
	}
	b.Run("own", func(b *testing.B) {
		b.SetBytes(int64(len(gz)))
		for b.Loop() {
			inflateAll(b, gz)
		}
	})
	b.Run("klauspost", func(b *testing.B) {
		b.SetBytes(int64(len(gz)))
		for b.Loop() {
			r, _ := kgzip.NewReader(bytes.NewReader(gz))
			io.Copy(io.Discard, r)
		}
	})
}

// BenchmarkDecoder times the decoder alone: one output buffer for all
// iterations, so that page faults do not count.
func BenchmarkDecoder(b *testing.B) {
	gz, err := os.ReadFile(os.Getenv("GUNZIP_BENCH"))
	if err != nil {
		b.Skip("GUNZIP_BENCH names a gzip file")
	}
	h, err := headerLen(gz)
	if err != nil {
		b.Fatal(err)
	}
	isize := int(binary.LittleEndian.Uint32(gz[len(gz)-4:]))
	out := make([]byte, isize+2*windowSize)
	d := new(decoder)
	b.SetBytes(int64(isize))
	for b.Loop() {
		if err := d.reset(gz, 0, int64(h)*8, nil); err != nil {
			b.Fatal(err)
		}
		d.minOut = windowSize
		op, st, err := run(d, out, windowSize, len(out)-maxMatch-slack, 1<<62)
		if err != nil || st != stFinal || op-windowSize != isize {
			b.Fatalf("%v %v %d", err, st, op)
		}
	}
}
