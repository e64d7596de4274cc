package npm

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// pnpmLock is the part of pnpm-lock.yaml we read: the "packages" map,
// whose keys name every resolved package in all lockfile versions:
//
//	5.x  /name/1.2.3, /@scope/name/1.2.3, /name/1.2.3_peer@4.5.6
//	6.x  /name@1.2.3, /@scope/name@1.2.3, /name@1.2.3(peer@4.5.6)
//	9.x  name@1.2.3, @scope/name@1.2.3 (peer variants live in "snapshots")
type pnpmLock struct {
	LockfileVersion any
	Packages        map[string]pnpmPackage
	Importers       map[string]pnpmImporter // 9.x (and 6.x workspaces)
	Snapshots       map[string]pnpmSnapshot // 9.x
}

// pnpmLockYAML is how pnpmLock is decoded: its mappings are walked by
// yamlMap (see yaml.go), not decoded by yaml.v3.
type pnpmLockYAML struct {
	LockfileVersion yaml.Node `yaml:"lockfileVersion"`
	Packages        yaml.Node `yaml:"packages"`
	Importers       yaml.Node `yaml:"importers"`
	Snapshots       yaml.Node `yaml:"snapshots"`
}

// pnpmImporter is a project of the lockfile (".", or a workspace package)
// with its direct dependencies; a value's version is "1.2.3",
// "1.2.3(peer@4.5.6)", "real-name@1.2.3" (an alias) or "link:...".
type pnpmImporter struct {
	Dependencies         map[string]pnpmDirect
	OptionalDependencies map[string]pnpmDirect
	DevDependencies      map[string]pnpmDirect
}

type pnpmImporterYAML struct {
	Dependencies         yaml.Node `yaml:"dependencies"`
	OptionalDependencies yaml.Node `yaml:"optionalDependencies"`
	DevDependencies      yaml.Node `yaml:"devDependencies"`
}

type pnpmDirect struct {
	Version string `yaml:"version"`
}

// pnpmSnapshot is a 9.x "snapshots" entry: a resolved package (with its
// peers) and its dependencies, versions written as in importers.
type pnpmSnapshot struct {
	Dependencies         map[string]string
	OptionalDependencies map[string]string
}

type pnpmSnapshotYAML struct {
	Dependencies         yaml.Node `yaml:"dependencies"`
	OptionalDependencies yaml.Node `yaml:"optionalDependencies"`
}

// pnpmPackage is a "packages" entry. Name and Version are set for packages
// that did not come from the registry by name (tarballs, git, directories).
type pnpmPackage struct {
	Name    string `yaml:"name"`
	Version string `yaml:"version"`
	// Dev (5.x, 6.x) is true for packages only development dependencies
	// need, false for those only production ones do, absent for both.
	Dev        *bool `yaml:"dev"`
	Resolution struct {
		Type      string `yaml:"type"`
		Directory string `yaml:"directory"`
		Repo      string `yaml:"repo"`
		Tarball   string `yaml:"tarball"`
	} `yaml:"resolution"`
}

// parsePnpmLock reads pnpm-lock.yaml (lockfile versions 5.x, 6.x and 9.x).
// Packages resolved from git (repositories or git host tarballs) or a
// local directory are skipped: their versions are not registry releases.
func parsePnpmLock(data []byte) ([]string, error) {
	root, err := parseYAML("pnpm-lock.yaml", data)
	if err != nil {
		return nil, err
	}
	var lf pnpmLock
	if root != nil {
		if lf, err = decodePnpmLock(root); err != nil {
			return nil, fmt.Errorf("%w: pnpm-lock.yaml: yaml: %w", ErrInvalid, err)
		}
	}
	major, err := pnpmMajor(lf.LockfileVersion)
	if err != nil {
		return nil, err
	}
	devOnly := pnpmDevOnly(&lf)
	var out []string
	for key, p := range lf.Packages {
		if (p.Dev != nil && *p.Dev) || devOnly(key) {
			continue // development only: not installed where nothing is
		}
		if p.Resolution.Type == "git" || p.Resolution.Type == "directory" || p.Resolution.Directory != "" ||
			p.Resolution.Repo != "" || fromGitHost(key, p.Resolution.Tarball) {
			continue
		}
		name, v := pnpmKey(key, major)
		if p.Name != "" && p.Version != "" {
			name, v = p.Name, p.Version // a tarball dependency names itself
		}
		if name == "" || v == "" || strings.ContainsAny(v, ":/#") {
			continue // a link:, file: or URL key
		}
		out = append(out, line(name, v))
	}
	return out, nil
}

