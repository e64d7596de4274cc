package vulndb

import (
	"strings"

	"github.com/drydock/drydock/internal/vulndb/osv"
)

// NormalizeName returns the form of a package name that lookups compare, for
// ecosystems whose registries treat spellings as equal: PyPI names are
// normalized as in PEP 503 (lower case, runs of "-", "_", "." become one
// "-"); NuGet, Packagist and Pub names are compared in lower case. Other
// ecosystems compare names exactly.
func NormalizeName(ecosystem, name string) string {
	base, _, _ := strings.Cut(ecosystem, ":")
	switch base {
	case "PyPI":
		var b strings.Builder
		b.Grow(len(name))
		sep := false
		for i := 0; i < len(name); i++ {
			c := name[i]
			if c == '-' || c == '_' || c == '.' {
				sep = true
				continue
			}
			if sep && b.Len() > 0 {
				b.WriteByte('-')
			}
			sep = false
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
		}
		return b.String()
	case "NuGet", "Packagist", "Pub":
		return strings.ToLower(name)
	}
	return name
}

// SamePackage reports whether p is the package (ecosystem, name) as lookups
// compare them: the exact ecosystem string and the normalized name.
func SamePackage(p osv.Package, ecosystem, name string) bool {
	return p.Ecosystem == ecosystem && NormalizeName(ecosystem, p.Name) == NormalizeName(ecosystem, name)
}

func indexKey(ecosystem, name string) string {
	return ecosystem + "\x00" + NormalizeName(ecosystem, name)
}
