package layercache

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Skeleton is what the cache keeps of one layer: every tar entry's header,
// and the contents of the regular files some selector keeps whole, or, for
// files only reducers want, each reducer's output. Everything else (the
// contents no selector wants) is left out: a replay gives zeros there.
//
// A layer may hold a million entries, so a skeleton keeps their headers
// encoded (see [entryCodec]: each name shares its prefix with the one
// before, about 25 bytes an entry against 150 as structs) and the few
// entries with contents or reducer outputs beside them. Entries are read
// in order with [Skeleton.All], or one by one with [Skeleton.At].
type Skeleton struct {
	// DiffID is the digest of the uncompressed layer, as computed when
	// recording it.
	DiffID string
	// Selectors are the selectors ("name@version") whose wishes the
	// skeleton was recorded for.
	Selectors []string

	n     int           // entries
	hdrs  []byte        // encoded headers, in stream order
	marks []int32       // offset in hdrs of every markEvery-th entry
	more  map[int]*more // by entry index: kept contents, reducer outputs
	last  cursor        // where add continues (its i, name and mtime)
}

// more is what an entry holds beyond its header.
type more struct {
	content    []byte
	hasContent bool
	pinned     bool
	reduced    map[string]Output
}

// Entry is one tar entry of a skeleton.
type Entry struct {
	Name    string // as in the layer's tar, not cleaned
	Link    string
	Type    byte // tar type flag; every regular-file flag is recorded as tar.TypeReg
	Mode    int64
	Size    int64
	ModTime int64 // Unix seconds
	// Content holds the file's contents when HasContent.
	Content    []byte
	HasContent bool
	// Pinned entries keep their contents whatever the selectors want: a
	// replay found they were needed (a path reached through a symbolic
	// link, say).
	Pinned bool
	// Reduced holds reducer outputs by selector, for files whose contents
	// are not kept.
	Reduced map[string]Output
	// Unwanted marks a regular file none of the skeleton's selectors
	// wanted at its own (cleaned) name, so that a replay need not ask
	// them again (layer.Unwanter).
	Unwanted bool
}

// newSkeleton returns a skeleton holding entries.
func newSkeleton(diffID string, selectors []string, entries ...Entry) *Skeleton {
	s := &Skeleton{DiffID: diffID, Selectors: selectors}
	for _, e := range entries {
		s.add(e)
	}
	return s
}

// Len returns the number of entries.
func (s *Skeleton) Len() int { return s.n }

// markEvery is how many entries lie between two marks: [Skeleton.At]
// decodes at most that many.
const markEvery = 64

// entryCodec: each entry's header is
//
//	type byte | flags byte | shared uvarint | suffix string | link string |
//	mode varint | size varint | mtime delta varint
//
// where the name is the first shared bytes of the previous entry's name
// followed by suffix, and mtime is relative to the previous entry's. Every
// markEvery-th entry starts afresh (shared 0, mtime relative to 0), so
// decoding can start at any mark. Strings are uvarint length + bytes.
const (
	hdrMore     = 1 << 0 // the entry has a more record
	hdrUnwanted = 1 << 1 // Entry.Unwanted
)

// cursor is a position in a skeleton's encoded headers.
type cursor struct {
	i     int // index of the next entry
	off   int // its offset in hdrs
	name  []byte
	mtime int64
}

// add appends e.
func (s *Skeleton) add(e Entry) {
	c := &s.last
	if c.i%markEvery == 0 {
		s.marks = append(s.marks, int32(len(s.hdrs)))
		c.name, c.mtime = c.name[:0], 0
	}
	shared := 0
	for shared < len(c.name) && shared < len(e.Name) && c.name[shared] == e.Name[shared] {
		shared++
	}
	var flags byte
	if e.HasContent || e.Pinned || e.Reduced != nil {
		flags |= hdrMore
		if s.more == nil {
			s.more = map[int]*more{}
		}
		s.more[c.i] = &more{content: e.Content, hasContent: e.HasContent, pinned: e.Pinned, reduced: e.Reduced}
	}
	if e.Unwanted {
		flags |= hdrUnwanted
	}
	b := append(s.hdrs, e.Type, flags)
	b = binary.AppendUvarint(b, uint64(shared))
	b = appendString(b, e.Name[shared:])
	b = appendString(b, e.Link)
	b = binary.AppendVarint(b, e.Mode)
	b = binary.AppendVarint(b, e.Size)
	b = binary.AppendVarint(b, e.ModTime-c.mtime)
	s.hdrs = b
	c.name = append(c.name[:0], e.Name...)
	c.mtime = e.ModTime
	c.i++
	s.n++
}

