package version

import (
	"strings"

	"golang.org/x/mod/semver"
)

// goVersion is a Go module version ("v1.2.3", "v0.0.0-20200101000000-abcdef012345",
// "v2.0.0+incompatible"; the "v" may be missing, as in OSV records) or a Go
// toolchain version ("go1.20.14", "go1.21rc2"), kept in canonical "v" form
// and ordered by golang.org/x/mod/semver.
type goVersion struct {
	s string
	v string // "v"-prefixed semantic version
}

func parseGo(s string) (Version, error) {
	v := s
	switch {
	case strings.HasPrefix(s, "go"):
		var ok bool
		if v, ok = goTagToSemver(s); !ok {
			return nil, invalid(Go, s, "not a Go release tag like go1.21.3 or go1.22rc1")
		}
	case !strings.HasPrefix(s, "v"):
		v = "v" + s
	}
	if !semver.IsValid(v) {
		return nil, invalid(Go, s, "not a semantic version")
	}
	return &goVersion{s: s, v: v}, nil
}

// goTagToSemver converts a Go toolchain tag to the semantic version OSV uses
// for the stdlib and toolchain modules: go1.21 -> v1.21.0,
// go1.21rc2 -> v1.21.0-rc.2, go1.9beta1 -> v1.9.0-beta.1.
func goTagToSemver(tag string) (string, bool) {
	rest := strings.TrimPrefix(tag, "go")
	pre := ""
	for _, kind := range []string{"beta", "rc"} {
		if i := strings.Index(rest, kind); i >= 0 {
			n := rest[i+len(kind):]
			if !allDigits(n) {
				return "", false
			}
			pre = "-" + kind + "." + trimZeros(n)
			rest = rest[:i]
			break
		}
	}
	parts := strings.Split(rest, ".")
	if len(parts) > 3 {
		return "", false
	}
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	for i, p := range parts {
		if !allDigits(p) {
			return "", false
		}
		parts[i] = trimZeros(p)
	}
	return "v" + strings.Join(parts, ".") + pre, true
}

func (v *goVersion) String() string { return v.s }

func (v *goVersion) Compare(other Version) (int, error) {
	w, ok := other.(*goVersion)
	if !ok {
		return 0, incomparable(v, other)
	}
	return semver.Compare(v.v, w.v), nil
}
