package java

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"path"
	"strings"

	"github.com/drydock/drydock/internal/scan/layer"
)

var _ layer.StreamReducer = Extractor{}

// Zip record signatures, as little-endian numbers.
const (
	sigLocal      = 0x04034b50
	sigCentral    = 0x02014b50
	sigEnd        = 0x06054b50
	sigZip64End   = 0x06064b50
	sigDescriptor = 0x08074b50
	flagDescribed = 0x8 // sizes and CRC follow the data (a data descriptor)
	zip64ExtraID  = 0x0001
)

// errNotStreamable is an archive whose entries cannot be told apart
// without its central directory.
var errNotStreamable = errors.New("not readable as a stream of entries")

// ReduceStream implements layer.StreamReducer: Reduce's result for an
// archive too large to hold whole (a fat jar of 100 MB), read once from
// r. The entries are taken from their local headers in the order they
// come, as tools that write jars (jar, Maven, Gradle, Spring Boot) write
// them, ending at the central directory: the metadata and nested
// archives Reduce reads are read, the rest skipped (an entry whose size
// only a data descriptor gives is inflated to find its end, within
// maxRatio times the archive's size). The fingerprint is Reduce's, from
// the same names, CRC-32s and sizes.
func (Extractor) ReduceStream(p string, r io.Reader, size int64) ([]byte, error) {
	w := &walker{budget: min(maxTotalBytes, ratioSlack+maxRatio*size)}
	s := &streamer{w: w, br: bufio.NewReaderSize(r, 64<<10), skipBudget: ratioSlack + maxRatio*size}
	return w.result(s.run(path.Base(p)))
}

// streamer reads the entries of one archive from its local headers.
type streamer struct {
	w          *walker
	br         *bufio.Reader
	skipped    int64 // bytes inflated only to find an entry's end
	skipBudget int64
}

// localEntry is what a local file header says of its entry.
type localEntry struct {
	name         string
	flags        uint16
	method       uint16
	crc          uint32
	csize, usize uint64
	zip64        bool
}

func (s *streamer) run(fileName string) error {
	h := fnv.New64a()
	var props []artifact
	var manifest map[string]string
	var nestedStop bool
	var nestedFound []artifact
	var limitErr error
	for {
		var sig [4]byte
		if _, err := io.ReadFull(s.br, sig[:]); err != nil {
			if s.w.entries == 0 {
				return fmt.Errorf("%s: %w", fileName, errNotStreamable)
			}
			return fmt.Errorf("%s: %w", fileName, io.ErrUnexpectedEOF)
		}
		switch binary.LittleEndian.Uint32(sig[:]) {
		case sigLocal:
		case sigCentral, sigEnd, sigZip64End:
			if s.w.entries == 0 {
				return fmt.Errorf("%s: %w", fileName, errNotStreamable)
			}
			s.w.fp = h.Sum64()
			for _, a := range identify(props, manifest, fileName) {
				s.w.found = append(s.w.found, a)
			}
			s.w.found = append(s.w.found, nestedFound...)
			return limitErr
		default:
			return fmt.Errorf("%s: %w: unexpected record after %d entries", fileName, errNotStreamable, s.w.entries)
		}
		e, err := s.header()
		if err != nil {
			return fmt.Errorf("%s: %w", fileName, err)
		}
		if s.w.entries++; s.w.entries > maxEntries {
			return fmt.Errorf("%w: more than %d entries", ErrLimit, maxEntries)
		}
		name := e.name
		var want int64 // the most bytes to keep of the entry; 0: skip it
		kind := ""
		switch {
		case strings.HasPrefix(name, "META-INF/maven/") && strings.HasSuffix(name, "/pom.properties"):
			kind, want = "pom", maxMetaBytes
		case strings.EqualFold(name, "META-INF/MANIFEST.MF"):
			kind, want = "manifest", maxMetaBytes // the last one, as Reduce takes it
		case archiveExts[strings.ToLower(path.Ext(name))] && !strings.HasSuffix(name, "/") && !nestedStop && limitErr == nil:
			kind, want = "nested", maxNestedBytes
		}
		data, err := s.body(&e, want)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", fileName, name, err)
		}
		var n [12]byte
		h.Write([]byte(name))
		binary.LittleEndian.PutUint32(n[:4], e.crc)
		binary.LittleEndian.PutUint64(n[4:], e.usize)
		h.Write(n[:])
		if kind == "" {
			continue
		}
		if data == nil { // over want: as walker.read's limit
			if kind == "nested" {
				nestedStop = true
			}
			continue
		}
		if s.w.bytes += int64(len(data)); s.w.bytes > s.w.budget {
			if kind == "nested" {
				nestedStop = true
			}
			continue
		}
		switch kind {
		case "pom":
			if a, ok := parsePomProperties(data); ok {
				props = append(props, a)
			}
		case "manifest":
			manifest = parseManifest(data)
		case "nested":
			// Nested archives are small enough to read whole, as Reduce
			// does; their artifacts come after the outer archive's own.
			before := s.w.found
			s.w.found = nil
			err := s.w.archive(data, path.Base(name), name, 1)
			nestedFound = append(nestedFound, s.w.found...)
			s.w.found = before
			if errors.Is(err, ErrLimit) {
				limitErr = err // as Reduce: stop nesting, keep what was found
			}
		}
	}
}

