package match

import (
	"context"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// Language matches the packages of one language ecosystem against the
// advisories of its OSV ecosystem (Go, npm, PyPI, Maven, crates.io,
// RubyGems, NuGet, Packagist), by package name as the ecosystem spells
// it (Maven "group:artifact", Go module paths and "stdlib") and installed
// version. Names are compared as the registry does (PyPI's PEP 503
// normalization, for one); see [vulndb.NormalizeName].
type Language struct {
	// Type is the package type handled.
	Type pkg.Type
	// Ecosystem is the OSV ecosystem of its advisories.
	Ecosystem string
}

var _ Matcher = Language{}

// Name implements [Matcher]: "lang/" and the package type.
func (l Language) Name() string { return "lang/" + string(l.Type) }

// Handles implements [Matcher].
//
// A package an OS package owns ([pkg.Package.OwnedBy]) is not handled: the
// distribution's advisories, matched through the owner, are the right ones.
func (l Language) Handles(p *pkg.Package) bool { return p.Type == l.Type && p.OwnedBy == "" }

// Queries implements [Matcher].
func (l Language) Queries(p *pkg.Package) []Query {
	if p.Name == "" {
		return nil
	}
	return []Query{{Ecosystem: l.Ecosystem, Name: p.Name, Version: p.Version}}
}

// Affected implements [Matcher].
func (l Language) Affected(_ context.Context, p *pkg.Package, adv *osv.Entry) (Verdict, error) {
	return Evaluate(adv, l.Ecosystem, p.Name, p.Version)
}
