package version

import "strings"

// gemSegment is a segment of a Gem::Version: a number or a run of letters.
type gemSegment struct {
	s     string
	isNum bool
}

var gemZero = gemSegment{s: "0", isNum: true}

// gemVersion is a RubyGems version, ordered like Gem::Version#<=>.
type gemVersion struct {
	s   string
	seg []gemSegment // canonical segments
}

// parseGem accepts Gem::Version's ANCHORED_VERSION_PATTERN,
// [0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?, except the
// empty string, which RubyGems reads as "0".
func parseGem(s string) (Version, error) {
	if !gemValid(s) {
		return nil, invalid(RubyGems, s, `does not match [0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`)
	}
	// "1.0-rc1" means "1.0.pre.rc1".
	norm := strings.ReplaceAll(s, "-", ".pre.")
	var segs []gemSegment
	for i := 0; i < len(norm); {
		j := i
		switch {
		case isDigit(norm[i]):
			for j < len(norm) && isDigit(norm[j]) {
				j++
			}
			segs = append(segs, gemSegment{s: trimZeros(norm[i:j]), isNum: true})
		case isAlpha(norm[i]):
			for j < len(norm) && isAlpha(norm[j]) {
				j++
			}
			segs = append(segs, gemSegment{s: norm[i:j]})
		default:
			j++
		}
		i = j
	}
	// canonical_segments: drop trailing zeros from the release part and from
	// the pre-release part (which starts at the first letter segment).
	split := len(segs)
	for i, sg := range segs {
		if !sg.isNum {
			split = i
			break
		}
	}
	canon := gemDropZeros(segs[:split])
	canon = append(canon, gemDropZeros(segs[split:])...)
	return &gemVersion{s: s, seg: canon}, nil
}

func gemDropZeros(segs []gemSegment) []gemSegment {
	n := len(segs)
	for n > 0 && segs[n-1].isNum && isZero(segs[n-1].s) {
		n--
	}
	return segs[:n:n]
}

func gemValid(s string) bool {
	i := 0
	digits := func() int {
		n := 0
		for i < len(s) && isDigit(s[i]) {
			i++
			n++
		}
		return n
	}
	span := func(ok func(byte) bool) int {
		n := 0
		for i < len(s) && ok(s[i]) {
			i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return false
	}
	for i < len(s) && s[i] == '.' {
		i++
		if span(isAlnum) == 0 {
			return false
		}
	}
	if i < len(s) && s[i] == '-' {
		pre := func(c byte) bool { return isAlnum(c) || c == '-' }
		i++
		if span(pre) == 0 {
			return false
		}
		for i < len(s) && s[i] == '.' {
			i++
			if span(pre) == 0 {
				return false
			}
		}
	}
	return i == len(s)
}

func (v *gemVersion) String() string { return v.s }

func (v *gemVersion) Compare(other Version) (int, error) {
	w, ok := other.(*gemVersion)
	if !ok {
		return 0, incomparable(v, other)
	}
	for i := 0; i < len(v.seg) || i < len(w.seg); i++ {
		a, b := gemZero, gemZero
		if i < len(v.seg) {
			a = v.seg[i]
		}
		if i < len(w.seg) {
			b = w.seg[i]
		}
		switch {
		case a.isNum && b.isNum:
			if c := compareNum(a.s, b.s); c != 0 {
				return c, nil
			}
		case a.isNum:
			return 1, nil // a letter segment sorts before a number
		case b.isNum:
			return -1, nil
		default:
			if c := strings.Compare(a.s, b.s); c != 0 {
				return c, nil
			}
		}
	}
	return 0, nil
}
