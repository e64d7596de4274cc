package rpmdb

import (
	"encoding/binary"
	"fmt"
)

// NDB layout (rpm's lib/backend/ndb/rpmpkg.c; all numbers little-endian):
//
//	offset 0     header: magic "RpmP", version 0, generation, slot pages, next index
//	offset 32    slots, 16 bytes each, filling slotnpages pages of 4096 bytes:
//	             magic "Slot", package index, block offset, block count
//	             (a free slot has block offset 0)
//	blkoff*16    blob: magic "BlbS", package index, timestamp, length,
//	             the header blob, zero padding, then the tail:
//	             adler32, length, magic "BlbE", ending the blkcnt blocks
const (
	ndbHeaderLen = 32
	ndbSlotLen   = 16
	ndbBlkLen    = 16
	ndbPageLen   = 4096
	ndbBlobHead  = 16
	ndbBlobTail  = 12

	ndbSlotMagic     = 'S' | 'l'<<8 | 'o'<<16 | 't'<<24
	ndbBlobHeadMagic = 'B' | 'l'<<8 | 'b'<<16 | 'S'<<24
	ndbBlobTailMagic = 'B' | 'l'<<8 | 'b'<<16 | 'E'<<24
)

// ReadNDB calls fn with every package's header blob, in slot order. It
// checks what rpm checks when it reads a blob (magics, package index,
// lengths, bounds) but not the adler32 checksum, which rpm verifies only
// when it moves or deletes a blob. Blobs never share blocks in a database
// rpm wrote; slots whose blobs add up to more blocks than the file holds
// (thousands of slots naming one 16 MiB blob) are refused, so the headers
// parsed add up to no more than the file.
func ReadNDB(data []byte, fn func(blob []byte) error) error {
	le := binary.LittleEndian
	if len(data) < ndbHeaderLen {
		return fmt.Errorf("%w: %d bytes, shorter than the header", ErrInvalid, len(data))
	}
	if v := le.Uint32(data[4:]); v != 0 {
		return fmt.Errorf("%w: NDB version %d", ErrUnsupported, v)
	}
	if len(data)%ndbBlkLen != 0 {
		return fmt.Errorf("%w: size %d is not a multiple of %d (truncated?)", ErrInvalid, len(data), ndbBlkLen)
	}
	slotPages := uint64(le.Uint32(data[12:]))
	if slotPages == 0 || slotPages*ndbPageLen > uint64(len(data)) {
		return fmt.Errorf("%w: %d slot pages in %d bytes (truncated?)", ErrInvalid, slotPages, len(data))
	}
	fileBlks := uint64(len(data)) / ndbBlkLen
	minBlk := slotPages * (ndbPageLen / ndbBlkLen)
	used := uint64(0) // blocks of the blobs read so far
	for o := uint64(ndbHeaderLen); o < slotPages*ndbPageLen; o += ndbSlotLen {
		s := data[o : o+ndbSlotLen]
		if le.Uint32(s) != ndbSlotMagic {
			return fmt.Errorf("%w: bad slot magic at offset %d", ErrInvalid, o)
		}
		blkOff, idx, blkCnt := uint64(le.Uint32(s[8:])), le.Uint32(s[4:]), uint64(le.Uint32(s[12:]))
		if blkOff == 0 {
			continue // free slot
		}
		if idx == 0 || blkCnt == 0 || blkOff < minBlk || blkOff+blkCnt > fileBlks {
			return fmt.Errorf("%w: slot at offset %d: package %d in blocks %d-%d of %d (truncated?)", ErrInvalid, o, idx, blkOff, blkOff+blkCnt, fileBlks)
		}
		if used += blkCnt; used > fileBlks-minBlk {
			return fmt.Errorf("%w: slot at offset %d: the slots name more blob blocks than the file's %d (blobs overlap)", ErrInvalid, o, fileBlks-minBlk)
		}
		blob, err := ndbBlob(data[blkOff*ndbBlkLen:(blkOff+blkCnt)*ndbBlkLen], idx)
		if err != nil {
			return fmt.Errorf("%w: package %d: %w", ErrInvalid, idx, err)
		}
		if err := fn(blob); err != nil {
			return err
		}
	}
	return nil
}

// ndbBlob returns the header blob stored in the blocks b.
func ndbBlob(b []byte, idx uint32) ([]byte, error) {
	le := binary.LittleEndian
	if len(b) < ndbBlobHead+ndbBlobTail {
		return nil, fmt.Errorf("%d blocks cannot hold a blob", len(b)/ndbBlkLen)
	}
	if le.Uint32(b) != ndbBlobHeadMagic || le.Uint32(b[4:]) != idx {
		return nil, fmt.Errorf("bad blob head")
	}
	n := uint64(le.Uint32(b[12:]))
	if want := (ndbBlobHead + n + ndbBlobTail + ndbBlkLen - 1) / ndbBlkLen; want != uint64(len(b))/ndbBlkLen {
		return nil, fmt.Errorf("blob of %d bytes in %d blocks", n, len(b)/ndbBlkLen)
	}
	tail := b[len(b)-ndbBlobTail:]
	if uint64(le.Uint32(tail[4:])) != n || le.Uint32(tail[8:]) != ndbBlobTailMagic {
		return nil, fmt.Errorf("bad blob tail")
	}
	return b[ndbBlobHead : ndbBlobHead+n], nil
}
