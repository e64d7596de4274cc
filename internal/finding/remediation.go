package finding

import "fmt"

// Remediation returns one sentence a person can act on for f, chosen by its
// fix status:
//
//   - fix available: "Upgrade zlib from 1.2.8-r2 to 1.2.11-r0 or later.",
//     naming the source package when the fix is for it; for the Go
//     standard library of a binary, "Rebuild usr/local/bin/app using Go
//     1.21.8 or later (built with Go 1.20.14).";
//   - no fix yet: "No fix is available yet for CVE-… in pkg ver; …";
//   - won't fix: "The maintainers will not fix CVE-… in pkg ver; …";
//   - unknown, or a fix without a known version: "No fixed version of pkg is
//     known for CVE-…; …".
//
// The sentence does not depend on whether the finding is exempted.
func Remediation(f *Finding) string {
	p := f.Package
	srcName, srcVersion := p.Source()
	switch {
	case f.Fixable():
		switch {
		case p.Type == "go-module" && p.Name == "stdlib":
			// The Go standard library is compiled into the binary: the
			// fix is a rebuild with a newer Go toolchain.
			where := "the binary"
			if p.Path != "" {
				where = p.Path
			}
			return fmt.Sprintf("Rebuild %s using Go %s or later (built with Go %s).", where, f.FixedVersion, p.Version)
		case p.SourceVersion != "" && p.SourceVersion != p.Version:
			// The fixed version is the source package's: the binary's
			// own version number after the fix is not known.
			return fmt.Sprintf("Upgrade %s to a build of %s %s or later (installed: %s %s from %s %s).",
				p.Name, srcName, f.FixedVersion, p.Name, p.Version, srcName, srcVersion)
		case srcName != p.Name:
			return fmt.Sprintf("Upgrade %s from %s to %s or later (source package %s).",
				p.Name, p.Version, f.FixedVersion, srcName)
		default:
			return fmt.Sprintf("Upgrade %s from %s to %s or later.", p.Name, p.Version, f.FixedVersion)
		}
	case f.FixStatus == NoFixAvailable:
		return fmt.Sprintf("No fix is available yet for %s in %s %s; consider removing the package if the image does not need it, and rescan when the advisory database is updated.",
			f.ID, p.Name, p.Version)
	case f.FixStatus == WontFix:
		return fmt.Sprintf("The maintainers will not fix %s in %s %s; remove the package or move to a base image or release that does not ship it.",
			f.ID, p.Name, p.Version)
	default:
		return fmt.Sprintf("No fixed version of %s is known for %s; check the advisory's references for a fix or mitigation.",
			p.Name, f.ID)
	}
}

// BaseImageHint returns advice for an end-of-life OS release, or "" when
// the release is not known to be end-of-life.
func BaseImageHint(os OS) string {
	if !os.EOL {
		return ""
	}
	name := os.Family
	if name == "" {
		name = "The operating system"
	}
	if os.Version != "" {
		name += " " + os.Version
	}
	release := "a supported release"
	switch os.Family {
	case "":
	case "centos":
		// CentOS Linux itself has ended: there is no release of it to move to.
		release = "a supported distribution (CentOS Linux has ended: AlmaLinux, Rocky Linux, Red Hat UBI or CentOS Stream)"
	default:
		release = "a supported " + os.Family + " release"
	}
	return fmt.Sprintf("%s is end-of-life and no longer receives security fixes; rebuild the image on %s.", name, release)
}
