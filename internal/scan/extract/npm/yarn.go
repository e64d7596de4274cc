package npm

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// parseYarnLock reads a yarn.lock of either format: yarn classic (v1, its
// own indented format, "# yarn lockfile v1") or yarn berry (v2 and later,
// YAML with a "__metadata" entry).
func parseYarnLock(data []byte) (*lockGraph, error) {
	if isBerry(data) {
		return parseBerry(data)
	}
	return parseYarnV1(data)
}

// isBerry reports whether a yarn.lock is in the berry (YAML) format: it has
// a top-level "__metadata:" key, which yarn classic never writes.
func isBerry(data []byte) bool {
	return bytes.HasPrefix(data, []byte("__metadata:")) || bytes.Contains(data, []byte("\n__metadata:"))
}

// yarnV1Entry is an entry of a yarn classic lockfile.
type yarnV1Entry struct {
	keys    []string // the descriptors ("name@range") it resolves
	version string
	deps    []string // the descriptors of its dependencies and optionalDependencies
}

// parseYarnV1 reads the yarn classic format: top-level entries keyed by one
// or more "name@range" descriptors, each with an indented `version "x"`
// line and its dependencies' descriptors:
//
//	"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
//	  version "7.12.13"
//	  resolved "https://registry.yarnpkg.com/..."
//	  dependencies:
//	    "@babel/highlight" "^7.10.4"
//
// The lockfile lists no projects: they are in the package.json files,
// whose dependencies are looked up in Keys (see [lockGraph.useManifests]).
func parseYarnV1(data []byte) (*lockGraph, error) {
	if err := tooLarge("yarn.lock", data); err != nil {
		return nil, err
	}
	var entries []*yarnV1Entry
	var cur *yarnV1Entry
	section := "" // the current entry's field holding a map
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		text := strings.TrimRight(sc.Text(), "\r")
		switch {
		case text == "" || strings.HasPrefix(strings.TrimSpace(text), "#"):
			continue
		case text[0] != ' ' && text[0] != '\t':
			if !strings.HasSuffix(text, ":") {
				return nil, fmt.Errorf("%w: yarn.lock: line %q: want an entry key ending in ':'", ErrInvalid, trim(text))
			}
			cur = &yarnV1Entry{keys: splitYarnKeys(strings.TrimSuffix(text, ":"))}
			entries = append(entries, cur)
			if err := tooMany(len(entries)); err != nil {
				return nil, fmt.Errorf("%w: yarn.lock: %w", ErrInvalid, err)
			}
			section = ""
		case cur == nil:
		case strings.HasPrefix(text, "    "):
			if section == "dependencies" || section == "optionalDependencies" {
				if name, rng := yarnPair(strings.TrimSpace(text)); name != "" {
					cur.deps = append(cur.deps, name+"@"+rng)
				}
			}
		default:
			field, value := yarnPair(strings.TrimSpace(text))
			section = ""
			switch {
			case strings.HasSuffix(field, ":") && value == "":
				section = strings.TrimSuffix(field, ":")
			case field == "version" && cur.version == "":
				cur.version = value
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: yarn.lock: %w", ErrInvalid, err)
	}
	if len(entries) == 0 && !bytes.Contains(data, []byte("yarn lockfile v1")) {
		return nil, fmt.Errorf("%w: yarn.lock: neither a yarn v1 nor a berry lockfile", ErrInvalid)
	}
	g := &lockGraph{Keys: make(map[string]int)}
	for _, e := range entries {
		p := lockPkg{}
		if len(e.keys) > 0 && e.version != "" {
			if name := yarnSpecName(e.keys[0]); name != "" {
				p.Name, p.Version = name, e.version
			}
		}
		i := g.add(p)
		for _, k := range e.keys {
			g.Keys[k] = i
		}
	}
	for i, e := range entries {
		for _, d := range e.deps {
			if j, ok := g.Keys[d]; ok {
				g.Pkgs[i].Deps = append(g.Pkgs[i].Deps, j)
			}
		}
	}
	return g, nil
}

// splitYarnKeys splits a yarn classic entry key line (without its colon)
// into its descriptors: `"a@^1.0.0", a@~1.1.0` -> a@^1.0.0, a@~1.1.0.
func splitYarnKeys(s string) []string {
	var out []string
	for s != "" {
		s = strings.TrimLeft(s, " ")
		var k string
		if strings.HasPrefix(s, `"`) {
			k, s = yarnString(s)
		} else {
			k, s, _ = strings.Cut(s, ",")
			k = strings.TrimSpace(k)
		}
		if k != "" {
			out = append(out, k)
		}
		s = strings.TrimPrefix(strings.TrimLeft(s, " "), ",")
	}
	return out
}

// yarnPair splits a yarn classic field line (`version "1.0.0"`,
// `"@babel/highlight" "^7.10.4"`, `dependencies:`) into its key and value,
// unquoting both.
func yarnPair(s string) (key, value string) {
	if strings.HasPrefix(s, `"`) {
		key, s = yarnString(s)
	} else {
		key, s, _ = strings.Cut(s, " ")
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, `"`) {
		value, _ = yarnString(s)
		return key, value
	}
	return key, s
}

// yarnString reads the quoted string s starts with and returns it
// unquoted, and what follows it.
func yarnString(s string) (str, rest string) {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			if u, err := strconv.Unquote(s[:i+1]); err == nil {
				return u, s[i+1:]
			}
			return s[1:i], s[i+1:]
		}
	}
	return strings.Trim(s, `"`), "" // unterminated
}

