package version

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them; check with [errors.Is].
var (
	// ErrInvalidVersion reports a version string that is not valid in its
	// scheme. Parse errors are *[ParseError] values that unwrap to it.
	ErrInvalidVersion = errors.New("invalid version")
	// ErrUnsupportedEcosystem reports a scheme or OSV ecosystem name this
	// package has no ordering for.
	ErrUnsupportedEcosystem = errors.New("unsupported ecosystem")
	// ErrIncomparable reports a comparison between versions of two different
	// schemes.
	ErrIncomparable = errors.New("versions of different schemes are not comparable")
	// ErrInvalidRange reports malformed OSV range events passed to [Affected].
	ErrInvalidRange = errors.New("invalid range")
)

// MaxLength is the longest version string [Parse] accepts, in bytes. Real
// versions are far shorter; the limit bounds the work done on hostile input.
const MaxLength = 256

// Ecosystem names a version scheme: a grammar plus an ordering. Several OSV
// ecosystems share one scheme; [SchemeFor] maps OSV names to schemes.
type Ecosystem string

// The schemes [Parse] understands. The package documentation describes each.
const (
	Dpkg     Ecosystem = "dpkg"     // Debian, Ubuntu
	APK      Ecosystem = "apk"      // Alpine, Wolfi, Chainguard
	RPM      Ecosystem = "rpm"      // Red Hat, AlmaLinux, Rocky, SUSE, ...
	SemVer   Ecosystem = "semver"   // SemVer 2.0.0: npm, crates.io, OSV SEMVER ranges
	Go       Ecosystem = "go"       // Go modules and the Go toolchain
	PEP440   Ecosystem = "pep440"   // PyPI
	Maven    Ecosystem = "maven"    // Maven ComparableVersion
	RubyGems Ecosystem = "rubygems" // Gem::Version
	NuGet    Ecosystem = "nuget"    // NuGet.Versioning
	Composer Ecosystem = "composer" // Packagist
	Pub      Ecosystem = "pub"      // pub_semver: SemVer with ordered build metadata
	Generic  Ecosystem = "generic"  // dot/dash separated numbers: CRAN, Hackage
)

var schemes = []Ecosystem{Dpkg, APK, RPM, SemVer, Go, PEP440, Maven, RubyGems, NuGet, Composer, Pub, Generic}

// Schemes returns every scheme [Parse] accepts, in a fixed order.
func Schemes() []Ecosystem { return slices.Clone(schemes) }

// Version is a parsed version of one scheme.
type Version interface {
	// Compare returns -1, 0 or +1 when the receiver sorts before, equal to or
	// after other under the receiver's scheme. It returns an error wrapping
	// [ErrIncomparable], and no order, when other has another scheme.
	Compare(other Version) (int, error)
	// String returns the version as it was given to Parse, without
	// surrounding white space. Equal versions may print differently.
	String() string
}

// ParseError describes a version string that is invalid in its scheme. It
// unwraps to [ErrInvalidVersion].
type ParseError struct {
	Ecosystem Ecosystem
	Input     string // the offending string, cut to 64 bytes
	Reason    string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("version: invalid %s version %q: %s", e.Ecosystem, e.Input, e.Reason)
}

// Unwrap returns [ErrInvalidVersion].
func (e *ParseError) Unwrap() error { return ErrInvalidVersion }

func invalid(eco Ecosystem, s, reason string) error {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return &ParseError{Ecosystem: eco, Input: s, Reason: reason}
}

// Parse parses s as a version of the given scheme. Surrounding white space is
// ignored. It returns an error wrapping [ErrUnsupportedEcosystem] for an
// unknown scheme and a *[ParseError] (wrapping [ErrInvalidVersion]) when s is
// not a valid version of the scheme; it never guesses an order for such input.
func Parse(ecosystem Ecosystem, s string) (Version, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxLength {
		if !supported(ecosystem) {
			return nil, unsupported(ecosystem)
		}
		return nil, invalid(ecosystem, s, fmt.Sprintf("longer than %d bytes", MaxLength))
	}
	switch ecosystem {
	case Dpkg:
		return parseDpkg(s)
	case APK:
		return parseAPK(s)
	case RPM:
		return parseRPM(s)
	case SemVer:
		return parseSemVer(s, SemVer)
	case Pub:
		return parseSemVer(s, Pub)
	case Go:
		return parseGo(s)
	case PEP440:
		return parsePEP440(s)
	case Maven:
		return parseMaven(s)
	case RubyGems:
		return parseGem(s)
	case NuGet:
		return parseNuGet(s)
	case Composer:
		return parseComposer(s)
	case Generic:
		return parseGeneric(s)
	}
	return nil, unsupported(ecosystem)
}

// Compare parses a and b as versions of one scheme and compares them.
func Compare(ecosystem Ecosystem, a, b string) (int, error) {
	va, err := Parse(ecosystem, a)
	if err != nil {
		return 0, err
	}
	vb, err := Parse(ecosystem, b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb)
}

func supported(e Ecosystem) bool { return slices.Contains(schemes, e) }

func unsupported(e Ecosystem) error {
	return fmt.Errorf("version: scheme %q: %w", string(e), ErrUnsupportedEcosystem)
}

func incomparable(v, other Version) error {
	return fmt.Errorf("version: compare %T with %T: %w", v, other, ErrIncomparable)
}

// sign maps any int to -1, 0 or +1.
func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isAlpha(c byte) bool { return isLower(c) || isUpper(c) }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// trimZeros strips leading zeros from a string of digits, keeping one digit.
func trimZeros(s string) string {
	i := 0
	for i < len(s)-1 && s[i] == '0' {
		i++
	}
	return s[i:]
}

// compareNum compares two non-empty strings of ASCII digits by numeric value,
// without any size limit.
func compareNum(a, b string) int {
	a, b = trimZeros(a), trimZeros(b)
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
}

// isZero reports whether a string of digits has the value zero.
func isZero(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}

// printable reports whether s holds only printable ASCII without spaces.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// lazyRegexp compiles pattern on first use: compiling every parser's
// expressions at start-up cost each run of the program about a
// millisecond, most of them for ecosystems the run never meets.
func lazyRegexp(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}
