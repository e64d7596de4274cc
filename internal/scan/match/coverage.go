package match

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/pkg"
)

// ecosystemDB is implemented by databases that know which ecosystems they
// hold advisories for (*vulndb.DB). Others are taken to hold them all.
type ecosystemDB interface {
	HasEcosystem(ecosystem string) bool
}

// Unchecked returns the packages of pkgs that [Match] cannot have judged,
// grouped by ecosystem, type and reason, sorted:
//
//   - OS packages of a release drydock does not identify (no os-release,
//     a distribution or release without advisory data in the OSV format);
//   - packages whose ecosystem db holds no advisory at all for (a release
//     newer than the database, a database built without that feed);
//   - packages no matcher handles, or that give no query (no name).
//
// A language package an OS package installed (pkg.Package.OwnedBy) is
// matched through its owner, and is unchecked when its owner is.
//
// A package of a covered ecosystem that no advisory names is checked: it
// is simply not affected by anything known.
func Unchecked(db DB, pkgs []pkg.Package, opts Options) []finding.Unchecked {
	ms := opts.Matchers
	if ms == nil {
		ms = All()
	}
	edb, _ := db.(ecosystemDB)
	covered := map[string]bool{}
	has := func(eco string) bool {
		if edb == nil {
			return true
		}
		v, ok := covered[eco]
		if !ok {
			v = edb.HasEcosystem(eco)
			covered[eco] = v
		}
		return v
	}
	owners := map[string]*pkg.Package{}
	for i := range pkgs {
		if p := &pkgs[i]; p.Type.IsOS() && owners[p.Name] == nil {
			owners[p.Name] = p
		}
	}
	count := map[uncheckedGroup]int{}
	for i := range pkgs {
		p := &pkgs[i]
		q := p
		if p.OwnedBy != "" && matcherFor(ms, p) == nil {
			// Matched through the OS package that installed it.
			if q = owners[p.OwnedBy]; q == nil {
				continue
			}
		}
		if g, ok := uncheckedAs(ms, q, has); ok {
			g.typ = string(p.Type)
			count[g]++
		}
	}
	if len(count) == 0 {
		return nil
	}
	out := make([]finding.Unchecked, 0, len(count))
	for k, n := range count {
		out = append(out, finding.Unchecked{Ecosystem: k.eco, Type: k.typ, Packages: n, Reason: k.reason})
	}
	slices.SortFunc(out, func(a, b finding.Unchecked) int {
		return cmp.Or(cmp.Compare(a.Ecosystem, b.Ecosystem), cmp.Compare(a.Type, b.Type), cmp.Compare(a.Reason, b.Reason))
	})
	return out
}

// uncheckedGroup is a group of [Unchecked]'s result.
type uncheckedGroup struct{ eco, typ, reason string }

// uncheckedAs returns the group of p when it cannot be matched, or false
// when it can.
func uncheckedAs(ms []Matcher, p *pkg.Package, has func(string) bool) (uncheckedGroup, bool) {
	typ := string(p.Type)
	k := func(eco, reason string) (uncheckedGroup, bool) { return uncheckedGroup{eco, typ, reason}, true }
	m := matcherFor(ms, p)
	if m == nil {
		return k("", fmt.Sprintf("drydock does not match %s packages against advisories", typ))
	}
	qs := m.Queries(p)
	if len(qs) == 0 {
		switch {
		case !p.Type.IsOS():
			return k("", "the package has no name to look up")
		case p.Distro == nil || p.Distro.ID == "":
			return k("", "the image's OS release was not identified (no readable os-release file)")
		case ReleaseOf(p.Distro).Type != "" && ReleaseOf(p.Distro).Type != p.Type:
			return k("", fmt.Sprintf("%s packages are not the package format of %s, whose advisories they would be matched against", typ, p.Distro))
		default:
			return k("", fmt.Sprintf("there is no advisory data for the OS release %s", distroName(p.Distro)))
		}
	}
	for _, q := range qs {
		if has(q.Ecosystem) {
			return uncheckedGroup{}, false
		}
	}
	return k(qs[0].Ecosystem, fmt.Sprintf("the advisory database has no advisories for %s", qs[0].Ecosystem))
}

// distroName names a release for a person: "debian 14", or "debian
// (release not given)".
func distroName(d *pkg.Distro) string {
	if d.VersionID == "" && d.Codename == "" {
		return d.ID + " (release not given)"
	}
	if d.VersionID == "" {
		return d.ID + " " + d.Codename
	}
	return d.String()
}
