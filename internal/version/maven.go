package version

import (
	"strconv"
	"strings"
)

// Maven item kinds, after ComparableVersion's Item types.
const (
	mvnNumber = iota // IntItem, LongItem and BigIntegerItem: one kind, compared by value
	mvnString
	mvnList
	mvnCombination // a qualifier directly followed by a number: "rc1", "alpha-2"
)

type mvnItem struct {
	kind  int
	num   string     // mvnNumber, and the number of an mvnCombination
	str   string     // mvnString, and the qualifier of an mvnCombination
	items []*mvnItem // mvnList
}

var mvnZero = &mvnItem{kind: mvnNumber, num: "0"}

// mavenVersion is a Maven artifact version, ordered like Apache Maven's
// org.apache.maven.artifact.versioning.ComparableVersion (Maven 4
// semantics, including MNG-6964, MNG-7644 and MNG-7714, and master's
// comparison of qualifier lists with qualifiers, which makes the order
// transitive).
type mavenVersion struct {
	s     string
	items *mvnItem
}

func parseMaven(s string) (Version, error) {
	if s == "" {
		return nil, invalid(Maven, s, "empty")
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return nil, invalid(Maven, s, "white space or control character")
		}
	}
	return &mavenVersion{s: s, items: mvnParse(s)}, nil
}

// mvnParse is ComparableVersion.parseVersion. Only ASCII '.', '-' and digits
// are structural, so it can walk bytes.
func mvnParse(version string) *mvnItem {
	version = strings.ToLower(version)
	root := &mvnItem{kind: mvnList}
	list := root
	stack := []*mvnItem{root}
	push := func() {
		sub := &mvnItem{kind: mvnList}
		list.items = append(list.items, sub)
		list = sub
		stack = append(stack, sub)
	}
	isDigit, isCombination := false, false
	start := 0
	for i := 0; i < len(version); i++ {
		c := version[i]
		switch {
		case c == '.':
			if i == start {
				list.items = append(list.items, mvnZero)
			} else {
				list.items = append(list.items, mvnItemOf(isCombination, isDigit, version[start:i]))
			}
			isCombination = false
			start = i + 1
		case c == '-':
			if i == start {
				list.items = append(list.items, mvnZero)
			} else {
				// X-1 is treated as X1.
				if !isDigit && i != len(version)-1 && '0' <= version[i+1] && version[i+1] <= '9' {
					isCombination = true
					continue
				}
				list.items = append(list.items, mvnItemOf(isCombination, isDigit, version[start:i]))
			}
			start = i + 1
			if len(list.items) > 0 {
				push()
			}
			isCombination = false
		case '0' <= c && c <= '9':
			if !isDigit && i > start {
				// X1
				isCombination = true
				if len(list.items) > 0 {
					push()
				}
			}
			isDigit = true
		default:
			if isDigit && i > start {
				list.items = append(list.items, mvnItemOf(isCombination, true, version[start:i]))
				start = i
				push()
				isCombination = false
			}
			isDigit = false
		}
	}
	if len(version) > start {
		// 1.0.0.X1 < 1.0.0-X2: treat .X as -X for any string qualifier X.
		if !isDigit && len(list.items) > 0 {
			push()
		}
		list.items = append(list.items, mvnItemOf(isCombination, isDigit, version[start:]))
	}
	for i := len(stack) - 1; i >= 0; i-- {
		stack[i].normalize()
	}
	return root
}

func mvnItemOf(isCombination, isDigit bool, buf string) *mvnItem {
	switch {
	case isCombination:
		buf = strings.ReplaceAll(buf, "-", "")
		i := strings.IndexAny(buf, "0123456789")
		if i < 0 { // cannot happen: a combination always holds a digit
			return mvnStr(buf, false)
		}
		str := mvnStr(buf[:i], true).str
		return &mvnItem{kind: mvnCombination, str: str, num: mvnNumberOf(buf[i:]).num}
	case isDigit:
		return mvnNumberOf(buf)
	}
	return mvnStr(buf, false)
}

func mvnNumberOf(buf string) *mvnItem {
	// Digits only: a combination's number ends at the next non-digit.
	n := 0
	for n < len(buf) && '0' <= buf[n] && buf[n] <= '9' {
		n++
	}
	if n == 0 {
		return mvnZero
	}
	return &mvnItem{kind: mvnNumber, num: trimZeros(buf[:n])}
}

func mvnStr(value string, followedByDigit bool) *mvnItem {
	if followedByDigit && len(value) == 1 {
		switch value {
		case "a":
			value = "alpha"
		case "b":
			value = "beta"
		case "m":
			value = "milestone"
		}
	}
	if value == "cr" {
		value = "rc"
	}
	return &mvnItem{kind: mvnString, str: value}
}

func (it *mvnItem) isNull() bool {
	switch it.kind {
	case mvnNumber:
		return isZero(it.num)
	case mvnString:
		return it.str == ""
	case mvnList:
		return len(it.items) == 0
	}
	return false
}

