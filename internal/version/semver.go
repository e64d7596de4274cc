package version

import "strings"

// semverVersion is a SemVer 2.0.0 version (https://semver.org). The SemVer
// scheme ignores build metadata when ordering; the Pub scheme orders it after
// the release, like Dart's pub_semver.
type semverVersion struct {
	s     string
	eco   Ecosystem // SemVer or Pub
	core  [3]string // digits
	pre   []string
	build []string
}

// parseSemVer accepts SemVer 2.0.0 plus what OSV's own SEMVER handling
// accepts: a leading "v", and a missing minor or patch number, which counts
// as 0 ("1.2" is "1.2.0").
func parseSemVer(s string, eco Ecosystem) (Version, error) {
	v := &semverVersion{s: s, eco: eco}
	rest := strings.TrimPrefix(s, "v")
	rest, build, hasBuild := strings.Cut(rest, "+")
	core, pre, hasPre := strings.Cut(rest, "-")
	parts := strings.Split(core, ".")
	if len(parts) > 3 {
		return nil, invalid(eco, s, "more than three numeric components")
	}
	for i := range v.core {
		v.core[i] = "0"
		if i >= len(parts) {
			continue
		}
		p := parts[i]
		switch {
		case !allDigits(p):
			return nil, invalid(eco, s, "version core is not MAJOR.MINOR.PATCH numbers")
		case eco == SemVer && len(p) > 1 && p[0] == '0':
			return nil, invalid(eco, s, "numeric component with a leading zero")
		}
		v.core[i] = p
	}
	var err error
	if hasPre {
		if v.pre, err = semverIdents(pre, eco == SemVer); err != nil {
			return nil, invalid(eco, s, "pre-release: "+err.Error())
		}
	}
	if hasBuild {
		if v.build, err = semverIdents(build, false); err != nil {
			return nil, invalid(eco, s, "build metadata: "+err.Error())
		}
	}
	return v, nil
}

type identError string

func (e identError) Error() string { return string(e) }

// semverIdents splits dot-separated identifiers of [0-9A-Za-z-].
func semverIdents(s string, strictNumbers bool) ([]string, error) {
	ids := strings.Split(s, ".")
	for _, id := range ids {
		if id == "" {
			return nil, identError("empty identifier")
		}
		for i := 0; i < len(id); i++ {
			if !isAlnum(id[i]) && id[i] != '-' {
				return nil, identError("identifier with a character other than [0-9A-Za-z-]")
			}
		}
		if strictNumbers && len(id) > 1 && id[0] == '0' && allDigits(id) {
			return nil, identError("numeric identifier with a leading zero")
		}
	}
	return ids, nil
}

func (v *semverVersion) String() string { return v.s }

func (v *semverVersion) Compare(other Version) (int, error) {
	w, ok := other.(*semverVersion)
	if !ok || w.eco != v.eco {
		return 0, incomparable(v, other)
	}
	for i := range v.core {
		if c := compareNum(v.core[i], w.core[i]); c != 0 {
			return c, nil
		}
	}
	// A pre-release sorts before the release.
	switch {
	case len(v.pre) == 0 && len(w.pre) > 0:
		return 1, nil
	case len(v.pre) > 0 && len(w.pre) == 0:
		return -1, nil
	}
	if c := compareIdents(v.pre, w.pre); c != 0 || v.eco != Pub {
		return c, nil
	}
	// pub_semver: a build sorts after no build, then builds compare like
	// pre-releases.
	switch {
	case len(v.build) == 0 && len(w.build) > 0:
		return -1, nil
	case len(v.build) > 0 && len(w.build) == 0:
		return 1, nil
	}
	return compareIdents(v.build, w.build), nil
}

// compareIdents orders identifier lists by SemVer §11: numbers by value and
// before alphanumerics, alphanumerics in ASCII order, a prefix first.
func compareIdents(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		an, bn := allDigits(a[i]), allDigits(b[i])
		switch {
		case an && bn:
			if c := compareNum(a[i], b[i]); c != 0 {
				return c
			}
		case an:
			return -1
		case bn:
			return 1
		default:
			if c := strings.Compare(a[i], b[i]); c != 0 {
				return c
			}
		}
	}
	return sign(len(a) - len(b))
}
