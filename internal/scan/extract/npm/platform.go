package npm

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
	"gopkg.in/yaml.v3"
)

// target is the platform packages are installed for, in node's terms
// (process.platform, process.arch, and the C library family npm and pnpm
// detect); an empty field is unknown and rules nothing out.
type target struct{ os, cpu, libc string }

// nodeArch maps GOARCH values (an image config's architecture) to
// node's process.arch.
var nodeArch = map[string]string{
	"amd64": "x64", "386": "ia32", "arm64": "arm64", "arm": "arm",
	"ppc64le": "ppc64", "ppc64": "ppc64", "s390x": "s390x", "riscv64": "riscv64",
	"loong64": "loong64", "mips64le": "mips64el", "mips64": "mips64", "mipsle": "mipsel", "mips": "mips",
}

// nodeOS maps the GOOS values that node names otherwise to its
// process.platform; the others ("linux", "darwin", "freebsd", "aix", ...)
// are the same.
var nodeOS = map[string]string{"windows": "win32", "solaris": "sunos", "illumos": "sunos"}

// targetOf returns the platform of an extraction: the image's, and its
// C library as its distribution implies (see [libcOf]).
func targetOf(in extract.Input) target {
	if !in.Platform.Known() {
		return target{}
	}
	t := target{os: in.Platform.OS, cpu: nodeArch[in.Platform.Arch]}
	if o, ok := nodeOS[t.os]; ok {
		t.os = o
	}
	if t.os == "linux" {
		t.libc = libcOf(in.Distro)
	}
	return t
}

// musl and glibc list the distributions (os-release ID or ID_LIKE) whose
// node, and so npm, pnpm, yarn and bun, runs on musl or on glibc.
var (
	musl  = []string{"alpine", "postmarketos", "chimera"}
	glibc = []string{"debian", "ubuntu", "rhel", "centos", "fedora", "rocky", "almalinux", "ol", "amzn",
		"sles", "suse", "opensuse", "opensuse-leap", "opensuse-tumbleweed", "wolfi", "chainguard", "photon",
		"mariner", "azurelinux", "arch", "gentoo"}
)

// libcOf returns the C library ("glibc", "musl") of a distribution, ""
// when unknown: packages built for either (@rollup/rollup-linux-x64-gnu
// and -musl) are then both kept.
func libcOf(d *pkg.Distro) string {
	if d == nil {
		return ""
	}
	for _, id := range append([]string{d.ID}, d.IDLike...) {
		switch {
		case slices.Contains(musl, id):
			return "musl"
		case slices.Contains(glibc, id):
			return "glibc"
		}
	}
	return ""
}

// allows reports whether a package may be installed on t.
func (t target) allows(p *lockPkg) bool {
	return allowed(t.os, p.OS) && allowed(t.cpu, p.CPU) && allowed(t.libc, p.Libc)
}

// allowed applies a package.json os, cpu or libc list to value, as npm
// does (npm-install-checks): value must match none of the negated entries
// ("!win32") and, when there are others, one of them; ["any"] and an
// empty list allow everything. An unknown value is allowed.
func allowed(value string, list []string) bool {
	if value == "" || len(list) == 0 || len(list) == 1 && list[0] == "any" {
		return true
	}
	negated, match := 0, false
	for _, e := range list {
		if v, neg := strings.CutPrefix(e, "!"); neg {
			negated++
			if v == value {
				return false
			}
		} else if e == value {
			match = true
		}
	}
	return match || negated == len(list)
}

// stringList is a package.json os/cpu/libc field as lockfiles copy it: a
// list, or a single string (bun writes "os": "darwin"). A value of
// another shape is ignored (it restricts nothing) rather than failing
// the lockfile.
type stringList []string

// UnmarshalJSON implements json.Unmarshaler.
func (l *stringList) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*l = stringList{s}
	} else if json.Unmarshal(b, (*[]string)(l)) != nil {
		*l = nil
	}
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if n.Kind == yaml.ScalarNode && n.Decode(&s) == nil {
		*l = stringList{s}
	} else if list, err := yamlDecode[[]string](n); err == nil {
		*l = list
	} else {
		*l = nil
	}
	return nil
}
