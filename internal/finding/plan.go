package finding

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// CompareFunc compares two versions of a package of the given type
// (Package.Type: "apk", "deb", "npm", ...) and returns -1, 0 or +1 as a is
// lower than, equal to or higher than b. It returns an error when either
// version cannot be parsed or the type is not supported. The version
// package's parsers adapt to it in a few lines.
type CompareFunc func(pkgType, a, b string) (int, error)

// RemediationPlan is the image-level advice: the upgrades to make, in order,
// and what they fix.
type RemediationPlan struct {
	// Upgrades are ordered so that the first k of them fix the most
	// findings any k upgrades can fix.
	Upgrades []Upgrade `json:"upgrades"`
	// Unfixable counts active findings no upgrade fixes (no fixed version).
	Unfixable int `json:"unfixable"`
	// BaseImageHint is set when the OS release is end-of-life.
	BaseImageHint string `json:"baseImageHint,omitempty"`
}

// Upgrade is one step of a plan: upgrade one (source) package to one
// version.
type Upgrade struct {
	// Package is the unit to upgrade: the source package for distro
	// packages, else the package name.
	Package string `json:"package"`
	// Type is the package type (apk, deb, npm, ...).
	Type string `json:"type"`
	// InstalledVersion is the version installed now (source version for
	// distro packages).
	InstalledVersion string `json:"installedVersion"`
	// UpgradeTo is the highest fixed version among the findings fixed, so
	// the one version that fixes them all.
	UpgradeTo string `json:"upgradeTo"`
	// Packages are the installed package names this upgrade touches
	// (binary packages of the source package), sorted.
	Packages []string `json:"packages"`
	// Paths are where the packages to upgrade are, sorted: the binaries,
	// lockfiles, manifests or archives a language package was found in
	// (which binary to rebuild, which lockfile to update). Empty for
	// distribution packages, whose path is only the package database.
	Paths []string `json:"paths,omitempty"`
	// Fixes are the distinct advisory ids fixed, sorted.
	Fixes []string `json:"fixes"`
	// Count is the number of findings fixed (advisory x installed package).
	Count int `json:"count"`
	// Severity is the highest severity among the findings fixed.
	Severity Severity `json:"severity"`
	// Remediation is the step as one sentence.
	Remediation string `json:"remediation"`
}

// ErrNoCompare is returned by [Plan] when it must order two versions and
// was given no [CompareFunc].
var ErrNoCompare = errors.New("no version comparison given")

type upgradeKey struct{ typ, name, version string }

// Plan computes the fewest package upgrades that fix the most findings.
//
// Only active findings with a fixed version take part. They are grouped by
// the unit one upgrades: package type, source package name and installed
// source version (see [Package.Source]), so the binary packages built from
// one source package (libssl and libcrypto from openssl) are one upgrade.
// Each group needs one upgrade, to the highest fixed version among its
// findings, which fixes all of them; versions are ordered with compare. The
// findings of different groups are disjoint, so ranking the groups by the
// number of findings they fix (then by highest severity, then by name)
// makes every prefix of the list optimal: no k upgrades fix more findings
// than the first k. Active findings without a fixed version are counted in
// Unfixable.
//
// Plan returns an error, naming the package, when compare cannot order two
// fixed versions. It does not modify findings.
func Plan(findings []Finding, compare CompareFunc) (*RemediationPlan, error) {
	plan := &RemediationPlan{Upgrades: []Upgrade{}}
	groups := map[upgradeKey]*Upgrade{}
	var order []upgradeKey
	for i := range findings {
		f := &findings[i]
		if !f.Active() {
			continue
		}
		if !f.Fixable() {
			plan.Unfixable++
			continue
		}
		name, version := f.Package.Source()
		k := upgradeKey{f.Package.Type, name, version}
		u, ok := groups[k]
		if !ok {
			u = &Upgrade{Package: name, Type: k.typ, InstalledVersion: version, UpgradeTo: f.FixedVersion}
			groups[k] = u
			order = append(order, k)
		} else if f.FixedVersion != u.UpgradeTo {
			if compare == nil {
				return nil, fmt.Errorf("finding: plan upgrade of %s %s: %w", k.typ, name, ErrNoCompare)
			}
			c, err := compare(k.typ, f.FixedVersion, u.UpgradeTo)
			if err != nil {
				return nil, fmt.Errorf("finding: plan upgrade of %s %s: %w", k.typ, name, err)
			}
			if c > 0 {
				u.UpgradeTo = f.FixedVersion
			}
		}
		u.Count++
		u.Severity = max(u.Severity, f.Severity)
		if !slices.Contains(u.Packages, f.Package.Name) {
			u.Packages = append(u.Packages, f.Package.Name)
		}
		if !slices.Contains(u.Fixes, f.ID) {
			u.Fixes = append(u.Fixes, f.ID)
		}
		if p := f.Package.Path; p != "" && !distro(k.typ) && !slices.Contains(u.Paths, p) {
			u.Paths = append(u.Paths, p)
		}
	}
	for _, k := range order {
		u := groups[k]
		slices.Sort(u.Paths)
		slices.Sort(u.Packages)
		slices.Sort(u.Fixes)
		u.Remediation = u.sentence()
		plan.Upgrades = append(plan.Upgrades, *u)
	}
	slices.SortStableFunc(plan.Upgrades, func(a, b Upgrade) int {
		return cmp.Or(
			-cmp.Compare(a.Count, b.Count),
			-cmp.Compare(a.Severity, b.Severity),
			strings.Compare(a.Package, b.Package),
			strings.Compare(a.Type, b.Type),
			strings.Compare(a.InstalledVersion, b.InstalledVersion),
		)
	})
	return plan, nil
}

// sentence renders the upgrade as one sentence, e.g. "Upgrade openssl from
// 1.0.2j-r0 to 1.0.2q-r0 (packages libcrypto1.0, libssl1.0; fixes 26
// findings of 13 advisories)."
func (u *Upgrade) sentence() string {
	var detail []string
	if len(u.Packages) > 1 || (len(u.Packages) == 1 && u.Packages[0] != u.Package) {
		detail = append(detail, "packages "+strings.Join(u.Packages, ", "))
	}
	if len(u.Paths) > 0 {
		in := u.Paths[:min(len(u.Paths), maxSentencePaths)]
		s := "in " + strings.Join(in, ", ")
		if n := len(u.Paths) - len(in); n > 0 {
			s += fmt.Sprintf(" and %d more", n)
		}
		detail = append(detail, s)
	}
	fixes := plural(u.Count, "finding")
	if len(u.Fixes) != u.Count {
		fixes += " of " + plural(len(u.Fixes), "advisory")
	}
	detail = append(detail, "fixes "+fixes)
	if u.Type == "go-module" && u.Package == "stdlib" {
		return fmt.Sprintf("Rebuild the binaries built with Go %s using Go %s or later (%s).", u.InstalledVersion, u.UpgradeTo, strings.Join(detail, "; "))
	}
	return fmt.Sprintf("Upgrade %s from %s to %s (%s).", u.Package, u.InstalledVersion, u.UpgradeTo, strings.Join(detail, "; "))
}

// maxSentencePaths is how many paths a step's sentence names; Paths has
// them all.
const maxSentencePaths = 3

// distro reports whether typ is a distribution's package type (as
// pkg.Type.IsOS; this package imports nothing of drydock's).
func distro(typ string) bool {
	switch typ {
	case "apk", "deb", "rpm":
		return true
	}
	return false
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