// normalize removes null items (0, "", empty lists) that do not change the
// order: trailing ones, and ones followed by a qualifier.
func (it *mvnItem) normalize() {
	for i := len(it.items) - 1; i >= 0; i-- {
		if !it.items[i].isNull() {
			continue
		}
		remove := i == len(it.items)-1
		if !remove {
			switch next := it.items[i+1]; next.kind {
			case mvnString:
				remove = true
			case mvnList:
				if len(next.items) > 0 {
					k := next.items[0].kind
					remove = k == mvnCombination || k == mvnString
				}
			}
		}
		if remove {
			it.items = append(it.items[:i:i], it.items[i+1:]...)
		}
	}
	// Removing a zero prefix must not leave an extra nesting level:
	// "0.0.0-2021..." and "2021..." hold the same list.
	if len(it.items) == 1 && it.items[0].kind == mvnList {
		it.items = it.items[0].items
	}
}

var mvnQualifiers = map[string]int{
	"alpha": 0, "beta": 1, "milestone": 2, "rc": 3, "snapshot": 4, "": 5, "sp": 6,
	"ga": 5, "final": 5, "release": 5,
}

// mvnQualifier is comparableQualifier: known qualifiers by rank, unknown ones
// after all of them in lexical order.
func mvnQualifier(q string) string {
	if i, ok := mvnQualifiers[q]; ok {
		return strconv.Itoa(i)
	}
	return "7-" + q
}

func mvnCompareQualifiers(a, b string) int {
	return strings.Compare(mvnQualifier(a), mvnQualifier(b))
}

// compare is Item.compareTo; b == nil stands for the padding of a shorter list.
func (it *mvnItem) compare(b *mvnItem) int {
	switch it.kind {
	case mvnNumber:
		switch {
		case b == nil:
			if isZero(it.num) {
				return 0
			}
			return 1
		case b.kind == mvnNumber:
			return compareNum(it.num, b.num)
		}
		return 1 // 1.1 > 1-sp, 1.1 > 1-1
	case mvnString:
		switch {
		case b == nil:
			return mvnCompareQualifiers(it.str, "") // 1-rc < 1, 1-ga = 1, 1-sp > 1
		case b.kind == mvnNumber:
			return -1
		case b.kind == mvnList:
			return -b.compare(it)
		case b.kind == mvnString:
			return mvnCompareQualifiers(it.str, b.str)
		}
		if c := mvnCompareQualifiers(it.str, b.str); c != 0 {
			return c
		}
		if mvnCompareQualifiers(it.str, "") == 0 {
			return -b.numCompareNull() // 1-ga = 1-ga0 < 1-ga1
		}
		return -1 // X < X1
	case mvnCombination:
		switch {
		case b == nil:
			if c := mvnCompareQualifiers(it.str, ""); c != 0 {
				return c // 1-rc1 < 1, 1-sp1 > 1
			}
			return it.numCompareNull() // 1-ga1 > 1, 1-ga0 = 1
		case b.kind == mvnNumber:
			return -1
		case b.kind == mvnList:
			return -b.compare(it)
		case b.kind == mvnString:
			if c := mvnCompareQualifiers(it.str, b.str); c != 0 {
				return c
			}
			if mvnCompareQualifiers(it.str, "") == 0 {
				return it.numCompareNull()
			}
			return 1 // X1 > X
		}
		if c := mvnCompareQualifiers(it.str, b.str); c != 0 {
			return c
		}
		return compareNum(it.num, b.num)
	}
	// mvnList
	if b == nil {
		for _, x := range it.items {
			if c := x.compare(nil); c != 0 {
				return c
			}
		}
		return 0
	}
	switch b.kind {
	case mvnNumber:
		return -1 // 1-1 < 1.0.x
	case mvnString, mvnCombination:
		// The list's first item against the qualifier, then the rest
		// against nothing: 1-sp-1 > 1-sp, 1-1 > 1-sp, 1-alpha < 1.beta.
		c := 0
		if len(it.items) == 0 {
			c = -b.compare(nil)
		} else {
			c = it.items[0].compare(b)
		}
		for i := 1; c == 0 && i < len(it.items); i++ {
			c = it.items[i].compare(nil)
		}
		return c
	}
	for i := 0; i < len(it.items) || i < len(b.items); i++ {
		var c int
		switch {
		case i >= len(it.items):
			c = -b.items[i].compare(nil)
		case i >= len(b.items):
			c = it.items[i].compare(nil)
		default:
			c = it.items[i].compare(b.items[i])
		}
		if c != 0 {
			return sign(c)
		}
	}
	return 0
}

// numCompareNull compares a combination's number with nothing: 0 when it
// is zero, else 1.
func (it *mvnItem) numCompareNull() int {
	if isZero(it.num) {
		return 0
	}
	return 1
}

func (v *mavenVersion) String() string { return v.s }

func (v *mavenVersion) Compare(other Version) (int, error) {
	w, ok := other.(*mavenVersion)
	if !ok {
		return 0, incomparable(v, other)
	}
	return sign(v.items.compare(w.items)), nil
}
