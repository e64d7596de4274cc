package finding

// Package is one installed package found in an image (one entry of the
// inventory).
type Package struct {
	// Name as the package manager knows it (binary package name for distros).
	Name string `json:"name"`
	// Version as installed, in the ecosystem's own syntax.
	Version string `json:"version"`
	// Type is the package format: apk, deb, rpm, go-module, npm, pypi, maven, ...
	Type string `json:"type"`
	// PURL is the package URL (https://github.com/package-url/purl-spec).
	PURL string `json:"purl"`
	// Arch is the architecture the package was built for ("amd64",
	// "i386", "x86_64", "noarch"), when its package database records it:
	// a multi-arch dpkg database (or an RPM database with multilib
	// packages) lists libc6 for amd64 and for i386 under one name,
	// version and path, and only Arch tells them apart.
	Arch string `json:"arch,omitempty"`
	// Layer is the digest of the layer that introduced the package.
	Layer string `json:"layer,omitempty"`
	// Path is the file the package was read from, relative to the image root
	// (e.g. "lib/apk/db/installed", "app/node_modules/lodash/package.json").
	Path string `json:"path,omitempty"`
	// SourceName is the source (origin) package a distro binary package was
	// built from; empty when it is the same as Name or not applicable.
	SourceName string `json:"sourceName,omitempty"`
	// SourceVersion is the source package's version; empty when it is the
	// same as Version.
	SourceVersion string `json:"sourceVersion,omitempty"`
	// OwnedBy names the OS package that installed this language package
	// (Debian's python3-requests for requests' egg-info): such a package
	// is listed but not matched against its language's advisories, which
	// reach it through its owner, judged by the distribution. Empty
	// otherwise.
	OwnedBy string `json:"ownedBy,omitempty"`
}

// Source returns the name and version of the source package: SourceName and
// SourceVersion where set, else Name and Version. Distro advisories are keyed
// by source package, so this is the unit one upgrades.
func (p Package) Source() (name, version string) {
	name, version = p.Name, p.Version
	if p.SourceName != "" {
		name = p.SourceName
	}
	if p.SourceVersion != "" {
		version = p.SourceVersion
	}
	return name, version
}
