package npm_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
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

// lockfileApp is what testdata/lockfile-app.package.json resolves to (see
// testdata/README.md): the same 27 packages in every lockfile format,
// dev dependencies (@types/minimist, ms 2.1.1) included, the alias
// lodash-old reported as lodash 4.17.4, the root project left out. A
// yarn.lock without its package.json yields them all.
var lockfileApp = []string{
	"@types/minimist@1.2.0", "asap@2.0.6", "core-js@1.2.7", "debug@2.6.8", "encoding@0.1.14",
	"fbjs@0.8.18", "iconv-lite@0.7.3", "is-stream@1.1.0", "isomorphic-fetch@2.2.1", "js-tokens@4.0.0",
	"lodash@4.17.15", "lodash@4.17.4", "loose-envify@1.4.0", "minimist@1.2.0", "ms@2.0.0", "ms@2.1.1",
	"node-fetch@1.7.3", "object-assign@4.1.1", "promise@7.3.1", "prop-types@15.8.1", "react-dom@16.0.0",
	"react-is@16.13.1", "react@16.0.0", "safer-buffer@2.1.2", "setimmediate@1.0.5", "ua-parser-js@0.7.41",
	"whatwg-fetch@3.6.20",
}

// lockfileAppProd is lockfileApp without the two development dependencies
// (@types/minimist, ms 2.1.1): what every lockfile yields next to its
// package.json. (yarn.lock does not record which dependencies are for
// development; package.json does.)
var lockfileAppProd = slices.DeleteFunc(slices.Clone(lockfileApp), func(s string) bool {
	return s == "@types/minimist@1.2.0" || s == "ms@2.1.1"
})

func pkgs(inv *extract.Inventory) []string {
	var out []string
	for _, p := range inv.Packages {
		out = append(out, p.Name+"@"+p.Version)
	}
	sort.Strings(out)
	return out
}

// pkgPaths is pkgs with the file each package came from.
func pkgPaths(inv *extract.Inventory) []string {
	var out []string
	for _, p := range inv.Packages {
		out = append(out, p.Name+"@"+p.Version+" "+p.Path)
	}
	sort.Strings(out)
	return out
}

