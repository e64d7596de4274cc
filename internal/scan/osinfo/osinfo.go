package osinfo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/layer"
)

// Release files, relative to the image root.
const (
	etcOSRelease   = "etc/os-release"
	usrOSRelease   = "usr/lib/os-release"
	alpineRelease  = "etc/alpine-release"
	debianVersion  = "etc/debian_version"
	lsbRelease     = "etc/lsb-release"
	dpkgStatusDDir = "var/lib/dpkg/status.d/"
)

// rpmReleaseFiles map a release file to the ID it implies, most specific
// first (CentOS and Rocky also ship redhat-release).
var rpmReleaseFiles = []struct{ path, id string }{
	{"etc/almalinux-release", "almalinux"},
	{"etc/rocky-release", "rocky"},
	{"etc/centos-release", "centos"},
	{"etc/oracle-release", "ol"},
	{"etc/fedora-release", "fedora"},
	{"etc/system-release", "amzn"},
	{"etc/redhat-release", "rhel"},
}

// Selector is the layer selector for the release files.
type Selector struct{}

// Wants implements [layer.Selector].
func (Selector) Wants(path string, fi fs.FileInfo) bool {
	switch path {
	case etcOSRelease, usrOSRelease, alpineRelease, debianVersion, lsbRelease:
		return true
	}
	if strings.HasPrefix(path, "etc/") && strings.HasSuffix(path, "-release") {
		for _, f := range rpmReleaseFiles {
			if path == f.path {
				return true
			}
		}
	}
	// Distroless: the base-files entry dates the Debian release.
	return strings.HasPrefix(path, dpkgStatusDDir) && strings.HasPrefix(path[len(dpkgStatusDDir):], "base")
}

// Detect returns the OS release of the image whose release files fsys
// holds, or nil when none is recognised. It fails only when a release file
// exists but could not be kept (a *layer.LimitError: an absurdly large
// release file is not ignored silently).
func Detect(fsys *layer.FS) (*pkg.Distro, error) {
	read := func(p string) ([]byte, bool, error) {
		b, err := fsys.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("osinfo: %w", err)
		}
		return b, true, nil
	}
	var d *pkg.Distro
	for _, p := range []string{etcOSRelease, usrOSRelease} {
		b, ok, err := read(p)
		if err != nil {
			return nil, err
		}
		if ok {
			d = parseOSRelease(b)
			if d.ID != "" {
				break
			}
			d = nil
		}
	}
	// Refinements and fallbacks from the distribution's own files.
	if b, ok, err := read(alpineRelease); err != nil {
		return nil, err
	} else if ok {
		v := firstLine(b)
		if d == nil {
			d = &pkg.Distro{ID: "alpine", VersionID: v, PrettyName: "Alpine Linux " + v}
		}
	}
	if d == nil {
		if b, ok, err := read(debianVersion); err != nil {
			return nil, err
		} else if ok {
			d = fromDebianVersion(firstLine(b))
		}
	}
	if d == nil {
		for _, f := range rpmReleaseFiles {
			b, ok, err := read(f.path)
			if err != nil {
				return nil, err
			}
			if ok {
				d = fromRPMRelease(f.id, firstLine(b))
				break
			}
		}
	}
	if d == nil {
		if b, ok, err := read(lsbRelease); err != nil {
			return nil, err
		} else if ok {
			d = fromLSBRelease(b)
		}
	}
	// Distroless images keep their dpkg database in status.d, one file per
	// package; some have no release file at all.
	distroless, baseVersion := distrolessBase(fsys)
	if d == nil && distroless {
		d = &pkg.Distro{ID: "debian", VersionID: debianMajor(baseVersion)}
	}
	if d != nil && (d.PrettyName == "Distroless" || distroless && d.ID == "debian") {
		d.Variant = pkg.VariantDistroless
	}
	return d, nil
}

// parseOSRelease parses os-release(5): KEY=VALUE lines, values optionally
// quoted with shell quoting.
func parseOSRelease(b []byte) *pkg.Distro {
	kv := make(map[string]string)
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 64<<10)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		kv[strings.TrimSpace(k)] = unquote(strings.TrimSpace(v))
	}
	d := &pkg.Distro{
		ID:         strings.ToLower(kv["ID"]),
		VersionID:  kv["VERSION_ID"],
		Codename:   kv["VERSION_CODENAME"],
		PrettyName: kv["PRETTY_NAME"],
	}
	if like := strings.Fields(strings.ToLower(kv["ID_LIKE"])); len(like) > 0 {
		d.IDLike = like
	}
	if d.Codename == "" {
		// VERSION="12 (bookworm)" or "18.04.6 LTS (Bionic Beaver)".
		if m := parenRE.FindStringSubmatch(kv["VERSION"]); m != nil && !strings.Contains(m[1], " ") {
			d.Codename = strings.ToLower(m[1])
		}
	}
	if d.Codename == "" {
		d.Codename = kv["UBUNTU_CODENAME"]
	}
	return d
}

