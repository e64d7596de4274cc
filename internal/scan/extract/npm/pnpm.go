package npm

import (
	"fmt"
	"maps"
	"slices"
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
	Dependencies         pnpmDirects
	OptionalDependencies pnpmDirects
	DevDependencies      pnpmDirects
	// ConfigDependencies and PackageManagerDependencies are the env
	// document's (pnpm 12): the config dependencies, and pnpm itself.
	ConfigDependencies         pnpmDirects
	PackageManagerDependencies pnpmDirects
}

type pnpmImporterYAML struct {
	Dependencies               yaml.Node `yaml:"dependencies"`
	OptionalDependencies       yaml.Node `yaml:"optionalDependencies"`
	DevDependencies            yaml.Node `yaml:"devDependencies"`
	ConfigDependencies         yaml.Node `yaml:"configDependencies"`
	PackageManagerDependencies yaml.Node `yaml:"packageManagerDependencies"`
}

// pnpmDirects are an importer's dependencies of one kind, by name.
type pnpmDirects map[string]pnpmDirect

// versions returns the resolved version of each, by name.
func (ds pnpmDirects) versions() map[string]string {
	out := make(map[string]string, len(ds))
	for n, d := range ds {
		out[n] = d.Version
	}
	return out
}

// pnpmDirect is an importer's dependency: a map with the resolved version
// in 6.x and 9.x ("lodash: {specifier: ^4.17.0, version: 4.17.21}"), the
// resolved version alone in 5.x ("lodash: 4.17.21", "react-dom:
// 16.14.0_react@16.14.0", "alias: /lodash/4.17.11", "lib: link:../lib").
type pnpmDirect struct {
	Version string `yaml:"version"`
}

// UnmarshalYAML implements yaml.Unmarshaler: it accepts both forms.
func (d *pnpmDirect) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&d.Version)
	}
	m, err := yamlDecode[struct {
		Version string `yaml:"version"`
	}](n)
	d.Version = m.Version
	return err
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
	Dev *bool `yaml:"dev"`
	// OS, CPU and Libc are the package's platforms.
	OS         stringList `yaml:"os"`
	CPU        stringList `yaml:"cpu"`
	Libc       stringList `yaml:"libc"`
	Resolution struct {
		Type      string `yaml:"type"`
		Directory string `yaml:"directory"`
		Repo      string `yaml:"repo"`
		Tarball   string `yaml:"tarball"`
	} `yaml:"resolution"`
}

// parsePnpmLock reads pnpm-lock.yaml (lockfile versions 5.x, 6.x and 9.x).
// Packages resolved from git (repositories or git host tarballs) or a
// local directory are not reported: their versions are not registry
// releases. 5.x and 6.x mark the packages only development needs ("dev":
// true), 9.x does not: its snapshots (the resolved packages, one per set
// of peers, with their dependencies) are the graph's packages and its
// importers (the workspace's projects) its projects.
//
// pnpm 12 writes two YAML documents when it records its own version or
// config dependencies: an "env" lockfile first (pnpm itself, its platform
// binaries, the config dependencies), the project's lockfile last. Both
// are read, and their graphs joined: what either installs is in the
// image (pnpm's own audit reads both).
func parsePnpmLock(data []byte) (*lockGraph, error) {
	lfs, ok := decodePnpmDocumentChunks(data)
	if !ok {
		var err error
		if lfs, err = decodePnpmDocuments(data); err != nil {
			return nil, err
		}
	}
	if len(lfs) == 0 {
		lfs = []pnpmLock{{}} // no document: no lockfileVersion either
	}
	g := &lockGraph{}
	for _, lf := range lfs {
		dg, err := pnpmGraph(lf)
		if err != nil {
			return nil, err
		}
		g.join(dg)
	}
	return g, nil
}