func TestYarnAndPnpmLockfiles(t *testing.T) {
	for _, tt := range []struct {
		name, file, fixture string
		want                []string
	}{
		{"yarn v1", "yarn.lock", "yarn-v1.lock", lockfileAppProd},          // walked from package.json
		{"yarn berry", "yarn.lock", "yarn-berry.lock", lockfileAppProd},    // walked from the workspace, sorted by package.json
		{"pnpm 5.4", "pnpm-lock.yaml", "pnpm7-lock.yaml", lockfileAppProd}, // dev: true
		{"pnpm 6.0", "pnpm-lock.yaml", "pnpm8-lock.yaml", lockfileAppProd}, // dev: true
		{"pnpm 9.0", "pnpm-lock.yaml", "pnpm9-lock.yaml", lockfileAppProd}, // walked from the importers
	} {
		t.Run(tt.name, func(t *testing.T) {
			inv := et.Run(t, []extract.Extractor{npm.Extractor{}}, []lt.Entry{
				lt.File("app/package.json", readTestdata(t, "lockfile-app.package.json")),
				lt.File("app/"+tt.file, readTestdata(t, tt.fixture)),
			})
			if diff := cmp.Diff(tt.want, pkgs(inv)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, p := range inv.Packages {
				if p.Path != "app/"+tt.file || p.Type != "npm" {
					t.Errorf("%s: path %q type %q", p.Name, p.Path, p.Type)
				}
				if p.Name == "@types/minimist" && p.PURL != "pkg:npm/%40types/minimist@1.2.0" {
					t.Errorf("purl %s", p.PURL)
				}
			}
			et.CompareGolden(t, strings.TrimSuffix(strings.TrimSuffix(tt.fixture, ".lock"), ".yaml"), inv.Packages)
		})
	}
}

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLockfileNextToInstalledPackages(t *testing.T) {
	inv := et.Run(t, []extract.Extractor{npm.Extractor{}}, []lt.Entry{
		lt.File("app/pnpm-lock.yaml", readTestdata(t, "pnpm9-lock.yaml")),
		lt.File("app/node_modules/.pnpm/lodash@4.17.15/node_modules/lodash/package.json", `{"name":"lodash","version":"4.17.15"}`),
		lt.File("app/node_modules/.pnpm/lock.yaml", readTestdata(t, "pnpm9-lock.yaml")), // pnpm's own copy
		lt.File("srv/yarn.lock", readTestdata(t, "yarn-v1.lock")),                       // nothing installed next to it
	})
	var installed, fromYarn int
	for _, p := range inv.Packages {
		switch p.Path {
		case "app/node_modules/.pnpm/lodash@4.17.15/node_modules/lodash/package.json":
			installed++
		case "srv/yarn.lock":
			fromYarn++
		default:
			t.Errorf("%s@%s reported from %s", p.Name, p.Version, p.Path)
		}
	}
	if installed != 1 || fromYarn != len(lockfileApp) {
		t.Errorf("installed %d, from yarn.lock %d", installed, fromYarn)
	}
}

// TestLockfileEdgeCases covers what the generated fixtures do not:
// non-registry sources, workspaces, patches, scoped peer suffixes.
func TestLockfileEdgeCases(t *testing.T) {
	tests := []struct {
		name, file, body string
		want             []string
	}{
		{"yarn v1 sources", "yarn.lock", `# yarn lockfile v1


"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
  version "7.12.13"
  resolved "https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz#dcfc826beef65e75c50e21d3837d7d95798dd658"

left-pad@github:stevemao/left-pad#1.3.0:
  version "1.3.0"
  resolved "https://codeload.github.com/stevemao/left-pad/tar.gz/abc"

local@file:../local:
  version "0.0.1"

"is-odd@git+https://github.com/i-voted-for-trump/is-odd.git#3.0.1":
  version "3.0.1"

"old@npm:lodash@^4.0.0", "lodash@^4.17.0":
  version "4.17.21"
  resolved "https://registry.yarnpkg.com/lodash/-/lodash-4.17.21.tgz"

shorthand@user/repo:
  version "1.0.0"
`, []string{"@babel/code-frame@7.12.13", "lodash@4.17.21"}},
		{"berry protocols", "yarn.lock", `__metadata:
  version: 6
  cacheKey: 8

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."

"pkg-a@workspace:packages/a":
  version: 1.0.0
  resolution: "pkg-a@workspace:packages/a"

"resolve@npm:^1.20.0":
  version: 1.22.8
  resolution: "resolve@npm:1.22.8"

"resolve@patch:resolve@npm%3A^1.20.0#~builtin<compat/resolve>":
  version: 1.22.8
  resolution: "resolve@patch:resolve@npm%3A1.22.8#~builtin<compat/resolve>::version=1.22.8&hash=c3c19d"

"gitdep@https://github.com/user/gitdep.git#commit=abc":
  version: 2.0.0
  resolution: "gitdep@https://github.com/user/gitdep.git#commit=abc"

"@scope/x@npm:2.0.0":
  version: 2.0.0
  resolution: "@scope/x@npm:2.0.0"
`, []string{"@scope/x@2.0.0", "resolve@1.22.8"}},
		{"pnpm 5.3 scoped peers, tarball, git, link", "pnpm-lock.yaml", `lockfileVersion: 5.3
packages:
  /@emotion/react/11.10.5_a7vgbqtw6njzmhh3rlkbjoonie:
    resolution: {integrity: sha512-x}
  /@testing-library/react/12.1.5_sfoxds7t5ydpegc3knd667wn6m:
    resolution: {integrity: sha512-y}
  /react/17.0.2:
    resolution: {integrity: sha512-z}
  registry.example.com/private/1.0.0:
    resolution: {tarball: https://registry.example.com/private/-/private-1.0.0.tgz}
    name: private
    version: 1.0.0
  github.com/user/repo/0123456789abcdef:
    resolution: {tarball: https://codeload.github.com/user/repo/tar.gz/0123456789abcdef}
    name: repo
    version: 3.0.0
  file:packages/local:
    resolution: {directory: packages/local, type: directory}
    name: local
    version: 0.0.1
`, []string{"@emotion/react@11.10.5", "@testing-library/react@12.1.5", "private@1.0.0", "react@17.0.2"}},
		{"pnpm 6 peers", "pnpm-lock.yaml", `lockfileVersion: '6.0'
packages:
  /@tanstack/react-query@4.24.4(react-dom@18.2.0)(react@18.2.0):
    resolution: {integrity: sha512-a}
  /ws@8.13.0:
    resolution: {integrity: sha512-b}
  github.com/user/gitdep/abc:
    resolution: {commit: abc, repo: https://github.com/user/gitdep.git, type: git}
    name: gitdep
    version: 1.0.0
`, []string{"@tanstack/react-query@4.24.4", "ws@8.13.0"}},
		{"pnpm 9 link and file", "pnpm-lock.yaml", `lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      lib:
        specifier: link:../lib
        version: link:../lib
packages:
  semver@7.5.4:
    resolution: {integrity: sha512-c}
  local@file:local:
    resolution: {directory: local, type: directory}
`, []string{"semver@7.5.4"}},
		{"package-lock 3 dev only", "package-lock.json", `{"lockfileVersion": 3, "packages": {
  "": {"name": "app"},
  "node_modules/jest": {"version": "29.7.0", "dev": true},
  "node_modules/ms": {"version": "2.1.3"},
  "node_modules/fsevents": {"version": "2.3.3", "devOptional": true, "optional": true}}}`,
			[]string{"fsevents@2.3.3", "ms@2.1.3"}},
		{"package-lock empty names", "package-lock.json", `{"lockfileVersion": 3, "packages": {
  "node_modules/": {"version": "1.0.0"},
  "node_modules/ms": {"version": "2.1.3"}}}`, []string{"ms@2.1.3"}},
		{"package-lock 1 empty name", "package-lock.json", `{"lockfileVersion": 1, "dependencies": {
  "": {"version": "1.0.0"},
  "ms": {"version": "2.1.3"}}}`, []string{"ms@2.1.3"}},
		{"package-lock 1 dev only", "package-lock.json", `{"lockfileVersion": 1, "dependencies": {
  "jest": {"version": "29.7.0", "dev": true, "dependencies": {"chalk": {"version": "4.1.2", "dev": true}}},
  "ms": {"version": "2.1.3"}}}`,
			[]string{"ms@2.1.3"}},
		{"pnpm 9 dev only through an alias and peers", "pnpm-lock.yaml", `lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      old: {specifier: 'npm:lodash@4.17.4', version: lodash@4.17.4}
      react-dom: {specifier: 16.0.0, version: 16.0.0(react@16.0.0)}
    devDependencies:
      jest: {specifier: 29.7.0, version: 29.7.0}
packages:
  lodash@4.17.4: {resolution: {integrity: a}}
  react-dom@16.0.0: {resolution: {integrity: b}}
  react@16.0.0: {resolution: {integrity: c}}
  jest@29.7.0: {resolution: {integrity: d}}
  chalk@4.1.2: {resolution: {integrity: e}}
  orphan@1.0.0: {resolution: {integrity: f}}
snapshots:
  lodash@4.17.4: {}
  react-dom@16.0.0(react@16.0.0):
    dependencies: {react: 16.0.0}
  react@16.0.0: {}
  jest@29.7.0:
    dependencies: {chalk: 4.1.2}
  chalk@4.1.2: {}
`, []string{"lodash@4.17.4", "orphan@1.0.0", "react-dom@16.0.0", "react@16.0.0"}}, // orphan: reached from nothing, kept
		{"pnpm 9 dev only through a git+ssh dependency", "pnpm-lock.yaml", `lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      gitdep:
        specifier: git+ssh://git@gitlab.example.com/team/gitdep.git#v2.0.0
        version: git+ssh://git@gitlab.example.com/team/gitdep.git#0123456789abcdef0123456789abcdef01234567
    devDependencies:
      qs: {specifier: 6.5.2, version: 6.5.2}
packages:
  gitdep@git+ssh://git@gitlab.example.com/team/gitdep.git#0123456789abcdef0123456789abcdef01234567:
    resolution: {commit: 0123456789abcdef0123456789abcdef01234567, repo: git@gitlab.example.com:team/gitdep.git, type: git}
    version: 2.0.0
  qs@6.5.2: {resolution: {integrity: a}}
snapshots:
  gitdep@git+ssh://git@gitlab.example.com/team/gitdep.git#0123456789abcdef0123456789abcdef01234567:
    dependencies: {qs: 6.5.2}
  qs@6.5.2: {}
`, []string{"qs@6.5.2"}}, // qs: the git dependency's, installed in production
		{"bun sources, nesting, comments", "bun.lock", `// written by hand in bun 1.2's format
{
  "lockfileVersion": 1,
  "workspaces": {
    "": {
      "name": "app",
      "dependencies": {"@s/a": "^1.0.0", "gh": "github:u/gh", "g": "git+https://example.com/g.git", "l": "link:l"},
      "devDependencies": {"jest": "29.7.0"}, /* jest pulls @s/b 1.x */
    },
  },
  "packages": {
    "@s/a": ["@s/a@1.0.0", "", {"dependencies": {"@s/b": "2.0.0"}}, "sha512-a"],
    "@s/a/@s/b": ["@s/b@2.0.0", "", {"dependencies": {"c": "*"}}, "sha512-b"],
    "@s/b": ["@s/b@1.0.0", "", {}, "sha512-b1"],
    "c": ["c@3.0.0", "", {}, "sha512-c, with a comma, ]"],
    "jest": ["jest@29.7.0", "", {"dependencies": {"@s/b": "1.0.0"}}, "sha512-j"],
    "gh": ["gh@github:u/gh#abc", {}, "u-gh-abc"],
    "g": ["g@git+https://example.com/g.git#abc", {}, "abc"],
    "l": ["l@link:l", {}],
    "orphan": ["orphan@4.0.0", "", {}, "sha512-o"],
  },
}
`, []string{"@s/a@1.0.0", "@s/b@2.0.0", "c@3.0.0", "orphan@4.0.0"}}, // @s/b 1.0.0: jest's only; orphan: reached from nothing, kept
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := et.Run(t, []extract.Extractor{npm.Extractor{}}, []lt.Entry{lt.File("app/"+tt.file, tt.body)})
			if diff := cmp.Diff(tt.want, pkgs(inv)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMalformedLockfiles(t *testing.T) {
	tests := []struct{ name, file, body, wantErr string }{
		{"yarn v1 garbage", "yarn.lock", "not a lockfile at all", "want an entry key"},
		{"yarn v1 binary", "yarn.lock", "\x00\x01\x02", "want an entry key"},
		{"yarn empty", "yarn.lock", "", "neither a yarn v1 nor a berry lockfile"},
		{"berry bad yaml", "yarn.lock", "__metadata:\n  version: 6\n\"a@npm:1\": [", "yaml"},
		{"berry entry not a map", "yarn.lock", "__metadata:\n  version: 6\n\"a@npm:1\": [1, 2]\n", "entry"},
		{"pnpm bad yaml", "pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages: [", "yaml"},
		{"pnpm no version", "pnpm-lock.yaml", "packages: {}\n", "lockfileVersion"},
		{"pnpm too old", "pnpm-lock.yaml", "lockfileVersion: 4\n", "older than 5.0"},
		{"pnpm packages not a map", "pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages: [a, b]\n", "yaml"},
		{"pnpm alias bomb", "pnpm-lock.yaml", aliasBomb(), "alias"},
		{"berry alias", "yarn.lock", "__metadata:\n  version: 6\nx: &x {resolution: \"a@npm:1.0.0\"}\n\"a@npm:1\": *x\n", "alias"},
		{"pnpm merge key", "pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages:\n  <<: {a@1.0.0: {}}\n", "merge key"},
		{"pnpm duplicate package", "pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {}\n  a@1.0.0: {}\n", "already defined"},
		{"pnpm snapshot dependencies not a map", "pnpm-lock.yaml", "lockfileVersion: '9.0'\nsnapshots:\n  a@1.0.0:\n    dependencies: [b]\n", "snapshots"},
		{"pnpm lockfileVersion a map", "pnpm-lock.yaml", "lockfileVersion: {a: 1}\n", "lockfileVersion"},
		{"berry duplicate entry", "yarn.lock", "__metadata:\n  version: 6\n\"a@npm:1\": {}\n\"a@npm:1\": {}\n", "already defined"},
		// 2 MiB of one-digit numbers: 1M nodes, 184 MB of them.
		{"pnpm flow sequence of a million nodes", "pnpm-lock.yaml", "lockfileVersion: '9.0'\nx: [" + strings.Repeat("1,", 1<<20) + "1]\n", "YAML nodes"},
		{"bun binary (bun.lockb bytes)", "bun.lock", "#!/usr/bin/env bun\nbun-lockfile-format-v0\n\x02\x00", "bun.lock"},
		{"bun truncated", "bun.lock", `{"packages": {"a": ["a@1.0.0", "", {`, "bun.lock"},
		{"bun package not an array", "bun.lock", `{"packages": {"a": {"version": "1.0.0"}}}`, "bun.lock"},
		{"bun package without ident", "bun.lock", `{"packages": {"a": [1]}}`, "want [\"name@version\""},
		{"bun empty package", "bun.lock", `{"packages": {"a": []}}`, "want [\"name@version\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := npm.Extractor{}.Reduce("app/"+tt.file, []byte(tt.body))
			if !errors.Is(err, npm.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Reduce = %q, %v; want ErrInvalid mentioning %q", out, err, tt.wantErr)
			}
		})
	}
	t.Run("skipped, not fatal", func(t *testing.T) {
		inv := et.Run(t, []extract.Extractor{npm.Extractor{}}, []lt.Entry{
			lt.File("a/yarn.lock", "garbage"),
			lt.File("b/pnpm-lock.yaml", readTestdata(t, "pnpm8-lock.yaml")),
		})
		if len(inv.Packages) != len(lockfileAppProd) {
			t.Errorf("got %d packages, want the %d of b/pnpm-lock.yaml", len(inv.Packages), len(lockfileAppProd))
		}
	})
}

// aliasBomb is a "billion laughs" YAML document.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("lockfileVersion: '9.0'\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("packages:\n  x@1.0.0: {name: *a9}\n")
	return b.String()
}

func TestYAMLLockfileSizeCap(t *testing.T) {
	big := bytes.Repeat([]byte("#"), 64<<20+1)
	for _, name := range []string{"pnpm-lock.yaml", "yarn.lock"} {
		body := big
		if name == "yarn.lock" {
			body = append([]byte("__metadata:\n"), big...)
		}
		_, err := npm.Extractor{}.Reduce(name, body)
		if !errors.Is(err, npm.ErrInvalid) || !strings.Contains(err.Error(), "limit for YAML lockfiles") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// hangAfter bounds the cost tests (TestYAMLLockfilesManyEntries and the
// like). Each input took from 15 s to minutes before the fix it tests and
// about a second after, so a test fails on a return to the old cost, not
// because the machine is busy (no tighter time goes into a verdict).
const hangAfter = 10 * time.Second

// reduceWithin reduces the file name holds and extracts its packages,
// failing the test when Reduce has not returned after hangAfter.
func reduceWithin(t *testing.T, name, body string) ([]string, error) {
	t.Helper()
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := npm.Extractor{}.Reduce("app/"+name, []byte(body))
		done <- result{out, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(hangAfter):
		t.Fatalf("Reduce still running after %v", hangAfter)
	}
	if r.err != nil || r.out == nil {
		return nil, r.err
	}
	fsys := layer.NewFS(&layer.File{Path: "app/" + name, Data: r.out})
	got, err := npm.Extractor{}.Extract(t.Context(), extract.Input{FS: fsys, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range got {
		out = append(out, p.Name+"@"+p.Version)
	}
	return out, nil
}

// TestYAMLLockfilesManyEntries: yaml.v3 compares every key of a mapping it
// decodes into a Go map with every other; a pnpm-lock.yaml or a berry
// yarn.lock of 50,000 packages (1 MB) took 12 s, 100,000 two minutes
// (now about a second). The mappings are walked instead.
func TestYAMLLockfilesManyEntries(t *testing.T) {
	const n = 100_000
	var pnpm, berry strings.Builder
	pnpm.WriteString("lockfileVersion: '9.0'\npackages:\n")
	berry.WriteString("__metadata:\n  version: 6\n")
	for i := range n {
		fmt.Fprintf(&pnpm, "  p%d@1.0.0: {resolution: {integrity: x}}\n", i)
		fmt.Fprintf(&berry, "\"p%d@npm:^1.0.0\":\n  version: 1.0.0\n  resolution: \"p%d@npm:1.0.0\"\n", i, i)
	}
	for _, f := range []struct{ name, body string }{{"pnpm-lock.yaml", pnpm.String()}, {"yarn.lock", berry.String()}} {
		t.Run(f.name, func(t *testing.T) {
			got, err := reduceWithin(t, f.name, f.body)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != n {
				t.Errorf("%d packages, want %d", len(got), n)
			}
		})
	}
}

// TestYAMLLockfilesManyKeys: yaml.v3's duplicate check is as quadratic
// for a struct's mapping as for a map's, whatever keys the struct has
// fields for: 50,000 keys in a pnpm-lock.yaml's root, a package entry or
// a berry entry (450 KB) took 9 s each, 100,000 keys 36 s. A struct's
// mapping is pruned to its fields before yaml.v3 decodes it, and a
// mapping where no struct belongs is refused before yaml.v3 sees it.
func TestYAMLLockfilesManyKeys(t *testing.T) {
	var keys, flow strings.Builder
	for i := range 100_000 {
		fmt.Fprintf(&keys, "k%d: 1\n", i)
		if i > 0 {
			flow.WriteString(", ")
		}
		fmt.Fprintf(&flow, "k%d: 1", i)
	}
	indent := func(s, by string) string {
		return by + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n"+by) + "\n"
	}
	tests := []struct {
		name, file, body string
		want             []string
		wantErr          string
	}{
		{"pnpm root", "pnpm-lock.yaml", "lockfileVersion: '9.0'\n" + keys.String() + "packages:\n  a@1.0.0: {}\n", []string{"a@1.0.0"}, ""},
		{"pnpm package", "pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n" + indent(keys.String(), "    "), []string{"a@1.0.0"}, ""},
		{"pnpm resolution", "pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    resolution:\n" + indent(keys.String(), "      "), []string{"a@1.0.0"}, ""},
		{"pnpm os", "pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    os: {" + flow.String() + "}\n", []string{"a@1.0.0"}, ""},
		{"pnpm os list", "pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    os: [{" + flow.String() + "}]\n", []string{"a@1.0.0"}, ""},
		{"pnpm importer dependency", "pnpm-lock.yaml", "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      a:\n        version: 1.0.0\n" + indent(keys.String(), "        ") + "packages:\n  a@1.0.0: {}\nsnapshots:\n  a@1.0.0: {}\n", []string{"a@1.0.0"}, ""},
		{"pnpm snapshot", "pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {}\nsnapshots:\n  a@1.0.0:\n" + indent(keys.String(), "    "), []string{"a@1.0.0"}, ""},
		{"pnpm mapping as a key", "pnpm-lock.yaml", "lockfileVersion: '9.0'\n? {" + flow.String() + "}\n: 1\n", nil, "as a mapping key"},
		{"pnpm snapshot dependency a mapping", "pnpm-lock.yaml", "lockfileVersion: '9.0'\nsnapshots:\n  a@1.0.0:\n    dependencies:\n      b: {" + flow.String() + "}\n", nil, "where a string belongs"},
		{"berry entry", "yarn.lock", "__metadata:\n  version: 6\n\"a@npm:1\":\n  resolution: \"a@npm:1.0.0\"\n" + indent(keys.String(), "  "), []string{"a@1.0.0"}, ""},
		{"berry root", "yarn.lock", "__metadata:\n  version: 6\n" + strings.ReplaceAll(keys.String(), ": 1\n", ": {}\n") + "\"a@npm:1\":\n  resolution: \"a@npm:1.0.0\"\n", []string{"a@1.0.0"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := reduceWithin(t, tt.file, tt.body)
			if tt.wantErr != "" {
				if !errors.Is(err, npm.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v; want ErrInvalid mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestBunLockResolutionCost: bun.lock's dependencies resolve from their
// package's install path up, as node resolves them. Looking each name up
// at every level of a path 1,000 deep took minutes for 50,000 names (a
// 1.5 MB bun.lock), and so did 20,000 entries naming one workspace of
// 20,000 dependencies (its dependencies were resolved for each).
func TestBunLockResolutionCost(t *testing.T) {
	// p -> p/q -> p/q/q -> ... (1,000 deep), whose dependencies are d1
	// (at the top) and d2 (next to it, not the top one), and 50,000
	// names found nowhere. The top d1 and d2 are also development
	// dependencies: d1 is kept only if p/q/.../q's d1 resolves to it.
	var deep strings.Builder
	deep.WriteString(`{"lockfileVersion": 1, "workspaces": {"": {"dependencies": {"p": "1"}, "devDependencies": {"d1": "1", "d2": "9"}}}, "packages": {`)
	deep.WriteString(`"d1": ["d1@1.0.0"], "d2": ["d2@9.0.0"], "p": ["p@1.0.0", "", {"dependencies": {"q": "1"}}], `)
	key := "p"
	for range 1000 {
		key += "/q"
		fmt.Fprintf(&deep, `%q: ["q@1.0.0", "", {"dependencies": {"q": "1"}}], `, key)
	}
	key += "/q"
	fmt.Fprintf(&deep, `%q: ["q@2.0.0", "", {"dependencies": {"d1": "1", "d2": "2", `, key)
	for i := range 50_000 {
		fmt.Fprintf(&deep, `"x%d": "1", `, i)
	}
	fmt.Fprintf(&deep, `}}], %q: ["d2@2.0.0"]}}`, key+"/d2")
	got, err := reduceWithin(t, "bun.lock", deep.String())
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if diff := cmp.Diff([]string{"d1@1.0.0", "d2@2.0.0", "p@1.0.0", "q@1.0.0", "q@2.0.0"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	var ws strings.Builder
	ws.WriteString(`{"lockfileVersion": 1, "workspaces": {"": {"dependencies": {"w": "workspace:w"}}, "w": {"dependencies": {`)
	for i := range 20_000 {
		fmt.Fprintf(&ws, `"d%d": "1", `, i)
	}
	ws.WriteString(`}}}, "packages": {"d0": ["d0@1.0.0"], `)
	for i := range 20_000 {
		fmt.Fprintf(&ws, `"w%d": ["w@workspace:w"], `, i)
	}
	ws.WriteString(`}}`)
	if got, err = reduceWithin(t, "bun.lock", ws.String()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"d0@1.0.0"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestLockfilePackageLimit: a lockfile's graph costs a few hundred bytes
// a package (64 MiB of one-line yarn.lock entries were 3 million packages
// and 1.9 GB), so that one of more packages than an image may hold
// (extract.DefaultMaxPackages) is refused as it is read.
func TestLockfilePackageLimit(t *testing.T) {
	n := extract.DefaultMaxPackages + 1
	var yarn, lock3, lock1, bun strings.Builder
	yarn.WriteString("# yarn lockfile v1\n")
	lock3.WriteString(`{"lockfileVersion": 3, "packages": {`)
	lock1.WriteString(`{"lockfileVersion": 1, "dependencies": {`)
	bun.WriteString(`{"lockfileVersion": 1, "packages": {`)
	for i := range n {
		fmt.Fprintf(&yarn, "a%d@1:\n  version \"1\"\n", i)
		sep := map[bool]string{true: "", false: ","}[i == n-1]
		fmt.Fprintf(&lock3, `"node_modules/a%d":{"version":"1"}%s`, i, sep)
		fmt.Fprintf(&lock1, `"a%d":{"version":"1"}%s`, i, sep)
		fmt.Fprintf(&bun, `"a%d":["a%d@1"]%s`, i, i, sep)
	}
	for _, f := range []struct{ name, file, body string }{
		{"yarn v1", "yarn.lock", yarn.String()},
		{"package-lock 3", "package-lock.json", lock3.String() + "}}"},
		{"package-lock 1", "package-lock.json", lock1.String() + "}}"},
		{"bun", "bun.lock", bun.String() + "}}"},
	} {
		t.Run(f.name, func(t *testing.T) {
			out, err := npm.Extractor{}.Reduce("app/"+f.file, []byte(f.body))
			if !errors.Is(err, npm.ErrInvalid) || !errors.Is(err, extract.ErrTooManyPackages) {
				t.Errorf("Reduce = %d bytes, %v; want ErrInvalid and ErrTooManyPackages", len(out), err)
			}
		})
	}
}

func FuzzYarnLock(f *testing.F) {
	f.Add([]byte(readTestdata(f, "yarn-v1.lock")))
	f.Add(head(f, "yarn-berry.lock"))
	f.Add([]byte("\"a@npm:b@1\", c@x/y:\n  version \"1\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := npm.Extractor{}.Reduce("app/yarn.lock", data)
		if err != nil || out == nil {
			return
		}
		// The walk, from a package.json naming the lockfile's descriptors.
		fsys := layer.NewFS(&layer.File{Path: "app/yarn.lock", Data: out},
			&layer.File{Path: "app/package.json", Data: []byte(`{"dependencies": {"a": "npm:b@1", "c": "x/y"}, "devDependencies": {"old": "npm:lodash@^4.0.0"}}`)})
		in := extract.Input{FS: fsys, Platform: extract.Platform{OS: "linux", Arch: "amd64"}, Logger: slog.New(slog.DiscardHandler)}
		if _, err := (npm.Extractor{}).Extract(t.Context(), in); err != nil {
			t.Fatal(err)
		}
	})
}

// head returns the first lines of a fixture, up to about 1 KiB: Go's
// fuzzing engine crawls (a few executions in 30 s) when seeded with the
// whole files.
func head(t testing.TB, name string) []byte {
	s := readTestdata(t, name)
	if i := strings.LastIndexByte(s[:min(len(s), 1024)], '\n'); i > 0 {
		s = s[:i+1]
	}
	return []byte(s)
}

func FuzzBunLock(f *testing.F) {
	f.Add([]byte(readTestdata(f, "ws-app/bun.lock")))
	f.Add([]byte("{\"packages\": {\"a\": [\"a@1\", \"\", {\"dependencies\": {\"a\": \"1\"}},],}, /* x */ }"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = npm.Extractor{}.Reduce("bun.lock", data)
	})
}

func FuzzPnpmLock(f *testing.F) {
	for _, v := range []string{"7", "8", "9"} {
		f.Add(head(f, "pnpm"+v+"-lock.yaml"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = npm.Extractor{}.Reduce("pnpm-lock.yaml", data)
	})
}

// TestLargeLockfile reads a package-lock.json of over layer.StreamFrom
// bytes through the layer reader, which streams it to the extractor (it
// is not held whole), and one of over extract.MaxManifestBytes, which
// was refused when lockfiles were decoded whole.
func TestLargeLockfile(t *testing.T) {
	if layer.Streams(layer.StreamFrom, 1, func(int) layer.Reducer { return npm.Extractor{} }) == nil {
		t.Fatal("npm lockfiles of StreamFrom bytes are not read as streams")
	}
	for _, size := range []int{layer.StreamFrom + 1, extract.MaxManifestBytes + 1} {
		var b strings.Builder
		b.WriteString(`{"name": "big", "lockfileVersion": 3, "requires": true, "packages": {"": {"name": "big"}`)
		var want []string
		for i := 0; b.Len() < size; i++ {
			name, v := fmt.Sprintf("pkg-%06d", i), fmt.Sprintf("1.%d.0", i%100)
			dev := i%3 == 0
			fmt.Fprintf(&b, `, "node_modules/%s": {"version": %q, "resolved": "https://registry.npmjs.org/%s/-/%s-%s.tgz", "integrity": "sha512-%s", "dev": %t}`,
				name, v, name, name, v, strings.Repeat("A", 86), dev)
			if !dev {
				want = append(want, name+"@"+v)
			}
		}
		b.WriteString(`}}`)
		inv := et.Run(t, []extract.Extractor{npm.Extractor{}}, []lt.Entry{lt.File("app/package-lock.json", b.String())})
		if got := pkgs(inv); !slices.Equal(got, want) {
			t.Errorf("%d bytes: %d packages, want %d", b.Len(), len(got), len(want))
		}
	}
}

// TestLargeYAMLLockfiles: pnpm-lock.yaml and yarn berry lockfiles of over
// the YAML node limit of a whole document (see yaml.go) are read, an
// entry at a time.
func TestLargeYAMLLockfiles(t *testing.T) {
	const n = 90_000 // about 25 nodes each, counted as yaml.go does
	var pnpm, berry strings.Builder
	pnpm.WriteString("lockfileVersion: '9.0'\n\npackages:\n\n")
	berry.WriteString("__metadata:\n  version: 8\n\n")
	for i := range n {
		fmt.Fprintf(&pnpm, "  p%d@1.0.%d:\n    resolution: {integrity: sha512-x}\n    engines: {node: '>=1', npm: '>=2', yarn: '>=3', pnpm: '>=4', bun: '>=5'}\n\n", i, i%7)
		fmt.Fprintf(&berry, "\"p%d@npm:^1.0.0\":\n  version: 1.0.%d\n  resolution: \"p%d@npm:1.0.%d\"\n  dependenciesMeta: {a: {optional: true}, b: {optional: true}, c: {optional: true}}\n  languageName: node\n  linkType: hard\n\n", i, i%7, i, i%7)
	}
	for _, f := range []struct{ file, body string }{{"pnpm-lock.yaml", pnpm.String()}, {"yarn.lock", berry.String()}} {
		inv := et.Run(t, []extract.Extractor{npm.Extractor{}}, []lt.Entry{lt.File("app/"+f.file, f.body)})
		if len(inv.Packages) != n {
			t.Errorf("%s (%d bytes): %d packages, want %d", f.file, len(f.body), len(inv.Packages), n)
		}
	}
}

// TestPnpm12TwoDocuments: a pnpm-lock.yaml of two documents (pnpm 12's
// env lockfile, then the project's) yields the packages of both; read
// as one document it yielded pnpm's alone, and none of the project's.
func TestPnpm12TwoDocuments(t *testing.T) {
	// testdata/pnpm12-env.yaml is such an env document (laid out as in
	// pnpm's docs/lockfile.md, "Reading pnpm-lock.yaml"): pnpm, its
	// platform binaries and a config dependency.
	body := readTestdata(t, "pnpm12-env.yaml") + "---\n" + readTestdata(t, "pnpm9-lock.yaml")
	for _, tt := range []struct {
		name     string
		platform extract.Platform
		env      []string
	}{
		{"no platform", extract.Platform{}, []string{"@pnpm/exe.darwin-arm64@12.3.4", "@pnpm/exe.linux-x64@12.3.4", "my-config@2.0.0", "pnpm@12.3.4"}},
		{"linux/amd64", extract.Platform{OS: "linux", Arch: "amd64"}, []string{"@pnpm/exe.linux-x64@12.3.4", "my-config@2.0.0", "pnpm@12.3.4"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			inv := et.RunOn(t, tt.platform, []extract.Extractor{npm.Extractor{}}, []lt.Entry{
				lt.File("app/package.json", readTestdata(t, "lockfile-app.package.json")),
				lt.File("app/pnpm-lock.yaml", body),
			})
			want := slices.Sorted(slices.Values(append(slices.Clone(lockfileAppProd), tt.env...)))
			if diff := cmp.Diff(want, pkgs(inv)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
