package gobinary

import (
	"bytes"
	"debug/elf"
	"encoding/base64"
	"encoding/binary"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/drydock/drydock/internal/pkg"
)

// The function table the Go linker writes (runtime/symtab.go's pcHeader):
// a magic number per format, two zero bytes, the instruction size
// quantum, the pointer size, then pointer-sized words: the number of
// functions and files, (from Go 1.18) the text start, and the offsets,
// from the header's start, of the function name table, the compilation
// unit table, the file table, the pc tables and the function data. The
// name table holds the name of every function with code in the binary and
// of every function inlined into one, NUL-terminated.
var pclnMagics = []struct {
	magic uint32
	words int // pointer-sized words after the first 8 bytes
}{
	{0xfffffff1, 8}, // Go 1.20 and later
	{0xfffffff0, 8}, // Go 1.18, 1.19
	{0xfffffffa, 7}, // Go 1.16, 1.17
}

// maxFuncs bounds the function count a header may claim; maxKept the
// functions kept (the largest binaries have some 200,000), maxLinked the
// packages (Kubernetes' binaries link some 3,000); maxName a name.
const (
	maxFuncs  = 1 << 24
	maxKept   = 1 << 19
	maxLinked = 1 << 16
	maxName   = 1 << 16
)

// linkedPackages returns the packages with code in the Go executable data
// and their functions (inlined ones included), from its function name
// table, in the form of pkgSet.lines; nil when it has none this package
// can read (a binary built before Go 1.16). A vulnerability in a package
// or function that is not among them cannot run in the binary, whatever
// version of its module the build information names.
func linkedPackages(data []byte) []byte {
	// An ELF file names the table's section: no search (which is most of
	// the cost: 0xff bytes are common, and begin half the patterns).
	if f, err := elf.NewFile(bytes.NewReader(data)); err == nil {
		if sec := f.Section(".gopclntab"); sec != nil && sec.Type != elf.SHT_NOBITS && sec.Offset < uint64(len(data)) {
			if lines, ok := tableAt(data, int(sec.Offset)); ok {
				return lines
			}
		}
	}
	for at := nextMagic(data, 0, 0); at >= 0; at = nextMagic(data, 0, at+4) {
		if lines, ok := tableAt(data, int(at)); ok {
			return lines
		}
	}
	return nil
}

// nextMagic returns the file offset of the first pcHeader magic number,
// in either byte order, at a 4-byte aligned file offset from from on in
// b, whose first byte is at file offset base; -1 if none. The header is
// aligned so (to the pointer size or more), and looking at aligned words
// alone is one pass over the data at a few GB/s: a substring search for
// six patterns, half of them beginning with the common byte 0xff, took
// four times as long.
func nextMagic(b []byte, base int64, from int64) int64 {
	from += (4 - from%4) % 4
	for i := from - base; i >= 0 && i+4 <= int64(len(b)); i += 4 {
		switch binary.LittleEndian.Uint32(b[i:]) {
		case 0xfffffff1, 0xfffffff0, 0xfffffffa, 0xf1ffffff, 0xf0ffffff, 0xfaffffff:
			return base + i
		}
	}
	return -1
}

// tableAt reads the function name table of the pcHeader at offset at of
// data, if there is a plausible one there.
func tableAt(data []byte, at int) ([]byte, bool) {
	names, cu, ok := pclnHeader(data[at:min(len(data), at+pclnHeaderMax)], int64(at), int64(len(data)-at))
	if !ok {
		return nil, false
	}
	set := newPkgSet()
	set.add(data[at+int(names) : at+int(cu)])
	return set.lines(), true
}

// pclnHeaderMax is the longest pcHeader.
const pclnHeaderMax = 8 + 8*8