// decodePnpmLock decodes the root mapping of a pnpm-lock.yaml.
func decodePnpmLock(root *yaml.Node) (pnpmLock, error) {
	var lf pnpmLock
	raw, err := yamlDecode[pnpmLockYAML](root)
	if err != nil {
		return lf, err
	}
	switch v := &raw.LockfileVersion; v.Kind {
	case 0:
	case yaml.ScalarNode:
		if err := v.Decode(&lf.LockfileVersion); err != nil {
			return lf, err
		}
	default:
		return lf, fmt.Errorf("line %d: lockfileVersion is a %s", v.Line, v.ShortTag())
	}
	if lf.Packages, err = yamlMapOf(&raw.Packages, yamlDecode[pnpmPackage]); err != nil {
		return lf, fmt.Errorf("packages: %w", err)
	}
	direct := func(n *yaml.Node) (map[string]pnpmDirect, error) { return yamlMapOf(n, yamlDecode[pnpmDirect]) }
	lf.Importers, err = yamlMapOf(&raw.Importers, func(n *yaml.Node) (pnpmImporter, error) {
		var im pnpmImporter
		raw, err := yamlDecode[pnpmImporterYAML](n)
		if err != nil {
			return im, err
		}
		if im.Dependencies, err = direct(&raw.Dependencies); err != nil {
			return im, fmt.Errorf("dependencies: %w", err)
		}
		if im.OptionalDependencies, err = direct(&raw.OptionalDependencies); err != nil {
			return im, fmt.Errorf("optionalDependencies: %w", err)
		}
		if im.DevDependencies, err = direct(&raw.DevDependencies); err != nil {
			return im, fmt.Errorf("devDependencies: %w", err)
		}
		return im, nil
	})
	if err != nil {
		return lf, fmt.Errorf("importers: %w", err)
	}
	lf.Snapshots, err = yamlMapOf(&raw.Snapshots, func(n *yaml.Node) (pnpmSnapshot, error) {
		var s pnpmSnapshot
		raw, err := yamlDecode[pnpmSnapshotYAML](n)
		if err != nil {
			return s, err
		}
		if s.Dependencies, err = yamlMapOf(&raw.Dependencies, yamlDecode[string]); err != nil {
			return s, fmt.Errorf("dependencies: %w", err)
		}
		if s.OptionalDependencies, err = yamlMapOf(&raw.OptionalDependencies, yamlDecode[string]); err != nil {
			return s, fmt.Errorf("optionalDependencies: %w", err)
		}
		return s, nil
	})
	if err != nil {
		return lf, fmt.Errorf("snapshots: %w", err)
	}
	return lf, nil
}

// pnpmDevOnly returns whether a 9.x "packages" key is needed only by
// development dependencies: 9.x lockfiles mark nothing, so the snapshots
// are walked from every importer's dependencies and optionalDependencies
// (production) and from its devDependencies; a package reached from the
// latter only is development-only. A package reached from neither (a
// lockfile whose snapshots are incomplete) is kept: leaving a package out
// needs the lockfile to say so.
func pnpmDevOnly(lf *pnpmLock) func(key string) bool {
	hasDev := false
	for _, im := range lf.Importers {
		hasDev = hasDev || len(im.DevDependencies) > 0
	}
	if !hasDev || len(lf.Snapshots) == 0 {
		return func(string) bool { return false }
	}
	prod := pnpmReach(lf, func(im pnpmImporter) []map[string]pnpmDirect {
		return []map[string]pnpmDirect{im.Dependencies, im.OptionalDependencies}
	})
	dev := pnpmReach(lf, func(im pnpmImporter) []map[string]pnpmDirect {
		return []map[string]pnpmDirect{im.DevDependencies}
	})
	return func(key string) bool { return dev[key] && !prod[key] }
}

