package rpmdb

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// Berkeley DB hash layout, as far as rpm's Packages uses it (Berkeley DB's
// db_page.h and hash.h; rpm's own reader is lib/backend/bdb_ro.c). Numbers
// are in the database's byte order, told by the magic number.
//
//	page 0, the metadata page:
//	  12 magic 0x061561, 16 version (8-10), 20 page size, 24 encryption,
//	  25 page type (8), 26 flags, 32 last page number,
//	  72 max bucket, 96 spares[32] (bucket b lives on page
//	  b + spares[bits.Len(b)])
//	every other page: a 26-byte header
//	  8 page number, 12 previous, 16 next page, 20 entries, 22 free-area
//	  offset (on overflow pages: bytes used), 25 page type
//	hash pages (type 13, or 2 before version 9): entries offsets
//	  (uint16) after the header, key and value alternating; an item is
//	  a type byte, then 1: the bytes inline, 3: {pad[3], page, length},
//	  a value kept on a chain of overflow pages (type 7)
//
// rpm keys Packages on the header number (4 bytes, the database's byte
// order); number 0 holds rpm's instance counter, not a package.
const (
	bdbPageHeader = 26

	bdbPageHashUnsorted = 2
	bdbPageOverflow     = 7
	bdbPageHashMeta     = 8
	bdbPageHash         = 13

	bdbItemKeyData = 1
	bdbItemOffPage = 3
)

// bdb reads a Berkeley DB hash database held in memory.
type bdb struct {
	data     []byte
	order    binary.ByteOrder
	pageSize int
	lastPage uint32
	pages    int    // visited, against cycles
	buf      []byte // value of the current overflow chain
}

// ReadBDB calls fn with the value of every record of the hash database,
// bucket by bucket as rpm does, skipping rpm's record 0. fn must not
// retain the blob.
func ReadBDB(data []byte, fn func(blob []byte) error) error {
	if len(data) < 512 {
		return fmt.Errorf("%w: %d bytes, shorter than the metadata page", ErrInvalid, len(data))
	}
	db := &bdb{data: data, order: binary.LittleEndian}
	if binary.BigEndian.Uint32(data[12:]) == bdbHashMagic {
		db.order = binary.BigEndian
	}
	o := db.order
	if v := o.Uint32(data[16:]); v < 8 || v > 10 {
		return fmt.Errorf("%w: hash version %d", ErrUnsupported, v)
	}
	ps := o.Uint32(data[20:])
	if ps < 512 || ps > 65536 || ps&(ps-1) != 0 {
		return fmt.Errorf("%w: page size %d", ErrInvalid, ps)
	}
	db.pageSize = int(ps)
	switch {
	case data[24] != 0:
		return fmt.Errorf("%w: encrypted database", ErrUnsupported)
	case data[25] != bdbPageHashMeta:
		return fmt.Errorf("%w: metadata page of type %d", ErrInvalid, data[25])
	case data[26]&1 != 0:
		return fmt.Errorf("%w: checksummed pages", ErrUnsupported)
	}
	db.lastPage = o.Uint32(data[32:])
	if (uint64(db.lastPage)+1)*uint64(ps) > uint64(len(data)) { // lastPage+1 in 32 bits would wrap
		return fmt.Errorf("%w: %d pages of %d bytes in %d bytes (truncated?)", ErrInvalid, uint64(db.lastPage)+1, ps, len(data))
	}
	maxBucket := o.Uint32(data[72:])
	if maxBucket > db.lastPage {
		return fmt.Errorf("%w: %d buckets in %d pages", ErrInvalid, uint64(maxBucket)+1, db.lastPage)
	}
	var spares [32]uint32
	for i := range spares {
		spares[i] = o.Uint32(data[96+4*i:])
	}
	for b := uint32(0); b <= maxBucket; b++ {
		pg := uint64(b) + uint64(spares[bits.Len32(b)])
		if pg > uint64(db.lastPage) {
			return fmt.Errorf("%w: bucket %d on page %d of %d", ErrInvalid, b, pg, db.lastPage)
		}
		if err := db.bucket(uint32(pg), fn); err != nil {
			return err
		}
	}
	return nil
}

