package match

import (
	"context"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// Matcher decides which advisories affect the packages of one ecosystem
// family. The core asks the database for the advisories filed under the
// matcher's queries; the matcher only judges each one.
type Matcher interface {
	// Name identifies the matcher ("os/alpine", "lang/npm"); stable and
	// unique.
	Name() string
	// Handles reports whether the matcher is responsible for p. Exactly
	// one matcher of a list handles a package; the first one wins.
	Handles(p *pkg.Package) bool
	// Queries returns the (ecosystem, name) keys under which the database
	// files advisories about p: for OS packages the distribution release's
	// ecosystem and the source package name, for language packages the
	// OSV ecosystem and the package name. None means no data can exist
	// for p (an OS package of an unknown release).
	Queries(p *pkg.Package) []Query
	// Affected judges adv for p. It returns an error, never a verdict of
	// "not affected", when the installed version or the advisory's
	// versions cannot be parsed; the core then reports the finding with
	// an unknown fix status rather than dropping it.
	Affected(ctx context.Context, p *pkg.Package, adv *osv.Entry) (Verdict, error)
}

// Query is one advisory database lookup key.
type Query struct {
	// Ecosystem is the exact OSV ecosystem string ("Alpine:v3.4",
	// "Debian:12", "npm").
	Ecosystem string
	// Name is the package name as advisories spell it.
	Name string
	// Version is the version to judge: the source package's for distro
	// advisories keyed on source packages, else the installed one.
	Version string
}

// Verdict is a matcher's judgement of one advisory for one package.
type Verdict struct {
	// Affected is true when the installed version is affected.
	Affected bool
	// Fixed is the lowest fixed version above the installed one, in the
	// advisory's terms (the source version for distro packages); empty
	// when none is known.
	Fixed string
	// Status says whether a fix exists.
	Status finding.FixStatus
	// Index is the affected[] entry of the advisory that decided (for the
	// severity policy); -1 when none did.
	Index int
}

// DB is the part of the advisory database matching reads;
// *vulndb.DB implements it.
type DB interface {
	// Lookup returns the advisories naming (ecosystem, name), withdrawn
	// ones excluded; see [vulndb.DB.Lookup].
	Lookup(ecosystem, name string) ([]*osv.Entry, error)
	// Rate applies the database's severity policy; see [vulndb.DB.Rate].
	Rate(e *osv.Entry, a *osv.Affected) (vulndb.Rating, error)
	// Enrichment returns NVD, KEV and EPSS data for a CVE, or nil.
	Enrichment(cve string) (*vulndb.Enrichment, error)
}

var _ DB = (*vulndb.DB)(nil)

// All returns every matcher: distribution packages first, then one per
// language ecosystem. It is the explicit list; a test checks that every
// package type has a matcher.
func All() []Matcher {
	return []Matcher{
		Distro{},
		Language{Type: pkg.TypeGoModule, Ecosystem: "Go"},
		Language{Type: pkg.TypeNPM, Ecosystem: "npm"},
		Language{Type: pkg.TypePyPI, Ecosystem: "PyPI"},
		Language{Type: pkg.TypeMaven, Ecosystem: "Maven"},
		Language{Type: pkg.TypeCargo, Ecosystem: "crates.io"},
		Language{Type: pkg.TypeGem, Ecosystem: "RubyGems"},
		Language{Type: pkg.TypeNuGet, Ecosystem: "NuGet"},
		Language{Type: pkg.TypeComposer, Ecosystem: "Packagist"},
	}
}
