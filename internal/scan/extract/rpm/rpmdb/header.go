package rpmdb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
)

// Header is what drydock reads from one package's rpm header.
type Header struct {
	Name    string
	Epoch   string // decimal; "" when the header has no EPOCH tag
	Version string
	Release string
	Arch    string // "" when absent (gpg-pubkey pseudo-packages)
	// SourceRPM is the file name of the source package
	// ("glibc-2.28-151.el8.src.rpm"); "" when absent.
	SourceRPM string
	Vendor    string
	// ModularityLabel is "name:stream:version:context" for packages of a
	// module stream (RHEL 8 and later), "" otherwise.
	ModularityLabel string
}

// EVR returns "epoch:version-release", without "epoch:" when the header
// has no epoch: the form rpm's %{EVR} prints and [version.RPM] parses.
func (h *Header) EVR() string {
	if h.Epoch != "" {
		return h.Epoch + ":" + h.Version + "-" + h.Release
	}
	return h.Version + "-" + h.Release
}

// Tags read (rpmtag.h).
const (
	tagName            = 1000
	tagVersion         = 1001
	tagRelease         = 1002
	tagEpoch           = 1003
	tagVendor          = 1011
	tagArch            = 1022
	tagSourceRPM       = 1044
	tagModularityLabel = 5096
)

// Tag data types (rpmtag.h, rpmTagType).
const (
	typeInt32       = 4
	typeString      = 6
	typeStringArray = 8
	typeI18NString  = 9
	typeMax         = 9
)

// Header limits, as rpm's own header.c enforces them (hdrchkTags,
// hdrchkData): at most 0xffff index entries and less than 16 MiB of data.
const (
	maxTags     = 0xffff
	maxData     = 16<<20 - 1
	entrySize   = 16
	preambleLen = 8
	// maxHeaderLen bounds a whole header blob.
	maxHeaderLen = preambleLen + maxTags*entrySize + maxData
)

// MaxHeaderLen is the length of the longest header blob [ParseHeader]
// accepts (about 17 MiB).
const MaxHeaderLen = maxHeaderLen

// ParseHeader reads a header blob as rpm stores it in its database: the
// header's index and data without the lead and magic of a package file
// (https://rpm-software-management.github.io/rpm/manual/format_header.html):
//
//	il uint32, dl uint32                      big-endian counts
//	il × {tag, type, offset, count uint32}    index entries
//	dl bytes                                  data
//
// It checks the blob's size against its counts and the bounds of every
// entry it reads, and reads only the tags [Header] holds; later entries
// for a tag replace earlier ones, as entries added after the immutable
// region do in rpm, and only the last one's string is read (so that a
// header of 65535 entries pointing at one 16 MiB string costs one scan of
// it, not 65535). The strings read (each offset once) may not add up to
// more than the data area, so that a header cannot make its parse
// allocate more than its size. NAME,
// VERSION and RELEASE must be present. Errors wrap [ErrInvalid]; blob is
// not retained.
func ParseHeader(blob []byte) (Header, error) {
	var h Header
	if len(blob) < preambleLen {
		return h, fmt.Errorf("%w: header of %d bytes", ErrInvalid, len(blob))
	}
	il := binary.BigEndian.Uint32(blob)
	dl := binary.BigEndian.Uint32(blob[4:])
	if il == 0 || il > maxTags {
		return h, fmt.Errorf("%w: header with %d index entries", ErrInvalid, il)
	}
	if dl > maxData {
		return h, fmt.Errorf("%w: header with %d data bytes", ErrInvalid, dl)
	}
	dataStart := preambleLen + int(il)*entrySize
	if want := dataStart + int(dl); len(blob) != want {
		return h, fmt.Errorf("%w: header of %d bytes, its counts say %d", ErrInvalid, len(blob), want)
	}
	data := blob[dataStart:]
	var strs [7]struct{ tag, off uint32 } // the last entry of each tag
	dsts := [len(strs)]*string{&h.Name, &h.Version, &h.Release, &h.Arch, &h.SourceRPM, &h.Vendor, &h.ModularityLabel}
	for i := range int(il) {
		e := blob[preambleLen+i*entrySize:]
		tag := binary.BigEndian.Uint32(e)
		typ := binary.BigEndian.Uint32(e[4:])
		off := binary.BigEndian.Uint32(e[8:])
		cnt := binary.BigEndian.Uint32(e[12:])
		var slot int
		switch tag {
		case tagName:
			slot = 0
		case tagVersion:
			slot = 1
		case tagRelease:
			slot = 2
		case tagArch:
			slot = 3
		case tagSourceRPM:
			slot = 4
		case tagVendor:
			slot = 5
		case tagModularityLabel:
			slot = 6
		case tagEpoch:
			if typ != typeInt32 || cnt < 1 || uint64(off)+4 > uint64(dl) {
				return h, fmt.Errorf("%w: EPOCH entry (type %d, count %d, offset %d of %d)", ErrInvalid, typ, cnt, off, dl)
			}
			h.Epoch = strconv.FormatUint(uint64(binary.BigEndian.Uint32(data[off:])), 10)
			continue
		default:
			if typ > typeMax {
				return h, fmt.Errorf("%w: entry %d: tag %d has type %d", ErrInvalid, i, tag, typ)
			}
			continue
		}
		if err := checkStr(data, typ, off, cnt); err != nil {
			return h, fmt.Errorf("%w: tag %d: %w", ErrInvalid, tag, err)
		}
		strs[slot] = struct{ tag, off uint32 }{tag, off}
	}
	total := 0
strings:
	for i, e := range strs {
		if e.tag == 0 {
			continue
		}
		for j := range i {
			if strs[j].tag != 0 && strs[j].off == e.off {
				*dsts[i] = *dsts[j] // read once
				continue strings
			}
		}
		s, err := str(data, e.off)
		if err != nil {
			return h, fmt.Errorf("%w: tag %d: %w", ErrInvalid, e.tag, err)
		}
		if total += len(s); total > len(data) {
			return h, fmt.Errorf("%w: the strings of tags NAME to MODULARITYLABEL add up to more than the %d data bytes (they overlap)", ErrInvalid, len(data))
		}
		*dsts[i] = s
	}
	switch {
	case h.Name == "":
		return h, fmt.Errorf("%w: header without NAME", ErrInvalid)
	case h.Version == "" || h.Release == "":
		return h, fmt.Errorf("%w: package %q without VERSION or RELEASE", ErrInvalid, truncate(h.Name))
	}
	return h, nil
}

// checkStr checks a string entry's type, count and offset.
func checkStr(data []byte, typ, off, cnt uint32) error {
	switch typ {
	case typeString:
		if cnt != 1 {
			return fmt.Errorf("string with count %d", cnt)
		}
	case typeStringArray, typeI18NString:
		if cnt < 1 {
			return fmt.Errorf("empty string array")
		}
	default:
		return fmt.Errorf("type %d where a string belongs", typ)
	}
	if uint64(off) >= uint64(len(data)) {
		return fmt.Errorf("offset %d past the %d data bytes", off, len(data))
	}
	return nil
}

// str returns the (first) string of a string entry checked by checkStr.
func str(data []byte, off uint32) (string, error) {
	s := data[off:]
	end := bytes.IndexByte(s, 0)
	if end < 0 {
		return "", fmt.Errorf("string at offset %d not terminated", off)
	}
	return string(s[:end]), nil
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
