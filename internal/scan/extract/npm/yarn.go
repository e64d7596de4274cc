package npm

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// parseYarnLock reads a yarn.lock of either format: yarn classic (v1, its
// own indented format, "# yarn lockfile v1") or yarn berry (v2 and later,
// YAML with a "__metadata" entry).
func parseYarnLock(data []byte) ([]string, error) {
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

// parseYarnV1 reads the yarn classic format: top-level entries keyed by one
// or more "name@range" specifiers, each with an indented `version "x"` line.
//
//	"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
//	  version "7.12.13"
//	  resolved "https://registry.yarnpkg.com/..."
func parseYarnV1(data []byte) ([]string, error) {
	var out []string
	name := "" // the package of the current entry; "" when skipped
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	entries := 0
	for sc.Scan() {
		text := strings.TrimRight(sc.Text(), "\r")
		switch {
		case text == "" || strings.HasPrefix(strings.TrimSpace(text), "#"):
			continue
		case text[0] != ' ' && text[0] != '\t':
			if !strings.HasSuffix(text, ":") {
				return nil, fmt.Errorf("%w: yarn.lock: line %q: want an entry key ending in ':'", ErrInvalid, trim(text))
			}
			entries++
			first, _, _ := strings.Cut(strings.TrimSuffix(text, ":"), ",")
			name = yarnSpecName(strings.Trim(strings.TrimSpace(first), `"`))
		case name != "" && strings.HasPrefix(text, "  version "):
			v := strings.Trim(strings.TrimSpace(strings.TrimPrefix(text, "  version ")), `"`)
			if v != "" {
				out = append(out, line(name, v))
			}
			name = ""
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: yarn.lock: %w", ErrInvalid, err)
	}
	if entries == 0 && !bytes.Contains(data, []byte("yarn lockfile v1")) {
		return nil, fmt.Errorf("%w: yarn.lock: neither a yarn v1 nor a berry lockfile", ErrInvalid)
	}
	return out, nil
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
	Version    string `yaml:"version"`
	Resolution string `yaml:"resolution"`
}

// parseBerry reads a yarn berry lockfile (YAML). Each entry's resolution
// ("name@npm:1.2.3") names the package and version installed; entries
// resolved by another protocol (workspace:, patch:, link:, portal:, file:,
// git and tarball URLs) are not registry releases and are skipped (a
// patch: entry repeats an npm: entry that is reported).
func parseBerry(data []byte) ([]string, error) {
	root, err := parseYAML("yarn.lock", data)
	if err != nil {
		return nil, err
	}
	entries, err := yamlMap(root)
	if err != nil {
		return nil, fmt.Errorf("%w: yarn.lock: yaml: %w", ErrInvalid, err)
	}
	var out []string
	for _, kv := range entries {
		if kv.key == "__metadata" {
			continue
		}
		e, err := yamlDecode[berryEntry](kv.value)
		if err != nil {
			return nil, fmt.Errorf("%w: yarn.lock: entry %q: %w", ErrInvalid, trim(kv.key), err)
		}
		i := strings.LastIndex(e.Resolution, "@npm:")
		if i <= 0 {
			continue
		}
		name, v := e.Resolution[:i], e.Resolution[i+len("@npm:"):]
		if v == "" || strings.ContainsAny(v, ":/#") {
			continue
		}
		out = append(out, line(name, v))
	}
	return out, nil
}

// trim shortens what error messages quote from hostile input.
func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
