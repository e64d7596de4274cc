package match

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/pkg"
)

// coverDB is a fakeDB that knows which ecosystems it holds.
type coverDB struct {
	fakeDB
	ecosystems []string
}

func (c coverDB) HasEcosystem(eco string) bool {
	for _, e := range c.ecosystems {
		if e == eco {
			return true
		}
	}
	return false
}

func TestUnchecked(t *testing.T) {
	bookworm := &pkg.Distro{ID: "debian", VersionID: "12"}
	trixie := &pkg.Distro{ID: "debian", VersionID: "13"}
	jammy := &pkg.Distro{ID: "ubuntu", VersionID: "22.04"}
	arch := &pkg.Distro{ID: "arch"}
	deb := func(name string, d *pkg.Distro) pkg.Package {
		return pkg.Package{Name: name, Version: "1", Type: pkg.TypeDeb, Distro: d}
	}
	jar := func(name, owner string) pkg.Package {
		return pkg.Package{Name: name, Version: "1", Type: pkg.TypeMaven, OwnedBy: owner}
	}
	db := coverDB{ecosystems: []string{"Debian:12", "Ubuntu:22.04", "npm"}}
	for _, tc := range []struct {
		name string
		pkgs []pkg.Package
		want []finding.Unchecked
	}{
		{name: "covered release", pkgs: []pkg.Package{deb("bash", bookworm), deb("zlib1g", bookworm)}},
		{name: "release without data", pkgs: []pkg.Package{deb("bash", trixie), deb("zlib1g", trixie)},
			want: []finding.Unchecked{{Ecosystem: "Debian:13", Type: "deb", Packages: 2,
				Reason: "the advisory database has no advisories for Debian:13"}}},
		// Ubuntu asks for the LTS ecosystem first; the plain one is enough.
		{name: "one of several ecosystems", pkgs: []pkg.Package{deb("bash", jammy)}},
		{name: "unknown distribution", pkgs: []pkg.Package{{Name: "glibc", Version: "2", Type: pkg.TypeRPM, Distro: arch}},
			want: []finding.Unchecked{{Type: "rpm", Packages: 1, Reason: "there is no advisory data for the OS release arch (release not given)"}}},
		{name: "no os-release", pkgs: []pkg.Package{deb("bash", nil)},
			want: []finding.Unchecked{{Type: "deb", Packages: 1, Reason: "the image's OS release was not identified (no readable os-release file)"}}},
		{name: "wrong package format", pkgs: []pkg.Package{{Name: "bash", Version: "1", Type: pkg.TypeAPK, Distro: bookworm}},
			want: []finding.Unchecked{{Type: "apk", Packages: 1,
				Reason: "apk packages are not the package format of debian 12, whose advisories they would be matched against"}}},
		{name: "language ecosystems", pkgs: []pkg.Package{
			{Name: "left-pad", Version: "1.0.0", Type: pkg.TypeNPM},
			{Name: "serde", Version: "1.0.0", Type: pkg.TypeCargo},
			{Name: "rand", Version: "0.8.0", Type: pkg.TypeCargo},
		}, want: []finding.Unchecked{{Ecosystem: "crates.io", Type: "cargo", Packages: 2,
			Reason: "the advisory database has no advisories for crates.io"}}},
		// A jar a deb installed is matched through the deb: checked when
		// the deb is, unchecked with it.
		{name: "owned packages", pkgs: []pkg.Package{
			deb("libjackson-java", trixie), jar("com.fasterxml:jackson", "libjackson-java"),
			deb("liblog4j-java", bookworm), jar("org.apache:log4j", "liblog4j-java"),
		}, want: []finding.Unchecked{
			{Ecosystem: "Debian:13", Type: "deb", Packages: 1, Reason: "the advisory database has no advisories for Debian:13"},
			{Ecosystem: "Debian:13", Type: "maven", Packages: 1, Reason: "the advisory database has no advisories for Debian:13"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Unchecked(db, tc.pkgs, Options{})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Unchecked (-want +got):\n%s", diff)
			}
		})
	}
	// A database that cannot say which ecosystems it holds is taken to
	// hold them all.
	if got := Unchecked(fakeDB{}, []pkg.Package{deb("bash", trixie)}, Options{}); got != nil {
		t.Errorf("without ecosystem data: %+v, want none", got)
	}
}