// decodePnpmDocuments decodes every document of a pnpm-lock.yaml whole.
func decodePnpmDocuments(data []byte) ([]pnpmLock, error) {
	roots, err := parseYAMLDocuments("pnpm-lock.yaml", data)
	if err != nil {
		return nil, err
	}
	lfs := make([]pnpmLock, 0, len(roots))
	for _, root := range roots {
		lf, err := decodePnpmLock(root)
		if err != nil {
			return nil, fmt.Errorf("%w: pnpm-lock.yaml: yaml: %w", ErrInvalid, err)
		}
		lfs = append(lfs, lf)
	}
	return lfs, nil
}

// decodePnpmDocumentChunks decodes every document of a pnpm-lock.yaml an
// entry at a time (see decodePnpmChunks); ok is false when one cannot be.
func decodePnpmDocumentChunks(data []byte) ([]pnpmLock, bool) {
	if len(data) > maxYAMLBytes {
		return nil, false
	}
	docs, ok := yamlDocuments(data)
	if !ok {
		return nil, false
	}
	lfs := make([]pnpmLock, 0, len(docs))
	for _, doc := range docs {
		lf, ok := decodePnpmChunks(doc)
		if !ok {
			return nil, false
		}
		lfs = append(lfs, lf)
	}
	return lfs, true
}

// pnpmGraph is the graph of one lockfile document.
func pnpmGraph(lf pnpmLock) (*lockGraph, error) {
	major, err := pnpmMajor(lf.LockfileVersion)
	if err != nil {
		return nil, err
	}
	g := &lockGraph{}
	pkgOf := func(key string, p *pnpmPackage) lockPkg {
		out := lockPkg{Dev: p.Dev != nil && *p.Dev, OS: p.OS, CPU: p.CPU, Libc: p.Libc}
		if p.Resolution.Type == "git" || p.Resolution.Type == "directory" || p.Resolution.Directory != "" ||
			p.Resolution.Repo != "" || fromGitHost(key, p.Resolution.Tarball) {
			return out
		}
		name, v := pnpmKey(key, major)
		if p.Name != "" && p.Version != "" {
			name, v = p.Name, p.Version // a tarball dependency names itself
		}
		if name == "" || v == "" || strings.ContainsAny(v, ":/#") {
			return out // a link:, file: or URL key
		}
		out.Name, out.Version = name, v
		return out
	}
	if len(lf.Snapshots) == 0 {
		for _, key := range slices.Sorted(maps.Keys(lf.Packages)) {
			p := lf.Packages[key]
			g.add(pkgOf(key, &p))
		}
		return g, nil
	}
	// 9.x: a package per snapshot ("name@1.0.0(peer@2.0.0)"), and per
	// "packages" entry no snapshot stands for (an incomplete lockfile).
	index := make(map[string]int) // snapshot keys, and those packages keys
	inSnapshot := make(map[string]bool)
	for _, key := range slices.Sorted(maps.Keys(lf.Snapshots)) {
		base, _, _ := strings.Cut(key, "(")
		p, ok := lf.Packages[base]
		if !ok {
			index[key] = g.add(lockPkg{}) // walked through, not reported
			continue
		}
		index[key] = g.add(pkgOf(base, &p))
		inSnapshot[base] = true
	}
	for _, key := range slices.Sorted(maps.Keys(lf.Packages)) {
		if _, ok := index[key]; !ok && !inSnapshot[key] {
			p := lf.Packages[key]
			index[key] = g.add(pkgOf(key, &p))
		}
	}
	resolve := func(deps map[string]string) []int {
		var out []int
		for _, n := range slices.Sorted(maps.Keys(deps)) {
			k := snapshotKey(n, deps[n])
			base, _, _ := strings.Cut(k, "(")
			if i, ok := index[k]; ok {
				out = append(out, i)
			} else if i, ok := index[base]; ok {
				out = append(out, i) // a package without its snapshot
			}
		}
		return out
	}
	for key, s := range lf.Snapshots {
		i := index[key]
		g.Pkgs[i].Deps = append(resolve(s.Dependencies), resolve(s.OptionalDependencies)...)
	}
	for _, path := range slices.Sorted(maps.Keys(lf.Importers)) {
		im := lf.Importers[path]
		g.Projects = append(g.Projects, lockProject{
			Prod: slices.Concat(resolve(im.Dependencies.versions()), resolve(im.OptionalDependencies.versions()),
				resolve(im.ConfigDependencies.versions()), resolve(im.PackageManagerDependencies.versions())),
			Dev: resolve(im.DevDependencies.versions()),
		})
	}
	return g, nil
}

