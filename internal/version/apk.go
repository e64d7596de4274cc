package version

import "strings"

// apk token kinds, in apk-tools' order (src/version.c): the order matters
// both for validation (what may follow what) and for the final comparison.
const (
	apkInitialDigit = iota
	apkDigit
	apkLetter
	apkSuffix
	apkSuffixNo
	apkCommitHash
	apkRevisionNo
	apkEnd
	apkInvalid
)

// apk suffixes; apkSuffixNone is the pivot between pre- and post-release.
const (
	apkSuffixInvalid = iota
	apkSuffixAlpha
	apkSuffixBeta
	apkSuffixPre
	apkSuffixRC
	apkSuffixNone
	apkSuffixCVS
	apkSuffixSVN
	apkSuffixGit
	apkSuffixHg
	apkSuffixP
)

var apkSuffixes = map[string]int{
	"alpha": apkSuffixAlpha, "beta": apkSuffixBeta, "pre": apkSuffixPre, "rc": apkSuffixRC,
	"cvs": apkSuffixCVS, "svn": apkSuffixSVN, "git": apkSuffixGit, "hg": apkSuffixHg, "p": apkSuffixP,
}

type apkToken struct {
	kind   int
	suffix int
	value  string // digits, the letter, the suffix name or the commit hash
}

// apkVersion is an Alpine package version:
// digit{.digit}...{letter}{_suf{#}}...{~hash}{-r#}.
type apkVersion struct {
	s      string
	tokens []apkToken // ends before the apkEnd token
}

func parseAPK(s string) (Version, error) {
	v := &apkVersion{s: s}
	prev := apkInitialDigit
	rest := s
	for first := true; ; first = false {
		var t apkToken
		if first {
			t, rest = apkFirst(rest)
		} else {
			t, rest = apkNext(prev, rest)
		}
		switch t.kind {
		case apkEnd:
			return v, nil
		case apkInvalid:
			return nil, invalid(APK, s, "does not match digit{.digit}...{letter}{_suf{#}}...{~hash}{-r#}")
		}
		v.tokens = append(v.tokens, t)
		prev = t.kind
	}
}

func apkDigits(kind int, s string) (apkToken, string) {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	if n == 0 {
		return apkToken{kind: apkInvalid}, s
	}
	return apkToken{kind: kind, value: s[:n]}, s[n:]
}

func apkFirst(s string) (apkToken, string) { return apkDigits(apkInitialDigit, s) }

// apkNext is token_next: it reads the token that follows one of kind prev.
func apkNext(prev int, s string) (apkToken, string) {
	bad := apkToken{kind: apkInvalid}
	if s == "" {
		return apkToken{kind: apkEnd}, s
	}
	switch c := s[0]; {
	case isLower(c):
		if prev > apkDigit {
			return bad, s
		}
		return apkToken{kind: apkLetter, value: s[:1]}, s[1:]
	case c == '.' || isDigit(c):
		if c == '.' {
			if prev > apkDigit {
				return bad, s
			}
			s = s[1:]
		}
		switch prev {
		case apkInitialDigit, apkDigit:
			return apkDigits(apkDigit, s)
		case apkSuffix:
			return apkDigits(apkSuffixNo, s)
		}
		return bad, s
	case c == '_':
		if prev > apkSuffixNo {
			return bad, s
		}
		n := 1
		for n < len(s) && isLower(s[n]) {
			n++
		}
		suf, ok := apkSuffixes[s[1:n]]
		if !ok {
			return bad, s
		}
		return apkToken{kind: apkSuffix, suffix: suf, value: s[1:n]}, s[n:]
	case c == '~':
		if prev >= apkCommitHash {
			return bad, s
		}
		n := 1
		for n < len(s) && (isDigit(s[n]) || ('a' <= s[n] && s[n] <= 'f')) {
			n++
		}
		if n == 1 {
			return bad, s
		}
		return apkToken{kind: apkCommitHash, value: s[1:n]}, s[n:]
	case c == '-':
		if prev >= apkRevisionNo || !strings.HasPrefix(s, "-r") {
			return bad, s
		}
		return apkDigits(apkRevisionNo, s[2:])
	}
	return bad, s
}

// apkSort is apk_blob_sort: bytewise, then the shorter first.
func apkSort(a, b string) int {
	n := min(len(a), len(b))
	if c := strings.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	return sign(len(a) - len(b))
}

func apkTokenCmp(a, b apkToken) int {
	switch a.kind {
	case apkDigit:
		if a.value[0] == '0' || b.value[0] == '0' {
			// A leading zero makes the component a decimal fraction:
			// compare as strings, like Gentoo.
			return apkSort(a.value, b.value)
		}
		return compareNum(a.value, b.value)
	case apkInitialDigit, apkSuffixNo, apkRevisionNo:
		return compareNum(a.value, b.value)
	case apkLetter:
		return sign(int(a.value[0]) - int(b.value[0]))
	case apkSuffix:
		return sign(a.suffix - b.suffix)
	}
	return apkSort(a.value, b.value)
}

func (v *apkVersion) String() string { return v.s }

func (v *apkVersion) Compare(other Version) (int, error) {
	w, ok := other.(*apkVersion)
	if !ok {
		return 0, incomparable(v, other)
	}
	end := apkToken{kind: apkEnd}
	for i := 0; ; i++ {
		a, b := end, end
		if i < len(v.tokens) {
			a = v.tokens[i]
		}
		if i < len(w.tokens) {
			b = w.tokens[i]
		}
		if a.kind != b.kind {
			// Leading components are equal; the longer version is newer
			// unless what it has next is a pre-release suffix.
			switch {
			case a.kind == apkSuffix && a.suffix < apkSuffixNone:
				return -1, nil
			case b.kind == apkSuffix && b.suffix < apkSuffixNone:
				return 1, nil
			case a.kind > b.kind:
				return -1, nil
			}
			return 1, nil
		}
		if a.kind == apkEnd {
			return 0, nil
		}
		if c := apkTokenCmp(a, b); c != 0 {
			return c, nil
		}
	}
}
