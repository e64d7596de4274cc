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

// String returns "ID VersionID" ("alpine 3.4.6").
func (d *Distro) String() string {
	if d == nil {
		return ""
	}
	return strings.TrimSpace(d.ID + " " + d.VersionID)
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
