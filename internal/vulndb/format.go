package vulndb

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// File format (all integers little-endian or varint):
//
//	"DDVULNDB"                          8-byte magic
//	records       section: per record, in id order: uvarint(len) body
//	              body = uvarint(source index) + encoded osv.Entry (codec.go)
//	recordTable   section: u64 offset of each record in records, id order
//	packageIndex  section: uvarint(keys), then per key (sorted):
//	              str(ecosystem "\x00" normalized name) uvarint(n) uvarint(run length)
//	candidates    section: per key, in packageIndex order, a run of n candidates,
//	              the compact form matching reads (candidates.go)
//	enrichment    section: per CVE, in id order: uvarint(len) body
//	              body = str(CVE) uvarint(parts) parts × (uvarint(source) bytes(part))
//	enrichTable   section: u64 offset of each CVE in enrichment
//	meta          section: JSON [Meta] (deterministic)
//	stamp         section: JSON [Stamp] (build time, fetch state)
//	footer: 8 × (u64 offset, u64 length) · u32 format · [32]content hash
//	        · [32]file hash (sha256 of every byte before it) · "DDVEND01"
//
// The content hash covers the seven sections before stamp, so the version of
// a database depends on its content only, not on when it was built; the
// file hash guards against truncation and corruption and is checked on open.
//
// The format number sits at the same distance from the end of the file in
// every format, so a file written by another drydock is recognised as such
// ([ErrFormat]) whatever its section table looks like. Format history:
//
//	1  package index of record ordinals; lookups decoded whole advisories
//	2  candidates section; Meta gains each source's newest data time

const (
	magicStart    = "DDVULNDB"
	magicEnd      = "DDVEND01"
	formatVersion = 2
	numSections   = 8
	footerSize    = numSections*16 + 4 + 32 + 32 + 8
	// formatFromEnd is where the format number starts, counted from the end
	// of the file: it is followed by the two hashes and the end marker.
	formatFromEnd = 4 + 32 + 32 + 8
)

const (
	secRecords = iota
	secRecordTable
	secPackageIndex
	secCandidates
	secEnrichment
	secEnrichTable
	secMeta
	secStamp
)

type section struct{ off, n uint64 }

type footer struct {
	sections [numSections]section
	format   uint32
	content  [32]byte
	file     [32]byte
}

func (f *footer) marshalPrefix() []byte {
	b := make([]byte, 0, footerSize)
	for _, s := range f.sections {
		b = binary.LittleEndian.AppendUint64(b, s.off)
		b = binary.LittleEndian.AppendUint64(b, s.n)
	}
	b = binary.LittleEndian.AppendUint32(b, f.format)
	return append(b, f.content[:]...)
}

// ErrNotDatabase is returned when a file is not a drydock advisory database.
var ErrNotDatabase = errors.New("vulndb: not a drydock advisory database file")

// ErrFormat is returned (inside a [FormatError]) when a database file was
// written by a drydock with another file format.
var ErrFormat = errors.New("vulndb: database file format not supported")

// FormatError says which format a file has and what to do about it;
// errors.Is(err, ErrFormat) holds for it.
type FormatError struct {
	// Have is the file's format, Want the one this drydock reads.
	Have, Want uint32
}

func (e *FormatError) Error() string {
	if e.Have < e.Want {
		return fmt.Sprintf("vulndb: the database file has format %d, written by an older drydock (this one reads format %d); "+
			"rebuild the database with 'drydock db update' or 'drydock db import --replace PATH...', or import a bundle exported by this version", e.Have, e.Want)
	}
	return fmt.Sprintf("vulndb: the database file has format %d, written by a newer drydock (this one reads format %d); "+
		"upgrade drydock, or rebuild the database with this version ('drydock db update' or 'drydock db import --replace PATH...')", e.Have, e.Want)
}

// Unwrap returns ErrFormat.
func (e *FormatError) Unwrap() error { return ErrFormat }

// IsDatabaseFile reports whether head (the first bytes of a file) starts like
// a database file (or an export bundle, which is the same thing).
func IsDatabaseFile(head []byte) bool { return bytes.HasPrefix(head, []byte(magicStart)) }

// parseFooter checks the framing of data (a whole file) and returns its
// footer. verify also checks the file hash.
func parseFooter(data []byte, verify bool) (*footer, error) {
	if len(data) < len(magicStart)+formatFromEnd || !bytes.HasPrefix(data, []byte(magicStart)) {
		return nil, ErrNotDatabase
	}
	if string(data[len(data)-8:]) != magicEnd {
		return nil, fmt.Errorf("%w: bad end marker (truncated?)", ErrCorrupt)
	}
	if v := binary.LittleEndian.Uint32(data[len(data)-formatFromEnd:]); v != formatVersion {
		return nil, &FormatError{Have: v, Want: formatVersion}
	}
	if len(data) < len(magicStart)+footerSize {
		return nil, fmt.Errorf("%w: file too short", ErrCorrupt)
	}
	tail := data[len(data)-footerSize:]
	f := &footer{}
	p := tail
	for i := range f.sections {
		f.sections[i] = section{binary.LittleEndian.Uint64(p), binary.LittleEndian.Uint64(p[8:])}
		p = p[16:]
	}
	f.format = binary.LittleEndian.Uint32(p)
	p = p[4:]
	copy(f.content[:], p)
	copy(f.file[:], p[32:])
	body := uint64(len(data) - footerSize)
	for i, s := range f.sections {
		if s.off < uint64(len(magicStart)) || s.off > body || s.n > body-s.off {
			return nil, fmt.Errorf("%w: section %d out of bounds", ErrCorrupt, i)
		}
	}
	if verify {
		sum := sha256.Sum256(data[:len(data)-40])
		if sum != f.file {
			return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
		}
	}
	return f, nil
}

// verifyFileHash checks the file hash of the database file at path (the
// SHA-256 of everything before its last 40 bytes, stored in them) by
// reading the file, without mapping it.
func verifyFileHash(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	n := fi.Size()
	if n < int64(len(magicStart)+footerSize) {
		return fmt.Errorf("%w: file too short", ErrCorrupt)
	}
	var tail [40]byte
	if _, err := f.ReadAt(tail[:], n-40); err != nil {
		return fmt.Errorf("%w: read footer: %w", ErrCorrupt, err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, n-40)); err != nil {
		return fmt.Errorf("vulndb: hash %s: %w", path, err)
	}
	if !bytes.Equal(h.Sum(nil), tail[:32]) {
		return fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	return nil
}

func (f *footer) section(data []byte, i int) []byte {
	s := f.sections[i]
	return data[s.off : s.off+s.n]
}

func (f *footer) version() string { return hex.EncodeToString(f.content[:]) }

// countingWriter writes through w, hashing into the file hash and, while
// content is set, the content hash, and counts bytes.
type countingWriter struct {
	w         io.Writer
	file      hashWriter
	content   hashWriter
	inContent bool
	n         uint64
}

type hashWriter interface {
	io.Writer
	Sum([]byte) []byte
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.file.Write(p[:n])
	if c.inContent {
		c.content.Write(p[:n])
	}
	c.n += uint64(n)
	return n, err
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("vulndb: sync %s: %w", dir, err)
	}
	return nil
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
