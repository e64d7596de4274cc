package pkg

import (
	"sort"
	"strings"

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

// ModuleStream returns "name:stream" from an RPM MODULARITYLABEL
// ("nodejs:18:9010020221208062207:rhel9"), or "" when there is none.
func ModuleStream(label string) string {
	name, rest, ok := strings.Cut(label, ":")
	if !ok || name == "" {
		return ""
	}
	stream, _, _ := strings.Cut(rest, ":")
	if stream == "" {
		return ""
	}
	return name + ":" + stream
}

// RPMModule returns the module stream of an rpm package: Module, or for a
// package recorded before that field existed, the "rpmmod" qualifier of
// its package URL.
func (p *Package) RPMModule() string {
	if p.Module != "" || p.Type != TypeRPM || !strings.Contains(p.PURL, "rpmmod=") {
		return p.Module
	}
	u, err := packageurl.FromString(p.PURL)
	if err != nil {
		return ""
	}
	return ModuleStream(u.Qualifiers.Map()["rpmmod"])
}
