package gunzip

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/klauspost/pgzip"
)

// readAll decodes gz with the parallel reader.
func readAll(t testing.TB, gz []byte, workers int) ([]byte, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(gz), workers)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// withChunkSize makes jobs of n compressed bytes, so that small streams
// take many.
func withChunkSize(t testing.TB, n int) {
	old := chunkSize
	chunkSize = n
	t.Cleanup(func() { chunkSize = old })
}

// testData is a mix of machine code, text, random bytes and runs, about as
// compressible as a layer.
func testData(t testing.TB, n int) []byte {
	bin, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "bin", "gofmt"))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	for b.Len() < n {
		switch rng.IntN(4) {
		case 0:
			off := rng.IntN(len(bin) - 70000)
			b.Write(bin[off : off+rng.IntN(70000)])
		case 1:
			for range rng.IntN(2000) {
				b.WriteString("Package: libc6\nVersion: 2.36-9+deb12u4\n")
			}
		case 2:
			r := make([]byte, rng.IntN(40000))
			for i := range r {
				r[i] = byte(rng.Uint32())
			}
			b.Write(r)
		default:
			b.Write(bytes.Repeat([]byte{byte(rng.Uint32())}, rng.IntN(100000)))
		}
	}
	return b.Bytes()[:n]
}

// compressors produce gzip streams the way layer producers do.
var compressors = map[string]func(t testing.TB, data []byte) []byte{
	"stdlib-1": func(t testing.TB, d []byte) []byte { return gzipped(t, d, 1) },
	"stdlib-6": func(t testing.TB, d []byte) []byte { return gzipped(t, d, 6) },
	"stdlib-9": func(t testing.TB, d []byte) []byte { return gzipped(t, d, 9) },
	"stdlib-huffman": func(t testing.TB, d []byte) []byte {
		return gzipped(t, d, gzip.HuffmanOnly)
	},
	"stdlib-stored": func(t testing.TB, d []byte) []byte {
		return gzipped(t, d, gzip.NoCompression)
	},
	"stdlib-flushes": func(t testing.TB, d []byte) []byte {
		// Sync flushes: empty stored blocks at byte boundaries.
		var b bytes.Buffer
		w, _ := gzip.NewWriterLevel(&b, 6)
		for len(d) > 0 {
			n := min(len(d), 50000)
			w.Write(d[:n])
			w.Flush()
			d = d[n:]
		}
		w.Close()
		return b.Bytes()
	},
	"klauspost-5": func(t testing.TB, d []byte) []byte {
		var b bytes.Buffer
		w, _ := kgzip.NewWriterLevel(&b, 5)
		w.Write(d)
		w.Close()
		return b.Bytes()
	},
	"klauspost-constant": func(t testing.TB, d []byte) []byte {
		var b bytes.Buffer
		w, _ := kgzip.NewWriterLevel(&b, kgzip.ConstantCompression)
		w.Write(d)
		w.Close()
		return b.Bytes()
	},
	"pgzip": func(t testing.TB, d []byte) []byte {
		var b bytes.Buffer
		w := pgzip.NewWriter(&b)
		w.SetConcurrency(100000, 4)
		w.Write(d)
		w.Close()
		return b.Bytes()
	},
}

func TestReaderMatchesData(t *testing.T) {
	withChunkSize(t, 64<<10)
	data := testData(t, 6<<20)
	for name, compress := range compressors {
		gz := compress(t, data)
		for _, w := range []int{1, 2, 4} {
			if n := readers.Load(); n != 0 {
				t.Fatalf("%d readers left open: the parallel path goes untested", n)
			}
			got, err := readAll(t, gz, w)
			if err != nil {
				t.Fatalf("%s, %d workers: %v", name, w, err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("%s, %d workers: output differs (%d vs %d bytes)", name, w, len(got), len(data))
			}
		}
	}
}

// Tiny chunks: blocks span several chunks, so jobs find no boundary or
// stop past the next one's, and decoding goes sequential.
func TestReaderBlocksLargerThanChunks(t *testing.T) {
	data := testData(t, 1<<20)
	gz := gzipped(t, data, 9)
	for _, n := range []int{64, 1000, 4096, 20000} {
		withChunkSize(t, n)
		got, err := readAll(t, gz, 3)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("chunk %d: err %v, %d of %d bytes", n, err, len(got), len(data))
		}
	}
}

