package npm

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// package-lock.json and npm-shrinkwrap.json are read token by token
// ([json.Decoder]) rather than unmarshalled whole: only the reduced graph
// stays in memory, not the file nor a map of its entries with their
// URLs and hashes (a 33 MB lockfile of 60,000 packages peaked at 124 MB
// RSS read whole, 28 MB of it the map). The same code serves
// [Extractor.Reduce] and [Extractor.ReduceStream], so a lockfile gives the
// same result whichever way it was read, and none is refused for its size:
// what it costs is bounded by its packages (see [tooMany]).
//
// npm writes "packages" (lockfileVersion 2 and 3) before "dependencies"
// (the lockfileVersion 1 tree, which version 2 repeats for older npm), so
// reading stops at the end of "packages": the rest is neither decoded nor
// checked. "dependencies" is used when there is no "packages" (or it is
// null), as npm itself does. Keys repeated in one object (which npm never
// writes) are not merged: the last one counts, or for "packages" the
// first.

// lockEntry is an entry of "packages", keyed by install path.
type lockEntry struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Resolved string `json:"resolved"` // where it came from: a registry tarball URL, git+..., file:...
	Link     bool   `json:"link"`
	Dev      bool   `json:"dev"` // needed only by development dependencies
	// OS and CPU restrict the platforms it is installed on (npm 7 and
	// later copy them from the package's package.json).
	OS  stringList `json:"os"`
	CPU stringList `json:"cpu"`
	// Libc is written by npm 11 (not 10).
	Libc stringList `json:"libc"`
}

// notFromRegistry reports whether a lockfile's "resolved" names a git
// repository or a local file: the version is then the package.json's at
// that commit or path, not a registry release. (A tarball URL is kept:
// the lockfile names the package and version the tarball holds.)
func notFromRegistry(resolved string) bool {
	for _, p := range []string{"git+", "git:", "git@", "github:", "gitlab:", "bitbucket:", "gist:", "file:"} {
		if strings.HasPrefix(resolved, p) {
			return true
		}
	}
	return false
}

// maxDepthV1 is how deep lockfileVersion 1 dependencies may nest.
const maxDepthV1 = 256

// parseLockfile reads package-lock.json and npm-shrinkwrap.json from r.
// It marks which packages are development-only and, from lockfileVersion
// 2, which platforms each is for; it records no dependencies (they are
// not needed: npm marks dev-only packages itself).
func parseLockfile(r io.Reader) (*lockGraph, error) {
	g, err := readLockfile(json.NewDecoder(r))
	if err != nil {
		return nil, fmt.Errorf("%w: lockfile: %w", ErrInvalid, err)
	}
	return g, nil
}