// header reads a local file header after its signature.
func (s *streamer) header() (localEntry, error) {
	var b [26]byte
	if _, err := io.ReadFull(s.br, b[:]); err != nil {
		return localEntry{}, io.ErrUnexpectedEOF
	}
	e := localEntry{
		flags:  binary.LittleEndian.Uint16(b[2:]),
		method: binary.LittleEndian.Uint16(b[4:]),
		crc:    binary.LittleEndian.Uint32(b[10:]),
		csize:  uint64(binary.LittleEndian.Uint32(b[14:])),
		usize:  uint64(binary.LittleEndian.Uint32(b[18:])),
	}
	nameLen, extraLen := int(binary.LittleEndian.Uint16(b[22:])), int(binary.LittleEndian.Uint16(b[24:]))
	buf := make([]byte, nameLen+extraLen)
	if _, err := io.ReadFull(s.br, buf); err != nil {
		return localEntry{}, io.ErrUnexpectedEOF
	}
	e.name = string(buf[:nameLen])
	extra := buf[nameLen:]
	for len(extra) >= 4 {
		id, n := binary.LittleEndian.Uint16(extra), int(binary.LittleEndian.Uint16(extra[2:]))
		if n > len(extra)-4 {
			break
		}
		if id == zip64ExtraID {
			e.zip64 = true
			f := extra[4 : 4+n]
			// Only the sizes the header left at 0xffffffff are here,
			// uncompressed first.
			if e.usize == 0xffffffff && len(f) >= 8 {
				e.usize, f = binary.LittleEndian.Uint64(f), f[8:]
			}
			if e.csize == 0xffffffff && len(f) >= 8 {
				e.csize = binary.LittleEndian.Uint64(f)
			}
		}
		extra = extra[4+n:]
	}
	return e, nil
}

