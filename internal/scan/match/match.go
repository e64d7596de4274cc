package match

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// Revision identifies the matching rules: version comparison (package
// version), range evaluation, the releases and ecosystems packages are
// matched against. Bump it with any change that alters which advisories
// affect which package version: drydock serve records it at start and,
// when it changed, matches every stored image again (without reading
// layers), as it does when the advisory database changes.
//
//	1: the rules up to 2026-11-28
//	2: Maven qualifier lists ordered as Maven master (2.2.11.Final-redhat-00001 > 2.2.11.Final)
//	3: Go advisories about packages or functions a binary has no code of are exempted (see notLinked)
const Revision = 3

// Options tune [Match].
type Options struct {
	// Matchers are tried in order for each package; nil means [All].
	Matchers []Matcher
	// Logger receives diagnostics (advisories that could not be judged);
	// nil discards them.
	Logger *slog.Logger
	// GoScan is how closely Go binaries' findings are judged; empty means
	// [GoScanSymbol].
	GoScan GoScan
}

// hit is one advisory judged to affect a package.
type hit struct {
	e *osv.Entry
	v Verdict
}

// Match returns the findings of pkgs against db: one per package and
// vulnerability, where a vulnerability is a set of advisories linked by
// their ids, aliases and upstream ids (a CVE, its distribution records and
// its GHSA are one finding). Findings are sorted by package, then id.
//
// An advisory that cannot be judged (a version that does not parse) is
// reported with an unknown fix status, never dropped. Errors are returned
// only when the database cannot be read.
func Match(ctx context.Context, db DB, pkgs []pkg.Package, opts Options) ([]finding.Finding, error) {
	ms := opts.Matchers
	if ms == nil {
		ms = All()
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Packages built from one source (libssl, libcrypto) or copies of one
	// module in several binaries ask the same questions: judge once.
	cache := make(map[string][]hit)
	specs := goSpecs{}
	var out []finding.Finding
	for i := range pkgs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p := &pkgs[i]
		m := matcherFor(ms, p)
		if m == nil {
			continue
		}
		qs := m.Queries(p)
		if len(qs) == 0 {
			continue
		}
		key := m.Name() + "\x00" + p.Name + "\x00" + p.Version + "\x00" + fmt.Sprint(qs)
		hits, ok := cache[key]
		if !ok {
			var err error
			if hits, err = judge(ctx, db, m, p, qs, log); err != nil {
				return nil, err
			}
			cache[key] = hits
		}
		start := len(out)
		for _, g := range groups(hits, p.Type) {
			f, err := build(db, p, g)
			if err != nil {
				return nil, err
			}
			if a := notLinked(p, g, specs, opts.GoScan); a != nil {
				f.Exempted = true
				f.Exemption = &finding.Exemption{Source: finding.ExemptionNotLinked, Reason: a.reason(p)}
			}
			out = append(out, f)
		}
		slices.SortFunc(out[start:], func(a, b finding.Finding) int { return strings.Compare(a.ID, b.ID) })
	}
	return out, nil
}

func matcherFor(ms []Matcher, p *pkg.Package) Matcher {
	for _, m := range ms {
		if m.Handles(p) {
			return m
		}
	}
	return nil
}

// judge looks up and judges every advisory the queries name.
func judge(ctx context.Context, db DB, m Matcher, p *pkg.Package, qs []Query, log *slog.Logger) ([]hit, error) {
	if cdb, ok := db.(candidateDB); ok {
		return judgeCandidates(ctx, cdb, m, p, qs, log)
	}
	seen := make(map[string]bool)
	var hits []hit
	for _, q := range qs {
		entries, err := db.Lookup(q.Ecosystem, q.Name)
		if err != nil {
			return nil, fmt.Errorf("match: lookup %s/%s: %w", q.Ecosystem, q.Name, err)
		}
		for _, e := range entries {
			if seen[e.ID] || e.IsWithdrawn() {
				continue
			}
			seen[e.ID] = true
			v, err := m.Affected(ctx, p, e)
			if err != nil {
				log.WarnContext(ctx, "advisory not judged; reported with unknown fix status",
					"advisory", e.ID, "ecosystem", q.Ecosystem, "package", q.Name, "version", q.Version, "err", err)
				v = Verdict{Affected: true, Status: finding.FixStatusUnknown, Index: -1}
			}
			if v.Affected {
				hits = append(hits, hit{e: e, v: v})
			}
		}
	}
	return hits, nil
}

// groups partitions hits into vulnerabilities (advisories sharing an id
// or alias), each sorted by preference (see rank).
func groups(hits []hit, t pkg.Type) [][]hit {
	parent := make([]int, len(hits))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := make(map[string]int)
	for i, h := range hits {
		for _, id := range ids(h.e) {
			if j, ok := owner[id]; ok {
				parent[find(i)] = find(j)
			} else {
				owner[id] = i
			}
		}
	}
	byRoot := make(map[int][]hit)
	var roots []int
	for i, h := range hits {
		r := find(i)
		if _, ok := byRoot[r]; !ok {
			roots = append(roots, r)
		}
		byRoot[r] = append(byRoot[r], h)
	}
	out := make([][]hit, 0, len(roots))
	for _, r := range roots {
		g := byRoot[r]
		slices.SortFunc(g, func(a, b hit) int {
			return cmp.Or(cmp.Compare(rank(t, a.e.ID), rank(t, b.e.ID)), strings.Compare(a.e.ID, b.e.ID))
		})
		out = append(out, g)
	}
	return out
}