func readLockfile(dec *json.Decoder) (*lockGraph, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if t == nil {
		return &lockGraph{}, nil // null: no packages
	}
	if t != json.Delim('{') {
		return nil, fmt.Errorf("want an object, got %v", t)
	}
	var v1 []depV1
	for dec.More() {
		key, err := readKey(dec)
		if err != nil {
			return nil, err
		}
		switch {
		case strings.EqualFold(key, "packages"):
			g, err := readPackages(dec)
			if err != nil || g != nil {
				return g, err // the rest of the file is not read
			}
		case strings.EqualFold(key, "dependencies"):
			var n int
			if v1, err = readDepsV1(dec, 0, &n); err != nil {
				return nil, err
			}
		default:
			if err := skipValue(dec); err != nil {
				return nil, err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, err
	}
	g := &lockGraph{}
	if err := g.addV1(v1); err != nil {
		return nil, err
	}
	return g, nil
}

// readPackages reads the value of "packages": nil for null.
func readPackages(dec *json.Decoder) (*lockGraph, error) {
	t, err := dec.Token()
	if err != nil || t == nil {
		return nil, err
	}
	if t != json.Delim('{') {
		return nil, fmt.Errorf("packages: want an object, got %v", t)
	}
	pkgs := make(map[string]lockPkg) // by install path; a repeated key's last entry counts
	for n := 1; dec.More(); n++ {
		if err := tooMany(n); err != nil {
			return nil, err
		}
		key, err := readKey(dec)
		if err != nil {
			return nil, err
		}
		var e lockEntry
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("packages: %q: %w", key, err)
		}
		i := strings.LastIndex(key, "node_modules/")
		if key == "" || i < 0 || e.Link || e.Version == "" || notFromRegistry(e.Resolved) {
			delete(pkgs, key) // the root project, a workspace link, a local folder, git
			continue
		}
		name := key[i+len("node_modules/"):]
		if e.Name != "" {
			name = e.Name // an alias: installed under another name
		}
		pkgs[key] = lockPkg{Name: name, Version: e.Version, Dev: e.Dev, OS: e.OS, CPU: e.CPU, Libc: e.Libc}
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	g := &lockGraph{}
	for _, key := range slices.Sorted(maps.Keys(pkgs)) {
		g.add(pkgs[key])
	}
	return g, nil
}

// depV1 is an entry of lockfileVersion 1 "dependencies": a package and
// those installed below it.
type depV1 struct {
	name, version string
	dev           bool
	deps          []depV1
}

// readDepsV1 reads a "dependencies" object of lockfileVersion 1 at the
// given nesting depth, its entries sorted by name (a repeated name's last
// entry counts). *n counts the entries read so far.
func readDepsV1(dec *json.Decoder, depth int, n *int) ([]depV1, error) {
	if depth > maxDepthV1 {
		return nil, fmt.Errorf("dependencies nested deeper than %d", maxDepthV1)
	}
	t, err := dec.Token()
	if err != nil || t == nil {
		return nil, err
	}
	if t != json.Delim('{') {
		return nil, fmt.Errorf("dependencies: want an object, got %v", t)
	}
	byName := make(map[string]depV1)
	for dec.More() {
		if *n++; *n > maxLockPackages {
			return nil, tooMany(*n)
		}
		name, err := readKey(dec)
		if err != nil {
			return nil, err
		}
		d, err := readDepV1(dec, depth, n)
		if err != nil {
			return nil, fmt.Errorf("dependencies: %q: %w", name, err)
		}
		d.name = name
		byName[name] = d
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	out := make([]depV1, 0, len(byName))
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, byName[name])
	}
	return out, nil
}

// readDepV1 reads one entry of a lockfileVersion 1 "dependencies" object.
// Its field names match as encoding/json matches a struct's, ignoring case
// (as do the lockfile's own: "Packages" is "packages").
func readDepV1(dec *json.Decoder, depth int, n *int) (depV1, error) {
	var d depV1
	t, err := dec.Token()
	if err != nil || t == nil {
		return d, err
	}
	if t != json.Delim('{') {
		return d, fmt.Errorf("want an object, got %v", t)
	}
	for dec.More() {
		key, err := readKey(dec)
		if err != nil {
			return d, err
		}
		switch {
		case strings.EqualFold(key, "version"):
			err = dec.Decode(&d.version)
		case strings.EqualFold(key, "dev"):
			err = dec.Decode(&d.dev)
		case strings.EqualFold(key, "dependencies"):
			d.deps, err = readDepsV1(dec, depth+1, n)
		default:
			err = skipValue(dec)
		}
		if err != nil {
			return d, err
		}
	}
	_, err = dec.Token()
	return d, err
}

// addV1 adds the registry packages of a lockfileVersion 1 tree, each
// before those installed below it.
func (g *lockGraph) addV1(deps []depV1) error {
	for _, d := range deps {
		name, v := d.name, d.version
		// v1 aliases: "version": "npm:real-name@1.2.3".
		if rest, ok := strings.CutPrefix(v, "npm:"); ok {
			if at := strings.LastIndex(rest, "@"); at > 0 {
				name, v = rest[:at], rest[at+1:]
			}
		}
		if v != "" && !strings.Contains(v, ":") && !strings.Contains(v, "/") {
			if err := tooMany(len(g.Pkgs) + 1); err != nil {
				return err
			}
			g.add(lockPkg{Name: name, Version: v, Dev: d.dev}) // not file:, git+, tarball URLs
		}
		if err := g.addV1(d.deps); err != nil {
			return err
		}
	}
	return nil
}

// readKey reads an object's next key.
func readKey(dec *json.Decoder) (string, error) {
	t, err := dec.Token()
	if err != nil {
		return "", err
	}
	k, ok := t.(string)
	if !ok {
		return "", fmt.Errorf("want a key, got %v", t)
	}
	return k, nil
}

// errUnbalanced reports a value whose brackets do not match; the decoder
// itself reports those, so it is never seen.
var errUnbalanced = errors.New("unbalanced value")

// skipValue reads the next value and drops it, holding no more of it than
// a token.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth < 0 {
			return errUnbalanced
		}
		if depth == 0 {
			return nil
		}
	}
}
