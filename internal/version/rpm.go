package version

import (
	"strings"

	rpmversion "github.com/knqyf263/go-rpm-version"
)

// rpmVersion is an RPM EVR, [epoch:]version[-release]. The segment
// comparison (rpmvercmp, with '~' and '^') is go-rpm-version's; this file
// parses and validates the EVR itself, because that library accepts any
// string and silently turns a malformed epoch into 0.
type rpmVersion struct {
	s     string
	epoch string // digits; "0" when absent
	vr    rpmversion.Version
}

func parseRPM(s string) (Version, error) {
	if s == "" {
		return nil, invalid(RPM, s, "empty")
	}
	v := &rpmVersion{s: s, epoch: "0"}
	rest := s
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		e := rest[:i]
		if !allDigits(e) {
			return nil, invalid(RPM, s, "epoch is not a number")
		}
		v.epoch, rest = trimZeros(e), rest[i+1:]
	}
	ver, rel, hasRel := strings.Cut(rest, "-")
	switch {
	case ver == "":
		return nil, invalid(RPM, s, "empty version")
	case hasRel && rel == "":
		return nil, invalid(RPM, s, "empty release")
	case strings.ContainsAny(rel, "-:"):
		return nil, invalid(RPM, s, "more than one '-' or ':'")
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; !isAlnum(c) && !strings.ContainsRune("._+~^-", rune(c)) {
			return nil, invalid(RPM, s, "invalid character (want letters, digits and ._+~^)")
		}
	}
	// rest has no ':' and at most one '-', so the library splits it exactly
	// as rpm's parseEVR does.
	v.vr = rpmversion.NewVersion(rest)
	return v, nil
}

func (v *rpmVersion) String() string { return v.s }

func (v *rpmVersion) Compare(other Version) (int, error) {
	w, ok := other.(*rpmVersion)
	if !ok {
		return 0, incomparable(v, other)
	}
	if c := compareNum(v.epoch, w.epoch); c != 0 {
		return c, nil
	}
	return sign(v.vr.Compare(w.vr)), nil
}
