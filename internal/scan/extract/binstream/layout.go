package binstream

import (
	"bytes"
	"encoding/binary"
)

// Layout is where an executable's loaded segments are, in the file and in
// memory: what its pointers need to be followed in a stream.
type Layout struct {
	Loads []Segment
	// Sections are a PE or Mach-O file's sections, from the same headers
	// (an ELF file's come last in the file, and are not here).
	Sections []Section
}

// Section is a section of a PE or Mach-O file.
type Section struct {
	Name string // a PE long name is "/" and its string table offset
	Seg  string // Mach-O: the segment it is in
	Off  uint64 // in the file
	Size uint64 // in the file (PE: SizeOfRawData, rounded up to the file alignment)
	// VirtualSize is a PE section's size in memory.
	VirtualSize uint64
}

// Segment is a loaded segment.
type Segment struct {
	Off, Vaddr, Filesz, Memsz uint64
	Flags                     uint32 // PF_X 1, PF_W 2, PF_R 4
}

// Segment flags.
const (
	PFX = 1
	PFW = 2
)

// FileOffset returns the file offset of virtual address addr, which must
// lie in the file part of a loaded segment.
func (l *Layout) FileOffset(addr uint64) (int64, bool) {
	for _, s := range l.Loads {
		if addr >= s.Vaddr && addr-s.Vaddr < s.Filesz && s.Off+(addr-s.Vaddr) < 1<<62 {
			return int64(s.Off + (addr - s.Vaddr)), true
		}
	}
	return 0, false
}

// Zero reports whether virtual address addr lies in a loaded segment's
// memory past its file part (its .bss): memory that starts as zeros.
func (l *Layout) Zero(addr uint64) bool {
	for _, s := range l.Loads {
		if addr >= s.Vaddr+s.Filesz && addr-s.Vaddr < s.Memsz {
			return true
		}
	}
	return false
}

// InData reports whether file offset off lies in a writable, not
// executable loaded segment: where a Go binary's build information is.
func (l *Layout) InData(off int64) bool {
	for _, s := range l.Loads {
		if s.Flags&(PFX|PFW) == PFW && uint64(off) >= s.Off && uint64(off)-s.Off < s.Filesz {
			return true
		}
	}
	return false
}

// ParseLayout reads the layout of an ELF, PE or Mach-O (not fat) file from
// head, its first bytes, where their headers are; ok is false for other
// files and when head does not hold the headers.
func ParseLayout(head []byte) (*Layout, bool) {
	if e, ok := ParseELF(head); ok {
		return &e.Layout, true
	}
	if l, ok := parsePE(head); ok {
		return l, true
	}
	return parseMachO(head)
}

// parsePE reads a PE file's sections as segments (image base added).
func parsePE(head []byte) (*Layout, bool) {
	le := binary.LittleEndian
	if len(head) < 0x40 || !bytes.HasPrefix(head, []byte("MZ")) {
		return nil, false
	}
	pe := uint64(le.Uint32(head[0x3c:]))
	if pe+24 > uint64(len(head)) || !bytes.Equal(head[pe:pe+4], []byte("PE\x00\x00")) {
		return nil, false
	}
	nsect, optSize := uint64(le.Uint16(head[pe+6:])), uint64(le.Uint16(head[pe+20:]))
	opt := pe + 24
	table := opt + optSize
	if table+40*nsect > uint64(len(head)) || optSize < 32 {
		return nil, false
	}
	var base uint64
	switch le.Uint16(head[opt:]) {
	case 0x10b: // PE32
		base = uint64(le.Uint32(head[opt+28:]))
	case 0x20b: // PE32+
		base = le.Uint64(head[opt+24:])
	default:
		return nil, false
	}
	const scnExecute, scnWrite = 0x20000000, 0x80000000
	l := &Layout{}
	for i := range nsect {
		h := head[table+40*i:]
		vsize, va, raw, ptr, ch := uint64(le.Uint32(h[8:])), uint64(le.Uint32(h[12:])), uint64(le.Uint32(h[16:])), uint64(le.Uint32(h[20:])), le.Uint32(h[36:])
		l.Sections = append(l.Sections, Section{Name: string(bytes.TrimRight(h[:8], "\x00")), Off: ptr, Size: raw, VirtualSize: vsize})
		s := Segment{Off: ptr, Vaddr: base + va, Filesz: raw, Memsz: max(vsize, raw)}
		if ch&scnExecute != 0 {
			s.Flags |= PFX
		}
		if ch&scnWrite != 0 {
			s.Flags |= PFW
		}
		l.Loads = append(l.Loads, s)
	}
	return l, true
}

// parseMachO reads a Mach-O file's segments.
func parseMachO(head []byte) (*Layout, bool) {
	if len(head) < 32 {
		return nil, false
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if head[0] == 0xfe {
		bo = binary.BigEndian
	}
	var is64 bool
	switch bo.Uint32(head) {
	case 0xfeedface:
	case 0xfeedfacf:
		is64 = true
	default:
		return nil, false
	}
	ncmds := uint64(bo.Uint32(head[16:]))
	off := uint64(28)
	if is64 {
		off = 32
	}
	const protWrite, protExecute = 2, 4
	l := &Layout{}
	for range ncmds {
		if off+8 > uint64(len(head)) {
			return nil, false
		}
		cmd, size := bo.Uint32(head[off:]), uint64(bo.Uint32(head[off+4:]))
		if size < 8 || off+size > uint64(len(head)) {
			return nil, false
		}
		c := head[off : off+size]
		var s Segment
		var prot uint32
		var first, sect uint64 // where the section headers start, and their size
		switch {
		case cmd == 0x1 && size >= 56: // LC_SEGMENT
			s = Segment{Vaddr: uint64(bo.Uint32(c[24:])), Memsz: uint64(bo.Uint32(c[28:])), Off: uint64(bo.Uint32(c[32:])), Filesz: uint64(bo.Uint32(c[36:]))}
			prot = bo.Uint32(c[44:])
			first, sect = 56, 68
		case cmd == 0x19 && size >= 72: // LC_SEGMENT_64
			s = Segment{Vaddr: bo.Uint64(c[24:]), Memsz: bo.Uint64(c[32:]), Off: bo.Uint64(c[40:]), Filesz: bo.Uint64(c[48:])}
			prot = bo.Uint32(c[60:])
			first, sect = 72, 80
		default:
			off += size
			continue
		}
		nsects := uint64(bo.Uint32(c[first-8:]))
		if nsects > (size-first)/sect {
			return nil, false
		}
		for i := range nsects {
			h := c[first+i*sect:]
			sc := Section{Name: cstr(h[:16]), Seg: cstr(h[16:32])}
			if sect == 80 {
				sc.Size, sc.Off = bo.Uint64(h[40:]), uint64(bo.Uint32(h[48:]))
			} else {
				sc.Size, sc.Off = uint64(bo.Uint32(h[36:])), uint64(bo.Uint32(h[40:]))
			}
			l.Sections = append(l.Sections, sc)
		}
		if prot&protExecute != 0 {
			s.Flags |= PFX
		}
		if prot&protWrite != 0 {
			s.Flags |= PFW
		}
		l.Loads = append(l.Loads, s)
		off += size
	}
	return l, true
}

// cstr is a NUL-padded name.
func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
