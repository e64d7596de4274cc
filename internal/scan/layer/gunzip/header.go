package gunzip

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// ErrHeader is a stream that does not start with a valid gzip header.
var ErrHeader = errors.New("invalid gzip header")

// headerLen returns the length of the gzip member header at the start of
// b (RFC 1952 section 2.3), or io.ErrUnexpectedEOF if b ends within it.
func headerLen(b []byte) (int, error) {
	if len(b) < 10 {
		return 0, io.ErrUnexpectedEOF
	}
	if b[0] != 0x1f || b[1] != 0x8b {
		return 0, ErrHeader
	}
	if b[2] != 8 {
		return 0, fmt.Errorf("%w: compression method %d", ErrHeader, b[2])
	}
	flg := b[3]
	if flg&0xe0 != 0 {
		return 0, fmt.Errorf("%w: reserved flags set", ErrHeader)
	}
	n := 10
	if flg&0x04 != 0 { // FEXTRA
		if len(b) < n+2 {
			return 0, io.ErrUnexpectedEOF
		}
		n += 2 + (int(b[n]) | int(b[n+1])<<8)
	}
	for _, f := range []byte{0x08, 0x10} { // FNAME, FCOMMENT: zero-terminated
		if flg&f == 0 {
			continue
		}
		if n > len(b) {
			return 0, io.ErrUnexpectedEOF
		}
		i := bytes.IndexByte(b[n:], 0)
		if i < 0 {
			return 0, io.ErrUnexpectedEOF
		}
		n += i + 1
	}
	if n > len(b) {
		return 0, io.ErrUnexpectedEOF
	}
	if flg&0x02 != 0 { // FHCRC: the low 16 bits of the header's CRC-32
		if n+2 > len(b) {
			return 0, io.ErrUnexpectedEOF
		}
		if uint16(crc32.ChecksumIEEE(b[:n])) != uint16(b[n])|uint16(b[n+1])<<8 {
			return 0, fmt.Errorf("%w: header checksum mismatch", ErrHeader)
		}
		n += 2
	}
	return n, nil
}
