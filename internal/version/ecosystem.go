package version

import (
	"fmt"
	"strings"
)

// osvSchemes maps OSV ecosystem names (https://ossf.github.io/osv-schema/#defined-ecosystems),
// lower-cased and without their ":suffix", to the scheme that orders their
// versions. Ecosystems whose versions have no defined order (GIT, Linux,
// OSS-Fuzz, Android, ...) are deliberately absent.
var osvSchemes = map[string]Ecosystem{
	// Debian-style distributions.
	"debian": Dpkg,
	"ubuntu": Dpkg,
	// apk-based distributions.
	"alpine":                       APK,
	"chainguard":                   APK,
	"wolfi":                        APK,
	"minimos":                      APK,
	"alpaquita":                    APK,
	"bellsoft hardened containers": APK,
	// RPM-based distributions.
	"almalinux":   RPM,
	"rocky linux": RPM,
	"red hat":     RPM,
	"suse":        RPM,
	"opensuse":    RPM,
	"photon os":   RPM,
	"mageia":      RPM,
	"openeuler":   RPM,
	// Language ecosystems.
	"go":             Go,
	"npm":            SemVer,
	"crates.io":      SemVer,
	"hex":            SemVer,
	"swifturl":       SemVer,
	"bitnami":        SemVer,
	"github actions": SemVer,
	"pypi":           PEP440,
	"maven":          Maven,
	"rubygems":       RubyGems,
	"nuget":          NuGet,
	"packagist":      Composer,
	"pub":            Pub,
	"cran":           Generic,
	"bioconductor":   Generic,
	"hackage":        Generic,
	"ghc":            Generic,
}

// SchemeFor returns the scheme that orders versions of an OSV ecosystem, such
// as "Debian:12", "Alpine:v3.20", "Rocky Linux:8", "Ubuntu:22.04:LTS",
// "Maven:https://repo.maven.apache.org/maven2/" or "PyPI". Only the part
// before the first ':' matters; case is ignored. An ecosystem without a
// defined version order returns an error wrapping [ErrUnsupportedEcosystem].
//
// OSV ranges of type SEMVER use SemVer 2.0.0 order. For the ecosystems that
// publish SEMVER ranges (Go, npm, crates.io, ...) the scheme returned here
// orders SemVer strings the same way, so callers can use it for both
// ECOSYSTEM and SEMVER ranges; use [SemVer] for a SEMVER range of any other
// ecosystem (Pub, for one, also orders build metadata).
func SchemeFor(osvEcosystem string) (Ecosystem, error) {
	name, _, _ := strings.Cut(osvEcosystem, ":")
	if e, ok := osvSchemes[strings.ToLower(strings.TrimSpace(name))]; ok {
		return e, nil
	}
	return "", fmt.Errorf("version: OSV ecosystem %q: %w", osvEcosystem, ErrUnsupportedEcosystem)
}
