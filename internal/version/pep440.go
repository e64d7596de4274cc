package version

import (
	"strings"
	"sync"
)

// pep440Pattern is VERSION_PATTERN from pypa/packaging (packaging/version.py),
// the reference implementation of PEP 440, anchored and case-insensitive.
var pep440Pattern = lazyRegexp(`(?i)^v?` +
	`(?:(?P<epoch>[0-9]+)!)?` +
	`(?P<release>[0-9]+(?:\.[0-9]+)*)` +
	`(?P<pre>[-_\.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_\.]?(?P<pre_n>[0-9]+)?)?` +
	`(?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_\.]?(?P<post_l>post|rev|r)[-_\.]?(?P<post_n2>[0-9]+)?))?` +
	`(?P<dev>[-_\.]?(?P<dev_l>dev)[-_\.]?(?P<dev_n>[0-9]+)?)?` +
	`(?:\+(?P<local>[a-z0-9]+(?:[-_\.][a-z0-9]+)*))?$`)

var pep440Group = sync.OnceValue(func() map[string]int {
	m := map[string]int{}
	for i, n := range pep440Pattern().SubexpNames() {
		if n != "" {
			m[n] = i
		}
	}
	return m
})

// pep440Version holds packaging's comparison key (_cmpkey).
type pep440Version struct {
	s       string
	epoch   string
	release []string // trailing zeros removed
	// pre: preMinus (dev release without pre or post) < a release's letter
	// and number < prePlus (no pre-release).
	preKind int
	preL    string // "a", "b" or "rc"
	preN    string
	hasPost bool
	postN   string
	hasDev  bool
	devN    string
	local   []string // nil: no local version
}

const (
	preMinus = iota
	preSet
	prePlus
)

func parsePEP440(s string) (Version, error) {
	m := pep440Pattern().FindStringSubmatch(s)
	if m == nil {
		return nil, invalid(PEP440, s, "does not match PEP 440")
	}
	group := pep440Group()
	g := func(name string) string { return m[group[name]] }
	num := func(name string) string {
		if n := g(name); n != "" {
			return trimZeros(n)
		}
		return "0"
	}
	v := &pep440Version{s: s, epoch: num("epoch")}
	v.release = strings.Split(g("release"), ".")
	for i := range v.release {
		v.release[i] = trimZeros(v.release[i])
	}
	for len(v.release) > 0 && v.release[len(v.release)-1] == "0" {
		v.release = v.release[:len(v.release)-1]
	}
	if l := strings.ToLower(g("pre_l")); l != "" {
		switch l {
		case "alpha":
			l = "a"
		case "beta":
			l = "b"
		case "c", "pre", "preview":
			l = "rc"
		}
		v.preKind, v.preL, v.preN = preSet, l, num("pre_n")
	}
	if g("post") != "" {
		v.hasPost = true
		v.postN = num("post_n1")
		if g("post_n1") == "" {
			v.postN = num("post_n2")
		}
	}
	if g("dev") != "" {
		v.hasDev, v.devN = true, num("dev_n")
	}
	switch {
	case v.preKind == preSet:
	case !v.hasPost && v.hasDev:
		v.preKind = preMinus
	default:
		v.preKind = prePlus
	}
	if l := g("local"); l != "" {
		v.local = strings.FieldsFunc(strings.ToLower(l), func(r rune) bool { return r == '.' || r == '-' || r == '_' })
	}
	return v, nil
}

func (v *pep440Version) String() string { return v.s }

func (v *pep440Version) Compare(other Version) (int, error) {
	w, ok := other.(*pep440Version)
	if !ok {
		return 0, incomparable(v, other)
	}
	if c := compareNum(v.epoch, w.epoch); c != 0 {
		return c, nil
	}
	for i := 0; i < len(v.release) && i < len(w.release); i++ {
		if c := compareNum(v.release[i], w.release[i]); c != 0 {
			return c, nil
		}
	}
	if c := sign(len(v.release) - len(w.release)); c != 0 {
		return c, nil
	}
	if c := sign(v.preKind - w.preKind); c != 0 {
		return c, nil
	}
	if v.preKind == preSet {
		if c := strings.Compare(v.preL, w.preL); c != 0 {
			return c, nil
		}
		if c := compareNum(v.preN, w.preN); c != 0 {
			return c, nil
		}
	}
	if c := compareOptional(v.hasPost, w.hasPost, v.postN, w.postN, false); c != 0 {
		return c, nil
	}
	if c := compareOptional(v.hasDev, w.hasDev, v.devN, w.devN, true); c != 0 {
		return c, nil
	}
	return comparePEP440Local(v.local, w.local), nil
}

// compareOptional orders an optional number: absent sorts first, or last
// when absentLast.
func compareOptional(aHas, bHas bool, a, b string, absentLast bool) int {
	switch {
	case aHas && bHas:
		return compareNum(a, b)
	case aHas == bHas:
		return 0
	case aHas != absentLast:
		return 1
	}
	return -1
}

// comparePEP440Local orders local versions: none first; then segment by
// segment, strings before numbers, strings lexically, numbers by value, a
// prefix first.
func comparePEP440Local(a, b []string) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		an, bn := allDigits(a[i]), allDigits(b[i])
		switch {
		case an && bn:
			if c := compareNum(a[i], b[i]); c != 0 {
				return c
			}
		case an:
			return 1
		case bn:
			return -1
		default:
			if c := strings.Compare(a[i], b[i]); c != 0 {
				return c
			}
		}
	}
	return sign(len(a) - len(b))
}