// page returns page n, checked against its own header.
func (db *bdb) page(n uint32) ([]byte, error) {
	if n == 0 || n > db.lastPage {
		return nil, fmt.Errorf("%w: page %d out of 1..%d", ErrInvalid, n, db.lastPage)
	}
	db.pages++
	if db.pages > int(db.lastPage)+1 {
		return nil, fmt.Errorf("%w: page chains loop", ErrInvalid)
	}
	p := db.data[int(n)*db.pageSize : (int(n)+1)*db.pageSize]
	if db.order.Uint32(p[8:]) != n {
		return nil, fmt.Errorf("%w: page %d says it is page %d", ErrInvalid, n, db.order.Uint32(p[8:]))
	}
	return p, nil
}

// bucket reads the chain of hash pages starting at page n.
func (db *bdb) bucket(n uint32, fn func([]byte) error) error {
	o := db.order
	for n != 0 {
		p, err := db.page(n)
		if err != nil {
			return err
		}
		if t := p[25]; t != bdbPageHash && t != bdbPageHashUnsorted {
			return fmt.Errorf("%w: page %d of type %d in a bucket chain", ErrInvalid, n, t)
		}
		entries := int(o.Uint16(p[20:]))
		if entries%2 != 0 || bdbPageHeader+2*entries > db.pageSize {
			return fmt.Errorf("%w: page %d: %d entries", ErrInvalid, n, entries)
		}
		end := db.pageSize // items grow down from the end of the page
		for i := 0; i < entries; i += 2 {
			koff := int(o.Uint16(p[bdbPageHeader+2*i:]))
			voff := int(o.Uint16(p[bdbPageHeader+2*i+2:]))
			if voff < bdbPageHeader+2*entries || koff <= voff || end <= koff {
				return fmt.Errorf("%w: page %d: entry %d at %d/%d", ErrInvalid, n, i/2, koff, voff)
			}
			key, err := db.item(p[koff:end], false)
			if err != nil {
				return fmt.Errorf("page %d: key %d: %w", n, i/2, err)
			}
			end = voff
			if len(key) != 4 || o.Uint32(key) == 0 {
				continue // rpm's instance counter (or no header number)
			}
			val, err := db.item(p[voff:koff], true)
			if err != nil {
				return fmt.Errorf("page %d: value %d: %w", n, i/2, err)
			}
			if err := fn(val); err != nil {
				return err
			}
		}
		n = o.Uint32(p[16:])
	}
	return nil
}

// item returns the bytes of an item: inline, or read from its overflow
// chain into db.buf (for values; keys are never that long in Packages).
func (db *bdb) item(it []byte, value bool) ([]byte, error) {
	switch it[0] {
	case bdbItemKeyData:
		return it[1:], nil
	case bdbItemOffPage:
		if len(it) != 12 {
			return nil, fmt.Errorf("%w: off-page item of %d bytes", ErrInvalid, len(it))
		}
		if !value {
			return nil, nil // not a header number
		}
		return db.overflow(db.order.Uint32(it[4:]), db.order.Uint32(it[8:]))
	default:
		return nil, fmt.Errorf("%w: item of type %d", ErrInvalid, it[0])
	}
}

// overflow reads length bytes from the chain of overflow pages at n.
func (db *bdb) overflow(n, length uint32) ([]byte, error) {
	if length == 0 || length > maxHeaderLen || int64(length) > int64(len(db.data)) {
		return nil, fmt.Errorf("%w: value of %d bytes", ErrInvalid, length)
	}
	if cap(db.buf) < int(length) {
		db.buf = make([]byte, 0, length)
	}
	b := db.buf[:0]
	for len(b) < int(length) {
		if n == 0 {
			return nil, fmt.Errorf("%w: overflow chain ends after %d of %d bytes", ErrInvalid, len(b), length)
		}
		p, err := db.page(n)
		if err != nil {
			return nil, err
		}
		used := int(db.order.Uint16(p[22:]))
		if p[25] != bdbPageOverflow || bdbPageHeader+used > db.pageSize || len(b)+used > int(length) {
			return nil, fmt.Errorf("%w: overflow page %d (type %d, %d bytes)", ErrInvalid, n, p[25], used)
		}
		b = append(b, p[bdbPageHeader:bdbPageHeader+used]...)
		n = db.order.Uint32(p[16:])
	}
	db.buf = b
	return b, nil
}
