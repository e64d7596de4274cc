package gobinary

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"

	"github.com/drydock/drydock/internal/scan/extract/binstream"
	"github.com/drydock/drydock/internal/scan/layer"
)

var _ layer.StreamReducer = Extractor{}

// The build information layout, as the Go linker writes it and
// debug/buildinfo reads it: a 32-byte header at a 16-byte aligned offset
// of the data, "\xff Go buildinf:", the pointer size, flags (bit 0: big
// endian, bit 1: the strings follow inline, from Go 1.18 on), then either
// the Go version and module information as varint-prefixed strings
// (inline) or, before Go 1.18, the addresses of the two string headers.
// The module information is framed by two 16-byte sentinels.
var (
	buildInfoMagic = []byte("\xff Go buildinf:")
	modStart       = []byte("0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6")
	modEnd         = []byte("\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2")
	versionMarks   = [][]byte{[]byte("go1."), []byte("devel ")}
)

const (
	buildInfoAlign  = 16
	buildInfoHeader = 32
	flagBigEndian   = 1
	flagInline      = 2
	// maxInfo caps a build information string (Kubernetes binaries carry
	// some 20 kB of module information).
	maxInfo = 4 << 20
	// The pre-Go 1.18 layout points into read-only data the stream has
	// passed by the time the header is seen: candidates for the strings
	// are kept as they pass, at most maxCandidates of them, version
	// candidates of maxVersion bytes.
	maxCandidates = 4096
	maxVersion    = 256
	// maxInlineVersion caps a Go 1.18+ version string (a toolchain version,
	// a devel build's date and the GOEXPERIMENT list are far shorter).
	maxInlineVersion = 1 << 10
	headBytes        = 64 << 10 // where the program headers, section table or load commands must be
)

// ReduceStream implements layer.StreamReducer: Reduce's result for an
// executable read as a stream, never held whole. Reading stops at the
// build information (in the data segment, after code and read-only data)
// for Go 1.18 and later binaries; before Go 1.18 the build information
// points back into read-only data, so candidates for its strings (the
// framed module information, and the strings that start as a Go version)
// are kept as the stream passes them, and the file's segments (ELF program
// headers, PE sections, Mach-O load commands, all at its start) map the
// pointers to file offsets. An older binary whose segments cannot be read
// (a fat Mach-O file) is reported as unreadable rather than guessed at.
func (Extractor) ReduceStream(p string, r io.Reader, size int64) ([]byte, error) {
	s := &streamScan{w: binstream.NewWindow(r, windowMax), size: size, pkgs: newPkgSet()}
	s.w.Need(headBytes)
	head := s.w.From(0)
	if !isExecutable(head) {
		return nil, nil
	}
	if l, ok := binstream.ParseLayout(head); ok {
		s.layout = l
		s.versions = map[int64][]byte{}
		s.mods = map[int64][]byte{}
	}
	vers, mod, err := s.find()
	if err != nil || vers == "" {
		return nil, err
	}
	out := text(vers, mod)
	if linked := s.pkgs.lines(); out != nil && s.pcln == pclnRead && linked != nil {
		out = append(out, 0)
		out = append(out, linked...)
	}
	return out, nil
}

// windowMax is the most of a file held at once: room for a module
// information candidate being collected and a build information header's
// strings.
const windowMax = 2*maxInfo + 1<<20

// ErrNotStreamable reports build information that could not be read from
// a binary read as a stream.
var ErrNotStreamable = errors.New("go build information not readable as a stream")

// text is what Reduce keeps for a binary of this Go version and module
// information (debug/buildinfo.Read's result, as a string); nil when the
// module information does not parse, as buildinfo.Read fails then.
func text(vers, mod string) []byte {
	if len(mod) >= 33 && mod[len(mod)-17] == '\n' {
		mod = mod[16 : len(mod)-16]
	} else {
		mod = ""
	}
	bi, err := debug.ParseBuildInfo(mod)
	if err != nil {
		return nil
	}
	bi.GoVersion = vers
	return []byte(bi.String())
}

type streamScan struct {
	w *binstream.Window
	// layout maps addresses to file offsets; nil when the headers could
	// not be read (a fat Mach-O file, say).
	layout *binstream.Layout
	// Pre-Go 1.18 string candidates by file offset (with a layout only).
	versions, mods map[int64][]byte
	nextVersion    [2]int64 // next offset to search each version mark from
	nextMod        int64
	modBytes       int64 // held in mods, at most maxInfo

	// The function name table (see linkedPackages), in read-only data
	// before the build information: pcln says how far its reading got;
	// nextPcln is where to look for a pcHeader next, names and namesEnd
	// the part of the table not read yet, pkgs what was read.
	size            int64 // the file's
	pcln            int
	nextPcln        int64
	names, namesEnd int64
	pkgs            *pkgSet
}

