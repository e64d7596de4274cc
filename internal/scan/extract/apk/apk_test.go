package apk_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/extract/apk"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

func TestAlpineImages(t *testing.T) {
	tests := []struct {
		version  string
		packages int
		distro   string
	}{
		{"3.4.6", 16, "alpine 3.4.6"},
		{"3.10.9", 14, "alpine 3.10.9"},
		{"3.11.13", 14, "alpine 3.11.13"},
		{"3.18.9", 15, "alpine 3.18.9"},
		{"3.19.4", 15, "alpine 3.19.4"},
		{"3.20.3", 14, "alpine 3.20.3"},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			inv := et.Run(t, []extract.Extractor{apk.Extractor{}}, []lt.Entry{
				lt.Dir("etc/"),
				et.FixtureFile(t, "etc/os-release", "alpine/"+tt.version+"/os-release"),
				lt.Dir("lib/apk/db/"),
				et.FixtureFile(t, "lib/apk/db/installed", "alpine/"+tt.version+"/installed"),
			})
			if got := inv.Distro.String(); got != tt.distro {
				t.Errorf("distro = %q, want %q", got, tt.distro)
			}
			if len(inv.Packages) != tt.packages {
				t.Errorf("got %d packages, want %d", len(inv.Packages), tt.packages)
			}
			et.CompareGolden(t, "alpine-"+tt.version, inv.Packages)
		})
	}
}

// TestLayerAttribution installs packages over three layers: each package is
// attributed to the layer that added it although every layer rewrites the
// database, and an upgraded package to the layer that upgraded it.
func TestLayerAttribution(t *testing.T) {
	db := func(stanzas ...string) lt.Entry {
		s := ""
		for _, st := range stanzas {
			s += st + "\n"
		}
		return lt.File("lib/apk/db/installed", s)
	}
	musl := "P:musl\nV:1.1.14-r14\nA:x86_64\no:musl\n"
	busybox := "P:busybox\nV:1.24.2-r12\nA:x86_64\no:busybox\n"
	busybox2 := "P:busybox\nV:1.24.2-r13\nA:x86_64\no:busybox\n"
	ssl := "P:libssl1.0\nV:1.0.2j-r0\nA:x86_64\no:openssl\n"
	inv := et.Run(t, []extract.Extractor{apk.Extractor{}},
		[]lt.Entry{lt.File("etc/alpine-release", "3.4.6\n"), db(musl, busybox)},
		[]lt.Entry{db(musl, busybox, ssl)},
		[]lt.Entry{lt.File("unrelated", "x")},
		[]lt.Entry{db(musl, busybox2, ssl)},
	)
	got := map[string]int{}
	for _, p := range inv.Packages {
		got[p.Name+"@"+p.Version] = p.Layer
		if p.LayerDigest != inv.Layers[p.Layer].Desc.Digest || p.LayerDigest == "" {
			t.Errorf("%s: layer digest %q, want %q", p.Name, p.LayerDigest, inv.Layers[p.Layer].Desc.Digest)
		}
	}
	want := map[string]int{"musl@1.1.14-r14": 0, "busybox@1.24.2-r13": 3, "libssl1.0@1.0.2j-r0": 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layers (-want +got):\n%s", diff)
	}
}

func TestParse(t *testing.T) {
	d := &pkg.Distro{ID: "wolfi", VersionID: "20230201"}
	tests := []struct {
		name    string
		data    string
		want    []pkg.Package
		wantErr error
	}{
		{
			name: "origin differs, no trailing blank line, CRLF-free",
			data: "C:Q1abc=\nP:libcrypto3\nV:3.1.4-r0\nA:aarch64\no:openssl\nF:lib\nR:libcrypto.so.3",
			want: []pkg.Package{{Name: "libcrypto3", Version: "3.1.4-r0", Type: pkg.TypeAPK, Arch: "aarch64",
				SourceName: "openssl", Distro: d,
				PURL: "pkg:apk/wolfi/libcrypto3@3.1.4-r0?arch=aarch64&distro=wolfi-20230201&upstream=openssl"}},
		},
		{
			name: "no origin: the package is its own source; blank lines collapse",
			data: "\n\nP:wolfi-baselayout\nV:20230201-r7\n\n\n",
			want: []pkg.Package{{Name: "wolfi-baselayout", Version: "20230201-r7", Type: pkg.TypeAPK,
				SourceName: "wolfi-baselayout", Distro: d,
				PURL: "pkg:apk/wolfi/wolfi-baselayout@20230201-r7?distro=wolfi-20230201"}},
		},
		{name: "empty", data: "", want: nil},
		{name: "not K:value", data: "P:a\nV:1\nthis is not apk\n", wantErr: apk.ErrInvalid},
		{name: "missing version", data: "P:a\nA:x86_64\n\nP:b\nV:1\n", wantErr: apk.ErrInvalid},
		{name: "overlong line", data: "P:" + string(make([]byte, 2<<20)), wantErr: apk.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := apk.Parse([]byte(tt.data), d)
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
	f.Add([]byte(et.Fixture(f, "alpine/3.4.6/installed")))
	f.Add([]byte("P:a\nV:1\no:b\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, err := apk.Parse(data, nil)
		if err != nil {
			return
		}
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" || p.PURL == "" {
				t.Errorf("incomplete package %+v", p)
			}
		}
	})
}
