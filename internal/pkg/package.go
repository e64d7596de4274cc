package pkg

import (
	"cmp"
	"strings"

	"github.com/drydock/drydock/internal/oci"
)

// Type is a package ecosystem as drydock names it in reports ("apk", "deb",
// "go-module", ...).
type Type string

// Package types.
const (
	TypeAPK      Type = "apk"       // Alpine, Wolfi, Chainguard
	TypeDeb      Type = "deb"       // Debian, Ubuntu, distroless
	TypeRPM      Type = "rpm"       // RHEL, Fedora, SUSE, Amazon Linux...
	TypeGoModule Type = "go-module" // modules and the stdlib found in Go binaries
	TypeNPM      Type = "npm"
	TypePyPI     Type = "pypi"
	TypeMaven    Type = "maven"
	TypeGem      Type = "gem"
	TypeCargo    Type = "cargo"
	TypeComposer Type = "composer"
	TypeNuGet    Type = "nuget"
)

// IsOS reports whether t is an operating system package type (its packages
// carry a [Distro]).
func (t Type) IsOS() bool { return t == TypeAPK || t == TypeDeb || t == TypeRPM }

// Package is one package installed in an image.
type Package struct {
	// Name is the package name as its ecosystem spells it: a binary package
	// name for OS packages, "group:artifact" for Maven, the module path for
	// Go ("stdlib" for the Go standard library).
	Name string
	// Version is the installed version (see the package doc for its form).
	Version string
	// Type is the ecosystem.
	Type Type
	// PURL is the package URL (https://github.com/package-url/purl-spec).
	PURL string
	// SourceName and SourceVersion name the source package an OS package was
	// built from (dpkg "Source:", apk origin "o:"); distro advisories are
	// keyed on them. For OS packages SourceName is always set (to Name when
	// the database names no other source); SourceVersion is empty when it
	// equals Version. Both are empty for language packages.
	SourceName    string
	SourceVersion string
	// Arch is the architecture the package was built for, when known.
	Arch string
	// Module is the RPM module stream ("nodejs:18") an rpm package was
	// installed from (its MODULARITYLABEL), empty for packages of no
	// module: a module's packages share names with the release's default
	// packages, and advisories tell them apart by build.
	Module string
	// Distro is the OS release an OS package belongs to; nil for language
	// packages and when the release is unknown.
	Distro *Distro
	// Layer is the index (0 = base) of the layer that introduced the
	// package, and LayerDigest that layer's digest when known.
	Layer       int
	LayerDigest oci.Digest
	// Path is the file the package was found in, relative to the image root
	// without a leading slash (the package database, manifest or binary).
	Path string
	// OwnedBy names the installed OS package (dpkg, apk or rpm) whose files
	// include Path, for a language package the distribution installed
	// (Debian's python3-* dist-info, its jars, Alpine's py3-*). Such a
	// package is listed but not matched against its ecosystem's advisories:
	// the distribution patches it, and its advisories reach it through the
	// owner. Empty for OS packages and for packages no OS package owns.
	OwnedBy string
	// GoPackages are, for a module found in a Go binary, its packages
	// with code in the binary, sorted by import path, with their
	// functions: an advisory about packages or functions none of which is
	// among them cannot affect the binary. Nil when not known (a binary
	// built before Go 1.16, a module replaced by another module path).
	GoPackages []GoPackage `json:",omitempty"`
}

// Source returns the source package name and version (falling back to the
// binary name and version).
func (p *Package) Source() (name, version string) {
	return cmp.Or(p.SourceName, p.Name), cmp.Or(p.SourceVersion, p.Version)
}

// Key identifies a package within one image: two findings of the same
// package at the same path are the same package. The architecture is part
// of it: a multi-arch dpkg database (or an RPM database with multilib
// packages) lists libc6 for amd64 and for i386 under one name and version.
func (p *Package) Key() string {
	return string(p.Type) + "\x00" + p.Name + "\x00" + p.Version + "\x00" + p.Arch + "\x00" + p.Path
}

// Compare orders packages by type, name, version and path (for sorting).
func Compare(a, b Package) int {
	return cmp.Or(
		strings.Compare(string(a.Type), string(b.Type)),
		strings.Compare(a.Name, b.Name),
		strings.Compare(a.Version, b.Version),
		strings.Compare(a.Path, b.Path),
	)
}
