package rustbinary

import (
	"bytes"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"fmt"
	"io"

	"github.com/drydock/drydock/internal/scan/extract/binstream"
)

// sectionName is where cargo-auditable puts the audit data.
const sectionName = ".dep-v0"

// maxCompressed caps the section read from a binary.
const maxCompressed = 8 << 20

// format is data's executable format, "" for anything else: fat Mach-O
// archives are not read.
func format(data []byte) binstream.Format {
	if f := binstream.FormatOf(data); f != binstream.FormatFat {
		return f
	}
	return ""
}

// section returns the raw contents of the .dep-v0 section, nil when the
// binary has none. The debug/* parsers read the in-memory file through a
// bytes.Reader: nothing past the file, and of it only the headers and the
// section itself.
func section(data []byte) (raw []byte, err error) {
	defer func() {
		// The standard library's object file parsers have panicked on
		// hostile headers before; a binary is never worth a crash.
		if v := recover(); v != nil {
			raw, err = nil, fmt.Errorf("%w: malformed executable: %v", ErrInvalid, v)
		}
	}()
	r := bytes.NewReader(data)
	switch format(data) {
	case binstream.FormatELF:
		f, err := elf.NewFile(r)
		if err != nil {
			return nil, nil // not an executable we can read: not a Rust binary of interest
		}
		s := f.Section(sectionName)
		if s == nil || s.Type == elf.SHT_NOBITS {
			return nil, nil
		}
		return read(s.Open(), s.Size)
	case binstream.FormatPE:
		f, err := pe.NewFile(r)
		if err != nil {
			return nil, nil
		}
		s := f.Section(sectionName)
		if s == nil {
			return nil, nil
		}
		size := uint64(s.Size)
		if s.VirtualSize > 0 && s.VirtualSize < s.Size {
			size = uint64(s.VirtualSize) // Size is rounded up to the file alignment
		}
		return read(io.NewSectionReader(s, 0, int64(size)), size)
	case binstream.FormatMachO:
		f, err := macho.NewFile(r)
		if err != nil {
			return nil, nil
		}
		for _, s := range f.Sections {
			if s.Name == sectionName && s.Seg == "__DATA" {
				return read(s.Open(), s.Size)
			}
		}
	}
	return nil, nil
}

// read reads a section of the given size, refusing one over maxCompressed.
func read(r io.Reader, size uint64) ([]byte, error) {
	if size > maxCompressed {
		return nil, fmt.Errorf("%w: %s section of %d bytes, over the %d-byte limit", ErrInvalid, sectionName, size, maxCompressed)
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("%w: read %s section: %w", ErrInvalid, sectionName, err)
	}
	return buf, nil
}
