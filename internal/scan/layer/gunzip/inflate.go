package gunzip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unsafe"
)

// windowSize is how far back a deflate match may reach.
const windowSize = 32 << 10

// maxMatch is the longest deflate match; slack is what a match copy may
// write past its end (it copies eight bytes at a time).
const (
	maxMatch = 258
	slack    = 8
)

var (
	// ErrCorrupt is a stream that is not valid deflate data.
	ErrCorrupt = errors.New("corrupt deflate stream")
	errTooFar  = fmt.Errorf("%w: match distance reaches before the start", ErrCorrupt)
)

// status is why [run] returned.
type status int

const (
	stFull  status = iota // the output reached its limit
	stStop                // at a block boundary at or past the stop offset
	stFinal               // the final block ended
)

// decoder decodes raw deflate data from any bit offset of a stream. Its
// input is in, the bytes of the stream from offset base, and then src, if
// not nil.
type decoder struct {
	in   []byte
	pos  int // next byte of in to load into bits
	bits uint64
	n    uint  // valid bits in bits; bits above are the next input bits
	base int64 // stream offset of in[0]
	pad  int   // zero bytes loaded past the end of the input
	src  io.Reader
	sbuf []byte // in, when reading src

	inBlock     bool
	final       bool // the current block is the last
	stored      int  // bytes left of a stored block, when inBlock
	storedBlock bool // the current block is a stored one

	// minOut is the lowest output index a match may reach: the start of the
	// known window.
	minOut int

	lit  [litSize]uint32
	dist [distSize]uint32
	pre  [preSize]uint32
	lens [numLitLen + numDist]uint8
}

// reset positions d at bit offset off of the stream whose bytes from
// offset base are in, followed by src.
func (d *decoder) reset(in []byte, base, off int64, src io.Reader) error {
	// Fields one by one: the tables need no clearing.
	d.in, d.pos, d.bits, d.n, d.base, d.pad, d.src = in, 0, 0, 0, base, 0, src
	d.inBlock, d.final, d.stored, d.storedBlock, d.minOut = false, false, 0, false, 0
	skip := off - base*8
	if skip < 0 || skip > int64(len(in))*8 {
		return fmt.Errorf("gunzip: offset %d outside input", off)
	}
	d.pos = int(skip / 8)
	if err := d.need(8); err != nil && skip%8 != 0 {
		return err
	}
	d.bits >>= uint(skip % 8)
	d.n -= uint(skip % 8)
	d.bits &= 1<<d.n - 1
	return nil
}

// bitPos is the stream bit offset of the next bit to decode.
func (d *decoder) bitPos() int64 {
	return (d.base+int64(d.pos)+int64(d.pad))*8 - int64(d.n)
}

// overrun reports whether decoding consumed bits past the input's end.
func (d *decoder) overrun() bool {
	return d.pad > 0 && d.bitPos() > (d.base+int64(len(d.in)))*8
}

// refill loads input until 56 to 63 bits are buffered, reading src when
// in is used up and padding with zero bytes past the end.
func (d *decoder) refill() error {
	for d.n < 56 {
		if d.pos < len(d.in) {
			d.bits |= uint64(d.in[d.pos]) << d.n
			d.pos++
			d.n += 8
			continue
		}
		if d.src != nil && d.pad == 0 {
			more, err := d.fill()
			if err != nil {
				return err
			}
			if more {
				continue
			}
		}
		if d.pad >= 8 { // the decoder consumed padding
			return io.ErrUnexpectedEOF
		}
		d.pad++
		d.n += 8
	}
	return nil
}

// fill reads more of src into sbuf, keeping what is left of in.
func (d *decoder) fill() (bool, error) {
	if d.sbuf == nil {
		d.sbuf = make([]byte, 256<<10)
	}
	k := copy(d.sbuf, d.in[d.pos:])
	d.base += int64(d.pos)
	d.pos = 0
	n, err := io.ReadAtLeast(d.src, d.sbuf[k:], 1)
	d.in = d.sbuf[:k+n]
	if n > 0 {
		return true, nil
	}
	d.src = nil
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return false, nil
	}
	return false, err
}

// need makes sure k <= 56 bits are buffered.
func (d *decoder) need(k uint) error {
	if d.n >= k {
		return nil
	}
	return d.refill()
}

