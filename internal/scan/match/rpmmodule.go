package match

import (
	"strings"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// RPM modularity (RHEL 8 and later, and its rebuilds). A module stream
// ("nodejs:18", "php:8.1") ships packages under the same names as the
// release's default packages and as the module's other streams, so an
// advisory's range for "nodejs" may be about any one of them. The data
// says which by the build: a module build's release carries ".module"
// ("1:18.12.1-1.module_el9.1.0+16+91bc168f", "module+el8.6.0+..."), a
// default package's does not. The installed package says which by its
// MODULARITYLABEL (pkg.Package.Module).
//
// So, for an RPM package, a range applies only when both sides agree:
// ranges of module builds to packages from a module, the others to
// packages from none. Within a module, the data names no stream (the
// stream is only in an advisory's free-text summary), so a range of a
// module build applies to a stream that looks like a version ("18",
// "8.1") only when its versions are of that stream (18.12.1 is of "18",
// 20.5.1 is not): without it, every nodejs:18 package would be reported
// for each nodejs:20 advisory. Streams named otherwise ("rhel8", "2.0"
// for container-tools) apply to every module range.

// moduleView returns adv as it applies to the RPM package p: affected
// entries for p keep only the ranges that concern p's module or absence
// of one; an entry left with no range stops naming any package (its
// position is kept, for Verdict.Index). adv itself is returned when
// nothing is left out.
func moduleView(adv *osv.Entry, p *pkg.Package) *osv.Entry {
	module := p.RPMModule()
	var out *osv.Entry
	for i := range adv.Affected {
		a := &adv.Affected[i]
		if len(a.Ranges) == 0 {
			continue
		}
		keep := make([]osv.Range, 0, len(a.Ranges))
		for _, r := range a.Ranges {
			if rangeConcerns(r, module) {
				keep = append(keep, r)
			}
		}
		if len(keep) == len(a.Ranges) {
			continue
		}
		if out == nil {
			c := *adv
			c.Affected = append([]osv.Affected(nil), adv.Affected...)
			out = &c
		}
		na := &out.Affected[i]
		na.Ranges = keep
		if len(keep) == 0 && len(a.Versions) == 0 {
			// No range left and no version listed: the entry must not
			// read as "every version affected".
			na.Package = osv.Package{}
		}
	}
	if out == nil {
		return adv
	}
	return out
}

// rangeConcerns reports whether range r applies to a package of module
// stream module ("name:stream", empty for none).
func rangeConcerns(r osv.Range, module string) bool {
	modular := false
	var versions []string
	for _, e := range r.Events {
		for _, v := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
			if v == "" || v == "0" {
				continue
			}
			versions = append(versions, v)
			if isModuleBuild(v) {
				modular = true
			}
		}
	}
	if !modular {
		return module == ""
	}
	if module == "" {
		return false
	}
	_, stream, _ := strings.Cut(module, ":")
	if !versionLike(stream) {
		return true
	}
	for _, v := range versions {
		if isModuleBuild(v) && !ofStream(v, stream) {
			return false
		}
	}
	return true
}

// isModuleBuild reports whether an RPM EVR is a module build.
func isModuleBuild(evr string) bool {
	return strings.Contains(evr, ".module_") || strings.Contains(evr, ".module+") || strings.Contains(evr, "module+el")
}

// versionLike reports whether s is digits separated by dots ("18", "8.1").
func versionLike(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

// ofStream reports whether the upstream version of EVR evr is in stream
// ("1:18.12.1-1.module_el9..." is in "18", "8.1.14-1..." in "8.1").
func ofStream(evr, stream string) bool {
	v := evr
	if i := strings.IndexByte(v, ':'); i >= 0 {
		v = v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		v = v[:i]
	}
	return v == stream || strings.HasPrefix(v, stream+".")
}