// Stages of reading the function name table.
const (
	pclnSearch = iota // looking for its header
	pclnNames         // reading the names
	pclnRead          // read
)

// readNames looks for the pcHeader among the bytes held and reads the
// function names they hold, as linkedPackages does with the whole file.
func (s *streamScan) readNames() {
	end := s.w.End()
	for s.pcln == pclnSearch {
		at := nextMagic(s.w.From(s.w.Base()), s.w.Base(), max(s.nextPcln, s.w.Base()))
		if at < 0 {
			s.nextPcln = max(s.nextPcln, end-3)
			return
		}
		if at+pclnHeaderMax > end && !s.w.Done() {
			s.nextPcln = at // wait for the whole header
			return
		}
		s.nextPcln = at + 4
		if names, cu, ok := pclnHeader(s.w.Bytes(at, int(min(pclnHeaderMax, end-at))), at, s.size-at); ok {
			s.pcln, s.names, s.namesEnd = pclnNames, at+names, at+cu
		}
	}
	if s.pcln != pclnNames || s.names >= end {
		return
	}
	b := s.w.Bytes(s.names, int(min(end, s.namesEnd)-s.names))
	if s.names+int64(len(b)) < s.namesEnd {
		// The complete names held; the one cut short waits for the rest.
		i := bytes.LastIndexByte(b, 0)
		if i < 0 {
			if len(b) > maxName {
				s.pkgs.broken, s.pcln = true, pclnRead // no real table
			}
			return
		}
		b = b[:i+1]
	}
	s.pkgs.add(b)
	if s.names += int64(len(b)); s.names >= s.namesEnd {
		s.pcln = pclnRead
	}
}

// find streams the file to its build information: the Go version and the
// module information (with its sentinels); vers is "" when there is none.
func (s *streamScan) find() (vers, mod string, err error) {
	var pos int64 // next offset to look for the magic at
	for {
		if s.pcln != pclnRead {
			s.readNames()
		}
		if s.versions != nil {
			s.collect()
		}
		for {
			at := s.w.Index(pos, buildInfoMagic)
			if at < 0 {
				pos = max(pos, s.w.End()-int64(len(buildInfoMagic))+1)
				break
			}
			if at+buildInfoHeader > s.w.End() && !s.w.Done() {
				pos = at // wait for the whole header
				break
			}
			pos = at + 1
			if at%buildInfoAlign != 0 || (s.layout != nil && !s.layout.InData(at)) {
				continue
			}
			v, m, ok, err := s.header(at)
			if err != nil || ok {
				return v, m, err
			}
		}
		if s.w.Done() {
			return "", "", s.w.Err()
		}
		keep := pos
		if s.versions != nil {
			keep = min(keep, s.nextMod, s.nextVersion[0], s.nextVersion[1])
		}
		switch s.pcln {
		case pclnSearch:
			keep = min(keep, s.nextPcln)
		case pclnNames:
			keep = min(keep, s.names)
		}
		s.w.Drop(keep)
		if !s.w.More() && !s.w.Done() {
			return "", "", fmt.Errorf("%w: a search needs more than %d bytes at once", ErrNotStreamable, windowMax)
		}
	}
}

// collect records the pre-Go 1.18 string candidates among the bytes held.
func (s *streamScan) collect() {
	end := s.w.End()
	for i, mark := range versionMarks {
		for {
			at := s.w.Index(s.nextVersion[i], mark)
			if at < 0 {
				s.nextVersion[i] = max(s.nextVersion[i], end-int64(len(mark))+1)
				break
			}
			if at+maxVersion > end && !s.w.Done() {
				s.nextVersion[i] = at
				break
			}
			if len(s.versions) < maxCandidates {
				s.versions[at] = bytes.Clone(s.w.Bytes(at, int(min(maxVersion, end-at))))
			}
			s.nextVersion[i] = at + 1
		}
	}
	for {
		at := s.w.Index(s.nextMod, modStart)
		if at < 0 {
			s.nextMod = max(s.nextMod, end-int64(len(modStart))+1)
			return
		}
		stop := s.w.Index(at+int64(len(modStart)), modEnd)
		if stop < 0 {
			if !s.w.Done() && end-at < maxInfo {
				s.nextMod = at // wait for the end sentinel
				return
			}
			s.nextMod = at + 1
			continue
		}
		if n := stop + int64(len(modEnd)) - at; len(s.mods) < maxCandidates && s.modBytes+n <= maxInfo {
			s.mods[at] = bytes.Clone(s.w.Bytes(at, int(n)))
			s.modBytes += n
		}
		s.nextMod = at + 1
	}
}