// nextByte consumes the next byte of input, once d is at a byte boundary
// (see alignByte); ok is false past the input's end.
func (d *decoder) nextByte() (b byte, ok bool, err error) {
	v, err := d.take(8)
	if err != nil {
		return 0, false, err
	}
	if d.overrun() {
		return 0, false, nil
	}
	return byte(v), true, nil
}

// more reports whether input remains, once d is at a byte boundary.
func (d *decoder) more() (bool, error) {
	if err := d.need(8); err != nil {
		return false, err
	}
	return d.pad == 0 || d.bitPos()+8 <= (d.base+int64(len(d.in)))*8, nil
}

// alignByte drops the bits left of the current byte (after a final block).
func (d *decoder) alignByte() {
	drop := d.n & 7
	d.bits >>= drop
	d.n -= drop
}

// take consumes and returns k <= 56 bits.
func (d *decoder) take(k uint) (uint32, error) {
	if err := d.need(k); err != nil {
		return 0, err
	}
	v := uint32(d.bits & (1<<k - 1))
	d.bits >>= k
	d.n -= k
	return v, nil
}

// header reads a block header and gets the block ready to decode.
func (d *decoder) header() error {
	h, err := d.take(3)
	if err != nil {
		return err
	}
	d.final = h&1 != 0
	switch h >> 1 {
	case 0:
		return d.storedHeader()
	case 1:
		d.lit = fixedLit
		d.dist = fixedDist
	case 2:
		if err := d.dynamicHeader(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: reserved block type", ErrCorrupt)
	}
	d.inBlock = true
	return nil
}

func (d *decoder) storedHeader() error {
	drop := d.n & 7
	d.bits >>= drop
	d.n -= drop
	v, err := d.take(32)
	if err != nil {
		return err
	}
	if uint16(v) != ^uint16(v>>16) {
		return fmt.Errorf("%w: stored block length does not match its complement", ErrCorrupt)
	}
	d.stored = int(uint16(v))
	d.inBlock, d.storedBlock = true, true
	d.bits &= 1<<d.n - 1
	return nil
}

// codeLengthOrder is the order of the code length code's lengths.
var codeLengthOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

func (d *decoder) dynamicHeader() error {
	h, err := d.take(14)
	if err != nil {
		return err
	}
	nlit, ndist, nclen := int(h&31)+257, int(h>>5&31)+1, int(h>>10)+4
	if nlit > 286 || ndist > 30 {
		return fmt.Errorf("%w: too many length or distance codes", ErrCorrupt)
	}
	var clens [19]uint8
	for i := range nclen {
		v, err := d.take(3)
		if err != nil {
			return err
		}
		clens[codeLengthOrder[i]] = uint8(v)
	}
	complete, err := build(d.pre[:], clens[:], preBits, preTemplate[:])
	if err != nil {
		return fmt.Errorf("%w: code length code: %w", ErrCorrupt, err)
	}
	if !complete {
		return fmt.Errorf("%w: code length code: %w", ErrCorrupt, errIncomplete)
	}
	lens := d.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		if err := d.need(maxCode + 7); err != nil {
			return err
		}
		e := d.pre[d.bits&(preSize-1)]
		l := uint(e & 0xff)
		d.bits >>= l
		d.n -= l
		sym := e >> 16
		if sym < 16 {
			lens[i] = uint8(sym)
			i++
			continue
		}
		var rep int
		var val uint8
		switch sym {
		case 16:
			if i == 0 {
				return fmt.Errorf("%w: repeated code length with nothing before", ErrCorrupt)
			}
			val = lens[i-1]
			rep = 3 + int(d.bits&3)
			d.bits >>= 2
			d.n -= 2
		case 17:
			rep = 3 + int(d.bits&7)
			d.bits >>= 3
			d.n -= 3
		default:
			rep = 11 + int(d.bits&127)
			d.bits >>= 7
			d.n -= 7
		}
		if i+rep > len(lens) {
			return fmt.Errorf("%w: code lengths overflow", ErrCorrupt)
		}
		for range rep {
			lens[i] = val
			i++
		}
	}
	if lens[256] == 0 {
		return fmt.Errorf("%w: no end-of-block code", ErrCorrupt)
	}
	complete, err = build(d.lit[:], lens[:nlit], litBits, litTemplate[:])
	if err != nil || !complete && !single(lens[:nlit]) {
		return fmt.Errorf("%w: literal/length code: %w", ErrCorrupt, errors.Join(err, errIncomplete))
	}
	complete, err = build(d.dist[:], lens[nlit:], distBits, distTemplate[:])
	if err != nil || !complete && !single(lens[nlit:]) && !none(lens[nlit:]) {
		return fmt.Errorf("%w: distance code: %w", ErrCorrupt, errors.Join(err, errIncomplete))
	}
	return nil
}

