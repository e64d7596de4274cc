package match

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/vulndb/osv"
	"github.com/drydock/drydock/internal/vulndb/vulndbtest"
)

// almaAdvisory reads one real AlmaLinux 9 advisory from the shared data.
func almaAdvisory(t *testing.T, id string) *osv.Entry {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vulndbtest.SharedTestdata(), "vulndb", "almalinux-osv", "advisories", "almalinux9", id+".json"))
	if err != nil {
		t.Skipf("shared advisory data not available: %v", err)
	}
	var e osv.Entry
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return &e
}

// TestModuleStreams: on AlmaLinux 9, nodejs comes as the release's default
// package (16) and as module streams (nodejs:18, nodejs:20). ALSA-2022:6595
// fixes the default package, ALSA-2022:8832 the nodejs:18 stream; each
// applies to its own packages only.
func TestModuleStreams(t *testing.T) {
	def := almaAdvisory(t, "ALSA-2022:6595")    // nodejs 1:16.16.0-1.el9_0
	stream := almaAdvisory(t, "ALSA-2022:8832") // nodejs 1:18.12.1-1.module_el9.1.0+16+91bc168f
	alma9 := &pkg.Distro{ID: "almalinux", VersionID: "9.0"}
	nodejs := func(version, module string) *pkg.Package {
		return &pkg.Package{Name: "nodejs", Version: version, Type: pkg.TypeRPM, SourceName: "nodejs", Distro: alma9, Module: module}
	}
	tests := []struct {
		name      string
		p         *pkg.Package
		adv       *osv.Entry
		want      bool
		wantFixed string
	}{
		{"default package, default fix", nodejs("1:16.14.0-1.el9", ""), def, true, "1:16.16.0-1.el9_0"},
		{"default package, stream fix", nodejs("1:16.14.0-1.el9", ""), stream, false, ""},
		{"stream 18, its fix", nodejs("1:18.10.0-1.module_el9.1.0+13+2b5ab5e8", "nodejs:18"), stream, true, "1:18.12.1-1.module_el9.1.0+16+91bc168f"},
		{"stream 18, default fix", nodejs("1:18.10.0-1.module_el9.1.0+13+2b5ab5e8", "nodejs:18"), def, false, ""},
		{"stream 18, fixed", nodejs("1:18.12.1-1.module_el9.1.0+16+91bc168f", "nodejs:18"), stream, false, ""},
		// An older nodejs:20 build would be "below" 18.12.1 were streams
		// not told apart.
		{"stream 20, stream 18 fix", nodejs("1:20.1.0-1.module_el9.2.0+1+0000", "nodejs:20"), stream, false, ""},
		{"stream 16 build below the 18 fix", nodejs("1:16.1.0-1.module_el9.0.0+1+0000", "nodejs:16"), stream, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Distro{}.Affected(t.Context(), tt.p, tt.adv)
			if err != nil {
				t.Fatal(err)
			}
			if v.Affected != tt.want || v.Fixed != tt.wantFixed {
				t.Fatalf("affected %v fixed %q, want %v %q", v.Affected, v.Fixed, tt.want, tt.wantFixed)
			}
		})
	}
}

func TestRangeConcerns(t *testing.T) {
	mod := rng(osv.RangeEcosystem, intro("0"), fixed("3:4.0-8.module+el8.6.0+123+abcdef"))
	plain := rng(osv.RangeEcosystem, intro("0"), fixed("2.0.3-1.el8"))
	tests := []struct {
		r      osv.Range
		module string
		want   bool
	}{
		{mod, "", false},
		{plain, "", true},
		{plain, "container-tools:rhel8", false},
		{mod, "container-tools:rhel8", true}, // a stream not named by version: every module range
		{mod, "podman:4.0", true},
		{mod, "podman:4.1", false},
		{mod, "podman:4", true},
	}
	for _, tt := range tests {
		if got := rangeConcerns(tt.r, tt.module); got != tt.want {
			t.Errorf("rangeConcerns(%v, %q) = %v, want %v", tt.r.Events, tt.module, got, tt.want)
		}
	}
}

// TestModuleViewKeepsIndexes: an entry left with no range names no package
// (it must not read as "every version affected"), and the others keep
// their positions.
func TestModuleViewKeepsIndexes(t *testing.T) {
	adv := &osv.Entry{ID: "X", Affected: []osv.Affected{
		affected("AlmaLinux:9", "nodejs", rng(osv.RangeEcosystem, intro("0"), fixed("1:18.12.1-1.module_el9.1.0+16+91bc168f"))),
		affected("AlmaLinux:9", "nodejs", rng(osv.RangeEcosystem, intro("0"), fixed("1:16.16.0-1.el9_0"))),
	}}
	p := &pkg.Package{Name: "nodejs", Type: pkg.TypeRPM}
	got := moduleView(adv, p)
	if got == adv || got.Affected[0].Package.Name != "" || got.Affected[1].Package.Name != "nodejs" {
		t.Fatalf("view %+v", got.Affected)
	}
	if adv.Affected[0].Package.Name != "nodejs" || len(adv.Affected[0].Ranges) != 1 {
		t.Fatal("moduleView changed the advisory it was given")
	}
}

// TestModuleFromPURL: an inventory stored before pkg.Package.Module
// existed still carries the stream in its package URL.
func TestModuleFromPURL(t *testing.T) {
	stream := almaAdvisory(t, "ALSA-2022:8832")
	p := &pkg.Package{Name: "nodejs", Version: "1:18.10.0-1.module_el9.1.0+13+2b5ab5e8", Type: pkg.TypeRPM,
		SourceName: "nodejs", Distro: &pkg.Distro{ID: "almalinux", VersionID: "9.1"},
		PURL: "pkg:rpm/almalinux/nodejs@1:18.10.0-1.module_el9.1.0%2B13%2B2b5ab5e8?arch=x86_64&distro=almalinux-9.1&rpmmod=nodejs:18:9010020221208062207:rhel9"}
	if got := p.RPMModule(); got != "nodejs:18" {
		t.Fatalf("RPMModule = %q", got)
	}
	v, err := Distro{}.Affected(t.Context(), p, stream)
	if err != nil || !v.Affected {
		t.Fatalf("affected %v, err %v: the nodejs:18 package is affected by the nodejs:18 advisory", v.Affected, err)
	}
}
