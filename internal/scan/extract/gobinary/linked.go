package gobinary

import (
	"bytes"
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

// maxFuncs bounds the function count a header may claim (the largest
// binaries have some 200,000); maxLinked the packages kept (Kubernetes'
// binaries link some 3,000); maxName a function name.
const (
	maxFuncs  = 1 << 24
	maxLinked = 1 << 16
	maxName   = 1 << 16
)

// linkedPackages returns the import paths of the packages with code in
// the Go executable data (functions, inlined ones included), sorted, from
// its function name table; nil when it has none this package can read (a
// binary built before Go 1.16). A vulnerability in a package that is not
// among them cannot run in the binary, whatever version of its module
// the build information names.
func linkedPackages(data []byte) []string {
	// Each magic number is searched for once over the data: the four
	// bytes of one are common in code (0xfffffffa is -6), and searching
	// for all of them again after each false one took seconds.
	var next [numPatterns]int
	for i, pat := range magicPatterns {
		next[i] = bytes.Index(data, pat)
	}
	for {
		at := -1
		for _, n := range next {
			if n >= 0 && (at < 0 || n < at) {
				at = n
			}
		}
		if at < 0 {
			return nil
		}
		if names, cu, ok := pclnHeader(data[at:min(len(data), at+pclnHeaderMax)], int64(at), int64(len(data)-at)); ok {
			set := pkgSet{}
			set.add(data[at+int(names) : at+int(cu)])
			return set.sorted()
		}
		for i, n := range next {
			if n == at {
				if j := bytes.Index(data[at+1:], magicPatterns[i]); j >= 0 {
					next[i] = at + 1 + j
				} else {
					next[i] = -1
				}
			}
		}
	}
}

// pclnHeaderMax is the longest pcHeader.
const pclnHeaderMax = 8 + 8*8

// numPatterns is the number of magic numbers, each in two byte orders.
const numPatterns = 6

// magicPatterns are the pcHeader magic numbers in either byte order.
var magicPatterns = func() (out [numPatterns][]byte) {
	i := 0
	for _, m := range pclnMagics {
		for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			out[i] = make([]byte, 4)
			bo.PutUint32(out[i], m.magic)
			i++
		}
	}
	return out
}()

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

// pkgSet is a set of import paths; past maxLinked of them, or after a
// name longer than maxName, it is no use (nil key set: see sorted).
type pkgSet map[string]bool

// add adds the packages of the NUL-separated function names.
func (s pkgSet) add(names []byte) {
	for len(names) > 0 && !s[""] {
		name, rest, _ := bytes.Cut(names, []byte{0})
		names = rest
		switch p := packageOf(string(name)); {
		case len(name) > maxName || len(s) >= maxLinked:
			s[""] = true // no real table
		case p != "":
			s[p] = true
		}
	}
}

// sorted returns the set's paths, sorted; nil if it is of no use.
func (s pkgSet) sorted() []string {
	if s[""] || len(s) == 0 {
		return nil
	}
	out := make([]string, 0, len(s))
	for p := range s {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// packageOf returns the import path of a function's symbol name:
// "net/http.(*Client).Do" is in net/http, "gopkg.in/yaml%2ev3.Unmarshal"
// in gopkg.in/yaml.v3 (the linker escapes dots in a path's last element),
// "slices.SortFunc[...]" in slices. Linker-made names ("type:.eq.T",
// "go:buildid") are in none: "".
func packageOf(name string) string {
	if strings.HasPrefix(name, "type:") || strings.HasPrefix(name, "go:") || strings.HasPrefix(name, "type.") {
		return ""
	}
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i] // type arguments name other packages
	}
	slash := strings.LastIndexByte(name, '/')
	dot := strings.IndexByte(name[slash+1:], '.')
	if dot <= 0 {
		return ""
	}
	p := name[:slash+1+dot]
	if strings.IndexByte(p, '%') >= 0 {
		u, err := url.PathUnescape(p)
		if err != nil {
			return ""
		}
		p = u
	}
	return p
}

// attachLinked sets each module's GoPackages to the linked packages whose
// import path is in it: the module with the longest path that is a prefix
// of the package's, the standard library for paths whose first element
// has no dot. A module replaced by another module path keeps none (nil:
// not known): the binary's symbols name the original import paths, its
// advisories the replacement's.
func attachLinked(pkgs []pkg.Package, bi *debug.BuildInfo, linked []string) {
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
	for _, l := range linked {
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
			pkgs[owner].GoPackages = append(pkgs[owner].GoPackages, l)
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
