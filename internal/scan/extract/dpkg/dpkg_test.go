package dpkg_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/extract/dpkg"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

func TestDebianBookwormMinbase(t *testing.T) {
	inv := et.Run(t, []extract.Extractor{dpkg.Extractor{}}, []lt.Entry{
		lt.Symlink("etc/os-release", "../usr/lib/os-release"),
		et.FixtureFile(t, "usr/lib/os-release", "debian/bookworm-minbase/os-release"),
		et.FixtureFile(t, "etc/debian_version", "debian/bookworm-minbase/debian_version"),
		et.FixtureFile(t, "var/lib/dpkg/status", "debian/bookworm-minbase/status"),
		lt.File("var/lib/dpkg/status-old", "Package: stale\nStatus: install ok installed\nVersion: 1\n"),
	})
	if got, want := inv.Distro.String(), "debian 12"; got != want {
		t.Errorf("distro = %q, want %q", got, want)
	}
	if len(inv.Packages) != 88 {
		t.Errorf("got %d packages, want 88", len(inv.Packages))
	}
	sources := map[string]string{}
	for _, p := range inv.Packages {
		sources[p.Name] = p.SourceName + " " + p.SourceVersion
	}
	// Spot checks straight from the status file: "Source: name (version)"
	// (binNMUs such as bash 5.2.15-2+b13 from source 5.2.15-2), "Source:
	// name", and a package that is its own source.
	for name, want := range map[string]string{
		"bsdutils":  "util-linux 2.38.1-5+deb12u3",
		"e2fsprogs": "e2fsprogs 1.47.0-2",
		"libgcc-s1": "gcc-12 ",
		"bash":      "bash 5.2.15-2",
		"dash":      "dash ",
	} {
		if got := sources[name]; got != want {
			t.Errorf("%s: source %q, want %q", name, got, want)
		}
	}
	et.CompareGolden(t, "debian-bookworm-minbase", inv.Packages)
}

func TestDistrolessStatusD(t *testing.T) {
	inv := et.Run(t, []extract.Extractor{dpkg.Extractor{}}, []lt.Entry{
		lt.File("etc/os-release", "PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nID=\"debian\"\nVERSION_ID=\"12\"\n"),
		lt.File("var/lib/dpkg/status.d/base-files", "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n"),
		lt.File("var/lib/dpkg/status.d/base-files.md5sums", "d41d8cd98f00b204e9800998ecf8427e  etc/debian_version\n"),
		lt.File("var/lib/dpkg/status.d/libssl3", "Package: libssl3\nSource: openssl\nVersion: 3.0.11-1~deb12u2\nArchitecture: amd64\n"),
		lt.File("var/lib/dpkg/status.d/tzdata", "Package: tzdata\nStatus: deinstall ok config-files\nVersion: 2024a-0+deb12u1\n"),
	})
	if inv.Distro == nil || inv.Distro.Variant != pkg.VariantDistroless {
		t.Errorf("distro = %+v, want the distroless variant", inv.Distro)
	}
	et.CompareGolden(t, "distroless", inv.Packages)
}

func TestLayerAttribution(t *testing.T) {
	st := func(pkgs ...string) lt.Entry {
		var b strings.Builder
		for _, p := range pkgs {
			name, version, _ := strings.Cut(p, "=")
			b.WriteString("Package: " + name + "\nStatus: install ok installed\nVersion: " + version + "\n\n")
		}
		return lt.File("var/lib/dpkg/status", b.String())
	}
	inv := et.Run(t, []extract.Extractor{dpkg.Extractor{}},
		[]lt.Entry{st("base-files=12.4", "libc6=2.36-9")},
		[]lt.Entry{st("base-files=12.4", "libc6=2.36-9", "curl=7.88.1-10")},
		[]lt.Entry{st("base-files=12.4", "libc6=2.36-9+deb12u4", "curl=7.88.1-10")},
	)
	got := map[string]int{}
	for _, p := range inv.Packages {
		got[p.Name+"="+p.Version] = p.Layer
	}
	want := map[string]int{"base-files=12.4": 0, "libc6=2.36-9+deb12u4": 2, "curl=7.88.1-10": 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layers (-want +got):\n%s", diff)
	}
}

