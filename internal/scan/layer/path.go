package layer

import (
	"path"
	"strings"
)

// CleanPath returns the path the reader gives an entry named name, clean
// and relative to the image root, and false for the names it offers no
// one: the root itself and names that climb above it.
func CleanPath(name string) (string, bool) {
	p, _, escapes := cleanName(name)
	return p, p != "" && !escapes
}

// cleanName turns a tar entry name into a clean path relative to the image
// root ("" is the root itself). abs reports a leading "/", escapes a name
// that climbs above the root ("../x", "a/../../x").
func cleanName(name string) (p string, abs, escapes bool) {
	if isClean(name) {
		return name, false, false // most names: no need to rebuild them
	}
	if strings.HasPrefix(name, "/") {
		abs = true
		name = strings.TrimLeft(name, "/")
	}
	p = path.Clean(name)
	if p == "." {
		return "", abs, false
	}
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", abs, true
	}
	return p, abs, false
}

// depth returns the number of elements of a clean relative path.
func depth(p string) int {
	if p == "" {
		return 0
	}
	return strings.Count(p, "/") + 1
}

// join joins a clean directory ("" = root) and a name.
func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// parent returns the directory of a clean relative path ("" for the root
// and for top-level names).
func parent(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// escapesRoot reports whether a relative symlink target, taken from the
// directory dir, lexically climbs above the image root.
func escapesRoot(dir, target string) bool {
	if strings.HasPrefix(target, "/") {
		return false
	}
	lvl := depth(dir)
	for _, c := range strings.Split(target, "/") {
		switch c {
		case "", ".":
		case "..":
			lvl--
			if lvl < 0 {
				return true
			}
		default:
			lvl++
		}
	}
	return false
}

// lookupFunc returns the node at a clean path, or nil.
type lookupFunc func(p string) *node

// resolve follows symbolic links in p (in every element, and in the last
// one when followLast) inside the image root: ".." at the root stays at the
// root and absolute targets start from the root, as in a chroot. It returns
// the resolved path, the highest layer index among the links followed (-1
// if none) and ok=false when more than maxHops links were needed.
func resolve(p string, lookup lookupFunc, followLast bool, maxHops int) (string, int, bool) {
	cur := ""
	rest := p
	hops := 0
	top := -1
	for rest != "" {
		var c string
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			c, rest = rest[:i], rest[i+1:]
		} else {
			c, rest = rest, ""
		}
		switch c {
		case "", ".":
			continue
		case "..":
			cur = parent(cur)
			continue
		}
		next := join(cur, c)
		n := lookup(next)
		if n == nil || n.typ != typeSymlink || (rest == "" && !followLast) {
			cur = next
			continue
		}
		hops++
		if hops > maxHops {
			return "", top, false
		}
		top = max(top, n.layer)
		t := n.target
		if strings.HasPrefix(t, "/") {
			cur = ""
		}
		if rest == "" {
			rest = t
		} else {
			rest = t + "/" + rest
		}
	}
	return cur, top, true
}

// isClean reports whether name is already a clean relative path that stays
// inside the root (path.Clean(name) == name, no leading "/", no ".."
// element): every element is non-empty and neither "." nor "..".
func isClean(name string) bool {
	start := 0
	for i := 0; i <= len(name); i++ {
		if i < len(name) && name[i] != '/' {
			continue
		}
		switch name[start:i] {
		case "", ".", "..":
			return false
		}
		start = i + 1
	}
	return true
}