// yarnSpecName returns the registry package a yarn v1 specifier
// ("name@range", "@scope/name@range", "alias@npm:real@range") installs, or
// "" when it is not a registry package (git, GitHub, file, link, tarball
// URL): those versions are not registry releases.
func yarnSpecName(spec string) string {
	at := strings.IndexByte(spec[min(1, len(spec)):], '@') + 1
	if at <= 0 {
		return ""
	}
	name, rng := spec[:at], spec[at+1:]
	if real, ok := strings.CutPrefix(rng, "npm:"); ok {
		i := strings.LastIndexByte(real, '@')
		if i <= 0 {
			return real // "alias@npm:real" (any version)
		}
		return real[:i]
	}
	if strings.Contains(rng, ":") || strings.HasPrefix(rng, "/") || strings.HasPrefix(rng, ".") ||
		strings.HasPrefix(rng, "~/") || looksLikeGitHub(rng) {
		return ""
	}
	return name
}

// looksLikeGitHub reports whether a range is a GitHub shorthand
// ("user/repo", "user/repo#ref"), which yarn v1 accepts.
func looksLikeGitHub(rng string) bool {
	return strings.Contains(rng, "/") && !strings.ContainsAny(rng, " <>=^~*|")
}

// berryEntry is the part of a yarn berry lockfile entry we read.
type berryEntry struct {
	Resolution   string
	Dependencies map[string]string
	// Conditions are the package's platforms ("os=darwin & cpu=arm64").
	Conditions string
}

// berryEntryYAML is how berryEntry is decoded: its dependencies are
// walked by yamlMap (see yaml.go), not decoded by yaml.v3.
type berryEntryYAML struct {
	Resolution   string    `yaml:"resolution"`
	Dependencies yaml.Node `yaml:"dependencies"`
	Conditions   string    `yaml:"conditions"`
}

// decodeBerryEntry decodes a yarn berry lockfile entry.
func decodeBerryEntry(n *yaml.Node) (berryEntry, error) {
	raw, err := yamlDecode[berryEntryYAML](n)
	if err != nil {
		return berryEntry{}, err
	}
	deps, err := yamlMapOf(&raw.Dependencies, yamlDecode[string])
	if err != nil {
		return berryEntry{}, fmt.Errorf("dependencies: %w", err)
	}
	return berryEntry{Resolution: raw.Resolution, Dependencies: deps, Conditions: raw.Conditions}, nil
}

