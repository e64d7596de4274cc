package source

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/drydock/drydock/internal/oci"
)

// Platform is an os/arch[/variant] triple.
type Platform struct {
	OS, Arch, Variant string
}

// ParsePlatform parses "os/arch[/variant]" ("linux/amd64", "linux/arm/v7").
func ParsePlatform(s string) (Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" || (len(parts) == 3 && parts[2] == "") {
		return Platform{}, fmt.Errorf("%w: platform %q: want os/arch[/variant], e.g. linux/amd64", ErrInvalidReference, s)
	}
	p := Platform{OS: strings.ToLower(parts[0]), Arch: strings.ToLower(parts[1])}
	if len(parts) == 3 {
		p.Variant = strings.ToLower(parts[2])
	}
	return p, nil
}

// String returns "os/arch[/variant]".
func (p Platform) String() string {
	s := p.OS + "/" + p.Arch
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Matches reports whether an image of platform q satisfies the request p.
// A request without a variant accepts any variant. Both sides are compared
// in the spelling the container runtimes use ("aarch64" is arm64,
// "x86_64" amd64, "armhf" arm/v7, "armel" arm/v6, arm variant "7" is
// "v7"), and an image that names no variant has its architecture's default
// one: v8 for arm64, v7 for arm, v1 for amd64. So "linux/arm64/v8" matches
// an arm64 image that names none, and "linux/arm/v7" an arm image that
// names none, as docker pull --platform does.
func (p Platform) Matches(q Platform) bool {
	p, q = p.canonical(), q.canonical()
	if p.OS != q.OS || p.Arch != q.Arch {
		return false
	}
	if p.Variant == "" {
		return true
	}
	return p.Variant == cmp.Or(q.Variant, defaultVariant[q.Arch])
}

// defaultVariant is the variant of an architecture's image that names none.
var defaultVariant = map[string]string{"arm64": "v8", "arm": "v7", "amd64": "v1"}

// canonical spells p as GOARCH and the OCI image spec do: architecture
// aliases (uname and Debian names) mapped to GOARCH, variants with their
// "v" ("8" and "v8.0" are "v8").
func (p Platform) canonical() Platform {
	switch p.Arch {
	case "aarch64":
		p.Arch = "arm64"
	case "x86_64", "x86-64":
		p.Arch = "amd64"
	case "i386", "i686":
		p.Arch = "386"
	case "armhf":
		p.Arch, p.Variant = "arm", cmp.Or(p.Variant, "v7")
	case "armel":
		p.Arch, p.Variant = "arm", cmp.Or(p.Variant, "v6")
	}
	if p.Variant != "" && p.Variant[0] >= '0' && p.Variant[0] <= '9' {
		p.Variant = "v" + p.Variant
	}
	p.Variant = strings.TrimSuffix(p.Variant, ".0")
	return p
}

func fromOCI(p *oci.Platform) Platform {
	if p == nil {
		return Platform{}
	}
	return Platform{OS: p.OS, Arch: p.Architecture, Variant: p.Variant}
}
