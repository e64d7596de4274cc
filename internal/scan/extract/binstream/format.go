package binstream

import "bytes"

// Format is an executable file format, as its first bytes tell it.
type Format string

// The formats [FormatOf] knows; the zero Format is none of them.
const (
	FormatELF   Format = "elf"
	FormatPE    Format = "pe"    // and any other file starting "MZ"
	FormatMachO Format = "macho" // 32 or 64 bits, either byte order
	FormatFat   Format = "fat"   // a universal Mach-O binary (or a Java class file: same magic)
)

var machOMagic = [][]byte{{0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf}, {0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe}}

// FormatOf returns the format head, a file's first bytes, is in by its
// magic number; "" for other files. Only the magic number is checked:
// the headers may still be malformed.
func FormatOf(head []byte) Format {
	switch {
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return FormatELF
	case bytes.HasPrefix(head, []byte("MZ")):
		return FormatPE
	case bytes.HasPrefix(head, []byte{0xca, 0xfe, 0xba, 0xbe}):
		return FormatFat
	}
	for _, m := range machOMagic {
		if bytes.HasPrefix(head, m) {
			return FormatMachO
		}
	}
	return ""
}