func TestReaderMembers(t *testing.T) {
	withChunkSize(t, 32<<10)
	data := testData(t, 900<<10)
	var gz []byte
	for _, part := range [][]byte{data[:300<<10], data[300<<10 : 301<<10], data[301<<10:]} {
		gz = append(gz, gzipped(t, part, 6)...)
	}
	got, err := readAll(t, gz, 2)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("err %v, %d of %d bytes", err, len(got), len(data))
	}
	// Empty member, then data.
	gz = append(gzipped(t, nil, 6), gzipped(t, data[:1000], 6)...)
	if got, err := readAll(t, gz, 2); err != nil || !bytes.Equal(got, data[:1000]) {
		t.Fatalf("after an empty member: err %v, %d bytes", err, len(got))
	}
}

// gzipMember is one member of level with header fields set: a name, a
// comment and extra data of the given lengths, and the header CRC.
func gzipMember(t testing.TB, data []byte, level, name, comment, extra int) []byte {
	var b bytes.Buffer
	w, err := gzip.NewWriterLevel(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Name = strings.Repeat("n", name)
	w.Comment = strings.Repeat("c", comment)
	if extra > 0 {
		w.Extra = bytes.Repeat([]byte{'x'}, extra)
	}
	w.Write(data)
	w.Close()
	if name+comment+extra > 0 {
		// compress/gzip never sets FHCRC: set it and its checksum.
		h, err := headerLen(b.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		m := b.Bytes()
		m[3] |= 0x02
		sum := crc32.ChecksumIEEE(m[:h])
		return slices.Concat(m[:h], []byte{byte(sum), byte(sum >> 8)}, m[h:])
	}
	return b.Bytes()
}

// Many members, as an eStargz layer has (a member per file or chunk), and
// members whose headers are long: decoded by this reader, in turn, after
// the first.
func TestReaderManyMembers(t *testing.T) {
	withChunkSize(t, 32<<10)
	data := testData(t, 2<<20)
	for _, tt := range []struct {
		name                  string
		part                  int
		nameLen, comment, ext int
	}{
		{"1 KiB members", 1 << 10, 0, 0, 0},
		{"64 KiB members", 64 << 10, 0, 0, 0},
		{"headers of 200 bytes", 100 << 10, 100, 50, 40},
		{"headers of 60 KiB", 300 << 10, 400, 100, 60 << 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var gz []byte
			for off := 0; off < len(data); off += tt.part {
				gz = append(gz, gzipMember(t, data[off:min(off+tt.part, len(data))], 6, tt.nameLen, tt.comment, tt.ext)...)
			}
			for _, workers := range []int{1, 2} {
				got, err := readAll(t, gz, workers)
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("%d workers: err %v, %d of %d bytes", workers, err, len(got), len(data))
				}
			}
		})
	}
	// A header over maxHeader after the first member (a file name of a
	// megabyte) is refused, not buffered (Go's and klauspost's readers
	// refuse names over 512 bytes).
	gz := slices.Concat(gzipped(t, data[:1000], 6), gzipMember(t, data[1000:], 6, maxHeader, 0, 0))
	for _, workers := range []int{1, 2} {
		if got, err := readAll(t, gz, workers); !errors.Is(err, ErrHeader) || !bytes.Equal(got, data[:1000]) {
			t.Fatalf("%d workers, a header of a megabyte: err %v, %d bytes", workers, err, len(got))
		}
	}
}