// single reports whether lens is one code of length one, the incomplete
// code deflate allows (as zlib does).
func single(lens []uint8) bool {
	n := 0
	for _, l := range lens {
		if l != 0 {
			if l != 1 {
				return false
			}
			n++
		}
	}
	return n == 1
}

func none(lens []uint8) bool {
	for _, l := range lens {
		if l != 0 {
			return false
		}
	}
	return true
}

var fixedLit, fixedDist = func() (lit [litSize]uint32, dist [distSize]uint32) {
	var lens [numLitLen]uint8
	for i := range lens {
		switch {
		case i < 144:
			lens[i] = 8
		case i < 256:
			lens[i] = 9
		case i < 280:
			lens[i] = 7
		default:
			lens[i] = 8
		}
	}
	if _, err := build(lit[:], lens[:], litBits, litTemplate[:]); err != nil {
		panic(err)
	}
	var dl [numDist]uint8
	for i := range dl {
		dl[i] = 5
	}
	if _, err := build(dist[:], dl[:], distBits, distTemplate[:]); err != nil {
		panic(err)
	}
	return
}()

// run decodes into out from index op until op reaches lim (stFull), a
// block boundary at or past stream bit offset stop (stStop) or the end of
// the final block (stFinal). out must have room for maxMatch+slack
// elements past lim. Matches may reach back to d.minOut.
//
// In uint16 output, values from 256 up are markers: value 256+k stands for
// byte k of a 32 KiB window not known yet, which the caller places in
// out[op-windowSize:op] before the first call.
func run[T uint8 | uint16](d *decoder, out []T, op, lim int, stop int64) (int, status, error) {
	size := int(unsafe.Sizeof(out[0]))
	raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(out))), len(out)*size)
	for {
		if !d.inBlock {
			if d.overrun() {
				return op, 0, io.ErrUnexpectedEOF
			}
			if d.final {
				return op, stFinal, nil
			}
			if d.bitPos() >= stop {
				return op, stStop, nil
			}
			if err := d.header(); err != nil {
				return op, 0, err
			}
		}
		if d.storedBlock {
			var err error
			if op, err = copyStored(d, out, op, lim); err != nil {
				return op, 0, err
			}
			if d.stored > 0 {
				return op, stFull, nil
			}
			d.inBlock, d.storedBlock = false, false
			continue
		}

		// The Huffman loop keeps the bit reader in locals. The next
		// symbol's main-table entry is looked up before the refill (the
		// bits it needs are already there), so that the lookup does not
		// wait for the load, nor for a match's copy.
		bits, n, pos, in := d.bits, d.n, d.pos, d.in
		minOut := d.minOut
		base := unsafe.Pointer(unsafe.SliceData(raw))
		var err error
		if n < 56 {
			if bits, n, pos, in, err = d.refillFrom(bits, n, pos); err != nil {
				return op, 0, err
			}
		}
		e := d.lit[bits&(1<<litBits-1)]
	loop:
		for {
			// Here at least 56 bits are buffered and e is the entry of
			// the next litBits of them.
			if op >= lim {
				d.bits, d.n, d.pos = bits, n, pos
				return op, stFull, nil
			}
			if e&fSub != 0 {
				e = d.lit[int(e>>16)+int(bits>>litBits)&(1<<(e>>8&15)-1)]
			}
			bits >>= e & 0xff
			n -= uint(e & 0xff)
			if e&fLit != 0 {
				out[op] = T(e >> 16)
				op++
				// Two more literals fit in the bits left (41 or more, 15
				// a codeword), and in the room past lim.
				if e = d.lit[bits&(1<<litBits-1)]; e&fLit != 0 {
					bits >>= e & 0xff
					n -= uint(e & 0xff)
					out[op] = T(e >> 16)
					op++
					if e = d.lit[bits&(1<<litBits-1)]; e&fLit != 0 {
						bits >>= e & 0xff
						n -= uint(e & 0xff)
						out[op] = T(e >> 16)
						op++
						// 11 or more bits are left: enough to look up.
						e = d.lit[bits&(1<<litBits-1)]
					}
				}
				if pos <= len(in)-8 {
					bits, n, pos = load8(bits, n, pos, in)
				} else if bits, n, pos, in, err = d.refillFrom(bits, n, pos); err != nil {
					break loop
				}
				continue
			}
			if e&fLen == 0 {
				if e&fEOB != 0 {
					d.inBlock = false
					break loop
				}
				err = fmt.Errorf("%w: invalid literal/length code", ErrCorrupt)
				break loop
			}
			// A length (15+5 bits) and a distance (15+13) leave 8 or more.
			eb := e >> 8 & 15
			length := int(e>>16) + int(bits&(1<<eb-1))
			bits >>= eb
			n -= uint(eb)
			de := d.dist[bits&(1<<distBits-1)]
			if de&fSub != 0 {
				de = d.dist[int(de>>16)+int(bits>>distBits)&(1<<(de>>8&15)-1)]
			}
			if de&fLen == 0 {
				err = fmt.Errorf("%w: invalid distance code", ErrCorrupt)
				break loop
			}
			bits >>= de & 0xff
			n -= uint(de & 0xff)
			db := de >> 8 & 15
			dist := int(de>>16) + int(bits&(1<<db-1))
			bits >>= db
			n -= uint(db)
			from := op - dist
			if from < minOut {
				err = errTooFar
				break loop
			}
			if pos <= len(in)-8 {
				bits, n, pos = load8(bits, n, pos, in)
			} else if bits, n, pos, in, err = d.refillFrom(bits, n, pos); err != nil {
				break loop
			}
			e = d.lit[bits&(1<<litBits-1)]
			switch {
			case dist*size >= 8:
				// In bounds: op < lim, and out has maxMatch+slack
				// elements past lim.
				s, t := unsafe.Add(base, from*size), unsafe.Add(base, op*size)
				for i := 0; i < length*size; i += 8 {
					*(*uint64)(unsafe.Add(t, i)) = *(*uint64)(unsafe.Add(s, i))
				}
			case dist == 1:
				v := out[from]
				w := out[op : op+length]
				for i := range w {
					w[i] = v
				}
			default:
				w := out[from : op+length]
				for i := range length {
					w[dist+i] = w[i]
				}
			}
			op += length
		}
		d.bits, d.n, d.pos = bits, n, pos
		if err != nil {
			return op, 0, err
		}
	}
}

