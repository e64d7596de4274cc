package npm_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/scan/extract"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
	"github.com/drydock/drydock/internal/scan/extract/npm"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

// expressApp returns the fixture application under /app: its package.json,
// lockfile, and (withModules) the 57 installed manifests.
func expressApp(t *testing.T, withModules bool) []lt.Entry {
	entries := []lt.Entry{
		et.FixtureFile(t, "app/package.json", "npm/express-app/package.json"),
		et.FixtureFile(t, "app/package-lock.json", "npm/express-app/package-lock.json"),
	}
	if withModules {
		dirs, err := os.ReadDir(et.Manifests("npm/express-app/node_modules"))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dirs {
			entries = append(entries, et.FixtureFile(t, "app/node_modules/"+d.Name()+"/package.json",
				filepath.Join("npm/express-app/node_modules", d.Name(), "package.json")))
		}
	}
	return entries
}

func names(inv *extract.Inventory) map[string]string {
	out := map[string]string{}
	for _, p := range inv.Packages {
		out[p.Name] = p.Version
	}
	return out
}

func TestExpressApp(t *testing.T) {
	t.Run("installed", func(t *testing.T) {
		inv := et.Run(t, []extract.Extractor{npm.Extractor{}}, expressApp(t, true))
		if len(inv.Packages) != 57 {
			t.Errorf("got %d packages, want the 57 installed", len(inv.Packages))
		}
		for _, p := range inv.Packages {
			if filepath.Base(p.Path) != "package.json" {
				t.Errorf("%s from %s: lockfile reported although packages are installed", p.Name, p.Path)
			}
		}
		got := names(inv)
		// The pins the fixture README lists.
		for name, want := range map[string]string{
			"express": "4.17.1", "lodash": "4.17.15", "minimist": "1.2.5", "json5": "2.2.1",
			"axios": "0.21.1", "semver": "7.3.7", "qs": "6.7.0", "body-parser": "1.19.0",
			"cookie": "0.4.0", "path-to-regexp": "0.1.7", "send": "0.17.1", "serve-static": "1.14.1",
		} {
			if got[name] != want {
				t.Errorf("%s = %q, want %q", name, got[name], want)
			}
		}
		et.CompareGolden(t, "express-app-installed", inv.Packages)
	})
	t.Run("lockfile only", func(t *testing.T) {
		inv := et.Run(t, []extract.Extractor{npm.Extractor{}}, expressApp(t, false))
		if len(inv.Packages) != 58 {
			t.Errorf("got %d packages, want the lockfile's 58", len(inv.Packages))
		}
		et.CompareGolden(t, "express-app-lockfile", inv.Packages)
	})
}

