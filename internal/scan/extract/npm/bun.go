package npm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// bunLock is the part of bun.lock (bun 1.2 and later; JSON with trailing
// commas) we read:
//
//	"workspaces": {"": {"name": "app", "dependencies": {...}, "devDependencies": {...}},
//	               "packages/a": {"name": "a", "dependencies": {...}}},
//	"packages": {
//	  "lodash":      ["lodash@4.17.21", "", {"dependencies": {...}}, "sha512-..."],
//	  "alias":       ["lodash@4.17.11", "", {}, "sha512-..."],
//	  "a":           ["a@workspace:packages/a"],
//	  "a/json5":     ["json5@1.0.1", "", {...}, "sha512-..."],
//	  "local":       ["local@file:local", {"dependencies": {...}}],
//	  "tgz":         ["ms@https://registry.npmjs.org/ms/-/ms-2.1.1.tgz", {}, "sha512-..."],
//	}
//
// A "packages" key is the install path the way node resolves it: "name"
// at the top, "parent/name" nested under the package (or workspace) with
// key "parent". The first element of the value is the resolved
// "name@version"; the first object after it holds the dependencies.
type bunLock struct {
	Workspaces map[string]bunDeps           `json:"workspaces"`
	Packages   map[string][]json.RawMessage `json:"packages"`
}

// bunEntry is a "packages" entry: the resolved name and version
// ("workspace:packages/a", "file:local", a URL, ... for packages that did
// not come from the registry) and its dependencies.
type bunEntry struct {
	name, version string
	deps          bunDeps
}

// bunDeps is a workspace, or a package's metadata: dependency name ->
// range, and the package's platforms.
type bunDeps struct {
	dependencyFields
	OS   stringList `json:"os"`
	CPU  stringList `json:"cpu"`
	Libc stringList `json:"libc"`
}

// parseBunLock reads bun.lock. Packages resolved from a workspace, a
// local directory or tarball, git or a tarball URL are not reported: their
// versions are not registry releases. bun.lock marks no package as
// development-only: its workspaces are the graph's projects, and a
// package's dependencies (dependencies, optionalDependencies and, since
// bun.lock lists the peers bun installs, peerDependencies) resolve as
// node resolves them, from the package's install path ("packages" keys)
// up.
func parseBunLock(data []byte) (*lockGraph, error) {
	var lf bunLock
	if err := json.Unmarshal(jsoncToJSON(data), &lf); err != nil {
		return nil, fmt.Errorf("%w: bun.lock: %w", ErrInvalid, err)
	}
	keys := slices.Sorted(maps.Keys(lf.Packages))
	entries := make(map[string]bunEntry, len(lf.Packages))
	index := make(map[string]int, len(lf.Packages)) // "packages" key -> package
	wsKeys := make(map[string]string)               // workspace path -> its "packages" key
	g := &lockGraph{}
	for _, key := range keys {
		v := lf.Packages[key]
		var ident string
		if len(v) == 0 || json.Unmarshal(v[0], &ident) != nil {
			return nil, fmt.Errorf("%w: bun.lock: package %q: want [\"name@version\", ...]", ErrInvalid, trim(key))
		}
		e := bunEntry{}
		if at := strings.LastIndexByte(ident, '@'); at > 0 {
			e.name, e.version = ident[:at], ident[at+1:]
		}
		for _, raw := range v[1:] {
			if r := bytes.TrimSpace(raw); len(r) > 0 && r[0] == '{' {
				if err := json.Unmarshal(r, &e.deps); err != nil {
					return nil, fmt.Errorf("%w: bun.lock: package %q: %w", ErrInvalid, trim(key), err)
				}
				break
			}
		}
		if ws, ok := strings.CutPrefix(e.version, "workspace:"); ok {
			e.deps = lf.Workspaces[ws] // a workspace's dependencies are listed there
			wsKeys[ws] = key
		}
		entries[key] = e
		p := lockPkg{OS: e.deps.OS, CPU: e.deps.CPU, Libc: e.deps.Libc}
		if e.name != "" && e.version != "" && !strings.ContainsAny(e.version, ":/#") {
			p.Name, p.Version = e.name, e.version // not workspace:, file:, link:, git, github: or a URL
		}
		index[key] = g.add(p)
	}

	// resolve finds the packages dependencies of the package at key from
	// resolve to, as node does: "from/name", then up the parents.
	resolve := func(from string, names []string) []int {
		var out []int
		for _, name := range names {
			for f := from; ; f = bunParent(f) {
				k := name
				if f != "" {
					k = f + "/" + name
				}
				if i, ok := index[k]; ok {
					out = append(out, i)
					break
				}
				if f == "" {
					break
				}
			}
		}
		return out
	}
	for _, key := range keys {
		e := entries[key]
		g.Pkgs[index[key]].Deps = resolve(key, slices.Sorted(maps.Keys(e.deps.prod())))
	}
	for _, path := range slices.Sorted(maps.Keys(lf.Workspaces)) {
		from, ok := wsKeys[path]
		if !ok && path != "" {
			continue // a workspace no package entry names: nothing resolves from it
		}
		ws := lf.Workspaces[path]
		g.Projects = append(g.Projects, lockProject{
			Prod: resolve(from, slices.Sorted(maps.Keys(ws.prod()))),
			Dev:  resolve(from, slices.Sorted(maps.Keys(ws.DevDependencies))),
		})
	}
	return g, nil
}

// bunParent returns the key of the package a nested key sits under
// ("a/@s/b" -> "a", "@s/a/b" -> "@s/a", "a" -> "").
func bunParent(key string) string {
	var parts []string // package names, scoped ones whole
	for rest := key; rest != ""; {
		seg, after, _ := strings.Cut(rest, "/")
		if strings.HasPrefix(seg, "@") {
			s2, a2, _ := strings.Cut(after, "/")
			seg, after = seg+"/"+s2, a2
		}
		parts = append(parts, seg)
		rest = after
	}
	if len(parts) <= 1 {
		return ""
	}
	return strings.Join(parts[:len(parts)-1], "/")
}

// jsoncToJSON returns data with what JSON does not allow and bun.lock may
// hold removed: commas before a closing bracket or brace, and // and /*
// */ comments. Strings are copied untouched.
func jsoncToJSON(data []byte) []byte {
	out := make([]byte, 0, len(data))
	comma := -1 // index in out of a comma that may turn out trailing
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(data) && data[j] != '"' {
				if data[j] == '\\' {
					j++
				}
				j++
			}
			end := min(j+1, len(data))
			out = append(out, data[i:end]...)
			i = end - 1
			comma = -1
		case c == '/' && i+1 < len(data) && data[i+1] == '/':
			for i < len(data) && data[i] != '\n' {
				i++
			}
			i-- // keep the newline
		case c == '/' && i+1 < len(data) && data[i+1] == '*':
			end := bytes.Index(data[i+2:], []byte("*/"))
			if end < 0 {
				return out // an unterminated comment: the decoder reports the truncation
			}
			i += 2 + end + 1
		case c == ',':
			comma = len(out)
			out = append(out, c)
		case c == ']' || c == '}':
			if comma >= 0 {
				out = append(out[:comma], out[comma+1:]...)
			}
			comma = -1
			out = append(out, c)
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			out = append(out, c)
		default:
			comma = -1
			out = append(out, c)
		}
	}
	return out
}
