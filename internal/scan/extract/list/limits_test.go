package list_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/extract/composer"
	"github.com/drydock/drydock/internal/scan/extract/dotnet"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
	"github.com/drydock/drydock/internal/scan/extract/list"
	"github.com/drydock/drydock/internal/scan/extract/npm"
	"github.com/drydock/drydock/internal/scan/layer"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

// runLimited reads one layer of entries with every extractor, at most max
// packages in all.
func runLimited(t *testing.T, max int, entries ...lt.Entry) (*extract.Inventory, error) {
	t.Helper()
	s, err := extract.NewSession(layer.Config{}, list.All(), nil)
	if err != nil {
		t.Fatal(err)
	}
	s.SetMaxPackages(max)
	if err := s.ReadLayer(t.Context(), layer.Desc{}, bytes.NewReader(lt.Tar(t, entries...))); err != nil {
		t.Fatal(err)
	}
	return s.Extract(t.Context())
}

// TestPackageLimit: every extractor stops at the image's package limit
// (a hostile image fits a package in a few bytes; see
// extract.DefaultMaxPackages) with an error naming it, and the others'
// packages are kept. Each image below has at least three packages of one
// kind; the limit is two.
func TestPackageLimit(t *testing.T) {
	var jar bytes.Buffer
	zw := zip.NewWriter(&jar)
	for _, a := range []string{"a", "b", "c"} {
		w, _ := zw.Create("META-INF/maven/g/" + a + "/pom.properties")
		w.Write([]byte("groupId=g\nartifactId=" + a + "\nversion=1\n"))
	}
	zw.Close()
	self, err := os.Executable() // a Go binary: its standard library is a package
	if err != nil {
		t.Fatal(err)
	}
	goBinary, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		extractor string
		entries   []lt.Entry
	}{
		{"os/apk", []lt.Entry{et.FixtureFile(t, "lib/apk/db/installed", "alpine/3.20.3/installed")}},
		{"os/dpkg", []lt.Entry{et.FixtureFile(t, "var/lib/dpkg/status", "debian/bookworm-minbase/status")}},
		{"os/rpm", []lt.Entry{lt.File("var/lib/rpm/Packages", string(sibling(t, "rpm/testdata/built-le.Packages")))}},
		{"go/binary", []lt.Entry{lt.Exec("bin/a", goBinary), lt.Exec("bin/b", goBinary), lt.Exec("bin/c", goBinary)}},
		{"javascript/npm", []lt.Entry{lt.File("srv/yarn.lock", string(sibling(t, "npm/testdata/yarn-v1.lock")))}},
		{"python/dist", []lt.Entry{
			lt.File("usr/lib/python3/dist-packages/a-1.dist-info/METADATA", "Name: a\nVersion: 1\n"),
			lt.File("usr/lib/python3/dist-packages/b-1.dist-info/METADATA", "Name: b\nVersion: 1\n"),
			lt.File("usr/lib/python3/dist-packages/c-1.dist-info/METADATA", "Name: c\nVersion: 1\n"),
		}},
		{"java/archive", []lt.Entry{lt.File("opt/app/lib.jar", jar.String())}},
		{"ruby/gem", []lt.Entry{lt.File("srv/Gemfile.lock", string(sibling(t, "gem/testdata/Gemfile.lock")))}},
		{"php/composer", []lt.Entry{lt.File("srv/composer.lock", string(sibling(t, "composer/testdata/composer-2.5.5.composer.lock")))}},
		{"dotnet/deps", []lt.Entry{lt.File("opt/fable/Fable.Cli.deps.json", string(sibling(t, "dotnet/testdata/Fable.Cli.deps.json")))}},
		{"rust/cargo-auditable", []lt.Entry{lt.Exec("usr/bin/rust-fixture", sibling(t, "rustbinary/testdata/rust-fixture.gz"))}},
	}
	for _, tt := range tests {
		t.Run(tt.extractor, func(t *testing.T) {
			if inv, err := runLimited(t, 1000, tt.entries...); err != nil || len(inv.Packages) < 3 {
				t.Fatalf("without a tight limit: %v and %d packages; want no error and 3 or more", err, len(inv.Packages))
			}
			inv, err := runLimited(t, 2, tt.entries...)
			if !errors.Is(err, extract.ErrTooManyPackages) || !strings.Contains(err.Error(), "extractor "+tt.extractor+": ") {
				t.Errorf("err = %v; want %s failing with ErrTooManyPackages", err, tt.extractor)
			}
			if len(inv.Packages) > 2 {
				t.Errorf("%d packages, over the limit", len(inv.Packages))
			}
		})
	}
	t.Run("in all", func(t *testing.T) {
		inv, err := runLimited(t, 30,
			lt.File("srv/yarn.lock", string(sibling(t, "npm/testdata/yarn-v1.lock"))),                          // 27
			lt.File("srv/composer.lock", string(sibling(t, "composer/testdata/composer-2.5.5.composer.lock"))), // 34
		)
		if !errors.Is(err, extract.ErrTooManyPackages) || !strings.Contains(err.Error(), "extractor php/composer: ") {
			t.Errorf("err = %v; want php/composer failing with ErrTooManyPackages", err)
		}
		if len(inv.Packages) != 27 {
			t.Errorf("%d packages, want yarn.lock's 27", len(inv.Packages))
		}
	})
}

// TestManifestSizeLimit: the JSON lockfiles that are decoded whole (at
// 6 to 7 times their size: 1.8 GB for a 256 MiB lockfile, the most a
// reducing extractor is handed), are refused over extract.MaxManifestBytes,
// and so are the other files decoded whole into maps or a graph (yarn
// classic's yarn.lock, a project's package.json). package-lock.json is
// not: it is decoded token by token (npm's TestLargeLockfile).
func TestManifestSizeLimit(t *testing.T) {
	over := append([]byte(`{"packages":[]}`), bytes.Repeat([]byte(" "), extract.MaxManifestBytes)...)
	for _, tt := range []struct {
		path string
		ex   layer.Reducer
	}{
		{"app/bun.lock", npm.Extractor{}},
		{"app/yarn.lock", npm.Extractor{}},    // yarn classic: a dependency graph too
		{"app/package.json", npm.Extractor{}}, // a project's, reduced to its dependencies
		{"app/composer.lock", composer.Extractor{}},
		{"app/App.deps.json", dotnet.Extractor{}},
	} {
		out, err := tt.ex.Reduce(tt.path, over)
		if err == nil || !strings.Contains(err.Error(), "-byte limit") {
			t.Errorf("%s: Reduce = %q, %v; want the size limit", tt.path, out, err)
		}
	}
}
