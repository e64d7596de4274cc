package oci

import (
	"crypto"
	_ "crypto/sha256" // register sha256 for go-digest
	_ "crypto/sha512" // register sha512 for go-digest
	"errors"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
)

// Digest is a content digest "algorithm:hex" (go-digest's type).
type Digest = digest.Digest

// SHA512 is the sha512 digest algorithm, which go-digest knows but does not
// name as a constant.
const SHA512 digest.Algorithm = "sha512"

// Errors returned by the validators. Callers map them to OCI error codes.
var (
	ErrInvalidName      = errors.New("invalid repository name")
	ErrInvalidTag       = errors.New("invalid tag")
	ErrInvalidDigest    = errors.New("invalid digest")
	ErrUnsupportedAlgo  = errors.New("unsupported digest algorithm")
	ErrInvalidReference = errors.New("invalid reference")
)

// MaxNameLength is the longest repository name accepted (host name excluded);
// the distribution spec asks clients to stay under 255 characters in total.
const MaxNameLength = 255

// ValidateName checks a repository name against the distribution spec
// grammar, [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
// (matched by hand: compiling it as a regular expression cost every start
// of the program about a millisecond; TestNameGrammar compares).
func ValidateName(name string) error {
	if name == "" || len(name) > MaxNameLength || !validName(name) {
		return fmt.Errorf("%w: %q", ErrInvalidName, name)
	}
	return nil
}

// validName reports whether name follows the repository name grammar.
func validName(name string) bool {
	for comp := range strings.SplitSeq(name, "/") {
		// A component: alphanumeric runs joined by ".", "_", "__" or
		// dashes, starting and ending with an alphanumeric.
		if comp == "" || !lowerAlnum(comp[0]) || !lowerAlnum(comp[len(comp)-1]) {
			return false
		}
		for i := 1; i < len(comp); i++ {
			c := comp[i]
			if lowerAlnum(c) {
				continue
			}
			switch {
			case c == '.':
				if !lowerAlnum(comp[i+1]) {
					return false
				}
			case c == '_':
				if comp[i+1] == '_' {
					i++
				}
				if !lowerAlnum(comp[i+1]) {
					return false
				}
			case c == '-':
				for comp[i+1] == '-' {
					i++
				}
				if !lowerAlnum(comp[i+1]) {
					return false
				}
			default:
				return false
			}
		}
	}
	return true
}

func lowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// ValidateTag checks a tag against the distribution spec grammar,
// [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
func ValidateTag(tag string) error {
	if !validTag(tag) {
		return fmt.Errorf("%w: %q", ErrInvalidTag, tag)
	}
	return nil
}

func validTag(tag string) bool {
	if tag == "" || len(tag) > 128 || tag[0] == '.' || tag[0] == '-' {
		return false
	}
	for i := range len(tag) {
		c := tag[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// ParseDigest parses and validates s as a digest using one of the algorithms
// the registry supports (sha256, sha512).
func ParseDigest(s string) (Digest, error) {
	d, err := digest.Parse(s)
	if err != nil {
		if errors.Is(err, digest.ErrDigestUnsupported) {
			return "", fmt.Errorf("%w: %q", ErrUnsupportedAlgo, s)
		}
		return "", fmt.Errorf("%w: %q", ErrInvalidDigest, s)
	}
	if !SupportedAlgorithm(d.Algorithm()) {
		return "", fmt.Errorf("%w: %q", ErrUnsupportedAlgo, s)
	}
	return d, nil
}

// SupportedAlgorithm reports whether a is a digest algorithm drydock verifies.
func SupportedAlgorithm(a digest.Algorithm) bool {
	return a == digest.SHA256 || a == SHA512
}

// HashFor returns the crypto hash behind a supported algorithm.
func HashFor(a digest.Algorithm) (crypto.Hash, bool) {
	switch a {
	case digest.SHA256:
		return crypto.SHA256, true
	case SHA512:
		return crypto.SHA512, true
	}
	return 0, false
}

// IsDigestReference reports whether a manifest reference looks like a digest
// ("alg:hex") rather than a tag. Tags cannot contain ':'.
func IsDigestReference(ref string) bool { return strings.Contains(ref, ":") }

// RegistryOf returns the registry (namespace) of a repository name: its first
// path element. A single-element name is its own registry.
func RegistryOf(name string) string {
	if i := strings.IndexByte(name, '/'); i >= 0 {
		return name[:i]
	}
	return name
}