// body reads the data of entry e (and its data descriptor, which sets e's
// CRC and sizes): the uncompressed bytes when want > 0 and they fit in
// want, else nil.
func (s *streamer) body(e *localEntry, want int64) ([]byte, error) {
	described := e.flags&flagDescribed != 0
	var keep *bytes.Buffer
	var sink io.Writer = io.Discard
	if want > 0 {
		keep = new(bytes.Buffer)
		sink = &capped{w: keep, left: want}
	}
	switch {
	case e.method == zip.Store && !described:
		if _, err := io.CopyN(sink, s.br, int64(e.csize)); err != nil {
			return nil, io.ErrUnexpectedEOF
		}
	case e.method == zip.Store:
		if err := s.storedUntilDescriptor(e, sink); err != nil {
			return nil, err
		}
		return kept(keep, sink), nil
	case e.method == zip.Deflate:
		var src io.Reader = s.br // a ByteReader: flate stops at the stream's end
		if !described {
			src = bufio.NewReader(io.LimitReader(s.br, int64(e.csize)))
		}
		// Every byte inflated counts, kept or not: an entry's declared
		// size may lie, and one that inflates without end must stop.
		if _, err := io.Copy(&counted{w: sink, n: &s.skipped, max: s.skipBudget}, flate.NewReader(src)); err != nil {
			return nil, err
		}
		if !described {
			// The rest of the entry, if the deflate stream ended early.
			if _, err := io.Copy(io.Discard, src); err != nil {
				return nil, err
			}
		}
	case !described:
		if _, err := io.CopyN(io.Discard, s.br, int64(e.csize)); err != nil {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, nil // a compression method Reduce cannot read either
	default:
		return nil, fmt.Errorf("%w: method %d with a data descriptor", errNotStreamable, e.method)
	}
	if described {
		if err := s.descriptor(e); err != nil {
			return nil, err
		}
	}
	return kept(keep, sink), nil
}

// kept is what a capped sink kept, nil when it overflowed or kept none.
func kept(keep *bytes.Buffer, sink io.Writer) []byte {
	if keep == nil {
		return nil
	}
	if c, ok := sink.(*capped); ok && c.over {
		return nil
	}
	return keep.Bytes()
}

// descriptor reads a data descriptor (its signature is optional).
func (s *streamer) descriptor(e *localEntry) error {
	sizeLen := 4
	if e.zip64 {
		sizeLen = 8
	}
	head, err := s.br.Peek(4)
	if err != nil {
		return io.ErrUnexpectedEOF
	}
	if binary.LittleEndian.Uint32(head) == sigDescriptor {
		s.br.Discard(4)
	}
	b := make([]byte, 4+2*sizeLen)
	if _, err := io.ReadFull(s.br, b); err != nil {
		return io.ErrUnexpectedEOF
	}
	e.crc = binary.LittleEndian.Uint32(b)
	if e.zip64 {
		e.csize, e.usize = binary.LittleEndian.Uint64(b[4:]), binary.LittleEndian.Uint64(b[12:])
	} else {
		e.csize, e.usize = uint64(binary.LittleEndian.Uint32(b[4:])), uint64(binary.LittleEndian.Uint32(b[8:]))
	}
	return nil
}

// storedUntilDescriptor copies a stored entry whose size only its data
// descriptor gives (Go's archive/zip writes these): the data ends at a
// signed descriptor whose compressed size is the bytes read so far.
func (s *streamer) storedUntilDescriptor(e *localEntry, sink io.Writer) error {
	sizeLen := 4
	if e.zip64 {
		sizeLen = 8
	}
	need := 8 + 2*sizeLen // signature, CRC-32, sizes
	sig := []byte("PK\x07\x08")
	var n int64
	for {
		if n > s.skipBudget {
			return fmt.Errorf("%w: no data descriptor within %d bytes", ErrLimit, s.skipBudget)
		}
		buf, _ := s.br.Peek(s.br.Size())
		if len(buf) < need {
			return io.ErrUnexpectedEOF
		}
		i := bytes.Index(buf[:len(buf)-need+1], sig)
		if i < 0 {
			i = len(buf) - need + 1 // none starts before: pass those bytes
		} else {
			var csize uint64
			if e.zip64 {
				csize = binary.LittleEndian.Uint64(buf[i+8:])
			} else {
				csize = uint64(binary.LittleEndian.Uint32(buf[i+8:]))
			}
			if csize == uint64(n)+uint64(i) {
				sink.Write(buf[:i])
				s.br.Discard(i)
				return s.descriptor(e)
			}
			i++ // a signature inside the data
		}
		sink.Write(buf[:i])
		s.br.Discard(i)
		n += int64(i)
	}
}

// capped writes to w until left bytes are written; past them it drops
// everything and records that it overflowed.
type capped struct {
	w    io.Writer
	left int64
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if c.over {
		return len(p), nil
	}
	if int64(len(p)) > c.left {
		c.over = true
		return len(p), nil
	}
	c.left -= int64(len(p))
	return c.w.Write(p)
}

// counted discards what it is given, failing past max bytes in all.
type counted struct {
	w   io.Writer
	n   *int64
	max int64
}

func (c *counted) Write(p []byte) (int, error) {
	if *c.n += int64(len(p)); *c.n > c.max {
		return 0, fmt.Errorf("%w: over %d bytes inflated to skip entries", ErrLimit, c.max)
	}
	return c.w.Write(p)
}
