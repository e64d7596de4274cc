package gunzip

import (
	"errors"
	"math/bits"
)

// A table entry decodes one Huffman codeword looked up by the next bits of
// the stream (least significant first):
//
//	bits  0-7   codeword length, bits to consume
//	bits  8-11  extra bits that follow (lengths and distances), or the
//	            index bits of the subtable an entry points to
//	bits 12-15  what it is: fLit, fLen (a length, or any distance or
//	            code-length symbol), fEOB or fSub; none is an invalid code
//	bits 16-31  literal byte, base length or distance, code-length symbol,
//	            or where the subtable starts
//
// Codewords longer than the main table's index are looked up in a
// subtable indexed by the bits after the main index.
const (
	fLit = 1 << 12
	fLen = 1 << 13
	fEOB = 1 << 14
	fSub = 1 << 15
)

const (
	litBits   = 11
	distBits  = 8
	preBits   = 7
	maxCode   = 15
	litSize   = 1<<litBits + 288<<(maxCode-litBits)
	distSize  = 1<<distBits + 32<<(maxCode-distBits)
	preSize   = 1 << preBits
	numLitLen = 288
	numDist   = 32
)

var (
	errOversubscribed = errors.New("over-subscribed Huffman code")
	errIncomplete     = errors.New("incomplete Huffman code")
)

// Symbol templates (an entry without its length) for each alphabet.
var litTemplate, distTemplate, preTemplate = func() (lit [numLitLen]uint32, dist [numDist]uint32, pre [19]uint32) {
	for s := range 256 {
		lit[s] = fLit | uint32(s)<<16
	}
	lit[256] = fEOB
	base := uint32(3)
	for s := 257; s < 286; s++ {
		extra := uint32(0)
		if s >= 265 && s < 285 {
			extra = uint32(s-261) / 4
		}
		if s == 285 {
			base = 258
		}
		lit[s] = fLen | extra<<8 | base<<16
		base += 1 << extra
	}
	// 286 and 287 take part in the code but are invalid: entry 0.
	base = 1
	for s := range 30 {
		extra := uint32(0)
		if s >= 4 {
			extra = uint32(s-2) / 2
		}
		dist[s] = fLen | extra<<8 | base<<16
		base += 1 << extra
	}
	for s := range 19 {
		pre[s] = fLen | uint32(s)<<16
	}
	return
}()

// build fills table with the canonical Huffman code of the code lengths
// lens (symbol i has length lens[i], 0 if unused), looked up by tb bits,
// entries from tmpl. It reports whether the code is complete; an
// over-subscribed code is an error. Entries of an incomplete code's
// unused codewords are zero (invalid).
func build(table []uint32, lens []uint8, tb uint, tmpl []uint32) (complete bool, err error) {
	var count [maxCode + 1]int
	maxLen := 0
	for _, l := range lens {
		count[l]++
		if int(l) > maxLen {
			maxLen = int(l)
		}
	}
	count[0] = 0
	left := 1
	for l := 1; l <= maxCode; l++ {
		left <<= 1
		left -= count[l]
		if left < 0 {
			return false, errOversubscribed
		}
	}
	complete = left == 0
	if !complete {
		clear(table)
	}
	if maxLen == 0 {
		return false, nil
	}
	// First canonical codeword of each length.
	var next [maxCode + 2]int
	code := 0
	for l := 1; l <= maxCode; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	subBits := 0
	if maxLen > int(tb) {
		subBits = maxLen - int(tb)
	}
	mainMask := 1<<tb - 1
	var codes [numLitLen]int
	for s, l := range lens {
		if l == 0 {
			continue
		}
		codes[s] = reverse(next[l], int(l))
		next[l]++
		if int(l) > int(tb) {
			// Forget a subtable an earlier code left at this prefix.
			table[codes[s]&mainMask] = 0
		}
	}
	free := 1 << tb
	for s, l8 := range lens {
		l := int(l8)
		if l == 0 {
			continue
		}
		r := codes[s]
		e := tmpl[s] | uint32(l)
		if l <= int(tb) {
			for i := r; i <= mainMask; i += 1 << l {
				table[i] = e
			}
			continue
		}
		p := r & mainMask
		if table[p]&fSub == 0 {
			table[p] = fSub | uint32(subBits)<<8 | uint32(free)<<16
			clear(table[free : free+1<<subBits])
			free += 1 << subBits
		}
		off := int(table[p] >> 16)
		for i := r >> tb; i < 1<<subBits; i += 1 << (l - int(tb)) {
			table[off+i] = e
		}
	}
	return complete, nil
}

// reverse returns the n <= 16 low bits of c in reverse order.
func reverse(c, n int) int {
	return int(bits.Reverse16(uint16(c)) >> (16 - n))
}
