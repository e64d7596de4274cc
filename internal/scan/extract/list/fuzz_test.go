package list_test

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/drydock/drydock/internal/scan/extract"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
	"github.com/drydock/drydock/internal/scan/extract/list"
	"github.com/drydock/drydock/internal/scan/layer"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

// fuzzPaths are paths that the extractors and the OS detection want, as
// FuzzExtract picks them: at least one per extractor, per database
// format, per manifest kind.
var fuzzPaths = []string{
	"lib/apk/db/installed",
	"var/lib/dpkg/status",
	"var/lib/dpkg/status.d/base-files",
	"var/lib/dpkg/info/python3-x.list",
	"var/lib/rpm/Packages",
	"var/lib/rpm/rpmdb.sqlite",
	"usr/lib/sysimage/rpm/Packages.db",
	"usr/bin/app", // Go and Rust binaries: written executable, padded to 4 KiB
	"app/package-lock.json",
	"app/yarn.lock",
	"app/pnpm-lock.yaml",
	"app/node_modules/x/package.json",
	"usr/lib/python3/dist-packages/x-1.dist-info/METADATA",
	"opt/app.jar",
	"usr/share/maven-repo/g/a/1/a-1.jar",
	"var/lib/gems/3.1.0/specifications/x-1.gemspec",
	"app/Gemfile.lock",
	"app/composer.lock",
	"app/vendor/composer/installed.json",
	"app/App.deps.json",
	"etc/os-release",
	"etc/lsb-release",
	"etc/redhat-release",
	"app/bun.lock",
	"app/package.json", // a project's: yarn.lock's development dependencies
	"usr/share/nodejs/x/package.json",
}

// fuzzEntry is the layer entry FuzzExtract writes: data at fuzzPaths[i].
func fuzzEntry(i uint8, data []byte) lt.Entry {
	p := fuzzPaths[int(i)%len(fuzzPaths)]
	if p == "usr/bin/app" {
		if len(data) < 4<<10 {
			data = append(data, make([]byte, 4<<10-len(data))...)
		}
		return lt.Exec(p, data)
	}
	return lt.File(p, string(data))
}

// seedIndex returns the index of p in fuzzPaths.
func seedIndex(t testing.TB, p string) uint8 {
	for i, q := range fuzzPaths {
		if q == p {
			return uint8(i)
		}
	}
	t.Fatalf("%s is not a fuzz path", p)
	return 0
}

// head returns the first lines of b, up to about n bytes: whole fixtures
// make the fuzzing engine crawl.
func head(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	if i := bytes.LastIndexByte(b[:n], '\n'); i > 0 {
		return b[:i+1]
	}
	return b[:n]
}