// A bomb: each job's output is far over maxJobOut, yet the output streams
// through bounded buffers.
func TestReaderBomb(t *testing.T) {
	withChunkSize(t, 16<<10)
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, 9)
	zeros := make([]byte, 1<<20)
	for range 400 {
		w.Write(zeros)
	}
	w.Close()
	r, err := NewReader(bytes.NewReader(b.Bytes()), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	n, err := io.Copy(io.Discard, r)
	if err != nil || n != 400<<20 {
		t.Fatalf("%d bytes, err %v", n, err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapSys) - int64(before.HeapSys); grew > 200<<20 {
		t.Errorf("heap grew by %d MiB", grew>>20)
	}
}

// After a job whose output goes past maxJobOut, the next afterTooLarge
// jobs are left to Read instead of being decoded ahead only to be thrown
// away, each holding up to maxJobOut meanwhile.
func TestReaderSkipsAheadAfterTooLarge(t *testing.T) {
	withChunkSize(t, 128<<10)
	oldOut, oldBusy := maxJobOut, busyAt
	maxJobOut, busyAt = 1<<20, func() int32 { return 1000 }
	t.Cleanup(func() { maxJobOut, busyAt = oldOut, oldBusy })
	// Tar headers of tiny files, as in a layer of a million of them (each
	// with a few random bytes): about 25 times smaller compressed, so
	// every 128 KiB chunk inflates past the 1 MiB limit.
	var raw bytes.Buffer
	rng := rand.New(rand.NewPCG(1, 2))
	blk := make([]byte, 1024)
	for i := 0; raw.Len() < 64<<20; i++ {
		clear(blk)
		fmt.Fprintf(bytes.NewBuffer(blk[:0]), "many/%07d\x00000644\x00%011o\x00%016x%016x", i, 12, rng.Uint64(), rng.Uint64())
		raw.Write(blk)
	}
	gz := gzipped(t, raw.Bytes(), 6)
	r, err := NewReader(bytes.NewReader(gz), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, raw.Bytes()) {
		t.Fatalf("%d of %d bytes, err %v", len(got), raw.Len(), err)
	}
	jobs := r.taken + r.again
	if over := int(r.tooLarge.Load()); over == 0 || over > jobs/(afterTooLarge+1)+2 {
		t.Errorf("%d of %d jobs went past maxJobOut; want some, and at most one in %d", over, jobs, afterTooLarge+1)
	}
	t.Logf("%d jobs (%d KiB compressed), %d past maxJobOut", jobs, len(gz)>>10, r.tooLarge.Load())
}

func TestReaderBadStreams(t *testing.T) {
	withChunkSize(t, 16<<10)
	data := testData(t, 300<<10)
	gz := gzipped(t, data, 6)
	body := len(gz) - 8
	flipAt := func(i int) []byte {
		b := bytes.Clone(gz)
		b[i] ^= 0x55
		return b
	}
	badCRC := bytes.Clone(gz)
	binary.LittleEndian.PutUint32(badCRC[body:], crc32.ChecksumIEEE(data)+1)
	badSize := bytes.Clone(gz)
	binary.LittleEndian.PutUint32(badSize[body+4:], uint32(len(data)+1))
	for _, tt := range []struct {
		name string
		gz   []byte
		want error
	}{
		{"truncated in the header", gz[:5], io.ErrUnexpectedEOF},
		{"truncated early", gz[:100], io.ErrUnexpectedEOF},
		{"truncated in the middle", gz[:body/2], io.ErrUnexpectedEOF},
		{"truncated in the trailer", gz[:body+3], io.ErrUnexpectedEOF},
		{"no trailer", gz[:body], io.ErrUnexpectedEOF},
		{"wrong CRC", badCRC, ErrChecksum},
		{"wrong size", badSize, ErrChecksum},
		{"not gzip", []byte("hello, this is not gzip at all"), ErrHeader},
		{"corrupt early", flipAt(30), nil},
		{"corrupt in the middle", flipAt(body / 2), nil},
		{"corrupt late", flipAt(body - 100), nil},
		{"trailing garbage", append(bytes.Clone(gz), "garbage after the stream"...), ErrHeader},
		{"truncated after a member", append(bytes.Clone(gz), 0x1f, 0x8b, 8), io.ErrUnexpectedEOF},
		{"second member corrupt", append(bytes.Clone(gz), flipAt(body/2)...), nil},
		{"second member wrong CRC", append(bytes.Clone(gz), badCRC...), ErrChecksum},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readAll(t, tt.gz, 2)
			if err == nil {
				t.Fatalf("no error, %d bytes", len(got))
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			// Corrupt data may decode to wrong bytes before the error.
			if tt.want == io.ErrUnexpectedEOF && !bytes.HasPrefix(data, got) {
				t.Errorf("output before the error is not a prefix of the data")
			}
		})
	}
}

