package rustbinary

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"slices"

	"github.com/drydock/drydock/internal/scan/extract/binstream"
	"github.com/drydock/drydock/internal/scan/layer"
)

var _ layer.StreamReducer = Extractor{}

const (
	// headBytes is where the headers read first must be: ELF program
	// headers, PE section tables, Mach-O load commands.
	headBytes = 64 << 10
	// windowMax is the most of a file held at once: a candidate's
	// compressed audit data and some.
	windowMax = maxCompressed + 1<<20
	// maxSectionTable caps the ELF section header table kept.
	maxSectionTable = 1 << 20
	// maxCandidates caps the audit data candidates decoded in one file.
	maxCandidates = 16
	// maxNames caps the mentions of the section name remembered.
	maxNames = 256
	// maxDecodes and decodeBudget cap the work of decoding candidates
	// that pass the prefilter: how many, and how many bytes of JSON they
	// may decompress in all (a real binary has one, and a few false
	// starts that fail within bytes; a hostile one, a bomb at every
	// offset).
	maxDecodes   = 64
	decodeBudget = 2 * maxJSON
)

// onDecode sees how many bytes each candidate decoded (for the tests).
var onDecode = func(inflated int) {}

// candidate is zlib-compressed audit data found in a stream: its offset,
// compressed length and what Reduce would keep of it.
type candidate struct {
	off, n int64
	out    []byte
}

// ReduceStream implements layer.StreamReducer: Reduce's result for an
// executable read as a stream, never held whole. The section headers that
// say where .dep-v0 is come last in an ELF file (and the section does
// not), so the stream is searched instead: every zlib stream that decodes
// as audit data is a candidate, and every NUL-terminated mention of the
// section name is remembered; the ELF section header table, kept as it
// passes, then names the section (its name index into the section name
// table must point at one of those mentions) and the candidate at its
// offset is the answer; a .dep-v0 section with no candidate there did not
// decode, an error as in Reduce. PE and Mach-O files have their section
// tables at their start. A file whose table cannot be read takes the first
// candidate; as in Reduce, a file that never names the section has none.
func (Extractor) ReduceStream(p string, r io.Reader, size int64) ([]byte, error) {
	w := binstream.NewWindow(r, windowMax)
	w.Need(headBytes)
	if format(w.From(0)) == "" {
		return nil, nil
	}
	e, _ := binstream.ParseELF(w.From(0))
	sect, found, known := headSection(w.From(0))
	if known && !found {
		return nil, nil
	}
	var (
		cands          []candidate
		held           int // bytes kept by cands
		named          bool
		names          []int64 // offsets of ".dep-v0\x00"
		table          []byte
		pos, namePos   int64
		name           = []byte(sectionName)
		tableOff, tLen int64
	)
	if e != nil && e.ShOff > 0 && e.ShNum > 0 && e.ShNum*e.ShEntSize <= maxSectionTable {
		tableOff, tLen = e.ShOff, int64(e.ShNum*e.ShEntSize)
	}
	var pre prefilter
	decodes, budget := 0, decodeBudget
	for {
		// Every mention of the name: a NUL-terminated one may be the
		// section's own, in an ELF file's section name table.
		for {
			at := w.Index(namePos, name)
			if at < 0 {
				namePos = max(namePos, w.End()-int64(len(name)))
				break
			}
			next := at + int64(len(name))
			if next >= w.End() && !w.Done() {
				namePos = at // wait for the byte after it
				break
			}
			named = true
			if next < w.End() && w.Bytes(next, 1)[0] == 0 && len(names) < maxNames {
				names = append(names, at)
			}
			namePos = at + 1
		}
		if tLen > 0 && table == nil && w.Base() <= tableOff && w.End() >= tableOff+tLen {
			table = bytes.Clone(w.Bytes(tableOff, int(tLen)))
		}
		for {
			i := w.Index(pos, []byte{0x78})
			if i < 0 {
				pos = w.End()
				break
			}
			if i+2 > w.End() {
				if !w.Done() {
					pos = i // wait for the flags byte
				} else {
					pos = w.End()
				}
				break
			}
			pos = i + 1
			flg := w.Bytes(i+1, 1)[0]
			if (0x78<<8|int(flg))%31 != 0 || flg&0x20 != 0 || len(cands) == maxCandidates || known && i != sect.off {
				continue // not a zlib header without a preset dictionary
			}
			if !pre.json(w.From(i + 2)) {
				continue
			}
			if decodes == maxDecodes || budget == 0 {
				continue // a hostile file of decompression bombs: no more work
			}
			decodes++
			zr := w.Reader(i)
			crates, inflated, err := decodeFrom(zr, min(maxJSON, budget))
			budget -= min(inflated, budget)
			onDecode(inflated)
			if err == nil {
				out := kept(crates)
				if held += len(out); held > maxJSON {
					continue // a hostile file full of audit data: keep what fits
				}
				cands = append(cands, candidate{i, zr.Offset() - i, out})
			}
		}
		if w.Done() {
			break
		}
		keep := min(pos, namePos)
		if tLen > 0 && table == nil && tableOff >= w.Base() {
			keep = min(keep, tableOff)
		}
		w.Drop(keep)
		if !w.More() && !w.Done() {
			return nil, fmt.Errorf("%w: stream search needs more than %d bytes at once", ErrInvalid, windowMax)
		}
	}
	if err := w.Err(); err != nil {
		return nil, err
	}
	if !named {
		return nil, nil
	}
	if !known && table != nil {
		sect, found, known = elfSection(e, table, names)
	}
	if known {
		if !found {
			return nil, nil
		}
		if sect.size > maxCompressed {
			return nil, fmt.Errorf("%w: %s section of %d bytes, over the %d-byte limit", ErrInvalid, sectionName, sect.size, maxCompressed)
		}
		for _, c := range cands {
			if c.off == sect.off && c.n <= sect.size {
				return c.out, nil
			}
		}
		return nil, fmt.Errorf("%w: the %s section (offset %d, %d bytes) is not zlib-compressed audit data", ErrInvalid, sectionName, sect.off, sect.size)
	}
	if len(cands) == 0 {
		return nil, nil
	}
	if table != nil {
		for _, c := range cands {
			if inSection(e, table, c) {
				return c.out, nil
			}
		}
		return nil, nil
	}
	return cands[0].out, nil
}

