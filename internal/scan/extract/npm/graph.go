package npm

import (
	"encoding/json"
	"fmt"

	"github.com/drydock/drydock/internal/scan/extract"
)

// Lockfiles (but package-lock.json, read token by token: see lockfile.go)
// are decoded whole into a lockGraph, at several times their size in
// memory (a package, its name, version and index entries cost a few
// hundred bytes, an edge about a hundred), so that what a hostile one
// costs is bounded: no more than extract.MaxManifestBytes is decoded (see
// tooLarge; parseYAML for the YAML lockfiles), and no graph has more than
// maxLockPackages packages (see tooMany): an image may not hold more
// anyway ([extract.DefaultMaxPackages]), and 64 MiB of one-line yarn.lock
// entries were 3 million packages and 1.9 GB.
const maxLockPackages = extract.DefaultMaxPackages

// tooLarge returns an error for data over extract.MaxManifestBytes; what
// names the file.
func tooLarge(what string, data []byte) error {
	if len(data) > extract.MaxManifestBytes {
		return fmt.Errorf("%w: %s: %d bytes, over the %d-byte limit", ErrInvalid, what, len(data), extract.MaxManifestBytes)
	}
	return nil
}

// tooMany returns an error wrapping extract.ErrTooManyPackages for a
// lockfile of n entries (packages, snapshots) when they are more than
// maxLockPackages.
func tooMany(n int) error {
	if n > maxLockPackages {
		return fmt.Errorf("%w: %d entries, more than %d", extract.ErrTooManyPackages, n, maxLockPackages)
	}
	return nil
}

// lockGraph is a lockfile reduced to what [Extractor.Extract] needs to
// tell which of its packages are installed: the packages it resolves (also
// those that are not registry releases, whose dependencies are installed
// all the same), the dependencies between them, the platforms each is for
// and the projects (the root and the workspaces) whose dependencies
// production starts from. Every lockfile format is reduced to it (as JSON)
// while the layer streams; the walk runs at extraction, when the image's
// platform and, for yarn.lock, the project's package.json files are known.
type lockGraph struct {
	Pkgs []lockPkg `json:"p,omitempty"`
	// Projects are the lockfile's projects with their direct
	// dependencies, for the lockfiles that list them (pnpm 9.x, bun, yarn
	// berry). Without projects the lockfile's own marks (Dev) decide.
	Projects []lockProject `json:"w,omitempty"`
	// Keys maps yarn classic's descriptors ("name@range", the lockfile's
	// entry keys) to packages: its projects are in package.json files
	// only, whose dependencies are looked up here.
	Keys map[string]int `json:"k,omitempty"`
}

// lockPkg is a package of a lockfile.
type lockPkg struct {
	// Name and Version are what is reported; both are empty for a package
	// that is not a registry release (a workspace, a local directory, git,
	// a link), which is never reported.
	Name    string `json:"n,omitempty"`
	Version string `json:"v,omitempty"`
	// Dev is set when the lockfile marks the package as needed by
	// development dependencies only (package-lock.json, pnpm 5.x/6.x).
	Dev bool `json:"d,omitempty"`
	// OS, CPU and Libc are the package's platform restrictions, as npm's
	// package.json fields hold them: allowed values, "!x" ruling x out;
	// empty allows every platform (see [target.allows]).
	OS   []string `json:"o,omitempty"`
	CPU  []string `json:"c,omitempty"`
	Libc []string `json:"l,omitempty"`
	// Deps are the packages (indices into Pkgs) its dependencies and
	// optional dependencies resolve to.
	Deps []int `json:"e,omitempty"`
}

// lockProject is a project of a lockfile (the root or a workspace).
type lockProject struct {
	// Path is the project's directory relative to the lockfile's ("."
	// for the root); set where a package.json must be found (yarn berry).
	Path string `json:"p,omitempty"`
	// Prod are the packages its dependencies, optionalDependencies and
	// peerDependencies resolve to; Dev those of its devDependencies.
	Prod []int `json:"r,omitempty"`
	Dev  []int `json:"d,omitempty"`
	// Deps (yarn berry) lists the dependencies of every kind together,
	// name -> package, as the lockfile does: the project's package.json
	// says which are development ones (see [lockGraph.sortYarnBerry]).
	// Without it, they all count as production ones.
	Deps map[string]int `json:"a,omitempty"`
}

