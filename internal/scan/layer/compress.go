package layer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/drydock/drydock/internal/scan/layer/gunzip"
	"github.com/klauspost/compress/zstd"
)

// Compression is the compression of a layer stream, detected from its first
// bytes (never from a media type, which may lie).
type Compression string

// Compressions the reader detects.
const (
	Uncompressed Compression = "none"
	Gzip         Compression = "gzip"
	Zstd         Compression = "zstd"
	// Xz, Bzip2 and LZ4 are recognised only to be refused with
	// ErrUnsupportedCompression.
	Xz    Compression = "xz"
	Bzip2 Compression = "bzip2"
	LZ4   Compression = "lz4"
)

var (
	magicGzip  = []byte{0x1f, 0x8b}
	magicZstd  = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicXz    = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	magicBzip2 = []byte{'B', 'Z', 'h'}
	magicLZ4   = []byte{0x04, 0x22, 0x4d, 0x18}
)

// zstdMaxWindow bounds the memory a zstd frame may ask for. Layer producers
// use level 3 or so (windows of 8 MiB or less); --long=27 is 128 MiB.
const zstdMaxWindow = 128 << 20

// Detect returns the compression of a stream starting with head (at least
// 6 bytes unless the stream is shorter).
func Detect(head []byte) Compression {
	switch {
	case bytes.HasPrefix(head, magicGzip):
		return Gzip
	case bytes.HasPrefix(head, magicZstd):
		return Zstd
	case len(head) >= 4 && head[0]&0xf0 == 0x50 && head[1] == 0x2a && head[2] == 0x4d && head[3] == 0x18:
		return Zstd // starts with a zstd skippable frame (zstd:chunked)
	case bytes.HasPrefix(head, magicXz):
		return Xz
	case bytes.HasPrefix(head, magicBzip2):
		return Bzip2
	case bytes.HasPrefix(head, magicLZ4):
		return LZ4
	}
	return Uncompressed
}

// decompressor opens the decompressed stream of src, which begins with a
// stream of compression c. close releases decoder resources.
func decompressor(c Compression, src io.Reader) (r io.Reader, close func(), err error) {
	switch c {
	case Uncompressed:
		return src, func() {}, nil
	case Gzip:
		zr, err := gunzip.NewReader(src, runtime.GOMAXPROCS(0))
		if err != nil {
			return nil, nil, decodeError(c, err)
		}
		return zr, func() { _ = zr.Close() }, nil
	case Zstd:
		// One decoding goroutine is faster than two on small machines
		// (895 vs 761 MB/s on 2 cores) and the reader pipelines anyway.
		zr, err := zstd.NewReader(src,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxWindow(zstdMaxWindow),
			zstd.WithDecoderMaxMemory(zstdMaxWindow),
			zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, nil, decodeError(c, err)
		}
		return zr, zr.Close, nil
	}
	return nil, nil, fmt.Errorf("%w: %s", ErrUnsupportedCompression, c)
}

// decodeError classifies a decompressor's error.
func decodeError(c Compression, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %s stream: %w", ErrTruncated, c, err)
	}
	return fmt.Errorf("%w: %s stream: %w", ErrCorrupt, c, err)
}

// peek returns a buffered reader over src and the first bytes of the stream.
func peek(src io.Reader) (*bufio.Reader, []byte, error) {
	br := bufio.NewReaderSize(src, 64<<10)
	head, err := br.Peek(8)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, err
	}
	return br, head, nil
}
