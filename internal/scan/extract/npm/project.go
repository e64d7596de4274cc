package npm

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/drydock/drydock/internal/scan/layer"
)

// projectManifest is the part of a project's package.json (an
// application's or a workspace's, not an installed package's) that tells
// which of yarn.lock's packages are installed in production: its
// dependencies by kind, and the workspaces of a root.
type projectManifest struct {
	dependencyFields
	Workspaces workspaceGlobs `json:"workspaces,omitempty"`
}

// dependencyFields are package.json's dependencies by kind, name ->
// range, as projects' package.json files and bun.lock's workspaces and
// packages hold them.
type dependencyFields struct {
	Dependencies         map[string]string `json:"dependencies,omitempty"`
	OptionalDependencies map[string]string `json:"optionalDependencies,omitempty"`
	PeerDependencies     map[string]string `json:"peerDependencies,omitempty"`
	DevDependencies      map[string]string `json:"devDependencies,omitempty"`
}

// workspaceGlobs is package.json's "workspaces": a list of globs, or
// yarn classic's {"packages": [...], "nohoist": [...]}.
type workspaceGlobs []string

// UnmarshalJSON implements json.Unmarshaler.
func (w *workspaceGlobs) UnmarshalJSON(b []byte) error {
	var obj struct {
		Packages []string `json:"packages"`
	}
	if len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &obj); err != nil {
			return err
		}
		*w = obj.Packages
		return nil
	}
	return json.Unmarshal(b, (*[]string)(w))
}

// reduceProjectManifest reduces a project's package.json to its
// projectManifest (as JSON; "{}" for one without dependencies, which is
// kept: that a workspace is there is what matters).
func reduceProjectManifest(data []byte) ([]byte, error) {
	if err := tooLarge("package.json", data); err != nil {
		return nil, err
	}
	var m projectManifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: package.json: %w", ErrInvalid, err)
	}
	return json.Marshal(&m)
}

// prod returns the dependencies installed in production (dependencies,
// optionalDependencies, peerDependencies), name -> range; for a name
// of several kinds, the range of the first of these.
func (d *dependencyFields) prod() map[string]string {
	out := make(map[string]string)
	for _, deps := range []map[string]string{d.PeerDependencies, d.OptionalDependencies, d.Dependencies} {
		maps.Copy(out, deps)
	}
	return out
}

// isDev reports whether name is only a development dependency.
func (d *dependencyFields) isDev(name string) bool {
	_, dev := d.DevDependencies[name]
	_, prod := d.Dependencies[name]
	_, opt := d.OptionalDependencies[name]
	_, peer := d.PeerDependencies[name]
	return dev && !prod && !opt && !peer
}

// projectFiles are the projects' package.json files an extraction sees
// (the project manifests the extractor kept), by path, and their paths in
// order, so that those below a directory are found without going through
// them all (each of 8,000 yarn.lock files did, at 15 s in all).
type projectFiles struct {
	byPath map[string]*layer.File
	paths  []string // sorted
}

func newProjectFiles(byPath map[string]*layer.File) *projectFiles {
	return &projectFiles{byPath, slices.Sorted(maps.Keys(byPath))}
}

// under returns the paths of the files below directory dir ("." for
// all of them), in order.
func (pf *projectFiles) under(dir string) []string {
	if dir == "." {
		return pf.paths
	}
	prefix := dir + "/"
	lo, _ := slices.BinarySearch(pf.paths, prefix)
	n := sort.Search(len(pf.paths)-lo, func(i int) bool { return !strings.HasPrefix(pf.paths[lo+i], prefix) })
	return pf.paths[lo : lo+n]
}

// maxWorkspaceGlobs is the most "workspaces" globs a root package.json
// may have for yarn.lock's workspaces to be looked for: each is matched
// against every package.json below it. No real project has more than a
// few dozen.
const maxWorkspaceGlobs = 1000