// ids returns every identifier of e: its id, aliases and upstream ids.
func ids(e *osv.Entry) []string {
	out := make([]string, 0, 1+len(e.Aliases)+len(e.Upstream))
	out = append(out, e.ID)
	out = append(out, e.Aliases...)
	return append(out, e.Upstream...)
}

// nativePrefix is the id prefix of each language ecosystem's own
// database, preferred as a finding's id.
var nativePrefix = map[pkg.Type]string{
	pkg.TypeGoModule: "GO-",
	pkg.TypePyPI:     "PYSEC-",
	pkg.TypeCargo:    "RUSTSEC-",
}

// rank orders the advisories of one vulnerability: for OS packages the
// distribution's CVE records first; for language packages the
// ecosystem's own database, then GitHub's, then others, CVE records last.
func rank(t pkg.Type, id string) int {
	if t.IsOS() {
		if osv.IsCVE(cveOf(id)) {
			return 0
		}
		return 1
	}
	switch {
	case nativePrefix[t] != "" && strings.HasPrefix(id, nativePrefix[t]):
		return 0
	case strings.HasPrefix(id, "GHSA-"):
		return 1
	case osv.IsCVE(id):
		return 3
	}
	return 2
}

// cveOf returns the CVE a distribution record wraps ("ALPINE-CVE-2017-3738"
// and "DEBIAN-CVE-..." name CVE-2017-3738 ...), or id itself.
func cveOf(id string) string {
	if i := strings.Index(id, "-CVE-"); i > 0 && osv.IsCVE(id[i+1:]) {
		return id[i+1:]
	}
	return id
}

// build makes the finding of package p for vulnerability g (sorted by
// preference).
func build(db DB, p *pkg.Package, g []hit) (finding.Finding, error) {
	primary := g[0]
	f := finding.Finding{
		ID:      cveOf(primary.e.ID),
		Package: Package(p),
		Layer:   string(p.LayerDigest),
	}
	// The fix: the first advisory (by preference) naming a fixed version,
	// else the first one saying there is none.
	v := primary.v
	for _, h := range g {
		if h.v.Status == finding.FixAvailable && h.v.Fixed != "" {
			v = h.v
			break
		}
	}
	if v.Status != finding.FixAvailable {
		for _, h := range g {
			if h.v.Status == finding.NoFixAvailable || h.v.Status == finding.WontFix {
				v = h.v
				break
			}
		}
	}
	f.FixedVersion, f.FixStatus = v.Fixed, v.Status

	aliases := make(map[string]bool)
	var cves []string
	for _, h := range g {
		for _, id := range ids(h.e) {
			aliases[id] = true
		}
		if f.Title == "" {
			f.Title = h.e.Summary
		}
		if f.Description == "" {
			f.Description = h.e.Details
		}
		if f.PublishedAt.IsZero() && h.e.Published.Year() > 1970 {
			f.PublishedAt = h.e.Published
		}
		for _, r := range h.e.References {
			if r.URL != "" && !slices.Contains(f.References, r.URL) {
				f.References = append(f.References, r.URL)
			}
		}
		cves = append(cves, h.e.CVEs()...)
	}
	delete(aliases, f.ID)
	f.Aliases = make([]string, 0, len(aliases))
	for id := range aliases {
		f.Aliases = append(f.Aliases, id)
	}
	slices.Sort(f.Aliases)
	if f.References == nil {
		f.References = []string{}
	}

	// Severity: the first advisory (by preference) the policy can rate.
	for _, h := range g {
		var a *osv.Affected
		if h.v.Index >= 0 && h.v.Index < len(h.e.Affected) {
			a = &h.e.Affected[h.v.Index]
		}
		r, err := db.Rate(h.e, a)
		if err != nil {
			return f, fmt.Errorf("match: rate %s: %w", h.e.ID, err)
		}
		f.KEV = f.KEV || r.KEV
		if f.Severity != finding.Unknown || r.Level == vulndb.Unknown {
			continue
		}
		sev, err := finding.ParseSeverity(string(r.Level))
		if err != nil {
			continue
		}
		f.Severity, f.SeveritySource = sev, r.Source
		if r.CVSS != nil {
			f.CVSS = &finding.CVSS{Version: r.CVSS.Version, Score: r.CVSS.Score, Vector: r.CVSS.Vector}
		}
		if r.CVSS == nil || r.Raw != r.CVSS.Vector {
			f.RawSeverity = r.Raw
		}
	}

	// EPSS: the highest score among the vulnerability's CVEs.
	slices.Sort(cves)
	for _, c := range slices.Compact(cves) {
		en, err := db.Enrichment(c)
		if err != nil {
			return f, fmt.Errorf("match: enrichment %s: %w", c, err)
		}
		if en != nil && en.EPSS != nil && (f.EPSS == nil || en.EPSS.Score > f.EPSS.Score) {
			f.EPSS = &finding.EPSS{Score: en.EPSS.Score, Percentile: en.EPSS.Percentile}
		}
	}
	return f, nil
}

// Package converts an inventory package to its report form.
func Package(p *pkg.Package) finding.Package {
	fp := finding.Package{
		Name: p.Name, Version: p.Version, Type: string(p.Type), PURL: p.PURL, Arch: p.Arch,
		Layer: string(p.LayerDigest), Path: p.Path, OwnedBy: p.OwnedBy,
	}
	if p.SourceName != "" && p.SourceName != p.Name {
		fp.SourceName = p.SourceName
	}
	if p.SourceVersion != "" && p.SourceVersion != p.Version {
		fp.SourceVersion = p.SourceVersion
	}
	return fp
}