// decodePnpmLock decodes the root mapping of a pnpm-lock.yaml.
func decodePnpmLock(root *yaml.Node) (pnpmLock, error) {
	var d pnpmDecoder
	raw, err := yamlDecode[pnpmLockYAML](root)
	if err != nil {
		return d.lf, err
	}
	if err := d.version(&raw.LockfileVersion); err != nil {
		return d.lf, err
	}
	if err := tooMany(len(raw.Packages.Content)/2 + len(raw.Snapshots.Content)/2); err != nil {
		return d.lf, err
	}
	for _, sec := range []struct {
		name string
		n    *yaml.Node
	}{{"packages", &raw.Packages}, {"importers", &raw.Importers}, {"snapshots", &raw.Snapshots}} {
		pairs, err := yamlMap(sec.n)
		if err != nil {
			return d.lf, fmt.Errorf("%s: %w", sec.name, err)
		}
		if pairs != nil {
			d.section(sec.name)
		}
		for _, p := range pairs {
			if err := d.entry(sec.name, p.key, p.value); err != nil {
				return d.lf, err
			}
		}
	}
	return d.lf, nil
}

// pnpmSections are the sections of pnpm-lock.yaml that decodePnpmChunks
// parses an entry at a time.
var pnpmSections = map[string]bool{"packages": true, "importers": true, "snapshots": true}

// decodePnpmChunks decodes a pnpm-lock.yaml laid out as pnpm writes it an
// entry at a time (see yamlSections); ok is false when it is laid out
// otherwise, or when a part of it does not parse or decode: the whole
// document is then read by decodePnpmLock, which gives the same result,
// or the error.
func decodePnpmChunks(data []byte) (lf pnpmLock, ok bool) {
	secs, ok := yamlSections(data)
	if !ok {
		return lf, false
	}
	var d pnpmDecoder
	seen := make(map[string]bool, len(secs))
	for _, sec := range secs {
		if sec.key == "" || seen[sec.key] {
			return lf, false // pnpm writes plain keys, each once
		}
		seen[sec.key] = true
		var entries [][]byte
		if pnpmSections[sec.key] && !sec.inline {
			if entries, ok = yamlEntries(sec.body); !ok {
				return lf, false
			}
		}
		if entries == nil {
			// A small section, or one without entries: parsed whole.
			root, err := parseYAML("pnpm-lock.yaml", sec.text)
			if err != nil {
				return lf, false
			}
			pairs, err := yamlMap(root)
			if err != nil || len(pairs) != 1 || pairs[0].key != sec.key {
				return lf, false // not one key, or one YAML reads as another ("null")
			}
			v := pairs[0].value
			switch {
			case sec.key == "lockfileVersion":
				if d.version(v) != nil {
					return lf, false
				}
			case pnpmSections[sec.key]:
				entries, err := yamlMap(v)
				if err != nil {
					return lf, false
				}
				if entries != nil {
					d.section(sec.key)
				}
				for _, e := range entries {
					if d.entry(sec.key, e.key, e.value) != nil {
						return lf, false
					}
				}
			}
			continue
		}
		d.section(sec.key)
		if !yamlEachPair("pnpm-lock.yaml", entries, func(p yamlPair) bool { return d.entry(sec.key, p.key, p.value) == nil }) {
			return lf, false
		}
	}
	return d.lf, true
}

// pnpmDecoder builds a pnpmLock entry by entry, from the whole document's
// tree (decodePnpmLock) or from its entries parsed one at a time
// (decodePnpmChunks).
type pnpmDecoder struct {
	lf      pnpmLock
	entries int
}

