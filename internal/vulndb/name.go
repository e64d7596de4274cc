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
	return string(appendName(nil, ecosystem, name))
}

// appendName appends NormalizeName(ecosystem, name) to b.
func appendName(b []byte, ecosystem, name string) []byte {
	base, _, _ := strings.Cut(ecosystem, ":")
	switch base {
	case "PyPI":
		start := len(b)
		sep := false
		for i := 0; i < len(name); i++ {
			c := name[i]
			if c == '-' || c == '_' || c == '.' {
				sep = true
				continue
			}
			if sep && len(b) > start {
				b = append(b, '-')
			}
			sep = false
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
		}
		return b
	case "NuGet", "Packagist", "Pub":
		for i := 0; i < len(name); i++ {
			c := name[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
		}
		return b
	}
	return append(b, name...)
}

// SamePackage reports whether p is the package (ecosystem, name) as lookups
// compare them: the exact ecosystem string and the normalized name.
func SamePackage(p osv.Package, ecosystem, name string) bool {
	return p.Ecosystem == ecosystem && NormalizeName(ecosystem, p.Name) == NormalizeName(ecosystem, name)
}

func indexKey(ecosystem, name string) string {
	return string(appendKey(nil, ecosystem, name))
}

// appendKey appends the package index key of (ecosystem, name) to b.
func appendKey(b []byte, ecosystem, name string) []byte {
	b = append(b, ecosystem...)
	b = append(b, 0)
	return appendName(b, ecosystem, name)
}