// next decodes the entry at c and advances c. The headers were written by
// add, so they decode.
func (s *Skeleton) next(c *cursor) Entry {
	if c.i%markEvery == 0 {
		c.name, c.mtime = c.name[:0], 0
	}
	r := &reader{b: s.hdrs[c.off:]}
	var e Entry
	e.Type = r.byte()
	flags := r.byte()
	shared := int(r.uvarint())
	suffix := r.bytes(int(r.uvarint()))
	c.name = append(c.name[:min(shared, len(c.name))], suffix...)
	e.Name = string(c.name)
	e.Link = r.string()
	e.Mode, e.Size = r.varint(), r.varint()
	c.mtime += r.varint()
	e.ModTime = c.mtime
	e.Unwanted = flags&hdrUnwanted != 0
	if flags&hdrMore != 0 {
		if m := s.more[c.i]; m != nil {
			e.Content, e.HasContent, e.Pinned, e.Reduced = m.content, m.hasContent, m.pinned, m.reduced
		}
	}
	c.off = len(s.hdrs) - len(r.b)
	c.i++
	return e
}

// setUnwanted sets every entry's Unwanted mark to what unwanted says of it.
func (s *Skeleton) setUnwanted(unwanted func(e *Entry) bool) {
	var c cursor
	for c.i < s.n {
		at := c.off
		e := s.next(&c)
		flags := s.hdrs[at+1] &^ hdrUnwanted
		if unwanted(&e) {
			flags |= hdrUnwanted
		}
		s.hdrs[at+1] = flags
	}
}

// All yields the entries in stream order.
func (s *Skeleton) All() iter.Seq2[int, Entry] {
	return func(yield func(int, Entry) bool) {
		var c cursor
		for c.i < s.n {
			i := c.i
			if !yield(i, s.next(&c)) {
				return
			}
		}
	}
}

// At returns entry i (0 <= i < Len).
func (s *Skeleton) At(i int) Entry {
	m := i / markEvery
	c := cursor{i: m * markEvery, off: int(s.marks[m])}
	for c.i < i {
		s.next(&c)
	}
	return s.next(&c)
}

// Output is what a reducer returned for a file.
type Output struct {
	Data []byte // nil: "nothing of interest"
	Err  string // non-empty: the reducer's error message
}

// isRegular reports whether e is a regular file.
func (e *Entry) isRegular() bool { return e.Type == tar.TypeReg }

// isWhiteout reports whether a cleaned path is a whiteout or opaque marker,
// which the reader never offers to selectors.
func isWhiteout(p string) bool { return strings.HasPrefix(path.Base(p), ".wh.") }

// size estimates the memory a decoded skeleton holds.
func (s *Skeleton) size() int64 {
	n := int64(64 + cap(s.hdrs) + 4*cap(s.marks))
	for _, m := range s.more {
		n += int64(len(m.content)) + 64
		for k, o := range m.reduced {
			n += int64(len(k)+len(o.Data)+len(o.Err)) + 32
		}
	}
	return n
}

// Encoding: a zstd frame holding
//
//	magic "DDSK" | version uvarint | selectors: count, strings |
//	entries: count, then per entry
//	  type byte | flags byte | name | link | mode varint | size varint | mtime varint
//	  [content]                  when flagContent
//	  (flagUnwanted: Entry.Unwanted; a skeleton written before it existed
//	  has none, and its replays ask the selectors about every file)
//	  reduced count, then (selector, kind byte, bytes) per output
//
// with strings and byte strings as uvarint length + bytes.
const (
	magic         = "DDSK"
	formatVersion = 1

	flagContent  = 1 << 0
	flagPinned   = 1 << 1
	flagUnwanted = 1 << 2

	outNil  = 0
	outData = 1
	outErr  = 2
)

var (
	encoders = sync.Pool{New: func() any {
		e, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
		return e
	}}
	decoders = sync.Pool{New: func() any {
		d, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		return d
	}}
)

