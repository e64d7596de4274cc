package npm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"path"
	"slices"
	"strings"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/layer"
)

// Extractor is the npm extractor.
type Extractor struct{}

var (
	_ extract.Extractor   = Extractor{}
	_ layer.Reducer       = Extractor{}
	_ layer.StreamReducer = Extractor{}
)

// Name implements extract.Extractor.
func (Extractor) Name() string { return "javascript/npm" }

// Version implements extract.Extractor. What each version changed:
//
//	 4: pnpm 5.x workspace lockfiles
//	 5: bun.lock
//	 6: package-lock 2+ entries resolved from git or file: not reported
//	 7: pnpm 9 dev-only walk through file: dependencies
//	 8: pnpm 9 dev-only walk through git dependencies
//	 9: Debian's module directories; lockfiles inside them not read
//	10: yarn.lock dev-only packages (package.json); other platforms' packages
//	11: refused: YAML lockfiles with aliases, merge keys, duplicate keys
//	    or over 2M nodes; JSON and yarn classic lockfiles and projects'
//	    package.json over 64 MiB; lockfiles of over 500,000 packages. No
//	    package with an empty name; at most Input.MaxPackages packages
//	12: package-lock.json read token by token, to the end of "packages";
//	    no size limit for it
//	13: pnpm-lock.yaml and yarn berry lockfiles read an entry at a time:
//	    the YAML node limit applies to each entry, not to the file
//	14: every document of a pnpm-lock.yaml (pnpm 12's env lockfile, then
//	    the project's: only the first was read)
func (Extractor) Version() int { return 14 }

// Wants implements extract.Extractor.
func (Extractor) Wants(p string, fi fs.FileInfo) bool {
	if !fi.Mode().IsRegular() && fi.Mode()&fs.ModeSymlink == 0 {
		return false
	}
	switch path.Base(p) {
	case "package.json":
		// An installed package's, or a project's: yarn.lock does not say
		// which dependencies are for development; package.json does.
		return isInstalledManifest(p) || outsideModules(p)
	case "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lock":
		// A lockfile inside an installed package is its development
		// setup, not what was installed.
		return outsideModules(p)
	}
	return false
}

// isInstalledManifest reports whether p is node_modules/<name>/package.json
// or node_modules/@scope/<name>/package.json (at any depth), or the
// manifest of a module in one of Debian's module directories
// (usr/share/nodejs/<name>/package.json, ...; see [debianModulePath]).
func isInstalledManifest(p string) bool {
	dir := path.Dir(p) // .../node_modules/[@scope/]name
	if strings.HasPrefix(path.Base(dir), ".") {
		return false
	}
	if rest, ok := debianModulePath(dir); ok {
		// <name> or @scope/<name>; deeper manifests are those of a
		// module's parts, or of the node_modules it bundles (below).
		scope, name, scoped := strings.Cut(rest, "/")
		if !scoped && !strings.HasPrefix(rest, "@") ||
			scoped && strings.HasPrefix(scope, "@") && !strings.Contains(name, "/") && !strings.HasPrefix(name, ".") {
			return true
		}
	}
	parent := path.Dir(dir)
	if strings.HasPrefix(path.Base(parent), "@") {
		parent = path.Dir(parent)
	}
	return path.Base(parent) == "node_modules"
}

// outsideModules reports whether p is outside node_modules and Debian's
// module directories: a project's file (an application's, a
// workspace's), not an installed package's.
func outsideModules(p string) bool {
	_, inDebian := debianModulePath(p)
	return !strings.Contains(p, "node_modules/") && !inDebian
}

// debianModulePath returns what follows one of the directories in which
// Debian's node-* packages install modules, as node's global paths on
// Debian and Ubuntu name them: usr/share/nodejs (architecture-independent
// modules), usr/lib/<triplet>/nodejs (architecture-dependent ones) and
// usr/lib/nodejs (the older location). ok is false for other paths and for
// the directory itself.
func debianModulePath(p string) (rest string, ok bool) {
	if rest, ok := strings.CutPrefix(p, "usr/share/nodejs/"); ok {
		return rest, rest != ""
	}
	lib, ok := strings.CutPrefix(p, "usr/lib/")
	if !ok {
		return "", false
	}
	if rest, ok := strings.CutPrefix(lib, "nodejs/"); ok {
		return rest, rest != ""
	}
	triplet, rest, ok := strings.Cut(lib, "/")
	if !ok || triplet == "" {
		return "", false
	}
	rest, ok = strings.CutPrefix(rest, "nodejs/")
	return rest, ok && rest != ""
}

// ErrInvalid reports a manifest or lockfile that cannot be read.
var ErrInvalid = errors.New("invalid npm file")

