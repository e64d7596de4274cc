package match

import (
	"errors"
	"fmt"
	"slices"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/version"
	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// Evaluate judges whether version v of package (ecosystem, name) is
// affected by adv, following the OSV schema's evaluation
// (https://ossf.github.io/osv-schema/#evaluation) over every affected[]
// entry naming the package:
//
//   - a version listed in versions[] is affected;
//   - ECOSYSTEM ranges are ordered with the ecosystem's scheme, SEMVER
//     ranges with SemVer (the ecosystem's scheme where it orders SemVer
//     strings the same way, as for Go and npm); GIT ranges name commits
//     and never match a version;
//   - an entry with neither ranges nor versions affects every version.
//
// For an affected version, Fixed is the lowest fixed event above v among
// the ranges that contain it (FixAvailable); a range with no such event
// (only introduced, or a last_affected bound) means no fix is published
// (NoFixAvailable). A version matched only by versions[] takes the lowest
// fixed event above it from the entry's ranges, else the status is
// Unknown.
//
// Unparseable versions are errors, never "not affected": when no range
// says affected and one could not be evaluated, Evaluate returns the
// error.
func Evaluate(adv *osv.Entry, ecosystem, name, v string) (Verdict, error) {
	out := Verdict{Index: -1}
	if adv.IsWithdrawn() {
		return out, nil
	}
	scheme, err := version.SchemeFor(ecosystem)
	if err != nil {
		return out, fmt.Errorf("match: %s: %w", adv.ID, err)
	}
	var errs []error
	var fixes []string
	listed, inRange, noFix := false, false, false
	for i := range adv.Affected {
		a := &adv.Affected[i]
		if !vulndb.SamePackage(a.Package, ecosystem, name) || a.GitOnly() {
			continue
		}
		if len(a.Ranges) == 0 && len(a.Versions) == 0 {
			inRange, noFix = true, true
			out.Index = pick(out.Index, i)
			continue
		}
		if slices.Contains(a.Versions, v) {
			listed = true
			out.Index = pick(out.Index, i)
		}
		for _, r := range a.Ranges {
			sch := scheme
			switch r.Type {
			case osv.RangeEcosystem:
			case osv.RangeSemver:
				if scheme != version.Go && scheme != version.SemVer {
					sch = version.SemVer
				}
			default:
				continue
			}
			events := toEvents(r.Events)
			ok, err := version.Affected(sch, v, events)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !ok {
				continue
			}
			inRange = true
			out.Index = pick(out.Index, i)
			f, err := lowestFixedAbove(sch, v, events)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if f == "" {
				noFix = true
			} else {
				fixes = append(fixes, f)
			}
		}
	}
	switch {
	case inRange:
		out.Affected = true
		if f, err := lowest(scheme, fixes); err == nil && f != "" {
			out.Fixed, out.Status = f, finding.FixAvailable
		} else if noFix {
			out.Status = finding.NoFixAvailable
		}
		return out, nil
	case listed:
		out.Affected = true
		out.Status = finding.FixStatusUnknown
		if f := fixedAboveInEntries(adv, scheme, ecosystem, name, v); f != "" {
			out.Fixed, out.Status = f, finding.FixAvailable
		}
		return out, nil
	case len(errs) > 0:
		return out, fmt.Errorf("match: %s: %w", adv.ID, errors.Join(errs...))
	}
	return out, nil
}

func pick(cur, i int) int {
	if cur < 0 {
		return i
	}
	return cur
}

func toEvents(evs []osv.Event) []version.Event {
	out := make([]version.Event, len(evs))
	for i, e := range evs {
		out[i] = version.Event{Introduced: e.Introduced, Fixed: e.Fixed, LastAffected: e.LastAffected, Limit: e.Limit}
	}
	return out
}

// lowestFixedAbove returns the lowest fixed event above v.
func lowestFixedAbove(scheme version.Ecosystem, v string, events []version.Event) (string, error) {
	cur, err := version.Parse(scheme, v)
	if err != nil {
		return "", err
	}
	var best version.Version
	for _, e := range events {
		if e.Fixed == "" {
			continue
		}
		f, err := version.Parse(scheme, e.Fixed)
		if err != nil {
			return "", err
		}
		if c, err := f.Compare(cur); err != nil || c <= 0 {
			continue
		}
		if best == nil {
			best = f
		} else if c, err := f.Compare(best); err == nil && c < 0 {
			best = f
		}
	}
	if best == nil {
		return "", nil
	}
	return best.String(), nil
}

// lowest returns the lowest of versions (all valid in scheme).
func lowest(scheme version.Ecosystem, vs []string) (string, error) {
	best := ""
	for _, v := range vs {
		if best == "" {
			best = v
			continue
		}
		c, err := version.Compare(scheme, v, best)
		if err != nil {
			return "", err
		}
		if c < 0 {
			best = v
		}
	}
	return best, nil
}

// fixedAboveInEntries returns the lowest fixed event above v in any range
// of the entries naming the package, ignoring ranges that do not parse.
func fixedAboveInEntries(adv *osv.Entry, scheme version.Ecosystem, ecosystem, name, v string) string {
	var fixes []string
	for i := range adv.Affected {
		a := &adv.Affected[i]
		if !vulndb.SamePackage(a.Package, ecosystem, name) {
			continue
		}
		for _, r := range a.Ranges {
			if r.Type != osv.RangeEcosystem && r.Type != osv.RangeSemver {
				continue
			}
			sch := scheme
			if r.Type == osv.RangeSemver && scheme != version.Go && scheme != version.SemVer {
				sch = version.SemVer
			}
			if f, err := lowestFixedAbove(sch, v, toEvents(r.Events)); err == nil && f != "" {
				fixes = append(fixes, f)
			}
		}
	}
	f, err := lowest(scheme, fixes)
	if err != nil {
		return ""
	}
	return f
}
