package pkg

import "strings"

// Distro identifies an operating system release, from os-release(5) and the
// distributions' release files.
type Distro struct {
	// ID is the lower-case os-release ID ("alpine", "debian", "ubuntu",
	// "wolfi", "rhel", ...).
	ID string
	// IDLike lists the distributions this one derives from (ID_LIKE).
	IDLike []string
	// VersionID is the release version ("3.4.6", "12", "22.04"); empty for
	// rolling releases that do not name one.
	VersionID string
	// Codename is the release code name ("bookworm", "jammy") when known.
	Codename string
	// PrettyName is the human-readable name (PRETTY_NAME).
	PrettyName string
	// Variant is "distroless" for Google's distroless images (Debian-based
	// images without a package manager), empty otherwise.
	Variant string
}

// Variants.
const VariantDistroless = "distroless"

// Version names the release for people: VersionID, or for a release
// without one its code name, as its os-release's PRETTY_NAME gives it
// when that ends in it ("forky/sid": Debian testing and unstable cannot
// be told apart), else the bare code name; "" when neither is known.
func (d *Distro) Version() string {
	if d == nil {
		return ""
	}
	if d.VersionID != "" || d.Codename == "" {
		return d.VersionID
	}
	if f := strings.Fields(d.PrettyName); len(f) > 0 {
		if last := f[len(f)-1]; strings.HasPrefix(last, d.Codename+"/") {
			return last
		}
	}
	return d.Codename
}

// String returns "ID Version" ("alpine 3.4.6", "debian forky/sid").
func (d *Distro) String() string {
	if d == nil {
		return ""
	}
	return strings.TrimSpace(d.ID + " " + d.Version())
}

// PURLQualifier returns the purl "distro" qualifier value ("alpine-3.4.6",
// "debian-12"), or "" when d is nil.
func (d *Distro) PURLQualifier() string {
	if d == nil || d.ID == "" {
		return ""
	}
	if d.VersionID == "" {
		return d.ID
	}
	return d.ID + "-" + d.VersionID
}
