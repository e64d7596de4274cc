package match

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/drydock/drydock/internal/pkg"
)

// notLinked returns the packages a vulnerability's Go advisories say it
// is in, when the Go binary p was found in links code of none of them
// (p.GoPackages, the module's packages with code in the binary): the
// vulnerable code is not in the binary, whatever the module's version.
// It returns nil, and the finding stands, when that is not known: p is no
// module of a binary whose packages were read, or none of the advisories
// names packages (the Go vulnerability database's ecosystem_specific
// "imports"; a GHSA record of the same vulnerability names none and does
// not count), or one names a package that is linked.
func notLinked(p *pkg.Package, g []hit) []string {
	if p.Type != pkg.TypeGoModule || len(p.GoPackages) == 0 {
		return nil
	}
	var paths []string
	for _, h := range g {
		if h.v.Index < 0 || h.v.Index >= len(h.e.Affected) {
			continue
		}
		var spec struct {
			Imports []struct {
				Path string `json:"path"`
			} `json:"imports"`
		}
		raw := h.e.Affected[h.v.Index].EcosystemSpecific
		if len(raw) == 0 || json.Unmarshal(raw, &spec) != nil {
			continue
		}
		for _, im := range spec.Imports {
			if im.Path == "" {
				continue
			}
			if _, linked := slices.BinarySearch(p.GoPackages, im.Path); linked {
				return nil
			}
			if !slices.Contains(paths, im.Path) {
				paths = append(paths, im.Path)
			}
		}
	}
	slices.Sort(paths)
	return paths
}

// notLinkedReason says why a finding of p is exempted, naming paths.
func notLinkedReason(p *pkg.Package, paths []string) string {
	what := "package " + paths[0]
	if len(paths) > 1 {
		what = "packages " + strings.Join(paths[:len(paths)-1], ", ") + " and " + paths[len(paths)-1]
	}
	return fmt.Sprintf("%s links no code of %s, where the vulnerability is", p.Path, what)
}