// pnpmReach returns the "packages" keys (snapshot keys without their peer
// suffix) reached through the snapshots from the importers' dependencies
// that roots picks.
func pnpmReach(lf *pnpmLock, roots func(pnpmImporter) []map[string]pnpmDirect) map[string]bool {
	seen := make(map[string]bool) // snapshot keys
	var queue []string
	visit := func(name, version string) {
		k := snapshotKey(name, version)
		if k == "" || seen[k] {
			return
		}
		seen[k] = true
		queue = append(queue, k)
	}
	for _, im := range lf.Importers {
		for _, deps := range roots(im) {
			for n, d := range deps {
				visit(n, d.Version)
			}
		}
	}
	for len(queue) > 0 {
		k := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		s := lf.Snapshots[k]
		for n, v := range s.Dependencies {
			visit(n, v)
		}
		for n, v := range s.OptionalDependencies {
			visit(n, v)
		}
	}
	pkgs := make(map[string]bool, len(seen))
	for k := range seen {
		base, _, _ := strings.Cut(k, "(")
		pkgs[base] = true
	}
	return pkgs
}

// snapshotKey returns the snapshot key a dependency (name, version as
// written in a 9.x lockfile) resolves to, or "" for links and files.
func snapshotKey(name, version string) string {
	if version == "" || strings.HasPrefix(version, "link:") || strings.HasPrefix(version, "file:") {
		return ""
	}
	if at := strings.LastIndexByte(strings.SplitN(version, "(", 2)[0], '@'); at > 0 {
		return version // an alias: "real-name@1.2.3"
	}
	return name + "@" + version
}

// gitHosts are the hosts whose tarballs pnpm resolves git dependencies to.
var gitHosts = []string{"github.com/", "codeload.github.com/", "gitlab.com/", "bitbucket.org/"}

// fromGitHost reports whether a package was resolved to a tarball of a
// git host (a "user/repo" or git URL dependency): its version is the
// repository's, not a registry release.
func fromGitHost(key, tarball string) bool {
	key = strings.TrimPrefix(key, "/")
	tarball = strings.TrimPrefix(strings.TrimPrefix(tarball, "https://"), "http://")
	for _, h := range gitHosts {
		if strings.HasPrefix(key, h) || strings.HasPrefix(tarball, h) {
			return true
		}
	}
	return false
}

// pnpmMajor returns the major lockfile version (5, 6, 9, ...).
func pnpmMajor(v any) (int, error) {
	s := strings.TrimSpace(fmt.Sprint(v))
	majorStr, _, _ := strings.Cut(s, ".")
	major, err := strconv.Atoi(majorStr)
	if v == nil || err != nil || major < 1 {
		return 0, fmt.Errorf("%w: pnpm-lock.yaml: lockfileVersion %q", ErrInvalid, trim(s))
	}
	if major < 5 {
		return 0, fmt.Errorf("%w: pnpm-lock.yaml: lockfileVersion %s is older than 5.0 (pnpm 3)", ErrInvalid, trim(s))
	}
	return major, nil
}

// pnpmKey splits a "packages" key into name and version, without the
// peer-dependency suffix. It returns empty strings for keys it does not
// recognise.
func pnpmKey(key string, major int) (name, version string) {
	key = strings.TrimPrefix(key, "/")
	if major < 6 {
		// name/version[_peers]; scoped names have two segments.
		parts := strings.Split(key, "/")
		n := 2
		if strings.HasPrefix(key, "@") {
			n = 3
		}
		if len(parts) != n {
			return "", "" // a registry-qualified or tarball key
		}
		name = strings.Join(parts[:n-1], "/")
		version, _, _ = strings.Cut(parts[n-1], "_")
		return name, version
	}
	key, _, _ = strings.Cut(key, "(")
	at := strings.LastIndexByte(key, '@')
	if at <= 0 {
		return "", ""
	}
	return key[:at], key[at+1:]
}