// header reads the build information header at offset at; ok is false
// when it is not one after all (a copy of the magic in read-only data).
func (s *streamScan) header(at int64) (vers, mod string, ok bool, err error) {
	if !s.w.Need(at + buildInfoHeader) {
		return "", "", false, nil
	}
	h := bytes.Clone(s.w.Bytes(at, buildInfoHeader))
	ptrSize, flags := int(h[14]), h[15]
	if flags&^(flagBigEndian|flagInline) != 0 {
		return "", "", false, nil
	}
	if flags&flagInline != 0 {
		off := at + buildInfoHeader
		v, off, okV := s.inline(off, maxInlineVersion, plausibleVersion)
		if !okV {
			return "", "", false, nil
		}
		m, _, okM := s.inline(off, maxInfo, plausibleMod)
		if !okM {
			return "", "", false, nil
		}
		return v, m, true, nil
	}
	if ptrSize != 4 && ptrSize != 8 {
		return "", "", false, nil
	}
	if s.layout == nil {
		return "", "", true, fmt.Errorf("%w: a binary built before Go 1.18 whose segments could not be read", ErrNotStreamable)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if flags&flagBigEndian != 0 {
		bo = binary.BigEndian
	}
	ptr := func(b []byte) uint64 {
		if ptrSize == 4 {
			return uint64(bo.Uint32(b))
		}
		return bo.Uint64(b)
	}
	// The two string headers are variables of the data segment, after
	// the build information header, perhaps far after it (a large
	// go:embed []byte lies between): stream on to them.
	// An empty module information string (a binary of the standard
	// library alone) has its header in the .bss: zeros, not in the file.
	vh, okV := s.layout.FileOffset(ptr(h[16:]))
	modAddr := ptr(h[16+ptrSize:])
	mh, okM := s.layout.FileOffset(modAddr)
	if !okV || vh < at || okM && mh < at || !okM && !s.layout.Zero(modAddr) {
		return "", "", false, nil
	}
	offs := []int64{vh}
	if okM {
		offs = append(offs, mh)
		slices.Sort(offs)
	}
	hdrs := map[int64][]byte{}
	for _, off := range offs {
		b, ok := s.await(off, 2*ptrSize)
		if !ok {
			return "", "", false, s.w.Err()
		}
		hdrs[off] = bytes.Clone(b)
	}
	v, okV := s.pointed(hdrs[vh], ptrSize, ptr, s.versions)
	m := ""
	if okM {
		m, okM = s.pointed(hdrs[mh], ptrSize, ptr, s.mods)
	}
	if !okV || !plausibleVersion([]byte(v)) || !plausibleMod([]byte(m)) {
		return "", "", false, nil
	}
	return v, m, true, nil
}

// await streams on, forgetting what it passes, until the window holds n
// bytes at offset off (at or after the window's start); false when the
// stream ends first.
func (s *streamScan) await(off int64, n int) ([]byte, bool) {
	for !s.w.Need(off + int64(n)) {
		s.w.Drop(min(off, s.w.End()))
		if !s.w.More() {
			return nil, false
		}
	}
	return s.w.Bytes(off, n), true
}

// inline reads a varint-prefixed string at offset off.
func (s *streamScan) inline(off int64, limit uint64, valid func([]byte) bool) (string, int64, bool) {
	s.w.Need(off + binary.MaxVarintLen64)
	n, k := binary.Uvarint(s.w.From(off))
	if k <= 0 || n > limit {
		return "", 0, false
	}
	off += int64(k)
	if !s.w.Need(off + int64(n)) {
		return "", 0, false
	}
	b := s.w.Bytes(off, int(n))
	if !valid(b) {
		return "", 0, false // checked before it is copied: a false header costs nothing
	}
	return string(b), off + int64(n), true
}

// pointed resolves a pre-Go 1.18 string from its header (data pointer,
// length): the data it points to, in read-only data the stream has
// passed, must be among the candidates kept.
func (s *streamScan) pointed(hdr []byte, ptrSize int, ptr func([]byte) uint64, cands map[int64][]byte) (string, bool) {
	data, n := ptr(hdr), ptr(hdr[ptrSize:])
	off, ok := s.layout.FileOffset(data)
	if !ok {
		return "", false
	}
	c, ok := cands[off]
	if !ok || uint64(len(c)) < n {
		return "", false
	}
	return string(c[:n]), true
}

// plausibleVersion and plausibleMod report whether a Go version and
// module information found by searching the stream look like the real
// thing: what debug/buildinfo finds at the known place needs no such
// check.
func plausibleVersion(v []byte) bool {
	return len(v) > 2 && bytes.HasPrefix(v, []byte("go")) || len(v) > 6 && bytes.HasPrefix(v, []byte("devel "))
}

func plausibleMod(m []byte) bool {
	return len(m) == 0 || len(m) >= 33 && bytes.HasPrefix(m, modStart) && bytes.HasSuffix(m, modEnd)
}
