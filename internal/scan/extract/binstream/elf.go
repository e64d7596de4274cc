package binstream

import (
	"bytes"
	"encoding/binary"
)

// ELF is what an ELF file's header and program headers say, read from the
// file's first bytes: where its loaded segments are in the file and in
// memory, and where its section headers are.
type ELF struct {
	Layout    // from the PT_LOAD program headers
	Order     binary.ByteOrder
	Is64      bool
	ShOff     int64 // section header table offset (0: none)
	ShEntSize int
	ShNum     int
	ShStrNdx  int
}

// ParseELF reads the ELF header and program headers from head, the first
// bytes of a file; ok is false when head is not an ELF file or does not
// hold its program headers.
func ParseELF(head []byte) (e *ELF, ok bool) {
	if len(head) < 52 || !bytes.HasPrefix(head, []byte("\x7fELF")) {
		return nil, false
	}
	e = &ELF{}
	switch head[5] {
	case 1:
		e.Order = binary.LittleEndian
	case 2:
		e.Order = binary.BigEndian
	default:
		return nil, false
	}
	var phoff uint64
	var phentsize, phnum int
	switch head[4] {
	case 1:
		phoff = uint64(e.Order.Uint32(head[0x1c:]))
		e.ShOff = int64(e.Order.Uint32(head[0x20:]))
		phentsize, phnum = int(e.Order.Uint16(head[0x2a:])), int(e.Order.Uint16(head[0x2c:]))
		e.ShEntSize, e.ShNum, e.ShStrNdx = int(e.Order.Uint16(head[0x2e:])), int(e.Order.Uint16(head[0x30:])), int(e.Order.Uint16(head[0x32:]))
		if phentsize < 32 {
			return nil, false
		}
	case 2:
		if len(head) < 64 {
			return nil, false
		}
		e.Is64 = true
		phoff = e.Order.Uint64(head[0x20:])
		sh := e.Order.Uint64(head[0x28:])
		if sh > 1<<62 {
			return nil, false
		}
		e.ShOff = int64(sh)
		phentsize, phnum = int(e.Order.Uint16(head[0x36:])), int(e.Order.Uint16(head[0x38:]))
		e.ShEntSize, e.ShNum, e.ShStrNdx = int(e.Order.Uint16(head[0x3a:])), int(e.Order.Uint16(head[0x3c:])), int(e.Order.Uint16(head[0x3e:]))
		if phentsize < 56 {
			return nil, false
		}
	default:
		return nil, false
	}
	if phoff > uint64(len(head)) || uint64(phnum)*uint64(phentsize) > uint64(len(head))-phoff {
		return nil, false
	}
	for i := range phnum {
		ph := head[phoff+uint64(i*phentsize):]
		if e.Order.Uint32(ph) != 1 { // PT_LOAD
			continue
		}
		var s Segment
		if e.Is64 {
			s = Segment{Flags: e.Order.Uint32(ph[4:]), Off: e.Order.Uint64(ph[8:]), Vaddr: e.Order.Uint64(ph[16:]), Filesz: e.Order.Uint64(ph[32:]), Memsz: e.Order.Uint64(ph[40:])}
		} else {
			s = Segment{Off: uint64(e.Order.Uint32(ph[4:])), Vaddr: uint64(e.Order.Uint32(ph[8:])), Filesz: uint64(e.Order.Uint32(ph[16:])), Memsz: uint64(e.Order.Uint32(ph[20:])), Flags: e.Order.Uint32(ph[24:])}
		}
		e.Loads = append(e.Loads, s)
	}
	return e, true
}

// SectionHeader is what the stream searches need of an ELF section header.
type SectionHeader struct {
	Name, Type uint32 // name: index into the section name table
	Off, Size  uint64
}

// SHTNobits is the type of a section with no contents in the file.
const SHTNobits = 8

// SectionHeaders decodes the section header table, table being the
// ShNum*ShEntSize bytes at ShOff; nil when its entries are too short.
func (e *ELF) SectionHeaders(table []byte) []SectionHeader {
	least := 24
	if e.Is64 {
		least = 40
	}
	if e.ShEntSize < least {
		return nil
	}
	var out []SectionHeader
	for i := 0; i+e.ShEntSize <= len(table); i += e.ShEntSize {
		sh := table[i:]
		h := SectionHeader{Name: e.Order.Uint32(sh), Type: e.Order.Uint32(sh[4:])}
		if e.Is64 {
			h.Off, h.Size = e.Order.Uint64(sh[24:]), e.Order.Uint64(sh[32:])
		} else {
			h.Off, h.Size = uint64(e.Order.Uint32(sh[16:])), uint64(e.Order.Uint32(sh[20:]))
		}
		out = append(out, h)
	}
	return out
}
