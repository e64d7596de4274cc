package version

import "strings"

// nugetVersion is a NuGet package version: one to four numbers (missing ones
// are 0, leading zeros are ignored), an optional SemVer 2 release label and
// build metadata; ordered like NuGet.Versioning's VersionComparer.Default.
type nugetVersion struct {
	s       string
	core    [4]string
	release []string
}

func parseNuGet(s string) (Version, error) {
	v := &nugetVersion{s: s}
	rest, meta, hasMeta := strings.Cut(s, "+")
	core, rel, hasRel := strings.Cut(rest, "-")
	parts := strings.Split(core, ".")
	if len(parts) > 4 {
		return nil, invalid(NuGet, s, "more than four numeric components")
	}
	for i := range v.core {
		v.core[i] = "0"
		if i < len(parts) {
			if !allDigits(parts[i]) {
				return nil, invalid(NuGet, s, "version is not 1 to 4 dot-separated numbers")
			}
			v.core[i] = parts[i]
		}
	}
	var err error
	if hasRel {
		if v.release, err = semverIdents(rel, false); err != nil {
			return nil, invalid(NuGet, s, "release label: "+err.Error())
		}
	}
	if hasMeta {
		if _, err = semverIdents(meta, false); err != nil {
			return nil, invalid(NuGet, s, "metadata: "+err.Error())
		}
	}
	return v, nil
}

func (v *nugetVersion) String() string { return v.s }

func (v *nugetVersion) Compare(other Version) (int, error) {
	w, ok := other.(*nugetVersion)
	if !ok {
		return 0, incomparable(v, other)
	}
	for i := range v.core {
		if c := compareNum(v.core[i], w.core[i]); c != 0 {
			return c, nil
		}
	}
	switch {
	case len(v.release) == 0 && len(w.release) > 0:
		return 1, nil
	case len(v.release) > 0 && len(w.release) == 0:
		return -1, nil
	}
	for i := 0; i < len(v.release) && i < len(w.release); i++ {
		a, b := v.release[i], w.release[i]
		an, bn := allDigits(a), allDigits(b)
		switch {
		case an && bn:
			if c := compareNum(a, b); c != 0 {
				return c, nil
			}
		case an:
			return -1, nil
		case bn:
			return 1, nil
		default:
			// Labels compare case-insensitively (OrdinalIgnoreCase).
			if c := strings.Compare(strings.ToUpper(a), strings.ToUpper(b)); c != 0 {
				return c, nil
			}
		}
	}
	return sign(len(v.release) - len(w.release)), nil
}
