package rustbinary

import (
	"bytes"
	"encoding/binary"
)

// span is where a section's contents are in the file.
type span struct{ off, size int64 }

// headSection finds the .dep-v0 section of a PE or Mach-O file from the
// headers at its start (head), as section does from the whole file: ok is
// false when head does not hold the section table, found false when the
// table has no such section (in segment __DATA, for Mach-O).
func headSection(head []byte) (s span, found, ok bool) {
	switch format(head) {
	case "pe":
		return peSection(head)
	case "macho":
		return machoSection(head)
	}
	return span{}, false, false
}

func peSection(head []byte) (s span, found, ok bool) {
	le := binary.LittleEndian
	if len(head) < 0x40 {
		return span{}, false, false
	}
	pe := int64(le.Uint32(head[0x3c:]))
	if pe+24 > int64(len(head)) || !bytes.Equal(head[pe:pe+4], []byte("PE\x00\x00")) {
		return span{}, false, false
	}
	coff := head[pe+4:]
	nsect, optSize := int64(le.Uint16(coff[2:])), int64(le.Uint16(coff[16:]))
	table := pe + 24 + optSize
	if table+40*nsect > int64(len(head)) {
		return span{}, false, false
	}
	for i := range nsect {
		h := head[table+40*i:]
		name := string(bytes.TrimRight(h[:8], "\x00"))
		if len(name) > 0 && name[0] == '/' {
			return span{}, false, false // a long name, in the string table at the end
		}
		if name != sectionName {
			continue
		}
		size, vsize := int64(le.Uint32(h[16:])), int64(le.Uint32(h[8:]))
		if vsize > 0 && vsize < size {
			size = vsize
		}
		return span{int64(le.Uint32(h[20:])), size}, true, true
	}
	return span{}, false, true
}

func machoSection(head []byte) (s span, found, ok bool) {
	if len(head) < 28 {
		return span{}, false, false
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if head[0] == 0xfe {
		bo = binary.BigEndian
	}
	is64 := bo.Uint32(head) == 0xfeedfacf
	ncmds := int64(bo.Uint32(head[16:]))
	off := int64(28)
	if is64 {
		off = 32
	}
	for range ncmds {
		if off+8 > int64(len(head)) {
			return span{}, false, false
		}
		cmd, size := bo.Uint32(head[off:]), int64(bo.Uint32(head[off+4:]))
		if size < 8 || off+size > int64(len(head)) {
			return span{}, false, false
		}
		c := head[off : off+size]
		seg, sect, first := uint32(0x1), int64(68), int64(56)
		if is64 {
			seg, sect, first = 0x19, 80, 72
		}
		if cmd == seg && size >= first {
			nsects := int64(bo.Uint32(c[first-8:]))
			if first+nsects*sect > size {
				return span{}, false, false
			}
			for i := range nsects {
				h := c[first+i*sect:]
				if cstr(h[:16]) != sectionName || cstr(h[16:32]) != "__DATA" {
					continue
				}
				if is64 {
					return span{int64(bo.Uint32(h[48:])), int64(bo.Uint64(h[40:]))}, true, true
				}
				return span{int64(bo.Uint32(h[40:])), int64(bo.Uint32(h[36:]))}, true, true
			}
		}
		off += size
	}
	return span{}, false, true
}

func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
