package version

import (
	"strings"
)

// Composer's VersionParser::normalize patterns (composer/semver), with PHP's
// possessive quantifiers written as greedy ones, which match the same strings.
const composerModifier = `[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*)?)?([.-]?dev)?`

var (
	composerClassical = lazyRegexp(`(?i)^v?(\d{1,5})(\.\d+)?(\.\d+)?(\.\d+)?` + composerModifier + `$`)
	composerDate      = lazyRegexp(`(?i)^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3})?)` + composerModifier + `$`)
	composerDevSuffix = lazyRegexp(`(?i)^(.*?)[.-]?dev$`)
	composerBranch    = lazyRegexp(`(?i)^v?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?$`)
	composerNonDigit  = lazyRegexp(`\D`)
	composerFlag      = lazyRegexp(`(?i)@(?:stable|RC|beta|alpha|dev)$`)
)

// composerVersion is a Packagist package version, normalised like Composer's
// VersionParser::normalize ("v1.0" -> "1.0.0.0", "2.1-beta2" ->
// "2.1.0.0-beta2", "2.x-dev" -> "2.9999999.9999999.9999999-dev") and ordered
// like PHP's version_compare on the normalised form, as Composer does.
type composerVersion struct {
	s     string
	norm  string
	elems []string // canonical version_compare elements of norm
}

func parseComposer(s string) (Version, error) {
	norm, reason := composerNormalize(s)
	if reason != "" {
		return nil, invalid(Composer, s, reason)
	}
	return &composerVersion{s: s, norm: norm, elems: phpCanonical(norm)}, nil
}

func composerNormalize(version string) (string, string) {
	if version == "" {
		return "", "empty"
	}
	// Strip a stability flag ("1.0.0@dev").
	version = composerFlag().ReplaceAllString(version, "")
	lower := strings.ToLower(version)
	if lower == "master" || lower == "trunk" || lower == "default" || strings.HasPrefix(lower, "dev-") {
		return "", "a branch name (dev-...) has no version order"
	}
	// Strip build metadata: ^([^,\s+]+)\+\S+$.
	if i := strings.IndexByte(version, '+'); i > 0 && i < len(version)-1 &&
		!strings.ContainsAny(version[:i], ", \t\n\v\f\r") && !strings.ContainsAny(version[i:], " \t\n\v\f\r") {
		version = version[:i]
	}
	var v string
	var mod []string // stability, its number, dev flag
	if m := composerClassical().FindStringSubmatch(version); m != nil {
		v = m[1]
		for _, p := range m[2:5] {
			if p == "" {
				p = ".0"
			}
			v += p
		}
		mod = m[5:8]
	} else if m := composerDate().FindStringSubmatch(version); m != nil {
		v = composerNonDigit().ReplaceAllString(m[1], ".")
		mod = m[2:5]
	}
	if mod != nil {
		if mod[0] != "" {
			if mod[0] == "stable" {
				return v, ""
			}
			v += "-" + composerStability(mod[0]) + strings.TrimLeft(mod[1], ".-")
		}
		if mod[2] != "" {
			v += "-dev"
		}
		return v, ""
	}
	if m := composerDevSuffix().FindStringSubmatch(version); m != nil {
		if b := composerBranch().FindStringSubmatch(strings.TrimSpace(m[1])); b != nil {
			v = ""
			for _, p := range b[1:5] {
				if p == "" {
					p = ".x"
				}
				v += strings.NewReplacer("*", "x", "X", "x").Replace(p)
			}
			return strings.ReplaceAll(v, "x", "9999999") + "-dev", ""
		}
	}
	return "", "not a Composer version"
}

// composerStability is VersionParser::expandStability.
func composerStability(s string) string {
	switch s = strings.ToLower(s); s {
	case "a":
		return "alpha"
	case "b":
		return "beta"
	case "p", "pl":
		return "patch"
	case "rc":
		return "RC"
	}
	return s
}

// phpCanonical is php_canonicalize_version split into elements: "-", "_"
// and "+" become ".", and a "." separates digits from non-digits.
func phpCanonical(v string) []string {
	if v == "" {
		return nil
	}
	isdig := func(c byte) bool { return isDigit(c) }
	isndig := func(c byte) bool { return !isDigit(c) && c != '.' }
	buf := []byte{v[0]}
	lp := v[0]
	for i := 1; i < len(v); i++ {
		c := v[i]
		lq := buf[len(buf)-1]
		switch {
		case c == '-' || c == '_' || c == '+':
			if lq != '.' {
				buf = append(buf, '.')
			}
		case (isndig(lp) && isdig(c)) || (isdig(lp) && isndig(c)):
			if lq != '.' {
				buf = append(buf, '.')
			}
			buf = append(buf, c)
		case !isAlnum(c):
			if lq != '.' {
				buf = append(buf, '.')
			}
		default:
			buf = append(buf, c)
		}
		lp = c
	}
	return strings.Split(string(buf), ".")
}

// phpSpecialForms is version_compare's order of named elements, matched by
// prefix in this order; "#" stands for any number; unknown names sort first.
var phpSpecialForms = []struct {
	name  string
	order int
}{{"dev", 0}, {"alpha", 1}, {"a", 1}, {"beta", 2}, {"b", 2}, {"RC", 3}, {"rc", 3}, {"#", 4}, {"pl", 5}, {"p", 5}}

func phpSpecialOrder(form string) int {
	for _, f := range phpSpecialForms {
		if strings.HasPrefix(form, f.name) {
			return f.order
		}
	}
	return -1
}

const phpNumber = "#N#"

// phpCompareElems is php_version_compare on canonical elements.
func phpCompareElems(a, b []string) int {
	num := func(e string) bool { return e != "" && isDigit(e[0]) }
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		x, y := a[i], b[i]
		var c int
		switch {
		case num(x) && num(y):
			c = compareNum(phpLeadingDigits(x), phpLeadingDigits(y))
		case !num(x) && !num(y):
			c = sign(phpSpecialOrder(x) - phpSpecialOrder(y))
		case num(x):
			c = sign(phpSpecialOrder(phpNumber) - phpSpecialOrder(y))
		default:
			c = sign(phpSpecialOrder(x) - phpSpecialOrder(phpNumber))
		}
		if c != 0 {
			return c
		}
	}
	switch {
	case len(a) > n:
		if num(a[n]) {
			return 1
		}
		return phpCompareElems(a[n:], []string{phpNumber})
	case len(b) > n:
		if num(b[n]) {
			return -1
		}
		return phpCompareElems([]string{phpNumber}, b[n:])
	}
	return 0
}

// phpLeadingDigits is the part strtol reads.
func phpLeadingDigits(s string) string {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return s[:n]
}

func (v *composerVersion) String() string { return v.s }

func (v *composerVersion) Compare(other Version) (int, error) {
	w, ok := other.(*composerVersion)
	if !ok {
		return 0, incomparable(v, other)
	}
	return phpCompareElems(v.elems, w.elems), nil
}
