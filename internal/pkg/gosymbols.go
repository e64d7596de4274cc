package pkg

import (
	"slices"
	"strings"
)

// GoPackage is a package of a Go module with code in a binary.
type GoPackage struct {
	// Path is the package's import path.
	Path string
	// Functions holds the package's functions in the binary, named as
	// the Go vulnerability database names symbols ("ParseAddress",
	// "Reader.ReadResponse"); nil when not known.
	Functions FunctionSet `json:",omitempty"`
}

// FindGoPackage returns the package of import path path among ps (sorted
// by Path), or nil.
func FindGoPackage(ps []GoPackage, path string) *GoPackage {
	i, ok := slices.BinarySearchFunc(ps, path, func(p GoPackage, path string) int { return strings.Compare(p.Path, path) })
	if !ok {
		return nil
	}
	return &ps[i]
}

// FunctionSet is a Bloom filter of function names: Has is true for every
// name added and, for about one name in a hundred, for one that was not.
// A name it does not have is certainly not in the set, which is the only
// conclusion drawn from it (a finding is exempted only when none of its
// vulnerable functions is present; a false "present" keeps the finding).
//
// Its first byte is the number of hash functions, the rest the bits.
// Stored inventories keep it, so this layout and the hashing (FNV-1a,
// 64 bits, split in two for double hashing) must never change: a change
// needs a new type. Written here, not taken from a library, for that
// reason.
type FunctionSet []byte

const (
	functionSetHashes = 7
	functionSetBits   = 10 // per name: about 1% false positives
)

// NewFunctionSet returns the set of names.
func NewFunctionSet(names []string) FunctionSet {
	nbytes := max(8, (len(names)*functionSetBits+7)/8)
	s := make(FunctionSet, 1+nbytes)
	s[0] = functionSetHashes
	for _, n := range names {
		s.each(n, func(bit uint64) { s[1+bit/8] |= 1 << (bit % 8) })
	}
	return s
}

// Has reports whether name may be in the set: false means it is not.
// An empty or malformed set has every name.
func (s FunctionSet) Has(name string) bool {
	if len(s) < 2 || s[0] == 0 || s[0] > 32 {
		return true
	}
	has := true
	s.each(name, func(bit uint64) {
		if s[1+bit/8]&(1<<(bit%8)) == 0 {
			has = false
		}
	})
	return has
}

func (s FunctionSet) each(name string, fn func(bit uint64)) {
	// FNV-1a, 64 bits (hash/fnv's New64a, without its allocations: a
	// binary has tens of thousands of names).
	sum := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		sum ^= uint64(name[i])
		sum *= 1099511628211
	}
	h1, h2 := sum&0xffffffff, sum>>32|1
	m := uint64(len(s)-1) * 8
	for i := range uint64(s[0]) {
		fn((h1 + i*h2) % m)
	}
}
