package npm_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/scan/extract"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
	"github.com/drydock/drydock/internal/scan/extract/npm"
	"github.com/drydock/drydock/internal/scan/layer"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

// TestWorkspaceDependencyAlsoDev reads the lockfiles of testdata/ws-dev
// (see testdata/README.md): qs 6.5.2 is a devDependency of the root and
// a dependency of the workspace packages/ws-b. Every tool installs it in
// production. For yarn classic, whose lockfile lists no workspace, the
// workspace is found by the root's "workspaces" glob.
func TestWorkspaceDependencyAlsoDev(t *testing.T) {
	for _, tt := range []struct{ fixture, file string }{
		{"npm10-package-lock.json", "package-lock.json"},
		{"yarn1.lock", "yarn.lock"},
		{"berry3.lock", "yarn.lock"},
		{"berry4.lock", "yarn.lock"},
		{"pnpm9-lock.yaml", "pnpm-lock.yaml"},
		{"bun.lock", "bun.lock"},
	} {
		t.Run(tt.fixture, func(t *testing.T) {
			inv := et.Run(t, []extract.Extractor{npm.Extractor{}}, []lt.Entry{
				lt.File("srv/app/package.json", readTestdata(t, "ws-dev/package.json")),
				lt.File("srv/app/packages/ws-b/package.json", readTestdata(t, "ws-dev/ws-b.package.json")),
				lt.File("srv/app/"+tt.file, readTestdata(t, "ws-dev/"+tt.fixture)),
			})
			if diff := cmp.Diff([]string{"qs@6.5.2"}, pkgs(inv)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestYarnWithoutPackageJSON: where the package.json files that tell
// yarn.lock's development dependencies apart are missing or unreadable,
// every package is reported, as before they were read.
func TestYarnWithoutPackageJSON(t *testing.T) {
	wsApp := []string{"json5@1.0.1", "json5@2.2.1", "lodash@4.17.11", "minimist@1.2.5", "minimist@1.2.8", "qs@6.5.2"}
	for _, tt := range []struct {
		name    string
		entries []lt.Entry
		want    []string
		warn    string
	}{
		{"classic, no package.json", []lt.Entry{
			lt.File("app/yarn.lock", readTestdata(t, "ws-app/yarn1.lock")),
		}, wsApp, ""},
		{"berry, no package.json", []lt.Entry{
			lt.File("app/yarn.lock", readTestdata(t, "ws-app/berry4.lock")),
		}, wsApp, ""},
		{"classic, unreadable package.json", []lt.Entry{
			lt.File("app/package.json", `{"name": "ws-app", "devDependencies": {"json5": 2}}`),
			lt.File("app/yarn.lock", readTestdata(t, "ws-app/yarn1.lock")),
		}, wsApp, "package.json unreadable"},
		{"berry, unreadable package.json", []lt.Entry{
			lt.File("app/package.json", `{"name": "ws-app",`),
			lt.File("app/yarn.lock", readTestdata(t, "ws-app/berry4.lock")),
		}, wsApp, "package.json unreadable"},
		// The root's package.json only: ws-b's qs, which the root's dev
		// dependency also is, is not known to be the workspace's.
		{"classic, workspace package.json missing", []lt.Entry{
			lt.File("app/package.json", readTestdata(t, "ws-dev/package.json")),
			lt.File("app/yarn.lock", readTestdata(t, "ws-dev/yarn1.lock")),
		}, []string{"qs@6.5.2"}, ""},
		// berry lists the workspace and its dependencies: without its
		// package.json, they all count as production ones.
		{"berry, workspace package.json missing", []lt.Entry{
			lt.File("app/package.json", readTestdata(t, "ws-dev/package.json")),
			lt.File("app/yarn.lock", readTestdata(t, "ws-dev/berry4.lock")),
		}, []string{"qs@6.5.2"}, ""},
		// A package.json elsewhere is not the lockfile's.
		{"package.json in another directory", []lt.Entry{
			lt.File("srv/package.json", readTestdata(t, "ws-app/package.json")),
			lt.File("app/yarn.lock", readTestdata(t, "ws-app/yarn1.lock")),
		}, wsApp, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fsys := readLayer(t, tt.entries)
			var logs bytes.Buffer
			got, err := npm.Extractor{}.Extract(t.Context(), extract.Input{FS: fsys, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range got {
				names = append(names, p.Name+"@"+p.Version)
			}
			slices.Sort(names)
			if diff := cmp.Diff(tt.want, names); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if tt.warn != "" && !strings.Contains(logs.String(), tt.warn) {
				t.Errorf("log %q, want a warning %q", logs.String(), tt.warn)
			}
		})
	}
}

// TestYarnClassicWorkspaceGlobs: yarn classic's workspaces are the
// directories the root's "workspaces" globs match (a list, or yarn's
// {"packages": [...]}; "**", a later "!glob" excluding). Each workspace
// here depends on a package the root's dev dependencies also reach: it
// is reported only when the workspace is found.
func TestYarnClassicWorkspaceGlobs(t *testing.T) {
	lock := `# yarn lockfile v1


a@1.0.0:
  version "1.0.0"

b@1.0.0:
  version "1.0.0"

c@1.0.0:
  version "1.0.0"

dev@1.0.0:
  version "1.0.0"
  dependencies:
    a "1.0.0"
    b "1.0.0"
    c "1.0.0"
`
	for _, tt := range []struct {
		workspaces string
		want       []string
	}{
		{`["packages/*"]`, []string{"a@1.0.0"}},
		{`["packages/*", "tools/**"]`, []string{"a@1.0.0", "b@1.0.0", "c@1.0.0"}},
		{`{"packages": ["./tools/**/"], "nohoist": ["**"]}`, []string{"b@1.0.0", "c@1.0.0"}},
		{`["**", "!tools/deep/**"]`, []string{"a@1.0.0", "b@1.0.0"}},
		{`["**/tb"]`, []string{"b@1.0.0"}},
		{`["tools/*/tc", "packages/p?"]`, []string{"a@1.0.0", "c@1.0.0"}},
		{`["*/**/t?"]`, []string{"b@1.0.0", "c@1.0.0"}},
		{`["**/**/**/**/tc", "tools/**/**/deep/**/*"]`, []string{"c@1.0.0"}},
	} {
		t.Run(tt.workspaces, func(t *testing.T) {
			inv := et.Run(t, []extract.Extractor{npm.Extractor{}}, []lt.Entry{
				lt.File("app/package.json", `{"name": "root", "workspaces": `+tt.workspaces+`, "devDependencies": {"dev": "1.0.0"}}`),
				lt.File("app/packages/pa/package.json", `{"name": "pa", "dependencies": {"a": "1.0.0"}}`),
				lt.File("app/tools/tb/package.json", `{"name": "tb", "dependencies": {"b": "1.0.0"}}`),
				lt.File("app/tools/deep/tc/package.json", `{"name": "tc", "peerDependencies": {"c": "1.0.0"}}`),
				lt.File("app/yarn.lock", lock),
			})
			if diff := cmp.Diff(tt.want, pkgs(inv)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestYarnClassicHostileWorkspaces: finding yarn classic's workspaces
// costs what the image holds, not its square, nor what a glob's "**" make
// of deep directories: 8,000 directories of a yarn.lock and its
// package.json took 15 s (each lockfile went through every package.json,
// sorting them all), and matching four "**" against a directory 200 deep
// took a second a package.json.
func TestYarnClassicHostileWorkspaces(t *testing.T) {
	lock := "# yarn lockfile v1\n\na@1.0.0:\n  version \"1.0.0\"\n"
	many := func() []lt.Entry {
		var entries []lt.Entry
		for i := range 8000 {
			entries = append(entries,
				lt.File(fmt.Sprintf("d%d/package.json", i), `{"workspaces": ["w"], "dependencies": {"a": "1.0.0"}}`),
				lt.File(fmt.Sprintf("d%d/yarn.lock", i), lock))
		}
		return entries
	}
	deep := func() []lt.Entry {
		entries := []lt.Entry{
			lt.File("app/package.json", `{"workspaces": ["**/**/**/**/x"], "devDependencies": {"a": "1.0.0"}}`),
			lt.File("app/yarn.lock", lock),
			lt.File("app/x/package.json", `{"dependencies": {"a": "1.0.0"}}`),
		}
		dir := "app" + strings.Repeat("/d", 200)
		for i := range 30 {
			entries = append(entries, lt.File(fmt.Sprintf("%s/p%d/package.json", dir, i), `{}`))
		}
		return entries
	}
	for _, tt := range []struct {
		name    string
		entries []lt.Entry
		want    int
	}{
		{"many lockfiles", many(), 8000},
		{"deep directories", deep(), 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := extract.NewSession(layer.Config{}, []extract.Extractor{npm.Extractor{}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.ReadLayer(t.Context(), layer.Desc{}, bytes.NewReader(lt.Tar(t, tt.entries...))); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			inv, err := s.Extract(t.Context())
			if took := time.Since(start); took > hangAfter {
				t.Errorf("Extract took %v", took)
			}
			if err != nil || len(inv.Packages) != tt.want {
				t.Errorf("%d packages, %v; want %d", len(inv.Packages), err, tt.want)
			}
		})
	}
}

// TestYarnBerryPatchAndAliases: berry's patch: entries depend on the
// npm: entry they patch (reported once, under the npm: resolution): a
// dependency written as a patch: descriptor reaches it, although only a
// dev dependency names it otherwise; an alias (npm:real@range) is
// reported under the real name; the dev dependencies' own stay out.
func TestYarnBerryPatchAndAliases(t *testing.T) {
	lock := `__metadata:
  version: 8
  cacheKey: 10c0

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  dependencies:
    old: "npm:lodash@4.17.4"
    resolve: "patch:resolve@npm%3A^1.20.0#optional!builtin<compat/resolve>"
    jest: "npm:29.7.0"

"lodash@npm:4.17.4, old@npm:lodash@4.17.4":
  version: 4.17.4
  resolution: "lodash@npm:4.17.4"

"resolve@npm:1.22.8":
  version: 1.22.8
  resolution: "resolve@npm:1.22.8"
  dependencies:
    is-core-module: "npm:^2.13.0"

"resolve@patch:resolve@npm%3A^1.20.0#optional!builtin<compat/resolve>":
  version: 1.22.8
  resolution: "resolve@patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>::version=1.22.8&hash=c3c19d"
  dependencies:
    is-core-module: "npm:^2.13.0"

"is-core-module@npm:^2.13.0":
  version: 2.13.1
  resolution: "is-core-module@npm:2.13.1"

"jest@npm:29.7.0":
  version: 29.7.0
  resolution: "jest@npm:29.7.0"
  dependencies:
    chalk: "npm:^4.0.0"
    resolve: "npm:1.22.8"

"chalk@npm:^4.0.0":
  version: 4.1.2
  resolution: "chalk@npm:4.1.2"
`
	inv := et.Run(t, []extract.Extractor{npm.Extractor{}}, []lt.Entry{
		lt.File("package.json", `{"name": "app", "dependencies": {"old": "npm:lodash@4.17.4", "resolve": "^1.20.0"}, "devDependencies": {"jest": "29.7.0"}}`),
		lt.File("yarn.lock", lock),
	})
	want := []string{"is-core-module@2.13.1", "lodash@4.17.4", "resolve@1.22.8"}
	if diff := cmp.Diff(want, pkgs(inv)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestProjectManifestsAreNotPackages: a project's package.json (the
// application's, a workspace's) is read for yarn.lock, never reported
// itself; an installed manifest is.
func TestProjectManifestsAreNotPackages(t *testing.T) {
	inv := et.Run(t, []extract.Extractor{npm.Extractor{}}, []lt.Entry{
		lt.File("app/package.json", `{"name": "app", "version": "1.0.0", "dependencies": {"ms": "2.1.3"}}`),
		lt.File("app/packages/a/package.json", `{"name": "a", "version": "0.1.0"}`),
		lt.File("app/node_modules/ms/package.json", `{"name": "ms", "version": "2.1.3"}`),
		lt.File("broken/package.json", `{`), // no yarn.lock needs it: not even a warning
	})
	if diff := cmp.Diff([]string{"ms@2.1.3"}, pkgs(inv)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// readLayer reads entries as one layer and returns the npm extractor's
// view of it.
func readLayer(t *testing.T, entries []lt.Entry) *layer.FS {
	t.Helper()
	r, err := layer.New(layer.Config{}, npm.Extractor{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.ReadLayer(t.Context(), layer.Desc{}, bytes.NewReader(lt.Tar(t, entries...))); err != nil {
		t.Fatal(err)
	}
	return r.FS(0)
}
