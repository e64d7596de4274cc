package version

import "strings"

// dpkgVersion is a Debian package version, [epoch:]upstream[-revision], as
// described in deb-version(7) and ordered like dpkg's verrevcmp.
type dpkgVersion struct {
	s        string
	epoch    string // digits; "0" when absent
	upstream string
	revision string // "" when absent, which sorts like "0"
}

// maxDpkgEpoch is dpkg's limit (INT_MAX); larger epochs are rejected by dpkg.
const maxDpkgEpoch = "2147483647"

func parseDpkg(s string) (Version, error) {
	v := &dpkgVersion{s: s, epoch: "0"}
	if s == "" {
		return nil, invalid(Dpkg, s, "empty")
	}
	rest := s
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		e := rest[:i]
		switch {
		case e == "":
			return nil, invalid(Dpkg, s, "empty epoch")
		case !allDigits(e):
			return nil, invalid(Dpkg, s, "epoch is not a number")
		case compareNum(e, maxDpkgEpoch) > 0:
			return nil, invalid(Dpkg, s, "epoch is too big")
		}
		v.epoch, rest = trimZeros(e), rest[i+1:]
	}
	if i := strings.LastIndexByte(rest, '-'); i >= 0 {
		v.revision = rest[i+1:]
		rest = rest[:i]
		if v.revision == "" {
			return nil, invalid(Dpkg, s, "empty revision")
		}
	}
	v.upstream = rest
	if v.upstream == "" {
		return nil, invalid(Dpkg, s, "empty upstream version")
	}
	if !isDigit(v.upstream[0]) {
		return nil, invalid(Dpkg, s, "upstream version does not start with a digit")
	}
	for i := 0; i < len(v.upstream); i++ {
		if c := v.upstream[i]; !isAlnum(c) && !strings.ContainsRune(".+~-:", rune(c)) {
			return nil, invalid(Dpkg, s, "invalid character in upstream version")
		}
	}
	for i := 0; i < len(v.revision); i++ {
		if c := v.revision[i]; !isAlnum(c) && !strings.ContainsRune(".+~", rune(c)) {
			return nil, invalid(Dpkg, s, "invalid character in revision")
		}
	}
	return v, nil
}

func (v *dpkgVersion) String() string { return v.s }

func (v *dpkgVersion) Compare(other Version) (int, error) {
	w, ok := other.(*dpkgVersion)
	if !ok {
		return 0, incomparable(v, other)
	}
	if c := compareNum(v.epoch, w.epoch); c != 0 {
		return c, nil
	}
	if c := verrevcmp(v.upstream, w.upstream); c != 0 {
		return sign(c), nil
	}
	return sign(verrevcmp(v.revision, w.revision)), nil
}

// dpkgOrder is dpkg's character weight: '~' before the end of the string,
// the end before letters, letters before everything else.
func dpkgOrder(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	c := s[i]
	switch {
	case isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -1
	}
	return int(c) + 256
}

// verrevcmp is dpkg's lib/dpkg/version.c verrevcmp: alternate non-digit runs
// (compared by dpkgOrder) and digit runs (compared by value, of any length).
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := dpkgOrder(a, i), dpkgOrder(b, j)
			if ac != bc {
				return ac - bc
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		firstDiff := 0
		for i < len(a) && isDigit(a[i]) && j < len(b) && isDigit(b[j]) {
			if firstDiff == 0 {
				firstDiff = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if firstDiff != 0 {
			return firstDiff
		}
	}
	return 0
}
