package main

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	kgzip "github.com/klauspost/compress/gzip"
)

func TestPkgKey(t *testing.T) {
	tests := []struct{ purl, want string }{
		{"pkg:deb/debian/libc6@2.36-9+deb12u13?arch=amd64&distro=debian-12", "deb/libc6@2.36-9+deb12u13"},
		{"pkg:deb/debian/libgcrypt20@1.10.1-3?arch=amd64&epoch=1", "deb/libgcrypt20@1:1.10.1-3"},
		{"pkg:apk/alpine/libcrypto1.0@1.0.2j-r0?arch=x86_64&distro=3.4.6", "apk/libcrypto1.0@1.0.2j-r0"},
		{"pkg:npm/%40babel/core@7.1.0", "npm/@babel/core@7.1.0"},
		{"pkg:pypi/Jinja2@3.1.2", "pypi/jinja2@3.1.2"},
		{"pkg:pypi/typing_extensions@4.4.0", "pypi/typing-extensions@4.4.0"},
		{"pkg:maven/org.yaml/snakeyaml@1.33", "maven/snakeyaml@1.33"},
		{"pkg:golang/golang.org/x/net@v0.0.0-20210226172049-e18ecbb05110", "golang/golang.org/x/net@0.0.0-20210226172049-e18ecbb05110"},
		{"pkg:golang/stdlib@go1.20.14", "golang/stdlib@1.20.14"},
	}
	for _, tt := range tests {
		got, ok := pkgKey(tt.purl)
		if !ok || got != tt.want {
			t.Errorf("pkgKey(%q) = %q, %v; want %q", tt.purl, got, ok, tt.want)
		}
	}
	if _, ok := pkgKey("not a purl"); ok {
		t.Error("pkgKey accepted a string that is not a purl")
	}
}

func TestRules(t *testing.T) {
	rules, err := loadRules("reasons.tsv")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		d    difference
		want string // category, "" for none
	}{
		{difference{"lang", "trivy", "drydock-only", "pypi/django@3.2.25", "usr/lib/python3/dist-packages/Django-3.2.25.egg-info/PKG-INFO"}, "peer-choice"},
		{difference{"case-maven-bookworm", "trivy", "drydock-only", "maven/log4j@1.2.17", "usr/share/java/log4j-1.2-1.2.17.jar"}, "peer-choice"},
		{difference{"lang", "syft", "peer-only", "maven/maven3-core@3.8.7", "usr/share/java/maven3-core.jar"}, "peer-bug"},
		{difference{"lang", "syft", "peer-only", "maven/guice-no-aop@4.2.3", "usr/share/java/guice-no-aop-4.2.3.jar"}, "peer-bug"},
		{difference{"lang", "syft", "peer-only", "golang/example.com/vulnfixture@", "usr/local/bin/vulnfixture"}, "our-choice"},
		{difference{"lang", "syft", "peer-only", "npm/left-pad@1.3.0", "app/node_modules/left-pad/package.json"}, ""},
		{difference{"lang", "osv-scanner", "peer-only", "golang/stdlib@1.20.14 GO-2024-2687", ""}, ""},
	}
	for _, tt := range tests {
		got := ""
		for _, r := range rules {
			if r.re.MatchString(tt.d.line()) {
				got = r.category
				break
			}
		}
		if got != tt.want {
			t.Errorf("%q: category %q, want %q", tt.d.line(), got, tt.want)
		}
	}
}

func TestSecdbToOSV(t *testing.T) {
	// The v3.4 busybox entry, as alpine-secdb has it.
	secdb := []byte(`distroversion: v3.4
reponame: main
packages:
  - pkg:
      name: busybox
      secfixes:
        1.24.2-r13:
          - CVE-2017-15873
          - CVE-2017-16544
        0:
          - CVE-2016-0000
`)
	recs := map[string]*osvRecord{}
	if err := secdbToOSV("main.yaml", secdb, recs); err != nil {
		t.Fatal(err)
	}
	var got []string
	for id, r := range recs {
		for _, a := range r.Affected {
			got = append(got, id+" "+a.Package.Ecosystem+" "+a.Package.Name+" fixed "+a.Ranges[0].Events[1]["fixed"])
		}
	}
	want := []string{
		"CVE-2017-15873 Alpine:v3.4 busybox fixed 1.24.2-r13",
		"CVE-2017-16544 Alpine:v3.4 busybox fixed 1.24.2-r13",
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// TestMkimageFloor builds an image of two directories (gzip and none) and
// checks what the archive holds and that floor decodes every layer byte.
func TestMkimageFloor(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, d := range []string{filepath.Join(a, "etc"), b} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(a, "etc", "os-release"), []byte("ID=debian\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("os-release", filepath.Join(a, "etc", "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b, "skip.deb"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, comp := range []string{"gzip", "none"} {
		archive := filepath.Join(dir, comp+".tar")
		if err := mkimage([]string{"-archive", archive, "-compress", comp, "-exclude", "*.deb", a, b + "=opt/b"}); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(archive)
		if err != nil {
			t.Fatal(err)
		}
		layers, err := archiveLayers(f)
		if err != nil {
			t.Fatal(err)
		}
		var names [][]string
		for _, l := range layers {
			r := io.Reader(io.NewSectionReader(f, l.off, l.size))
			if comp == "gzip" {
				zr, err := kgzip.NewReader(r)
				if err != nil {
					t.Fatal(err)
				}
				r = zr
			}
			data, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			var n []string
			tr := tar.NewReader(bytes.NewReader(data))
			for {
				h, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				n = append(n, h.Name)
			}
			names = append(names, n)
			for _, hash := range []bool{false, true} {
				size, err := decodeLayer(io.NewSectionReader(f, l.off, l.size), decoders["klauspost"], hash)
				if err != nil || size != int64(len(data)) {
					t.Errorf("%s: decodeLayer(hash %t) = %d, %v; want %d bytes", comp, hash, size, err, len(data))
				}
			}
		}
		f.Close()
		want := [][]string{{"etc/", "etc/link", "etc/os-release"}, {"opt/", "opt/b/"}}
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("%s: layer entries (-want +got):\n%s", comp, diff)
		}
	}
}
