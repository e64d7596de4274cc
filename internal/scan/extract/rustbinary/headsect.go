package rustbinary

import (
	"strings"

	"github.com/drydock/drydock/internal/scan/extract/binstream"
)

// span is where a section's contents are in the file.
type span struct{ off, size int64 }

// headSection finds the .dep-v0 section of a PE or Mach-O file from the
// headers at its start (head), as section does from the whole file: ok is
// false when head does not hold the section table (or a PE section name
// is in the string table at the end), found false when the table has no
// such section (in segment __DATA, for Mach-O).
func headSection(head []byte) (s span, found, ok bool) {
	f := format(head)
	if f != binstream.FormatPE && f != binstream.FormatMachO {
		return span{}, false, false
	}
	l, ok := binstream.ParseLayout(head)
	if !ok {
		return span{}, false, false
	}
	for _, sc := range l.Sections {
		if f == binstream.FormatPE && strings.HasPrefix(sc.Name, "/") {
			return span{}, false, false
		}
		if sc.Name != sectionName || f == binstream.FormatMachO && sc.Seg != "__DATA" {
			continue
		}
		size := sc.Size
		if sc.VirtualSize > 0 && sc.VirtualSize < size {
			size = sc.VirtualSize // Size is rounded up to the file alignment
		}
		return span{int64(sc.Off), int64(size)}, true, true
	}
	return span{}, false, true
}
