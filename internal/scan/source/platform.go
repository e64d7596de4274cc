package source

import (
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
// A request without a variant accepts any variant; arm64's default variant
// is v8, so "linux/arm64/v8" also matches an arm64 image that names none.
func (p Platform) Matches(q Platform) bool {
	if p.OS != q.OS || p.Arch != q.Arch {
		return false
	}
	if p.Variant == "" || p.Variant == q.Variant {
		return true
	}
	return p.Arch == "arm64" && q.Variant == "" && p.Variant == "v8"
}

func fromOCI(p *oci.Platform) Platform {
	if p == nil {
		return Platform{}
	}
	return Platform{OS: p.OS, Arch: p.Architecture, Variant: p.Variant}
}