// FuzzExtract runs the whole extraction (layer reader, OS detection, every
// extractor, layer attribution, file owners) on a two-layer image: file i
// holding a in the first layer, file j holding b in the second (the same
// path twice is a file and its older version), and a Python package whose
// path a dpkg list may name. Whatever the files hold, Extract must return
// (a bounded time, no panic, which the session would turn into an error
// saying so) and every package it reports must be well formed.
//
// Each input runs every parser, SQLite's included: about 600 a second on
// one core. New inputs are minimised with the whole pipeline too; bound
// that when fuzzing at length:
//
//	go test -run '^$' -fuzz FuzzExtract -fuzzminimizetime 50x -parallel 1
func FuzzExtract(f *testing.F) {
	var jar bytes.Buffer
	zw := zip.NewWriter(&jar)
	w, _ := zw.Create("META-INF/maven/g/a/pom.properties")
	w.Write([]byte("groupId=g\nartifactId=a\nversion=1\n"))
	w, _ = zw.Create("META-INF/MANIFEST.MF")
	w.Write([]byte("Manifest-Version: 1.0\nImplementation-Version: 1\n"))
	zw.Close()
	seeds := []struct {
		path string
		data []byte
	}{
		{"lib/apk/db/installed", head([]byte(et.Fixture(f, "alpine/3.20.3/installed")), 1500)},
		{"var/lib/dpkg/status", head([]byte(et.Fixture(f, "debian/bookworm-minbase/status")), 1500)},
		{"var/lib/dpkg/info/python3-x.list", []byte("/.\n/usr/lib/python3/dist-packages/x-1.dist-info/METADATA\n")},
		{"var/lib/rpm/Packages", sibling(f, "rpm/testdata/built-le.Packages")},
		{"app/yarn.lock", head(sibling(f, "npm/testdata/yarn-v1.lock"), 1000)},
		{"app/pnpm-lock.yaml", head(sibling(f, "npm/testdata/pnpm9-lock.yaml"), 1000)},
		{"app/package-lock.json", []byte(`{"lockfileVersion":3,"packages":{"":{},"node_modules/a":{"version":"1.0.0"}}}`)},
		{"app/bun.lock", []byte(`{"lockfileVersion":1,"workspaces":{"":{"dependencies":{"a":"1"}}},"packages":{"a":["a@1.0.0","",{"os":"linux"}],"a/b":["b@1.0.0"],}}`)},
		{"app/package.json", []byte(`{"dependencies":{"a":"^1.0.0"},"devDependencies":{"b":"^1.0.0"},"workspaces":["w/*"]}`)},
		{"usr/share/nodejs/x/package.json", []byte(`{"name":"x","version":"1.0.0"}`)},
		{"opt/app.jar", jar.Bytes()},
		{"var/lib/gems/3.1.0/specifications/x-1.gemspec", sibling(f, "gem/testdata/specifications/webrick-1.8.1.gemspec")},
		{"app/Gemfile.lock", sibling(f, "gem/testdata/Gemfile.lock")},
		{"app/composer.lock", []byte(`{"packages":[{"name":"a/b","version":"1.0.0"}],"packages-dev":[]}`)},
		{"app/App.deps.json", head(sibling(f, "dotnet/testdata/Fable.Cli.deps.json"), 1500)},
		{"etc/os-release", []byte(et.Fixture(f, "debian/bookworm-minbase/os-release"))},
	}
	for _, s := range seeds {
		i := seedIndex(f, s.path)
		f.Add(i, s.data, i, s.data)
	}
	f.Add(seedIndex(f, "var/lib/dpkg/status"), []byte("Package: a\nStatus: i o installed\nVersion: 1\n"),
		seedIndex(f, "var/lib/dpkg/status"), []byte("Package: a\nStatus: i o installed\nVersion: 1\n\nPackage: b\nStatus: i o installed\nVersion: 2\n"))
	metadata := lt.File("usr/lib/python3/dist-packages/x-1.dist-info/METADATA", "Name: x\nVersion: 1\n")
	f.Fuzz(func(t *testing.T, i uint8, a []byte, j uint8, b []byte) {
		s, err := extract.NewSession(layer.Config{Timeout: 10 * time.Second}, list.All(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if i >= 128 { // i picks the path modulo len(fuzzPaths), which is less
			s.SetPlatform(extract.Platform{OS: "linux", Arch: "amd64"})
		}
		for n, entries := range [][]lt.Entry{{metadata, fuzzEntry(i, a)}, {fuzzEntry(j, b)}} {
			d := layer.Desc{Digest: lt.DiffID([]byte{byte(n)})}
			if err := s.ReadLayer(t.Context(), d, bytes.NewReader(lt.Tar(t, entries...))); err != nil {
				return // a layer the reader refuses (a path both a file and a directory, say)
			}
		}
		inv, err := s.Extract(t.Context())
		if err != nil && strings.Contains(err.Error(), "panic") {
			t.Fatal(err)
		}
		for _, p := range inv.Packages {
			if p.Name == "" || p.Type == "" || p.Path == "" || p.Layer < 0 || p.Layer >= len(inv.Layers) {
				t.Fatalf("malformed package %+v", p)
			}
		}
	})
}