// load8 is the Huffman loop's refill while 8 bytes of input remain at
// in[pos:]: 56 to 63 bits are buffered after it.
func load8(bits uint64, n uint, pos int, in []byte) (uint64, uint, int) {
	bits |= binary.LittleEndian.Uint64(in[pos:]) << n
	return bits, n | 56, pos + int(63-n)>>3
}

// refillFrom is the Huffman loop's refill past that: it hands the loop's
// bit reader back to d, refills it, and returns it.
func (d *decoder) refillFrom(bits uint64, n uint, pos int) (uint64, uint, int, []byte, error) {
	d.bits, d.n, d.pos = bits, n, pos
	err := d.refill()
	return d.bits, d.n, d.pos, d.in, err
}

// copyStored copies what it can of a stored block into out, up to lim.
func copyStored[T uint8 | uint16](d *decoder, out []T, op, lim int) (int, error) {
	for d.stored > 0 && op < lim {
		if d.n >= 8 {
			out[op] = T(d.bits & 0xff)
			d.bits >>= 8
			d.n -= 8
			op++
			d.stored--
		} else if d.pos < len(d.in) {
			d.bits = 0 // bits above n are in[pos:], copied below
			k := min(d.stored, lim-op, len(d.in)-d.pos)
			for i, b := range d.in[d.pos : d.pos+k] {
				out[op+i] = T(b)
			}
			op += k
			d.pos += k
			d.stored -= k
		} else {
			more := false
			if d.src != nil && d.pad == 0 {
				var err error
				if more, err = d.fill(); err != nil {
					return op, err
				}
			}
			if !more {
				return op, io.ErrUnexpectedEOF
			}
		}
		if d.overrun() {
			return op, io.ErrUnexpectedEOF
		}
	}
	return op, nil
}