func TestLockfileVersions(t *testing.T) {
	v1 := `{"lockfileVersion": 1, "dependencies": {
		"a": {"version": "1.0.0", "dependencies": {"b": {"version": "2.0.0"}}},
		"@s/c": {"version": "3.0.0"},
		"alias": {"version": "npm:real@4.0.0"},
		"local": {"version": "file:../local"},
		"gitdep": {"version": "git+https://example.com/x.git#abc"}}}`
	v2 := `{"lockfileVersion": 2, "packages": {
		"": {"name": "root", "version": "9.9.9"},
		"node_modules/a": {"version": "1.0.0"},
		"node_modules/a/node_modules/b": {"version": "2.0.0"},
		"node_modules/@s/c": {"version": "3.0.0"},
		"node_modules/alias": {"name": "real", "version": "4.0.0"},
		"node_modules/ws": {"resolved": "packages/ws", "link": true},
		"packages/ws": {"name": "ws", "version": "0.0.1"}},
		"dependencies": {"ignored-when-packages-present": {"version": "1.0.0"}}}`
	want := map[string]string{"a": "1.0.0", "b": "2.0.0", "@s/c": "3.0.0", "real": "4.0.0"}
	for name, lock := range map[string]string{"v1": v1, "v2": v2} {
		t.Run(name, func(t *testing.T) {
			inv := et.Run(t, []extract.Extractor{npm.Extractor{}}, []lt.Entry{lt.File("srv/npm-shrinkwrap.json", lock)})
			if diff := cmp.Diff(want, names(inv)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, p := range inv.Packages {
				if p.Name == "@s/c" && p.PURL != "pkg:npm/%40s/c@3.0.0" {
					t.Errorf("purl %s", p.PURL)
				}
			}
		})
	}
}

func TestInstalledLayouts(t *testing.T) {
	inv := et.Run(t, []extract.Extractor{npm.Extractor{}}, []lt.Entry{
		lt.File("usr/lib/node_modules/npm/package.json", `{"name":"npm","version":"10.2.4"}`),
		lt.File("usr/lib/node_modules/npm/node_modules/@npmcli/arborist/package.json", `{"name":"@npmcli/arborist","version":"7.2.1"}`),
		lt.File("usr/lib/node_modules/npm/node_modules/semver/package.json", `{"name":"semver","version":"7.5.4","readme":"long text"}`),
		lt.File("usr/lib/node_modules/npm/node_modules/semver/lib/package.json", `{"type":"commonjs"}`),
		lt.File("usr/lib/node_modules/npm/node_modules/private/package.json", `{"name":"private"}`),
		lt.File("usr/lib/node_modules/npm/node_modules/broken/package.json", `{"name": "broken",`),
		lt.File("app/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash/package.json", `{"name":"lodash","version":"4.17.21"}`),
		lt.Symlink("app/node_modules/lodash", ".pnpm/lodash@4.17.21/node_modules/lodash"),
		lt.File("app/node_modules/.package-lock.json", `{"lockfileVersion":3,"packages":{"node_modules/x":{"version":"1.0.0"}}}`),
	})
	got := pkgPaths(inv)
	want := []string{
		"@npmcli/arborist@7.2.1 usr/lib/node_modules/npm/node_modules/@npmcli/arborist/package.json",
		"lodash@4.17.21 app/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash/package.json",
		"npm@10.2.4 usr/lib/node_modules/npm/package.json",
		"semver@7.5.4 usr/lib/node_modules/npm/node_modules/semver/package.json",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzReduce(f *testing.F) {
	f.Add("a/package-lock.json", []byte(et.Fixture(f, "npm/express-app/package-lock.json")))
	f.Add("node_modules/x/package.json", []byte(`{"name":"x","version":"1"}`))
	f.Add("npm-shrinkwrap.json", []byte(`{"dependencies":{"a":{"version":"npm:b@1","dependencies":{}}}}`))
	f.Fuzz(func(t *testing.T, p string, data []byte) {
		_, _ = npm.Extractor{}.Reduce(p, data)
	})
}

// TestDebianModuleDirectories reads the modules Debian's node-* packages
// install outside any node_modules (testdata/debian, real files; see
// testdata/README.md), and not the lockfiles those modules ship.
func TestDebianModuleDirectories(t *testing.T) {
	var entries []lt.Entry
	root := filepath.Join("testdata", "debian")
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		entries = append(entries, lt.File(filepath.ToSlash(rel), string(b)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	entries = append(entries,
		// node-lodash: lodash-es is lodash under another name.
		lt.Symlink("usr/share/nodejs/lodash-es/package.json", "../lodash/package.json"),
		// The pre-bullseye location of architecture-independent modules.
		lt.File("usr/lib/nodejs/ms/package.json", `{"name":"ms","version":"2.1.1"}`),
		// Not modules: a scope directory's own file, a hidden directory.
		lt.File("usr/share/nodejs/@types/package.json", `{"name":"x","version":"1.0.0"}`),
		lt.File("usr/share/nodejs/.cache/package.json", `{"name":"y","version":"1.0.0"}`),
		lt.File("usr/lib/x86_64-linux-gnu/nodejs/package-lock.json", `{"lockfileVersion":3,"packages":{"node_modules/z":{"version":"1.0.0"}}}`),
	)
	inv := et.Run(t, []extract.Extractor{npm.Extractor{}}, entries)
	got := pkgPaths(inv)
	want := []string{
		"@types/y18n@5.0.0 usr/share/nodejs/@types/y18n/package.json",
		"infer-owner@1.0.4 usr/share/nodejs/npm/node_modules/infer-owner/package.json",
		"lodash@4.17.21 usr/share/nodejs/lodash-es/package.json",
		"lodash@4.17.21 usr/share/nodejs/lodash/package.json",
		"ms@2.1.1 usr/lib/nodejs/ms/package.json",
		"re2@1.18.0 usr/lib/x86_64-linux-gnu/nodejs/re2/package.json",
		"update-browserslist-db@1.1.3 usr/share/nodejs/update-browserslist-db/package.json",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