// elfSection finds the .dep-v0 section in an ELF file's section header
// table, by its name: the section name table's offset plus a section's
// name index must be where the stream saw ".dep-v0\x00" (names). known is
// false when that cannot be told (too many names seen); found is false
// when no section has the name, or it has no contents in the file.
func elfSection(e *binstream.ELF, table []byte, names []int64) (s span, found, known bool) {
	hdrs := e.SectionHeaders(table)
	if len(names) >= maxNames || e.ShStrNdx >= len(hdrs) {
		return span{}, false, false
	}
	strtab := hdrs[e.ShStrNdx].Off
	for _, h := range hdrs {
		if slices.Contains(names, int64(strtab+uint64(h.Name))) {
			if h.Type == binstream.SHTNobits {
				return span{}, false, true
			}
			return span{int64(h.Off), int64(h.Size)}, true, true
		}
	}
	return span{}, false, true
}

// inSection reports whether candidate c is the whole contents of a
// section of the ELF file e whose section header table is table.
func inSection(e *binstream.ELF, table []byte, c candidate) bool {
	for _, h := range e.SectionHeaders(table) {
		if h.Type != binstream.SHTNobits && h.Off == uint64(c.off) && uint64(c.n) <= h.Size {
			return true
		}
	}
	return false
}

// prefilter tells deflate data that cannot be audit data from data that
// may be, with one reused decompressor: the stream search meets a zlib
// header in every few kilobytes of a binary, and a decompressor each
// would be most of its cost.
type prefilter struct {
	fr  io.ReadCloser
	src bytes.Reader
	out [8]byte
}

// json reports whether deflate data starting with b may decompress to a
// JSON object: its first non-space byte is "{", or b ends before that
// byte is known.
func (p *prefilter) json(b []byte) bool {
	p.src.Reset(b)
	if p.fr == nil {
		p.fr = flate.NewReader(&p.src)
	} else if err := p.fr.(flate.Resetter).Reset(&p.src, nil); err != nil {
		return true
	}
	n, err := io.ReadFull(p.fr, p.out[:])
	for _, c := range p.out[:n] {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			return true
		}
		return false
	}
	// All space so far: undecided if the data ran out, else not JSON.
	return err == io.ErrUnexpectedEOF && p.src.Len() == 0 || err == io.EOF && n == 0 && p.src.Len() == 0
}
