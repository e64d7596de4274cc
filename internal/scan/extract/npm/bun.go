package npm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/drydock/drydock/internal/scan/extract"
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
	if err := tooLarge("bun.lock", data); err != nil {
		return nil, err
	}
	var lf bunLock
	if err := json.Unmarshal(jsoncToJSON(data), &lf); err != nil {
		return nil, fmt.Errorf("%w: bun.lock: %w", ErrInvalid, err)
	}
	if err := tooMany(len(lf.Packages)); err != nil {
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
			if _, dup := wsKeys[ws]; !dup {
				// A workspace's dependencies are listed there, for the
				// one entry naming it (were more to, each would cost
				// them all).
				e.deps = lf.Workspaces[ws]
				wsKeys[ws] = key
			}
		}
		entries[key] = e
		p := lockPkg{OS: e.deps.OS, CPU: e.deps.CPU, Libc: e.deps.Libc}
		if e.name != "" && e.version != "" && !strings.ContainsAny(e.version, ":/#") {
			p.Name, p.Version = e.name, e.version // not workspace:, file:, link:, git, github: or a URL
		}
		index[key] = g.add(p)
	}

	// The dependencies of each package, and of each workspace, resolve
	// from its install path.
	var queries []bunQuery
	for _, key := range keys {
		e := entries[key]
		queries = append(queries, bunQuery{from: key, names: slices.Sorted(maps.Keys(e.deps.prod()))})
	}
	var projects []string
	for _, path := range slices.Sorted(maps.Keys(lf.Workspaces)) {
		from, ok := wsKeys[path]
		if !ok && path != "" {
			continue // a workspace no package entry names: nothing resolves from it
		}
		ws := lf.Workspaces[path]
		projects = append(projects, path)
		queries = append(queries,
			bunQuery{from: from, names: slices.Sorted(maps.Keys(ws.prod()))},
			bunQuery{from: from, names: slices.Sorted(maps.Keys(ws.DevDependencies))})
	}
	deps, err := bunResolve(index, queries)
	if err != nil {
		return nil, fmt.Errorf("%w: bun.lock: %w", ErrInvalid, err)
	}
	for i, key := range keys {
		g.Pkgs[index[key]].Deps = deps[i]
	}
	for i := range projects {
		q := len(keys) + 2*i
		g.Projects = append(g.Projects, lockProject{Prod: deps[q], Dev: deps[q+1]})
	}
	return g, nil
}

// bunQuery asks for the packages the dependency names resolve to from
// the install path from (a "packages" key, "" for the root).
type bunQuery struct {
	from  string
	names []string
}

// bunNode is a directory of the tree of install paths: a package's, or
// one that packages are nested under.
type bunNode struct {
	name           string // the package name it adds to its parent's path
	pkg            int    // the package installed there, -1 for none
	child, sibling int    // its first child and next sibling, 0 for none
	queries        []int
}

// bunResolve answers queries as node resolves modules: name from
// "a/b" is the package at "a/b/name", else "a/name", else "name". It
// walks the tree of install paths once, keeping, for each name, the
// packages of that name in the directories above: a query costs its
// names, however deep its path (looking each up at every level took
// minutes for 50,000 names at depth 2,000, a 460 KB bun.lock). A tree of
// more than 2*maxLockPackages directories is refused.
func bunResolve(index map[string]int, queries []bunQuery) ([][]int, error) {
	nodes := []bunNode{{pkg: -1}} // the root
	kids := make(map[bunKid]int)
	at := func(key string) (int, error) {
		n := 0
		for rest := key; rest != ""; {
			var name string
			name, rest = bunNextName(rest)
			c, ok := kids[bunKid{n, name}]
			if !ok {
				if len(nodes) > 2*maxLockPackages {
					return 0, fmt.Errorf("%w: install paths of more than %d directories", extract.ErrTooManyPackages, 2*maxLockPackages)
				}
				c = len(nodes)
				nodes = append(nodes, bunNode{name: name, pkg: -1, sibling: nodes[n].child})
				nodes[n].child = c
				kids[bunKid{n, name}] = c
			}
			n = c
		}
		return n, nil
	}
	for _, key := range slices.Sorted(maps.Keys(index)) {
		n, err := at(key)
		if err != nil {
			return nil, err
		}
		nodes[n].pkg = index[key]
	}
	for i, q := range queries {
		n, err := at(q.from)
		if err != nil {
			return nil, err
		}
		nodes[n].queries = append(nodes[n].queries, i)
	}
	out := make([][]int, len(queries))
	above := make(map[string][]int) // name -> packages of that name, nearest last
	// push adds (or, popping, removes) the packages in n's children.
	push := func(n int, pop bool) {
		for c := nodes[n].child; c != 0; c = nodes[c].sibling {
			if p := nodes[c].pkg; p >= 0 {
				if s := above[nodes[c].name]; pop {
					above[nodes[c].name] = s[:len(s)-1]
				} else {
					above[nodes[c].name] = append(s, p)
				}
			}
		}
	}
	stack := []int{0} // nodes to enter; ^n leaves n
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n < 0 {
			push(^n, true)
			continue
		}
		push(n, false)
		for _, i := range nodes[n].queries {
			for _, name := range queries[i].names {
				if s := above[name]; len(s) > 0 {
					out[i] = append(out[i], s[len(s)-1])
				}
			}
		}
		stack = append(stack, ^n)
		for c := nodes[n].child; c != 0; c = nodes[c].sibling {
			stack = append(stack, c)
		}
	}
	return out, nil
}

// bunKid is a directory's child of a name, as bunResolve indexes them.
type bunKid struct {
	parent int
	name   string
}

// bunNextName splits the first package name off an install path ("a/b"
// -> "a", "b"; "@s/a/b" -> "@s/a", "b").
func bunNextName(key string) (name, rest string) {
	name, rest, _ = strings.Cut(key, "/")
	if strings.HasPrefix(name, "@") {
		n2, r2, _ := strings.Cut(rest, "/")
		name, rest = name+"/"+n2, r2
	}
	return name, rest
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
