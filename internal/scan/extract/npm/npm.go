package npm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/layer"
)

// Extractor is the npm extractor.
type Extractor struct{}

var (
	_ extract.Extractor = Extractor{}
	_ layer.Reducer     = Extractor{}
)

// Name implements extract.Extractor.
func (Extractor) Name() string { return "javascript/npm" }

// Version implements extract.Extractor.
func (Extractor) Version() int { return 4 } // 4: YAML lockfiles with aliases or over 2M nodes refused

// Wants implements extract.Extractor.
func (Extractor) Wants(p string, fi fs.FileInfo) bool {
	if !fi.Mode().IsRegular() && fi.Mode()&fs.ModeSymlink == 0 {
		return false
	}
	switch path.Base(p) {
	case "package.json":
		return isInstalledManifest(p)
	case "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml":
		return !strings.Contains(p, "node_modules/")
	}
	return false
}

// isInstalledManifest reports whether p is node_modules/<name>/package.json
// or node_modules/@scope/<name>/package.json (at any depth).
func isInstalledManifest(p string) bool {
	dir := path.Dir(p) // .../node_modules/[@scope/]name
	parent := path.Dir(dir)
	if strings.HasPrefix(path.Base(parent), "@") {
		parent = path.Dir(parent)
	}
	return path.Base(parent) == "node_modules" && !strings.HasPrefix(path.Base(dir), ".")
}

// ErrInvalid reports a manifest or lockfile that cannot be read.
var ErrInvalid = errors.New("invalid npm file")

// Reduce implements layer.Reducer: it keeps "name\tversion" lines.
func (Extractor) Reduce(p string, data []byte) ([]byte, error) {
	var lines []string
	var err error
	switch path.Base(p) {
	case "package.json":
		lines, err = parseManifest(data)
	case "yarn.lock":
		lines, err = parseYarnLock(data)
	case "pnpm-lock.yaml":
		lines, err = parsePnpmLock(data)
	default:
		lines, err = parseLockfile(data)
	}
	if err != nil {
		return nil, err
	}
	if len(lines) == 0 {
		return nil, nil
	}
	return []byte(strings.Join(lines, "\n")), nil
}

// manifest is the part of package.json that identifies a package.
type manifest struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

func parseManifest(data []byte) ([]string, error) {
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%w: package.json: %w", ErrInvalid, err)
	}
	if m.Name == "" || m.Version == "" {
		return nil, nil // not a published package (a nested, private manifest)
	}
	return []string{line(m.Name, m.Version)}, nil
}

// lockfile covers lockfileVersion 1 ("dependencies", nested) and 2/3
// ("packages", flat, keyed by install path).
type lockfile struct {
	LockfileVersion int                  `json:"lockfileVersion"`
	Packages        map[string]lockEntry `json:"packages"`
	Dependencies    map[string]lockDepV1 `json:"dependencies"`
}

type lockEntry struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Link    bool   `json:"link"`
	Dev     bool   `json:"dev"` // needed only by development dependencies
}

type lockDepV1 struct {
	Version      string               `json:"version"`
	Dev          bool                 `json:"dev"`
	Dependencies map[string]lockDepV1 `json:"dependencies"`
}

func parseLockfile(data []byte) ([]string, error) {
	if len(data) > extract.MaxManifestBytes {
		return nil, fmt.Errorf("%w: lockfile: %d bytes, over the %d-byte limit", ErrInvalid, len(data), extract.MaxManifestBytes)
	}
	var lf lockfile
	if err := json.Unmarshal(data, &lf); err != nil {
		return nil, fmt.Errorf("%w: lockfile: %w", ErrInvalid, err)
	}
	var out []string
	if lf.Packages != nil {
		for key, e := range lf.Packages {
			i := strings.LastIndex(key, "node_modules/")
			if key == "" || i < 0 || e.Link || e.Version == "" {
				continue // the root project, a workspace link, or a local folder
			}
			if e.Dev {
				continue // development only: not installed where nothing is
			}
			name := key[i+len("node_modules/"):]
			if e.Name != "" {
				name = e.Name // an alias: installed under another name
			}
			out = append(out, line(name, e.Version))
		}
		return out, nil
	}
	var walk func(deps map[string]lockDepV1, depth int) error
	walk = func(deps map[string]lockDepV1, depth int) error {
		if depth > 256 {
			return fmt.Errorf("%w: lockfile: dependencies nested deeper than 256", ErrInvalid)
		}
		for name, d := range deps {
			v := d.Version
			// v1 aliases: "version": "npm:real-name@1.2.3".
			if rest, ok := strings.CutPrefix(v, "npm:"); ok {
				if at := strings.LastIndex(rest, "@"); at > 0 {
					name, v = rest[:at], rest[at+1:]
				}
			}
			if v != "" && !d.Dev && !strings.Contains(v, ":") && !strings.Contains(v, "/") {
				out = append(out, line(name, v)) // skip dev-only, file:, git+, tarball URLs
			}
			if err := walk(d.Dependencies, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(lf.Dependencies, 0); err != nil {
		return nil, err
	}
	return out, nil
}

func line(name, version string) string {
	return strings.ReplaceAll(name, "\t", " ") + "\t" + strings.ReplaceAll(version, "\n", " ")
}

// Extract implements extract.Extractor.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]pkg.Package, error) {
	files := in.FS.Files()
	// Directories holding installed packages: ".../node_modules".
	installed := make(map[string]bool)
	for _, f := range files {
		if path.Base(f.Path) == "package.json" && f.Err == nil {
			if i := strings.Index(f.Path, "node_modules/"); i >= 0 {
				installed[f.Path[:i+len("node_modules")]] = true
			}
		}
	}
	var out []pkg.Package
	for _, f := range files {
		if f.Err != nil {
			in.Logger.WarnContext(ctx, "npm file skipped", "path", f.Path, "err", f.Err)
			continue
		}
		if path.Base(f.Path) != "package.json" && installed[path.Join(path.Dir(f.Path), "node_modules")] {
			continue // the installed packages next to it are reported instead
		}
		seen := make(map[string]bool)
		for l := range bytes.Lines(f.Data) {
			l = bytes.TrimSuffix(l, []byte("\n"))
			name, version, ok := strings.Cut(string(l), "\t")
			if !ok || name == "" || version == "" || seen[string(l)] {
				continue // an empty name: a lockfile's "node_modules/" key, say
			}
			seen[string(l)] = true
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
