package rustbinary

import (
	"bytes"
	"compress/zlib"
	"testing"
)

// TestStreamBombs: zlib bombs that decompress to a JSON-looking 8 MiB
// one after another (as a hostile executable can hold thousands) cost
// the stream search a bounded amount of decompression, not 8 MiB each
// (200 of them took 2.6 s before the bound, 29 ms after).
func TestStreamBombs(t *testing.T) {
	var z bytes.Buffer
	zw, err := zlib.NewWriterLevel(&z, zlib.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write([]byte("{"))
	zw.Write(bytes.Repeat([]byte(" "), maxJSON))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	bin := append([]byte("\x7fELF.dep-v0\x00"), make([]byte, 100)...)
	for range 200 {
		bin = append(bin, z.Bytes()...)
	}
	var decodes, inflated int
	defer func(f func(int)) { onDecode = f }(onDecode)
	onDecode = func(n int) { decodes, inflated = decodes+1, inflated+n }
	out, err := Extractor{}.ReduceStream("x", bytes.NewReader(bin), int64(len(bin)))
	if out != nil || err != nil {
		t.Errorf("ReduceStream = %q, %v; want nothing", out, err)
	}
	// Two bombs' worth (each one is refused one byte past the limit);
	// without a bound it was all 200.
	if limit := 2*maxJSON + 2; decodes > 64 || inflated > limit {
		t.Errorf("%d decodes inflated %d bytes; want at most 64 decodes and %d bytes", decodes, inflated, limit)
	}
	if decodes == 0 {
		t.Error("no candidate decoded: the test no longer builds bombs that pass the prefilter")
	}
}