type failingReader struct {
	r   io.Reader
	n   int
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	p = p[:min(len(p), f.n)]
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

func TestReaderSourceError(t *testing.T) {
	withChunkSize(t, 16<<10)
	gz := gzipped(t, testData(t, 1<<20), 6)
	boom := errors.New("connection reset")
	for _, workers := range []int{1, 2} { // in turn, and ahead
		for _, at := range []int{100, len(gz) / 2, len(gz) - 100} {
			r, err := NewReader(&failingReader{r: bytes.NewReader(gz), n: at, err: boom}, workers)
			if err == nil {
				_, err = io.Copy(io.Discard, r)
				r.Close()
			}
			if !errors.Is(err, boom) || errors.Is(err, ErrCorrupt) {
				t.Fatalf("%d workers, failing at %d: err = %v, want %v and not %v", workers, at, err, boom, ErrCorrupt)
			}
		}
	}
}

// blockingReader returns its data, then blocks until released.
type blockingReader struct {
	data    []byte
	release chan struct{}
}

func (b *blockingReader) Read(p []byte) (int, error) {
	if len(b.data) == 0 {
		<-b.release
		return 0, io.EOF
	}
	n := copy(p, b.data)
	b.data = b.data[n:]
	return n, nil
}

// Close returns while the dispatcher is stuck in a read.
func TestReaderCloseDoesNotWaitForSource(t *testing.T) {
	withChunkSize(t, 16<<10)
	gz := gzipped(t, testData(t, 1<<20), 6)
	src := &blockingReader{data: gz[:len(gz)/2], release: make(chan struct{})}
	defer close(src.release)
	r, err := NewReader(src, 2)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadFull(r, make([]byte, 1000))
	done := make(chan struct{})
	go func() { r.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs")
	}
}

// TestFile checks the decoder alone and the reader on the gzip file
// GUNZIP_BENCH names (the benchmarks' input) against klauspost's gzip.
func TestFile(t *testing.T) {
	gz, err := os.ReadFile(os.Getenv("GUNZIP_BENCH"))
	if err != nil {
		t.Skip("GUNZIP_BENCH names a gzip file")
	}
	r, _ := kgzip.NewReader(bytes.NewReader(gz))
	want, _ := io.ReadAll(r)
	if got := inflateAll(t, gz); !bytes.Equal(got, want) {
		t.Fatalf("decoder: %d vs %d bytes", len(got), len(want))
	}
	got, err := readAll(t, gz, 2)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("reader: err %v, %d vs %d bytes", err, len(got), len(want))
	}
}

// FuzzReader checks the reader against klauspost's on valid streams of
// the input and on the input itself: the same bytes, an error when it
// gives one.
func FuzzReader(f *testing.F) {
	f.Add([]byte("hello hello hello hello"), uint8(6), uint16(0), uint8(0))
	f.Add(bytes.Repeat([]byte("drydock layer "), 300), uint8(9), uint16(500), uint8(0x20))
	f.Add(gzipped(f, []byte("raw gzip input"), 1), uint8(255), uint16(3), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, level uint8, at uint16, flip uint8) {
		if len(in) > 64<<10 {
			t.Skip("large inputs make slow fuzzing")
		}
		withChunkSize(t, 200)
		gz := in
		if level != 255 {
			gz = gzipped(t, in, int(level%11)-2)
		}
		if flip != 0 && len(gz) > 0 {
			gz = bytes.Clone(gz)
			gz[int(at)%len(gz)] ^= flip
		}
		var want []byte
		var wantErr error
		zr, err := kgzip.NewReader(bytes.NewReader(gz))
		if err == nil {
			want, wantErr = io.ReadAll(zr)
		} else {
			wantErr = err
		}
		got, err := readAll(t, gz, 2)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("err = %v, klauspost: %v", err, wantErr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("output differs: %d vs %d bytes", len(got), len(want))
		}
	})
}

// FuzzReaderMembers compares the reader with klauspost's on streams of
// several members (cut at fuzzed places, with fuzzed header fields) and
// with a byte flipped anywhere.
func FuzzReaderMembers(f *testing.F) {
	f.Add([]byte("hello hello hello hello, members"), uint8(3), uint8(6), uint16(0), uint8(0), false)
	f.Add(bytes.Repeat([]byte("drydock layer "), 300), uint8(7), uint8(1), uint16(900), uint8(0x20), true)
	f.Fuzz(func(t *testing.T, in []byte, parts, level uint8, at uint16, flip uint8, headers bool) {
		if len(in) > 64<<10 {
			t.Skip("large inputs make slow fuzzing")
		}
		withChunkSize(t, 200)
		n := int(parts%8) + 1
		var gz []byte
		for i := range n {
			part := in[i*len(in)/n : (i+1)*len(in)/n]
			name, comment, extra := 0, 0, 0
			if headers {
				name, comment, extra = i*37%90, i*11%20, i*53%70
			}
			gz = append(gz, gzipMember(t, part, int(level%11)-2, name, comment, extra)...)
		}
		if flip != 0 {
			gz[int(at)%len(gz)] ^= flip
		}
		var want []byte
		zr, wantErr := kgzip.NewReader(bytes.NewReader(gz))
		if wantErr == nil {
			want, wantErr = io.ReadAll(zr)
		}
		for _, workers := range []int{1, 2} {
			got, err := readAll(t, gz, workers)
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("%d workers: err = %v, klauspost: %v", workers, err, wantErr)
			}
			if err == nil && !bytes.Equal(got, want) {
				t.Fatalf("%d workers: output differs: %d vs %d bytes", workers, len(got), len(want))
			}
		}
	})
}

