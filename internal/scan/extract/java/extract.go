package java

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
)

// reduced is one archive as Reduce described it.
type reduced struct {
	path      string
	fp        uint64
	artifacts []artifact
}

func parseReduced(p string, data []byte) reduced {
	r := reduced{path: p}
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		f := strings.Split(line, "\t")
		switch {
		case len(f) == 2 && f[0] == "fp":
			r.fp, _ = strconv.ParseUint(f[1], 16, 64)
		case len(f) == 5 && (f[0] == "own" || f[0] == "self" || f[0] == "dep") && f[2] != "" && f[3] != "":
			r.artifacts = append(r.artifacts, artifact{group: f[1], name: f[2], version: f[3], inner: f[4],
				self: f[0] != "dep", pom: f[0] == "own"})
		}
	}
	return r
}

// coordinates returns the Maven coordinates a path under Debian's
// maven-repo gives its jar: <group path>/<artifact>/<version>/<artifact>-<version>[-classifier].jar.
// Debian's "debian" version and its "1.x" aliases name no release.
func coordinates(p string) (artifact, bool) {
	rel, ok := strings.CutPrefix(p, mavenRepo)
	if !ok {
		return artifact{}, false
	}
	parts := strings.Split(rel, "/")
	if len(parts) < 4 {
		return artifact{}, false
	}
	n := len(parts)
	group, name, version, file := strings.Join(parts[:n-3], "."), parts[n-3], parts[n-2], parts[n-1]
	if version == "debian" || strings.HasSuffix(version, ".x") || version == "x" ||
		!strings.HasPrefix(file, name+"-"+version) {
		return artifact{}, false
	}
	return artifact{group: group, name: name, version: version, self: true}, true
}

// Extract implements extract.Extractor. Debian's maven-repo, when the
// image has one, names the jars linked from it: its coordinates replace
// the ones guessed from the jar's own metadata. Archives under maven-repo
// are reported only when no archive elsewhere has the same contents (they
// are mostly links to /usr/share/java).
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]pkg.Package, error) {
	var archives []reduced
	repo := map[uint64]artifact{} // fingerprint -> maven-repo coordinates
	outside := map[uint64]bool{}  // fingerprints of archives outside maven-repo
	for _, f := range in.FS.Files() {
		if f.Err != nil {
			in.Logger.WarnContext(ctx, "java archive skipped", "path", f.Path, "err", f.Err)
			continue
		}
		r := parseReduced(f.Path, f.Data)
		if r.fp == 0 {
			continue
		}
		archives = append(archives, r)
		if !strings.HasPrefix(f.Path, mavenRepo) {
			outside[r.fp] = true
			continue
		}
		if c, ok := coordinates(f.Path); ok {
			// Several coordinates for one jar (relocations): the first in
			// path order, for a stable answer.
			if _, dup := repo[r.fp]; !dup {
				repo[r.fp] = c
			}
		}
	}
	var out []pkg.Package
	reported := map[uint64]bool{}
	for _, r := range archives {
		if strings.HasPrefix(r.path, mavenRepo) {
			if outside[r.fp] || reported[r.fp] {
				continue
			}
			reported[r.fp] = true
		}
		c, known := repo[r.fp]
		seen := map[artifact]bool{}
		add := func(a artifact) {
			a.inner, a.self, a.pom = "", false, false
			if seen[a] {
				return
			}
			seen[a] = true
			full := a.name
			if a.group != "" {
				full = a.group + ":" + a.name
			}
			out = append(out, pkg.Package{
				Name: full, Version: a.version, Type: pkg.TypeMaven, Path: r.path,
				PURL: pkg.PURL("maven", a.group, a.name, a.version, nil),
			})
		}
		for _, a := range r.artifacts {
			if known && a.self && a.inner == "" && !a.pom {
				a = c // a guess, which maven-repo corrects
			}
			add(a)
		}
		if known {
			// maven-repo names the jar: in place of a guess (above), else
			// beside its pom.properties (httpclient-osgi.jar is
			// httpclient-osgi to maven-repo, httpclient to its own pom),
			// else where its metadata named nothing.
			add(c)
		}
		if err := in.TooMany(len(out)); err != nil {
			return nil, fmt.Errorf("%s: %w", r.path, err)
		}
	}
	slices.SortStableFunc(out, func(a, b pkg.Package) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