// parseBerry reads a yarn berry lockfile (YAML). Each entry's resolution
// ("name@npm:1.2.3") names the package and version installed; entries
// resolved by another protocol (workspace:, patch:, link:, portal:, file:,
// git and tarball URLs) are not registry releases and are not reported (a
// patch: entry depends on the npm: entry it patches, which is). The
// workspaces' entries are the graph's projects: they list their
// dependencies of every kind together, which their package.json files
// tell apart (see [lockGraph.useManifests]).
func parseBerry(data []byte) (*lockGraph, error) {
	kvs, ok := decodeBerryChunks(data)
	if !ok {
		var err error
		if kvs, err = decodeBerryWhole(data); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(kvs, func(a, b berryKV) int { return strings.Compare(a.key, b.key) })
	entries := make([]berryEntry, len(kvs))
	g := &lockGraph{}
	r := berryIndex{descs: make(map[string]int), bound: make(map[string][]berryBound), resolutions: make(map[string]int)}
	workspaces := make(map[int]string) // package -> workspace path
	for i, kv := range kvs {
		key := kv.key
		e := &entries[i]
		*e = kv.entry
		p := lockPkg{}
		p.OS, p.CPU, p.Libc = berryConditions(e.Conditions)
		if at := strings.LastIndex(e.Resolution, "@npm:"); at > 0 {
			name, v := e.Resolution[:at], e.Resolution[at+len("@npm:"):]
			if v != "" && !strings.ContainsAny(v, ":/#") {
				p.Name, p.Version = name, v
			}
		}
		g.add(p)
		r.add(i, key, e.Resolution)
		if at := strings.Index(e.Resolution, "@workspace:"); at > 0 {
			workspaces[i] = e.Resolution[at+len("@workspace:"):]
		}
	}
	for i := range entries {
		e := &entries[i]
		deps := make(map[string]int)
		for _, name := range slices.Sorted(maps.Keys(e.Dependencies)) {
			if j, ok := r.resolve(name, e.Dependencies[name], e.Resolution); ok {
				deps[name] = j
			}
		}
		if ws, ok := workspaces[i]; ok {
			// Its dependencies are the project's: a workspace reached
			// as a dependency is installed as a link, its development
			// dependencies are not.
			g.Projects = append(g.Projects, lockProject{Path: ws, Deps: deps})
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(deps)) {
			g.Pkgs[i].Deps = append(g.Pkgs[i].Deps, deps[name])
		}
		if base, ok := r.patched(e.Resolution); ok {
			g.Pkgs[i].Deps = append(g.Pkgs[i].Deps, base)
		}
	}
	return g, nil
}

// berryKV is an entry of a berry lockfile: its key (the descriptors
// that resolve to it) and what it says.
type berryKV struct {
	key   string
	entry berryEntry
}

// decodeBerryWhole decodes the entries of a berry lockfile from its
// whole document's tree.
func decodeBerryWhole(data []byte) ([]berryKV, error) {
	root, err := parseYAML("yarn.lock", data)
	if err != nil {
		return nil, err
	}
	pairs, err := yamlMap(root)
	if err != nil {
		return nil, fmt.Errorf("%w: yarn.lock: yaml: %w", ErrInvalid, err)
	}
	pairs = slices.DeleteFunc(pairs, func(kv yamlPair) bool { return kv.key == "__metadata" })
	if err := tooMany(len(pairs)); err != nil {
		return nil, fmt.Errorf("%w: yarn.lock: %w", ErrInvalid, err)
	}
	out := make([]berryKV, len(pairs))
	for i, kv := range pairs {
		out[i].key = kv.key
		if out[i].entry, err = decodeBerryEntry(kv.value); err != nil {
			return nil, fmt.Errorf("%w: yarn.lock: entry %q: %w", ErrInvalid, trim(kv.key), err)
		}
	}
	return out, nil
}

// decodeBerryChunks decodes the entries of a berry lockfile laid out as
// yarn writes it one at a time (see yamlSections), so that only one
// entry's tree is in memory; ok is false when it is laid out otherwise,
// or when an entry does not parse or decode: decodeBerryWhole then
// gives the same result, or the error.
func decodeBerryChunks(data []byte) (kvs []berryKV, ok bool) {
	if len(data) > maxYAMLBytes {
		return nil, false
	}
	docs, ok := yamlDocuments(data)
	if !ok || len(docs) > 1 {
		return nil, false // one document, as yarn writes it (the whole read takes the first)
	}
	if len(docs) == 0 {
		return nil, true
	}
	secs, ok := yamlSections(docs[0])
	if !ok {
		return nil, false
	}
	texts := make([][]byte, len(secs))
	for i := range secs {
		texts[i] = secs[i].text
	}
	seen := make(map[string]bool, len(secs))
	ok = yamlEachPair("yarn.lock", texts, func(p yamlPair) bool {
		if seen[p.key] {
			return false
		}
		seen[p.key] = true
		if p.key == "__metadata" {
			return true
		}
		e, err := decodeBerryEntry(p.value)
		if err != nil || tooMany(len(kvs)+1) != nil {
			return false
		}
		kvs = append(kvs, berryKV{p.key, e})
		return true
	})
	return kvs, ok
}

// berryIndex finds the entry a berry descriptor resolves to.
type berryIndex struct {
	descs map[string]int // descriptors as the entry keys list them
	// bound: descriptors yarn bound to the package declaring them
	// ("local@file:./local::locator=app%40workspace%3A.", relative
	// paths), by the descriptor without the binding.
	bound       map[string][]berryBound
	resolutions map[string]int // "name@npm:1.2.3" -> entry
}

// berryBound is an entry a bound descriptor resolves to, and the locator
// of the package it is bound to.
type berryBound struct {
	locator string
	entry   int
}

// add indexes the entry i with its key (one or more descriptors, ", "
// apart) and its resolution.
func (r *berryIndex) add(i int, key, resolution string) {
	for _, d := range strings.Split(key, ", ") {
		d = strings.TrimSpace(d)
		r.descs[d] = i
		if plain, params, ok := strings.Cut(d, "::"); ok {
			q, _ := url.ParseQuery(params)
			r.bound[plain] = append(r.bound[plain], berryBound{q.Get("locator"), i})
		}
	}
	r.resolutions[resolution] = i
}

// resolve returns the entry the dependency name@rng of the package whose
// resolution is parent resolves to. The range is as the lockfile writes
// it: "npm:^1.0.0" (yarn 4), "^1.0.0" (yarn 2 and 3 leave out the default
// npm: protocol, which the entry keys have), "file:./local" (a key bound
// to the parent).
func (r *berryIndex) resolve(name, rng, parent string) (int, bool) {
	d := name + "@" + rng
	if i, ok := r.descs[d]; ok {
		return i, true
	}
	if !strings.Contains(rng, ":") {
		if i, ok := r.descs[name+"@npm:"+rng]; ok {
			return i, true
		}
	}
	cands := r.bound[d]
	for _, c := range cands {
		if c.locator == parent {
			return c.entry, true
		}
	}
	if len(cands) == 1 {
		return cands[0].entry, true
	}
	return 0, false
}

// patched returns, for a patch: resolution
// ("fsevents@patch:fsevents@npm%3A2.3.3#optional!builtin<compat/fsevents>::version=2.3.3&hash=df0bf1"),
// the entry of the package it patches ("fsevents@npm:2.3.3").
func (r *berryIndex) patched(resolution string) (int, bool) {
	at := strings.Index(resolution, "@patch:")
	if at <= 0 {
		return 0, false
	}
	inner, _, _ := strings.Cut(resolution[at+len("@patch:"):], "#")
	inner, err := url.PathUnescape(inner)
	if err != nil {
		return 0, false
	}
	i, ok := r.resolutions[inner]
	return i, ok
}

// berryConditions reads an entry's conditions, which yarn writes from the
// package's os, cpu and libc fields: "os=darwin & cpu=arm64",
// "(os=darwin | os=linux)", "!os=win32", "os=linux & cpu=x64 &
// libc=glibc". A field it cannot read restricts nothing.
func berryConditions(s string) (os, cpu, libc []string) {
	if s == "" {
		return nil, nil, nil
	}
	lists := map[string]*[]string{"os": &os, "cpu": &cpu, "libc": &libc}
	for _, field := range strings.Split(s, " & ") {
		field = strings.TrimSpace(field)
		if strings.HasPrefix(field, "(") && strings.HasSuffix(field, ")") {
			field = field[1 : len(field)-1]
		}
		var name string
		var values []string
		for _, atom := range strings.Split(field, " | ") {
			atom = strings.TrimSpace(atom)
			neg := strings.HasPrefix(atom, "!")
			n, v, ok := strings.Cut(strings.TrimPrefix(atom, "!"), "=")
			if !ok || v == "" || name != "" && n != name {
				name = ""
				break
			}
			name = n
			if neg {
				v = "!" + v
			}
			values = append(values, v)
		}
		if l := lists[name]; l != nil {
			*l = values
		}
	}
	return os, cpu, libc
}

// trim shortens what error messages quote from hostile input.
func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