func BenchmarkReader(b *testing.B) {
	gz, err := os.ReadFile(os.Getenv("GUNZIP_BENCH"))
	if err != nil {
		b.Skip("GUNZIP_BENCH names a gzip file")
	}
	b.SetBytes(int64(len(gz)))
	for b.Loop() {
		r, _ := NewReader(bytes.NewReader(gz), runtime.GOMAXPROCS(0))
		io.Copy(io.Discard, r)
		r.Close()
	}
}

// nextCandidate finds the same offsets as looking at each one.
func TestNextCandidate(t *testing.T) {
	gz := gzipped(t, testData(t, 1<<20), 6)
	var naive []int64
	for c := int64(0); c < min(int64(len(gz)-16), searchBytes)*8; c++ {
		if dynamicHeaderAt(gz, 0, c) {
			naive = append(naive, c)
		}
	}
	var fast []int64
	for c := int64(0); ; c++ {
		if c = nextCandidate(gz, 0, c, int64(len(gz))*8); c < 0 {
			break
		}
		fast = append(fast, c)
	}
	if len(naive) < 10 || !slices.Equal(naive, fast) {
		t.Fatalf("naive %d offsets, fast %d", len(naive), len(fast))
	}
}

// Jobs decoded ahead line up: most are taken as they are, not decoded
// again in turn (stored blocks too: the random parts of the data).
func TestReaderDecodesAhead(t *testing.T) {
	withChunkSize(t, 64<<10)
	old := busyAt
	busyAt = func() int32 { return 1000 }
	t.Cleanup(func() { busyAt = old })
	if n := jobBytes.Load(); n != 0 {
		t.Fatalf("%d bytes of job output counted before the test: a reader leaked them", n)
	}
	data := testData(t, 8<<20)
	for _, name := range []string{"stdlib-6", "stdlib-9", "stdlib-stored", "stdlib-flushes", "klauspost-5", "pgzip"} {
		gz := compressors[name](t, data)
		r, err := NewReader(bytes.NewReader(gz), 2)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s: err %v, %d of %d bytes", name, err, len(got), len(data))
		}
		if jobs := r.taken + r.again; r.taken < jobs*8/10 {
			t.Errorf("%s: %d of %d jobs taken as decoded ahead", name, r.taken, jobs)
		}
		t.Logf("%s: %d jobs taken, %d decoded again", name, r.taken, r.again)
	}
}

// The output of jobs decoded ahead is released however a reader ends:
// read to the end, closed early, or switched to decoding in turn.
func TestReaderReleasesJobs(t *testing.T) {
	withChunkSize(t, 16<<10)
	old := busyAt
	busyAt = func() int32 { return 1000 }
	t.Cleanup(func() { busyAt = old })
	data := testData(t, 2<<20)
	gz := gzipped(t, data, 6)
	members := append(gzipped(t, data[:1<<20], 6), gzipped(t, data[1<<20:], 6)...)
	corrupt := bytes.Clone(gz)
	for i := len(gz) / 4; i < len(gz)*3/4; i += 4096 {
		corrupt[i] ^= 0x5a
	}
	for _, tt := range []struct {
		name string
		gz   []byte
		read int
	}{
		{"read to the end", gz, -1},
		{"closed early", gz, 100 << 10},
		{"second member", members, -1},
		{"bad crc", append(bytes.Clone(gz[:len(gz)-8]), 0, 0, 0, 0, 0, 0, 0, 0), -1},
		{"corrupt", corrupt, -1},
		{"truncated", gz[:len(gz)/2], -1},
	} {
		r, err := NewReader(bytes.NewReader(tt.gz), 2)
		if err != nil {
			t.Fatal(err)
		}
		if tt.read < 0 {
			io.Copy(io.Discard, r)
		} else {
			io.ReadFull(r, make([]byte, tt.read))
		}
		r.Close()
		if n := jobBytes.Load(); n != 0 {
			t.Errorf("%s: %d bytes of job output still counted", tt.name, n)
		}
		if n := readers.Load(); n != 0 {
			t.Errorf("%s: %d readers still counted", tt.name, n)
		}
	}
}