// useManifests completes the graph of the yarn.lock in directory dir with
// what its projects' package.json files (files) say, since yarn.lock does
// not record which dependencies are for development:
//
//   - yarn berry lists each workspace with its dependencies of every kind
//     together: its package.json sorts them into production and
//     development ones;
//   - yarn classic lists no project: the root package.json next to the
//     lockfile and those of its workspaces (the directories its
//     "workspaces" globs match) are the projects, and their
//     dependencies' descriptors ("name@range") are looked up among the
//     lockfile's keys.
//
// A missing or unreadable package.json leaves the graph as it is: its
// project's dependencies (berry) all count as production ones; without
// the root's, without any of its workspaces' or with one unreadable
// (classic) there are no projects and every package is reported.
func (g *lockGraph) useManifests(ctx context.Context, log *slog.Logger, dir string, files *projectFiles) {
	read := func(rel string) *projectManifest {
		p := path.Join(dir, rel, "package.json")
		f := files.byPath[p]
		if f == nil {
			log.DebugContext(ctx, "no package.json for yarn.lock: development dependencies not told apart", "path", p)
			return nil
		}
		var m projectManifest
		err := f.Err
		if err == nil {
			err = json.Unmarshal(f.Data, &m)
		}
		if err != nil {
			log.WarnContext(ctx, "package.json unreadable: yarn.lock's development dependencies not told apart", "path", p, "err", err)
			return nil
		}
		return &m
	}
	if g.Keys == nil { // berry
		for i := range g.Projects {
			pr := &g.Projects[i]
			if len(pr.Deps) == 0 {
				continue
			}
			m := read(pr.Path)
			if m == nil {
				continue
			}
			for _, name := range slices.Sorted(maps.Keys(pr.Deps)) {
				if m.isDev(name) {
					pr.Dev = append(pr.Dev, pr.Deps[name])
				} else {
					pr.Prod = append(pr.Prod, pr.Deps[name])
				}
			}
			pr.Deps = nil
		}
		return
	}
	root := read(".")
	if root == nil {
		return
	}
	manifests := []*projectManifest{root}
	if len(root.Workspaces) > maxWorkspaceGlobs {
		log.WarnContext(ctx, "package.json names too many workspace globs: yarn.lock's development dependencies not told apart", "path", path.Join(dir, "package.json"), "globs", len(root.Workspaces))
		return
	}
	if len(root.Workspaces) > 0 {
		globs := compileWorkspaceGlobs(root.Workspaces)
		for _, p := range files.under(dir) {
			rel := path.Dir(strings.TrimPrefix(p, dir+"/")) // "." for dir's own
			if rel != "." && matchWorkspace(globs, rel) {
				m := read(rel)
				if m == nil {
					return // its dependencies are not known
				}
				manifests = append(manifests, m)
			}
		}
		if len(manifests) == 1 {
			// The workspaces' package.json files are not in the image
			// (only the root's was copied): what they depend on is not
			// known, and may be what the root's dev dependencies reach.
			log.DebugContext(ctx, "no workspace package.json for yarn.lock: development dependencies not told apart", "path", path.Join(dir, "package.json"))
			return
		}
	}
	lookup := func(deps map[string]string) []int {
		var out []int
		for _, name := range slices.Sorted(maps.Keys(deps)) {
			if i, ok := g.Keys[name+"@"+deps[name]]; ok {
				out = append(out, i)
			}
		}
		return out
	}
	for _, m := range manifests {
		g.Projects = append(g.Projects, lockProject{Prod: lookup(m.prod()), Dev: lookup(m.DevDependencies)})
	}
}

// workspaceGlob is a "workspaces" glob split into path segments; neg for
// one that excludes ("!glob").
type workspaceGlob struct {
	neg bool
	pat []string
}

// compileWorkspaceGlobs splits a root's "workspaces" globs
// ("packages/*", "apps/**"; "!glob" excluding) for matchWorkspace,
// leaving out those of more than 64 segments (no real project's).
func compileWorkspaceGlobs(globs []string) []workspaceGlob {
	var out []workspaceGlob
	for _, g := range globs {
		neg := strings.HasPrefix(g, "!")
		pat := strings.Split(path.Clean(strings.TrimPrefix(g, "!")), "/")
		if len(pat) <= 64 {
			out = append(out, workspaceGlob{neg, pat})
		}
	}
	return out
}

// matchWorkspace reports whether the directory rel (relative to the root
// project) is a workspace by the root's globs, a later one overriding an
// earlier.
func matchWorkspace(globs []workspaceGlob, rel string) bool {
	name := strings.Split(rel, "/")
	match := false
	for _, g := range globs {
		if globMatch(g.pat, name) {
			match = !g.neg
		}
	}
	return match
}

// globMatch matches path segments against glob segments, "**" matching
// any number of segments. It costs len(pat)*len(name) segment matches
// at most, whatever the "**" (trying each split for each "**" took a
// second for four of them against 200 segments).
func globMatch(pat, name []string) bool {
	// rest[j] reports whether pat[i:] matches name[j:], for i from
	// len(pat) down to 0.
	rest := make([]bool, len(name)+1)
	rest[len(name)] = true
	next := make([]bool, len(name)+1)
	for i := len(pat) - 1; i >= 0; i-- {
		if pat[i] == "**" {
			any := false
			for j := len(name); j >= 0; j-- {
				any = any || rest[j]
				next[j] = any
			}
		} else {
			next[len(name)] = false
			for j := range name {
				ok, _ := path.Match(pat[i], name[j])
				next[j] = ok && rest[j+1]
			}
		}
		rest, next = next, rest
	}
	return rest[0]
}