// add appends p and returns its index.
func (g *lockGraph) add(p lockPkg) int {
	g.Pkgs = append(g.Pkgs, p)
	return len(g.Pkgs) - 1
}

// join appends the packages and projects of h to g, renumbered.
func (g *lockGraph) join(h *lockGraph) {
	off := len(g.Pkgs)
	shift := func(is []int) []int {
		out := make([]int, len(is))
		for j, i := range is {
			out[j] = i + off
		}
		return out
	}
	for _, p := range h.Pkgs {
		if p.Deps != nil {
			p.Deps = shift(p.Deps)
		}
		g.Pkgs = append(g.Pkgs, p)
	}
	for _, pr := range h.Projects {
		if pr.Prod != nil {
			pr.Prod = shift(pr.Prod)
		}
		if pr.Dev != nil {
			pr.Dev = shift(pr.Dev)
		}
		if pr.Deps != nil {
			deps := make(map[string]int, len(pr.Deps))
			for n, i := range pr.Deps {
				deps[n] = i + off
			}
			pr.Deps = deps
		}
		g.Projects = append(g.Projects, pr)
	}
	for k, i := range h.Keys {
		if g.Keys == nil {
			g.Keys = make(map[string]int)
		}
		g.Keys[k] = i + off
	}
}

// encode returns the reduced form of g, nil when it has no package to
// report (the file is then not kept).
func (g *lockGraph) encode() ([]byte, error) {
	for i := range g.Pkgs {
		if g.Pkgs[i].Name != "" {
			return json.Marshal(g)
		}
	}
	return nil, nil
}

// decodeGraph reads what encode wrote.
func decodeGraph(data []byte) (*lockGraph, error) {
	var g lockGraph
	if err := json.Unmarshal(data, &g); err != nil {
		return nil, fmt.Errorf("%w: reduced lockfile: %w", ErrInvalid, err)
	}
	return &g, nil
}

// installed returns the "name\tversion" lines of the packages installed
// on platform t. A package is left out when
//
//   - the lockfile marks it development-only (Dev);
//   - its os, cpu or libc rule out t;
//   - the lockfile has projects and the package is reached from their
//     dependencies (of any kind, through every package) but not from
//     their production dependencies through packages t allows: it is
//     needed for development only, or only by packages of other
//     platforms (berry's fsevents pulls in node-gyp).
//
// A package reached from no project at all (a lockfile whose graph is
// incomplete) is kept: leaving a package out needs the lockfile to say so.
func (g *lockGraph) installed(t target) []string {
	skip := func(i int) bool {
		p := &g.Pkgs[i]
		return p.Dev || !t.allows(p)
	}
	keep := make([]bool, len(g.Pkgs))
	if len(g.Projects) == 0 {
		for i := range g.Pkgs {
			keep[i] = !skip(i)
		}
	} else {
		var prod, all []int
		for _, pr := range g.Projects {
			prod = append(prod, pr.Prod...)
			for _, i := range pr.Deps {
				prod = append(prod, i)
			}
			all = append(all, pr.Dev...)
		}
		all = append(all, prod...)
		installed := g.reach(prod, func(i int) bool { return !skip(i) })
		linked := g.reach(all, func(int) bool { return true })
		for i := range g.Pkgs {
			keep[i] = !skip(i) && (installed[i] || !linked[i])
		}
	}
	var out []string
	for i, p := range g.Pkgs {
		if keep[i] && p.Name != "" && p.Version != "" {
			out = append(out, line(p.Name, p.Version))
		}
	}
	return out
}

// reach returns which packages are reached from roots through their
// dependencies, entering only the packages enter accepts. Indices out of
// range (a corrupt reduced form) are ignored.
func (g *lockGraph) reach(roots []int, enter func(int) bool) []bool {
	seen := make([]bool, len(g.Pkgs))
	var stack []int
	visit := func(i int) {
		if i >= 0 && i < len(g.Pkgs) && !seen[i] && enter(i) {
			seen[i] = true
			stack = append(stack, i)
		}
	}
	for _, i := range roots {
		visit(i)
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, d := range g.Pkgs[i].Deps {
			visit(d)
		}
	}
	return seen
}