// pclnHeader reads the pcHeader that would start at file offset at, given
// its first bytes h (up to pclnHeaderMax) and how many bytes the file has
// from at on: the offsets from at of the function name table and of its
// end (the compilation unit table); ok is false unless the header is a
// plausible one.
func pclnHeader(h []byte, at, avail int64) (names, cu int64, ok bool) {
	if at%4 != 0 || len(h) < 8 || h[4] != 0 || h[5] != 0 || (h[6] != 1 && h[6] != 2 && h[6] != 4) || (h[7] != 4 && h[7] != 8) {
		return 0, 0, false
	}
	for _, m := range pclnMagics {
		for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			if bo.Uint32(h) != m.magic {
				continue
			}
			ptr := int(h[7])
			size := 8 + m.words*ptr
			if len(h) < size {
				return 0, 0, false
			}
			word := func(i int) uint64 {
				if ptr == 4 {
					return uint64(bo.Uint32(h[8+4*i:]))
				}
				return bo.Uint64(h[8+8*i:])
			}
			nfunc := word(0)
			first := m.words - 5 // the name table's offset, then cu, file, pc tables, function data
			nm, c, files, pcs, funcs := word(first), word(first+1), word(first+2), word(first+3), word(first+4)
			if nfunc == 0 || nfunc > maxFuncs || nm < uint64(size) || !(nm < c && c <= files && files <= pcs && pcs <= funcs) ||
				funcs > uint64(avail) {
				return 0, 0, false
			}
			return int64(nm), int64(c), true
		}
	}
	return 0, 0, false
}

// pkgSet is the packages of a function name table, each with its
// functions; past maxLinked packages or maxKept functions, or after a
// name longer than maxName, it is no use (broken: see lines).
type pkgSet struct {
	funcs  map[string]map[string]bool // import path -> symbols
	n      int
	broken bool
}

func newPkgSet() *pkgSet { return &pkgSet{funcs: map[string]map[string]bool{}} }

// add adds the functions of the NUL-separated function names.
func (s *pkgSet) add(names []byte) {
	for len(names) > 0 && !s.broken {
		name, rest, _ := bytes.Cut(names, []byte{0})
		names = rest
		if len(name) > maxName || len(s.funcs) >= maxLinked || s.n >= maxKept {
			s.broken = true // no real table
			break
		}
		p, sym := symbolOf(string(name))
		if p == "" {
			continue
		}
		fs := s.funcs[p]
		if fs == nil {
			fs = map[string]bool{}
			s.funcs[p] = fs
		}
		if !fs[sym] {
			fs[sym] = true
			s.n++
		}
	}
}

// lines returns the set as Reduce keeps it: a line per package, sorted,
// its import path, a tab and its pkg.FunctionSet in base64 (no padding);
// nil when the set is of no use.
func (s *pkgSet) lines() []byte {
	if s.broken || len(s.funcs) == 0 {
		return nil
	}
	paths := make([]string, 0, len(s.funcs))
	for p := range s.funcs {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var out []byte
	for i, p := range paths {
		if i > 0 {
			out = append(out, '\n')
		}
		syms := make([]string, 0, len(s.funcs[p]))
		for sym := range s.funcs[p] {
			syms = append(syms, sym)
		}
		out = append(out, p...)
		out = append(out, '\t')
		out = base64.RawStdEncoding.AppendEncode(out, pkg.NewFunctionSet(syms))
	}
	return out
}

// parseLines reads what lines wrote; nil when it does not parse.
func parseLines(b []byte) []pkg.GoPackage {
	var out []pkg.GoPackage
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		path, enc, ok := bytes.Cut(line, []byte{'\t'})
		if !ok || len(path) == 0 {
			return nil
		}
		set, err := base64.RawStdEncoding.AppendDecode(nil, enc)
		if err != nil {
			return nil
		}
		out = append(out, pkg.GoPackage{Path: string(path), Functions: set})
	}
	return out
}

