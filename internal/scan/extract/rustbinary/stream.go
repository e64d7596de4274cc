package rustbinary

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"

	"github.com/drydock/drydock/internal/scan/extract/binstream"
	"github.com/drydock/drydock/internal/scan/layer"
)

var _ layer.StreamReducer = Extractor{}

const (
	// headBytes is where an ELF file's program headers must be.
	headBytes = 64 << 10
	// windowMax is the most of a file held at once: a candidate's
	// compressed audit data and some.
	windowMax = maxCompressed + 1<<20
	// maxSectionTable caps the ELF section header table kept.
	maxSectionTable = 1 << 20
	// maxCandidates caps the audit data candidates decoded in one file.
	maxCandidates = 16
)

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
// as audit data is a candidate; an ELF file's section header table, kept
// as it passes, then names the one that is the section (by offset and
// size); the section tables of PE and Mach-O files are at their start.
// A file whose table cannot be read takes the first candidate. As in Reduce, a file that never names the section
// has none. Unlike Reduce, a .dep-v0 section that does not decode is not
// reported as an error: the search cannot tell it from any other bytes.
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
		table          []byte
		pos, namePos   int64
		name           = []byte(sectionName)
		tableOff, tLen int64
	)
	if e != nil && e.ShOff > 0 && e.ShNum > 0 && e.ShNum*e.ShEntSize <= maxSectionTable {
		tableOff, tLen = e.ShOff, int64(e.ShNum*e.ShEntSize)
	}
	var pre prefilter
	for {
		if !named {
			if w.Index(namePos, name) >= 0 {
				named = true
			} else {
				namePos = max(namePos, w.End()-int64(len(name))+1)
			}
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
			zr := w.Reader(i)
			if crates, err := decodeFrom(zr); err == nil {
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
		keep := pos
		if !named {
			keep = min(keep, namePos)
		}
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
	if !named || len(cands) == 0 {
		return nil, nil
	}
	if known {
		for _, c := range cands {
			if c.off == sect.off && c.n <= sect.size {
				return c.out, nil
			}
		}
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

// inSection reports whether candidate c is the whole contents of a
// section of the ELF file e whose section header table is table.
func inSection(e *binstream.ELF, table []byte, c candidate) bool {
	for i := 0; i+e.ShEntSize <= len(table); i += e.ShEntSize {
		sh := table[i:]
		var typ uint32
		var off, size uint64
		if e.Is64 {
			if e.ShEntSize < 40 {
				return false
			}
			typ, off, size = e.Order.Uint32(sh[4:]), e.Order.Uint64(sh[24:]), e.Order.Uint64(sh[32:])
		} else {
			if e.ShEntSize < 24 {
				return false
			}
			typ, off, size = e.Order.Uint32(sh[4:]), uint64(e.Order.Uint32(sh[16:])), uint64(e.Order.Uint32(sh[20:]))
		}
		const shtNobits = 8
		if typ != shtNobits && off == uint64(c.off) && uint64(c.n) <= size {
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