// Marshal encodes s. The encoding is compressed as it is written, so a
// skeleton of a million entries never exists uncompressed in memory.
func (s *Skeleton) Marshal() []byte {
	var out bytes.Buffer
	enc := encoders.Get().(*zstd.Encoder)
	defer encoders.Put(enc)
	enc.Reset(&out)
	b := append(make([]byte, 0, marshalChunk+1024), magic...)
	b = binary.AppendUvarint(b, formatVersion)
	b = appendString(b, s.DiffID)
	b = binary.AppendUvarint(b, uint64(len(s.Selectors)))
	for _, sel := range s.Selectors {
		b = appendString(b, sel)
	}
	b = binary.AppendUvarint(b, uint64(s.n))
	for _, e := range s.All() {
		var flags byte
		if e.HasContent {
			flags |= flagContent
		}
		if e.Pinned {
			flags |= flagPinned
		}
		if e.Unwanted {
			flags |= flagUnwanted
		}
		b = append(b, e.Type, flags)
		b = appendString(b, e.Name)
		b = appendString(b, e.Link)
		b = binary.AppendVarint(b, e.Mode)
		b = binary.AppendVarint(b, e.Size)
		b = binary.AppendVarint(b, e.ModTime)
		if e.HasContent {
			b = appendString(b, string(e.Content))
		}
		keys := make([]string, 0, len(e.Reduced))
		for k := range e.Reduced {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = binary.AppendUvarint(b, uint64(len(keys)))
		for _, k := range keys {
			o := e.Reduced[k]
			b = appendString(b, k)
			switch {
			case o.Err != "":
				b = append(b, outErr)
				b = appendString(b, o.Err)
			case o.Data == nil:
				b = append(b, outNil)
			default:
				b = append(b, outData)
				b = appendString(b, string(o.Data))
			}
		}
		if len(b) >= marshalChunk {
			_, _ = enc.Write(b) // writes to a bytes.Buffer: no error
			b = b[:0]
		}
	}
	_, _ = enc.Write(b)
	_ = enc.Close()
	return out.Bytes()
}

// marshalChunk is how much encoding Marshal hands the compressor at once.
const marshalChunk = 64 << 10

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// errCorrupt reports a skeleton that does not decode.
var errCorrupt = errors.New("layercache: corrupt skeleton")

// Unmarshal decodes a skeleton written by Marshal.
func Unmarshal(data []byte) (*Skeleton, error) {
	dec := decoders.Get().(*zstd.Decoder)
	defer decoders.Put(dec)
	raw, err := dec.DecodeAll(data, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	r := &reader{b: raw}
	if string(r.bytes(len(magic))) != magic {
		return nil, fmt.Errorf("%w: bad magic", errCorrupt)
	}
	if v := r.uvarint(); v != formatVersion {
		return nil, fmt.Errorf("%w: format version %d", errCorrupt, v)
	}
	s := &Skeleton{DiffID: r.string()}
	for n := r.count(); n > 0 && r.err == nil; n-- {
		s.Selectors = append(s.Selectors, r.string())
	}
	n := r.count()
	for ; n > 0 && r.err == nil; n-- {
		var e Entry
		e.Type = r.byte()
		flags := r.byte()
		e.Name, e.Link = r.string(), r.string()
		e.Mode, e.Size, e.ModTime = r.varint(), r.varint(), r.varint()
		e.HasContent, e.Pinned, e.Unwanted = flags&flagContent != 0, flags&flagPinned != 0, flags&flagUnwanted != 0
		if e.HasContent {
			e.Content = []byte(r.string())
		}
		for k := r.count(); k > 0 && r.err == nil; k-- {
			key := r.string()
			var o Output
			switch r.byte() {
			case outErr:
				o.Err = r.string()
			case outData:
				o.Data = []byte(r.string())
			case outNil:
			default:
				r.err = errors.New("bad output kind")
			}
			if e.Reduced == nil {
				e.Reduced = map[string]Output{}
			}
			e.Reduced[key] = o
		}
		s.add(e)
	}
	if r.err != nil {
		return nil, fmt.Errorf("%w: %w", errCorrupt, r.err)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(r.b))
	}
	return s, nil
}

// reader decodes the fields of a skeleton, remembering the first error.
type reader struct {
	b   []byte
	err error
}

var errShort = errors.New("truncated")

func (r *reader) bytes(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.fail(errShort)
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.b = nil
}

func (r *reader) byte() byte {
	b := r.bytes(1)
	if b == nil {
		return 0
	}
	return b[0]
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(errShort)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(errShort)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a count, bounded by the bytes left (each item takes one).
func (r *reader) count() int {
	v := r.uvarint()
	if v > uint64(len(r.b)) {
		r.fail(errShort)
		return 0
	}
	return int(v)
}

func (r *reader) string() string { return string(r.bytes(int(min(r.uvarint(), uint64(len(r.b)+1))))) }