// symbolOf returns the import path of a function's symbol name and the
// function as the Go vulnerability database names it:
// "net/http.(*Client).Do" is net/http's Client.Do, "gopkg.in/yaml%2ev3.Unmarshal"
// gopkg.in/yaml.v3's Unmarshal (the linker escapes dots in a path's last
// element), "slices.SortFunc[...]" slices' SortFunc; a closure, a
// method value or a range-over-func body counts as the function it is in
// ("net/http.(*Server).Serve.func1" is Server.Serve). Linker-made names
// ("type:.eq.T", "go:buildid") are in no package: "".
func symbolOf(name string) (path, sym string) {
	if strings.HasPrefix(name, "type:") || strings.HasPrefix(name, "go:") || strings.HasPrefix(name, "type.") {
		return "", ""
	}
	name = withoutTypeArgs(name)
	slash := strings.LastIndexByte(name, '/')
	dot := strings.IndexByte(name[slash+1:], '.')
	if dot <= 0 {
		return "", ""
	}
	path, rest := name[:slash+1+dot], name[slash+2+dot:]
	if strings.IndexByte(path, '%') >= 0 {
		u, err := url.PathUnescape(path)
		if err != nil {
			return "", ""
		}
		path = u
	}
	if !plausiblePath(path) {
		return "", ""
	}
	parts := strings.Split(rest, ".")
	for i, part := range parts {
		part, _, _ = strings.Cut(part, "-range") // range-over-func bodies
		part = strings.TrimSuffix(part, "-fm")   // method values
		parts[i] = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(part, "("), "*"), ")")
	}
	for len(parts) > 1 && closure(parts[len(parts)-1]) {
		parts = parts[:len(parts)-1]
	}
	return path, strings.Join(parts, ".")
}

// plausiblePath reports whether an import path has no spaces or control
// characters, which no import path may contain (and a tab or a newline
// would break the lines Reduce keeps): a crafted table may name one,
// escaped or not.
func plausiblePath(p string) bool {
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// closure reports whether a name's last element is the compiler's name
// for a function literal or wrapper inside the one before it ("func1",
// "gowrap2", "deferwrap1", or a bare number for nested ones and init).
func closure(part string) bool {
	for _, prefix := range []string{"func", "gowrap", "deferwrap", ""} {
		if n, ok := strings.CutPrefix(part, prefix); ok && n != "" && strings.Trim(n, "0123456789") == "" {
			return true
		}
	}
	return false
}

// withoutTypeArgs drops the bracketed type arguments of a symbol name
// ("pkg.(*List[go.shape.int]).Push" is "pkg.(*List).Push"): they name
// other packages.
func withoutTypeArgs(name string) string {
	if strings.IndexByte(name, '[') < 0 {
		return name
	}
	var b strings.Builder
	depth := 0
	for _, r := range name {
		switch {
		case r == '[':
			depth++
		case r == ']' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// attachLinked sets each module's GoPackages to the linked packages whose
// import path is in it: the module with the longest path that is a prefix
// of the package's, the standard library for paths whose first element
// has no dot. A module replaced by another module path keeps none (nil:
// not known): the binary's symbols name the original import paths, its
// advisories the replacement's.
func attachLinked(pkgs []pkg.Package, bi *debug.BuildInfo, linked []pkg.GoPackage) {
	renamed := map[string]bool{}
	for _, d := range bi.Deps {
		if d.Replace != nil && d.Replace.Path != d.Path {
			renamed[d.Replace.Path] = true
		}
	}
	byModule := map[string]int{} // module path -> index in pkgs
	std := -1
	for i, p := range pkgs {
		switch {
		case p.Name == "stdlib":
			std = i
		case !renamed[p.Name]:
			byModule[p.Name] = i
		}
	}
	for _, gp := range linked {
		l := gp.Path
		owner := -1
		for m := l; ; {
			if i, ok := byModule[m]; ok {
				owner = i
				break
			}
			slash := strings.LastIndexByte(m, '/')
			if slash < 0 {
				break
			}
			m = m[:slash]
		}
		if owner < 0 && std >= 0 && l != "main" && standard(l) {
			owner = std
		}
		if owner >= 0 {
			pkgs[owner].GoPackages = append(pkgs[owner].GoPackages, gp)
		}
	}
}

// standard reports whether an import path is the standard library's: its
// first element has no dot (vendor/golang.org/x/... is the standard
// library's copy of x/net and others).
func standard(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}