var parenRE = regexp.MustCompile(`\(([^)]+)\)`)

// unquote removes shell quotes and backslash escapes.
func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		q := v[0]
		v = v[1 : len(v)-1]
		if q == '"' {
			var sb strings.Builder
			for i := 0; i < len(v); i++ {
				if v[i] == '\\' && i+1 < len(v) {
					i++
				}
				sb.WriteByte(v[i])
			}
			v = sb.String()
		}
	}
	return v
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(s)
}

// fromDebianVersion reads /etc/debian_version ("12.15", "9.13",
// "trixie/sid").
func fromDebianVersion(v string) *pkg.Distro {
	d := &pkg.Distro{ID: "debian", PrettyName: "Debian GNU/Linux " + v}
	if major := debianMajor(v); major != "" {
		d.VersionID = major
	} else if code, _, ok := strings.Cut(v, "/"); ok {
		d.Codename = code
	}
	return d
}

// debianMajor returns the major release of a Debian point release or
// base-files version ("12.4+deb12u5" -> "12"), or "" if there is none.
func debianMajor(v string) string {
	end := 0
	for end < len(v) && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	return v[:end]
}

var rpmVersionRE = regexp.MustCompile(`release\s+(\d+(?:\.\d+)*)`)

// fromRPMRelease reads a line such as "CentOS Linux release 7.9.2009
// (Core)", "Rocky Linux release 9.3 (Blue Onyx)" or "Amazon Linux release 2
// (Karoo)".
func fromRPMRelease(id, line string) *pkg.Distro {
	d := &pkg.Distro{ID: id, PrettyName: line}
	if id == "rhel" && strings.HasPrefix(strings.ToLower(line), "centos") {
		d.ID = "centos"
	}
	if m := rpmVersionRE.FindStringSubmatch(line); m != nil {
		v := m[1]
		// CentOS and RHEL advisories are per major release.
		if d.ID == "centos" || d.ID == "rhel" || d.ID == "rocky" || d.ID == "almalinux" || d.ID == "ol" {
			v, _, _ = strings.Cut(v, ".")
		}
		d.VersionID = v
	}
	return d
}

// fromLSBRelease reads /etc/lsb-release (DISTRIB_ID, DISTRIB_RELEASE,
// DISTRIB_CODENAME), found on old Ubuntu images.
func fromLSBRelease(b []byte) *pkg.Distro {
	kv := make(map[string]string)
	// bytes.Lines, not strings.Split: a file of newlines would cost a
	// 16-byte string header per byte.
	for line := range bytes.Lines(b) {
		if k, v, ok := bytes.Cut(bytes.TrimSpace(line), []byte("=")); ok {
			kv[string(k)] = unquote(string(v))
		}
	}
	if kv["DISTRIB_ID"] == "" {
		return nil
	}
	return &pkg.Distro{
		ID: strings.ToLower(kv["DISTRIB_ID"]), VersionID: kv["DISTRIB_RELEASE"],
		Codename: kv["DISTRIB_CODENAME"], PrettyName: kv["DISTRIB_DESCRIPTION"],
	}
}

// distrolessBase reports whether the image has a distroless dpkg database
// (status.d) and the version of its base-files package.
func distrolessBase(fsys *layer.FS) (bool, string) {
	found := false
	for _, f := range fsys.Files() {
		if !strings.HasPrefix(f.Path, dpkgStatusDDir) {
			continue
		}
		found = true
		if f.Err != nil {
			continue
		}
		var name, version string
		for line := range bytes.Lines(f.Data) {
			if v, ok := bytes.CutPrefix(line, []byte("Package:")); ok {
				name = string(bytes.TrimSpace(v))
			} else if v, ok := bytes.CutPrefix(line, []byte("Version:")); ok {
				version = string(bytes.TrimSpace(v))
			} else if len(bytes.TrimSpace(line)) == 0 && name != "" {
				break
			}
		}
		if name == "base-files" {
			return true, version
		}
	}
	return found, ""
}
