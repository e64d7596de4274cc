package match

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// GoScan is how closely the findings of a Go binary's modules are judged,
// named as govulncheck names its -scan levels (it decides by call graph
// where drydock decides by presence):
//   - GoScanSymbol: an advisory is exempted when the binary has code of
//     none of the packages it names or, of those it has, none of the
//     functions it names;
//   - GoScanPackage: only when it has code of none of the packages;
//   - GoScanModule: never; every advisory of the module's version stands,
//     as other scanners report them.
type GoScan string

const (
	GoScanSymbol  GoScan = "symbol"
	GoScanPackage GoScan = "package"
	GoScanModule  GoScan = "module"
)

// GoScans are the levels, closest first.
var GoScans = []GoScan{GoScanSymbol, GoScanPackage, GoScanModule}

// ParseGoScan returns the level s names; empty is GoScanSymbol.
func ParseGoScan(s string) (GoScan, error) {
	if s == "" {
		return GoScanSymbol, nil
	}
	if g := GoScan(s); slices.Contains(GoScans, g) {
		return g, nil
	}
	return "", fmt.Errorf("go scan level %q: want symbol, package or module", s)
}

// absent is what a vulnerability's Go advisories name that a binary has
// no code of: packages it links nothing of, and functions of linked
// packages (path.Symbol) it does not contain.
type absent struct{ pkgs, funcs []string }

// notLinked says what of a vulnerability the Go binary p was found in has
// no code of, when that is all of it: every package the Go vulnerability
// database names for it (ecosystem_specific.imports) is either not linked
// (p.GoPackages: the module's packages with code in the binary) or linked
// without any of the functions named for it (symbols; none named means
// the whole package). The vulnerable code is then not in the binary,
// whatever the module's version. It returns nil, and the finding stands,
// when that is not known: p is no module of a binary whose packages were
// read, or no advisory names packages (a GHSA record of the same
// vulnerability names none and does not count), or any named package or
// function is there (a function set can only say "maybe there" wrongly,
// which keeps the finding). level limits what counts (see [GoScan]).
func notLinked(p *pkg.Package, g []hit, specs goSpecs, level GoScan) *absent {
	if p.Type != pkg.TypeGoModule || len(p.GoPackages) == 0 || level == GoScanModule {
		return nil
	}
	var out absent
	for _, h := range g {
		if h.v.Index < 0 || h.v.Index >= len(h.e.Affected) {
			continue
		}
		for _, im := range specs.imports(h.e, h.v.Index) {
			if im.Path == "" {
				continue
			}
			gp := pkg.FindGoPackage(p.GoPackages, im.Path)
			switch {
			case gp == nil:
				if !slices.Contains(out.pkgs, im.Path) {
					out.pkgs = append(out.pkgs, im.Path)
				}
				continue
			case len(im.Symbols) == 0 || gp.Functions == nil || level == GoScanPackage:
				return nil // the package is there, and so may be the vulnerability
			}
			for _, sym := range im.Symbols {
				if gp.Functions.Has(sym) {
					return nil
				}
				if f := im.Path + "." + sym; !slices.Contains(out.funcs, f) {
					out.funcs = append(out.funcs, f)
				}
			}
		}
	}
	if out.pkgs == nil && out.funcs == nil {
		return nil
	}
	slices.Sort(out.pkgs)
	slices.Sort(out.funcs)
	return &out
}

// goImport is a package the Go vulnerability database says a
// vulnerability is in, with the vulnerable functions.
type goImport struct {
	Path    string   `json:"path"`
	Symbols []string `json:"symbols"`
}

// goSpecs caches the packages of affected entries (the same advisory is
// judged for the same module in each binary).
type goSpecs map[*osv.Affected][]goImport

func (c goSpecs) imports(e *osv.Entry, i int) []goImport {
	a := &e.Affected[i]
	if ims, ok := c[a]; ok {
		return ims
	}
	var spec struct {
		Imports []goImport `json:"imports"`
	}
	if len(a.EcosystemSpecific) > 0 && json.Unmarshal(a.EcosystemSpecific, &spec) != nil {
		spec.Imports = nil
	}
	c[a] = spec.Imports
	return spec.Imports
}

// maxReasonFuncs is how many functions an exemption's reason names.
const maxReasonFuncs = 4

// reason says why a finding of p is exempted.
func (a *absent) reason(p *pkg.Package) string {
	var parts []string
	switch len(a.pkgs) {
	case 0:
	case 1:
		parts = append(parts, "links no code of package "+a.pkgs[0])
	default:
		parts = append(parts, "links no code of packages "+strings.Join(a.pkgs[:len(a.pkgs)-1], ", ")+" and "+a.pkgs[len(a.pkgs)-1])
	}
	if n := len(a.funcs); n > 0 {
		shown := a.funcs[:min(n, maxReasonFuncs)]
		s := "has none of the vulnerable functions " + strings.Join(shown, ", ")
		if n > len(shown) {
			s += fmt.Sprintf(" and %d more", n-len(shown))
		}
		if n == 1 {
			s = "has no code of the vulnerable function " + shown[0]
		}
		parts = append(parts, s)
	}
	return p.Path + " " + strings.Join(parts, " and ")
}