// TestMultiArchAttribution: the i386 copies of libc6 and gcc-14-base that
// `dpkg --add-architecture i386 && apt-get install libc6:i386` added in a
// later layer have the same name, version and status file as the amd64
// ones of the base layer; they are other packages, introduced by that
// later layer (real stanzas, see testdata/README.md).
func TestMultiArchAttribution(t *testing.T) {
	read := func(name string) lt.Entry {
		b, err := os.ReadFile(filepath.Join("testdata", "multiarch", name))
		if err != nil {
			t.Fatal(err)
		}
		return lt.File("var/lib/dpkg/status", string(b))
	}
	inv := et.Run(t, []extract.Extractor{dpkg.Extractor{}},
		[]lt.Entry{read("status.amd64")},
		[]lt.Entry{read("status.amd64+i386")},
	)
	got := map[string]int{}
	for _, p := range inv.Packages {
		got[p.Name+":"+p.Arch] = p.Layer
	}
	want := map[string]int{"libc6:amd64": 0, "gcc-14-base:amd64": 0, "libc6:i386": 1, "gcc-14-base:i386": 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layers (-want +got):\n%s", diff)
	}
}

func TestParse(t *testing.T) {
	d := &pkg.Distro{ID: "ubuntu", VersionID: "22.04"}
	tests := []struct {
		name    string
		data    string
		statusD bool
		want    []pkg.Package
		wantErr error
	}{
		{
			name: "states",
			data: `Package: a
Status: install ok installed
Version: 1:2.0-1
Architecture: amd64
Source: asrc (1.9-3)
Description: multi-line
 continuation
 .
 more

Package: b
Status: deinstall ok config-files
Version: 1

Package: c
Status: install ok unpacked
Version: 2

Package: d
Status: purge ok not-installed

Package: e
Status: install reinstreq half-installed
Version: 3
`,
			want: []pkg.Package{
				{Name: "a", Version: "1:2.0-1", Type: pkg.TypeDeb, Arch: "amd64", SourceName: "asrc", SourceVersion: "1.9-3", Distro: d,
					PURL: "pkg:deb/ubuntu/a@1:2.0-1?arch=amd64&distro=ubuntu-22.04&upstream=asrc%401.9-3"},
				{Name: "c", Version: "2", Type: pkg.TypeDeb, SourceName: "c", Distro: d,
					PURL: "pkg:deb/ubuntu/c@2?distro=ubuntu-22.04"},
			},
		},
		{
			name: "source with the package's own version",
			data: "Package: x\nStatus: install ok installed\nVersion: 1.0\nSource: xsrc (1.0)\n",
			want: []pkg.Package{{Name: "x", Version: "1.0", Type: pkg.TypeDeb, SourceName: "xsrc", Distro: d,
				PURL: "pkg:deb/ubuntu/x@1.0?distro=ubuntu-22.04&upstream=xsrc"}},
		},
		{
			name:    "status.d without Status",
			data:    "Package: x\nVersion: 1.0\n",
			statusD: true,
			want: []pkg.Package{{Name: "x", Version: "1.0", Type: pkg.TypeDeb, SourceName: "x", Distro: d,
				PURL: "pkg:deb/ubuntu/x@1.0?distro=ubuntu-22.04"}},
		},
		{name: "status without Status", data: "Package: x\nVersion: 1.0\n", wantErr: dpkg.ErrInvalid},
		{name: "installed without version", data: "Package: x\nStatus: install ok installed\n", wantErr: dpkg.ErrInvalid},
		{name: "no Package", data: "Version: 1\nStatus: install ok installed\n", wantErr: dpkg.ErrInvalid},
		{name: "garbage line", data: "Package: x\nthis is not a field\n", wantErr: dpkg.ErrInvalid},
		{name: "leading continuation", data: " orphan\n", wantErr: dpkg.ErrInvalid},
		{name: "empty", data: "\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := dpkg.Parse([]byte(tt.data), d, tt.statusD)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(et.Fixture(f, "debian/bookworm-minbase/status")), false)
	f.Add([]byte("Package: x\nVersion: 1\nSource: y (2)\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, statusD bool) {
		pkgs, err := dpkg.Parse(data, nil, statusD)
		if err != nil {
			return
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" || p.SourceName == "" || p.PURL == "" {
				t.Errorf("incomplete package %+v", p)
			}
		}
	})
}