// Reduce implements layer.Reducer. An installed manifest is reduced to a
// "name\tversion" line, a project's package.json (one that is not
// installed: the application's, its workspaces') to its dependencies
// (see [projectManifest]), a lockfile to its [lockGraph].
func (Extractor) Reduce(p string, data []byte) ([]byte, error) {
	var g *lockGraph
	var err error
	switch path.Base(p) {
	case "package.json":
		if !isInstalledManifest(p) {
			return reduceProjectManifest(data)
		}
		l, err := parseManifest(data)
		if err != nil || l == "" {
			return nil, err
		}
		return []byte(l), nil
	case "yarn.lock":
		g, err = parseYarnLock(data)
	case "pnpm-lock.yaml":
		g, err = parsePnpmLock(data)
	case "bun.lock":
		g, err = parseBunLock(data)
	default:
		g, err = parseLockfile(bytes.NewReader(data))
	}
	if err != nil {
		return nil, err
	}
	return g.encode()
}

// ReduceStream implements layer.StreamReducer, for files of
// layer.StreamFrom bytes or more: Reduce's result, with package-lock.json
// and npm-shrinkwrap.json decoded as they stream (see lockfile.go). Other
// files are read whole, up to extract.MaxManifestBytes: larger ones are
// refused (as Reduce refuses every lockfile and project package.json of
// that size).
func (e Extractor) ReduceStream(p string, r io.Reader, size int64) ([]byte, error) {
	switch path.Base(p) {
	case "package-lock.json", "npm-shrinkwrap.json":
		g, err := parseLockfile(r)
		if err != nil {
			return nil, err
		}
		return g.encode()
	}
	if size > extract.MaxManifestBytes {
		return nil, fmt.Errorf("%w: %s: %d bytes, over the %d-byte limit", ErrInvalid, path.Base(p), size, extract.MaxManifestBytes)
	}
	data, err := io.ReadAll(io.LimitReader(r, size))
	if err != nil {
		return nil, err
	}
	return e.Reduce(p, data)
}

// manifest is the part of package.json that identifies a package.
type manifest struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// parseManifest returns the "name\tversion" line of an installed
// manifest, "" for one that names no published package.
func parseManifest(data []byte) (string, error) {
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return "", fmt.Errorf("%w: package.json: %w", ErrInvalid, err)
	}
	if m.Name == "" || m.Version == "" {
		return "", nil // not a published package (a nested, private manifest)
	}
	return line(m.Name, m.Version), nil
}

func line(name, version string) string {
	return strings.ReplaceAll(name, "\t", " ") + "\t" + strings.ReplaceAll(version, "\n", " ")
}

// Extract implements extract.Extractor.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]pkg.Package, error) {
	files := in.FS.Files()
	// Directories holding installed packages: ".../node_modules"; and
	// the projects' package.json files, by path.
	installed := make(map[string]bool)
	projects := make(map[string]*layer.File)
	for _, f := range files {
		if path.Base(f.Path) != "package.json" {
			continue
		}
		if !isInstalledManifest(f.Path) {
			projects[f.Path] = f
		} else if i := strings.Index(f.Path, "node_modules/"); i >= 0 && f.Err == nil {
			installed[f.Path[:i+len("node_modules")]] = true
		}
	}
	pf := newProjectFiles(projects)
	t := targetOf(in)
	var out []pkg.Package
	for _, f := range files {
		base := path.Base(f.Path)
		if base == "package.json" && projects[f.Path] != nil {
			continue // read with the yarn.lock next to it, if any
		}
		if f.Err != nil {
			in.Logger.WarnContext(ctx, "npm file skipped", "path", f.Path, "err", f.Err)
			continue
		}
		var lines iter.Seq[string]
		if base == "package.json" {
			lines = strings.Lines(string(f.Data)) // one line: see parseManifest
		} else {
			if installed[path.Join(path.Dir(f.Path), "node_modules")] {
				continue // the installed packages next to it are reported instead
			}
			g, err := decodeGraph(f.Data)
			if err != nil {
				in.Logger.WarnContext(ctx, "npm file skipped", "path", f.Path, "err", err)
				continue
			}
			if base == "yarn.lock" {
				g.useManifests(ctx, in.Logger, path.Dir(f.Path), pf)
			}
			lines = slices.Values(g.installed(t))
		}
		seen := make(map[string]bool)
		for l := range lines {
			l = strings.TrimSuffix(l, "\n")
			name, version, ok := strings.Cut(l, "\t")
			if !ok || name == "" || version == "" || seen[l] {
				continue // an empty name: a lockfile's "node_modules/" key, say
			}
			seen[l] = true
			if err := in.TooMany(len(out) + 1); err != nil {
				return nil, fmt.Errorf("%s: %w", f.Path, err)
			}
			out = append(out, newPackage(name, version, f.Path))
		}
	}
	return out, nil
}

func newPackage(name, version, p string) pkg.Package {
	ns, n := "", name
	if strings.HasPrefix(name, "@") {
		if i := strings.IndexByte(name, '/'); i > 0 {
			ns, n = name[:i], name[i+1:]
		}
	}
	return pkg.Package{Name: name, Version: version, Type: pkg.TypeNPM, Path: p,
		PURL: pkg.PURL("npm", ns, n, version, nil)}
}
