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
	LockfileVersion any                    `yaml:"lockfileVersion"`
	Packages        map[string]pnpmPackage `yaml:"packages"`
}

// pnpmPackage is a "packages" entry. Name and Version are set for packages
// that did not come from the registry by name (tarballs, git, directories).
type pnpmPackage struct {
	Name       string `yaml:"name"`
	Version    string `yaml:"version"`
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
	if len(data) > maxYAMLBytes {
		return nil, fmt.Errorf("%w: pnpm-lock.yaml: %d bytes, over the %d-byte limit for YAML lockfiles", ErrInvalid, len(data), maxYAMLBytes)
	}
	var lf pnpmLock
	if err := yaml.Unmarshal(data, &lf); err != nil {
		return nil, fmt.Errorf("%w: pnpm-lock.yaml: %w", ErrInvalid, err)
	}
	major, err := pnpmMajor(lf.LockfileVersion)
	if err != nil {
		return nil, err
	}
	var out []string
	for key, p := range lf.Packages {
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
