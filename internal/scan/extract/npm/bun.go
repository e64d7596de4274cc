package npm

import (
	"bytes"
	"encoding/json"
	"fmt"
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
// range.
type bunDeps struct {
	Dependencies         map[string]string `json:"dependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
}

// prod returns the names of the dependencies installed in production.
func (d *bunDeps) prod() []string {
	var out []string
	for _, m := range []map[string]string{d.Dependencies, d.OptionalDependencies, d.PeerDependencies} {
		for n := range m {
			out = append(out, n)
		}
	}
	return out
}

// parseBunLock reads bun.lock. Packages resolved from a workspace, a
// local directory or tarball, git or a tarball URL are skipped: their
// versions are not registry releases. Packages only development
// dependencies reach are left out: bun.lock marks nothing, so, as for
// pnpm 9.x, the packages are walked from every workspace's dependencies,
// optionalDependencies and peerDependencies (production) and from its
// devDependencies; a package reached from the latter only is left out.
func parseBunLock(data []byte) ([]string, error) {
	var lf bunLock
	if err := json.Unmarshal(jsoncToJSON(data), &lf); err != nil {
		return nil, fmt.Errorf("%w: bun.lock: %w", ErrInvalid, err)
	}
	entries := make(map[string]bunEntry, len(lf.Packages))
	wsKeys := make(map[string]string) // workspace path -> its "packages" key; "" for the root
	for key, v := range lf.Packages {
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
	}

	// resolve finds the package a dependency of the package at key from
	// resolves to, as node does: "from/name", then up the parents.
	resolve := func(from, name string) (string, bool) {
		for {
			k := name
			if from != "" {
				k = from + "/" + name
			}
			if _, ok := entries[k]; ok {
				return k, true
			}
			if from == "" {
				return "", false
			}
			from = bunParent(from)
		}
	}
	reach := func(roots func(*bunDeps) []string) map[string]bool {
		seen := make(map[string]bool)
		var queue []string
		visit := func(from string, names []string) {
			for _, n := range names {
				if k, ok := resolve(from, n); ok && !seen[k] {
					seen[k] = true
					queue = append(queue, k)
				}
			}
		}
		for path, ws := range lf.Workspaces {
			from, ok := wsKeys[path]
			if !ok && path != "" {
				continue // a workspace no package entry names: nothing resolves from it
			}
			visit(from, roots(&ws))
		}
		for len(queue) > 0 {
			k := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			e := entries[k]
			visit(k, e.deps.prod())
		}
		return seen
	}
	prod := reach((*bunDeps).prod)
	dev := reach(func(d *bunDeps) []string {
		var out []string
		for n := range d.DevDependencies {
			out = append(out, n)
		}
		return out
	})

	var out []string
	for key, e := range entries {
		if dev[key] && !prod[key] {
			continue // development only
		}
		if e.name == "" || e.version == "" || strings.ContainsAny(e.version, ":/#") {
			continue // workspace:, file:, link:, git, github: or a tarball URL
		}
		out = append(out, line(e.name, e.version))
	}
	return out, nil
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
