package kql

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// String matching for the string operators. Case-insensitive forms avoid
// allocating for ASCII text.

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func equalFold(a, b string) bool {
	if len(a) == len(b) && isASCII(a) && isASCII(b) {
		for i := 0; i < len(a); i++ {
			if lowerASCII(a[i]) != lowerASCII(b[i]) {
				return false
			}
		}
		return true
	}
	return strings.EqualFold(a, b)
}

// indexFold returns the index of the first case-insensitive occurrence of
// n in h at or after from, or -1.
func indexFold(h, n string, from int) int {
	if !isASCII(h) || !isASCII(n) {
		// rare: lower-case both (indices then refer to the lowered text,
		// which is fine for the boolean operators that use them)
		return indexFrom(strings.ToLower(h), strings.ToLower(n), from)
	}
	if len(n) == 0 {
		return from
	}
	first := lowerASCII(n[0])
	for i := from; i+len(n) <= len(h); i++ {
		if lowerASCII(h[i]) != first {
			continue
		}
		j := 1
		for j < len(n) && lowerASCII(h[i+j]) == lowerASCII(n[j]) {
			j++
		}
		if j == len(n) {
			return i
		}
	}
	return -1
}

func indexFrom(h, n string, from int) int {
	if from > len(h) {
		return -1
	}
	i := strings.Index(h[from:], n)
	if i < 0 {
		return -1
	}
	return i + from
}

func containsFold(h, n string) bool { return indexFold(h, n, 0) >= 0 }

func hasPrefixFold(h, n string) bool {
	return len(h) >= len(n) && equalFold(h[:len(n)], n) || (!isASCII(h) && strings.HasPrefix(strings.ToLower(h), strings.ToLower(n)))
}

func hasSuffixFold(h, n string) bool {
	return len(h) >= len(n) && equalFold(h[len(h)-len(n):], n) || (!isASCII(h) && strings.HasSuffix(strings.ToLower(h), strings.ToLower(n)))
}

type termMode int

const (
	termWhole  termMode = iota // has: n is a whole term of h
	termPrefix                 // hasprefix: a term of h starts with n
	termSuffix                 // hassuffix: a term of h ends with n
)

func isTermRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// hasTerm implements has, hasprefix and hassuffix. Terms are runs of
// letters and digits. n matches where it is not glued to other term
// characters on the sides the mode requires: `has "cve-2017"` finds
// "x CVE-2017 y" but not "xcve-2017". An empty n matches.
func hasTerm(h, n string, fold bool, mode termMode) bool {
	if n == "" {
		return true
	}
	if fold && !(isASCII(h) && isASCII(n)) {
		h, n, fold = strings.ToLower(h), strings.ToLower(n), false
	}
	first, _ := utf8.DecodeRuneInString(n)
	last, _ := utf8.DecodeLastRuneInString(n)
	checkStart := isTermRune(first) && mode != termSuffix
	checkEnd := isTermRune(last) && mode != termPrefix
	for from := 0; from <= len(h); {
		var i int
		if fold {
			i = indexFold(h, n, from)
		} else {
			i = indexFrom(h, n, from)
		}
		if i < 0 {
			return false
		}
		ok := true
		if checkStart && i > 0 {
			r, _ := utf8.DecodeLastRuneInString(h[:i])
			ok = !isTermRune(r)
		}
		if ok && checkEnd && i+len(n) < len(h) {
			r, _ := utf8.DecodeRuneInString(h[i+len(n):])
			ok = !isTermRune(r)
		}
		if ok {
			return true
		}
		_, size := utf8.DecodeRuneInString(h[i:])
		from = i + size
	}
	return false
}
