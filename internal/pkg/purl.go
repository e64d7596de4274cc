package pkg

import (
	"sort"

	"github.com/package-url/packageurl-go"
)

// PURL builds a package URL string. Empty qualifier values are left out and
// qualifiers are sorted, as the purl spec's canonical form asks.
func PURL(typ, namespace, name, version string, qualifiers map[string]string) string {
	var qs packageurl.Qualifiers
	for k, v := range qualifiers {
		if v != "" {
			qs = append(qs, packageurl.Qualifier{Key: k, Value: v})
		}
	}
	sort.Slice(qs, func(i, j int) bool { return qs[i].Key < qs[j].Key })
	return packageurl.NewPackageURL(typ, namespace, name, version, qs, "").ToString()
}