func (d *pnpmDecoder) version(v *yaml.Node) error {
	switch v.Kind {
	case 0:
	case yaml.ScalarNode:
		return v.Decode(&d.lf.LockfileVersion)
	default:
		return fmt.Errorf("line %d: lockfileVersion is a %s", v.Line, v.ShortTag())
	}
	return nil
}

// section notes that the lockfile has the section (an empty mapping
// included).
func (d *pnpmDecoder) section(name string) {
	switch name {
	case "packages":
		d.lf.Packages = make(map[string]pnpmPackage)
	case "importers":
		d.lf.Importers = make(map[string]pnpmImporter)
	case "snapshots":
		d.lf.Snapshots = make(map[string]pnpmSnapshot)
	}
}

// entry decodes the entry key: n of section name.
func (d *pnpmDecoder) entry(name, key string, n *yaml.Node) error {
	var err error
	wrap := func(err error) error { return fmt.Errorf("%s: %q: %w", name, trim(key), err) }
	switch name {
	case "packages":
		if _, dup := d.lf.Packages[key]; dup {
			return fmt.Errorf("%s: mapping key %q already defined", name, trim(key))
		}
		d.lf.Packages[key], err = yamlDecode[pnpmPackage](n)
	case "importers":
		if _, dup := d.lf.Importers[key]; dup {
			return fmt.Errorf("%s: mapping key %q already defined", name, trim(key))
		}
		d.lf.Importers[key], err = decodePnpmImporter(n)
	case "snapshots":
		if _, dup := d.lf.Snapshots[key]; dup {
			return fmt.Errorf("%s: mapping key %q already defined", name, trim(key))
		}
		d.lf.Snapshots[key], err = decodePnpmSnapshot(n)
	}
	if err != nil {
		return wrap(err)
	}
	if name != "importers" {
		d.entries++
		return tooMany(d.entries)
	}
	return nil
}

func decodePnpmImporter(n *yaml.Node) (pnpmImporter, error) {
	var im pnpmImporter
	raw, err := yamlDecode[pnpmImporterYAML](n)
	if err != nil {
		return im, err
	}
	direct := func(n *yaml.Node) (pnpmDirects, error) { return yamlMapOf(n, yamlDecode[pnpmDirect]) }
	if im.Dependencies, err = direct(&raw.Dependencies); err != nil {
		return im, fmt.Errorf("dependencies: %w", err)
	}
	if im.OptionalDependencies, err = direct(&raw.OptionalDependencies); err != nil {
		return im, fmt.Errorf("optionalDependencies: %w", err)
	}
	if im.DevDependencies, err = direct(&raw.DevDependencies); err != nil {
		return im, fmt.Errorf("devDependencies: %w", err)
	}
	if im.ConfigDependencies, err = direct(&raw.ConfigDependencies); err != nil {
		return im, fmt.Errorf("configDependencies: %w", err)
	}
	if im.PackageManagerDependencies, err = direct(&raw.PackageManagerDependencies); err != nil {
		return im, fmt.Errorf("packageManagerDependencies: %w", err)
	}
	return im, nil
}

func decodePnpmSnapshot(n *yaml.Node) (pnpmSnapshot, error) {
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
}

// snapshotKey returns the snapshot key a dependency (name, version as
// written in a 9.x lockfile) resolves to, or "" for links (a linked
// directory's dependencies are not in the lockfile). A local directory or
// tarball ("file:local-lib") has a snapshot, "local-lib@file:local-lib",
// whose dependencies are installed like any other's.
func snapshotKey(name, version string) string {
	if version == "" || strings.HasPrefix(version, "link:") {
		return ""
	}
	if strings.HasPrefix(version, "file:") {
		return name + "@" + version
	}
	base, _, _ := strings.Cut(version, "(")
	if at := strings.LastIndexByte(base, '@'); at > 0 && !strings.Contains(base[:at], ":") {
		return version // an alias: "real-name@1.2.3" (not "git+ssh://git@host/...")
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
