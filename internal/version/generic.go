package version

// genericVersion is a sequence of non-negative integers separated by '.' or
// '-', as CRAN (R's package_version) and Hackage (Data.Version) define their
// versions. Components compare by value; when one version is a prefix of the
// other, the shorter sorts first (R: 1.0 < 1.0.0; Haskell: [1,0] < [1,0,0]).
type genericVersion struct {
	s     string
	parts []string
}

func parseGeneric(s string) (Version, error) {
	v := &genericVersion{s: s}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && isDigit(s[i]) {
			continue
		}
		if i < len(s) && s[i] != '.' && s[i] != '-' {
			return nil, invalid(Generic, s, "not numbers separated by '.' or '-'")
		}
		if i == start {
			return nil, invalid(Generic, s, "empty component")
		}
		v.parts = append(v.parts, s[start:i])
		start = i + 1
	}
	return v, nil
}

func (v *genericVersion) String() string { return v.s }

func (v *genericVersion) Compare(other Version) (int, error) {
	w, ok := other.(*genericVersion)
	if !ok {
		return 0, incomparable(v, other)
	}
	for i := 0; i < len(v.parts) && i < len(w.parts); i++ {
		if c := compareNum(v.parts[i], w.parts[i]); c != 0 {
			return c, nil
		}
	}
	return sign(len(v.parts) - len(w.parts)), nil
}
