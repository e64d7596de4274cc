package npm_test

import (
	"bytes"
	"errors"
	"fmt"
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
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

// lockfileApp is what testdata/lockfile-app.package.json resolves to (see
// testdata/README.md): the same 27 packages in every lockfile format,
// dev dependencies (@types/minimist, ms 2.1.1) included, the alias
// lodash-old reported as lodash 4.17.4, the root project left out.
var lockfileApp = []string{
	"@types/minimist@1.2.0", "asap@2.0.6", "core-js@1.2.7", "debug@2.6.8", "encoding@0.1.14",
	"fbjs@0.8.18", "iconv-lite@0.7.3", "is-stream@1.1.0", "isomorphic-fetch@2.2.1", "js-tokens@4.0.0",
	"lodash@4.17.15", "lodash@4.17.4", "loose-envify@1.4.0", "minimist@1.2.0", "ms@2.0.0", "ms@2.1.1",
	"node-fetch@1.7.3", "object-assign@4.1.1", "promise@7.3.1", "prop-types@15.8.1", "react-dom@16.0.0",
	"react-is@16.13.1", "react@16.0.0", "safer-buffer@2.1.2", "setimmediate@1.0.5", "ua-parser-js@0.7.41",
	"whatwg-fetch@3.6.20",
}

// lockfileAppProd is lockfileApp without the two development dependencies
// (@types/minimist, ms 2.1.1): what the lockfiles that record dev-only
// packages (npm, pnpm) yield. yarn's lockfiles do not record it.
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

func TestYarnAndPnpmLockfiles(t *testing.T) {
	for _, tt := range []struct {
		name, file, fixture string
		want                []string
	}{
		{"yarn v1", "yarn.lock", "yarn-v1.lock", lockfileApp},
		{"yarn berry", "yarn.lock", "yarn-berry.lock", lockfileApp},
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

// TestYAMLLockfilesManyEntries: yaml.v3 compares every key of a mapping it
// decodes into a Go map with every other; a pnpm-lock.yaml or a berry
// yarn.lock of 50,000 packages (1 MB) took 12 s (100,000: two minutes).
// The mappings are walked instead.
func TestYAMLLockfilesManyEntries(t *testing.T) {
	const n = 50_000
	var pnpm, berry strings.Builder
	pnpm.WriteString("lockfileVersion: '9.0'\npackages:\n")
	berry.WriteString("__metadata:\n  version: 6\n")
	for i := range n {
		fmt.Fprintf(&pnpm, "  p%d@1.0.0: {resolution: {integrity: x}}\n", i)
		fmt.Fprintf(&berry, "\"p%d@npm:^1.0.0\":\n  version: 1.0.0\n  resolution: \"p%d@npm:1.0.0\"\n", i, i)
	}
	for _, f := range []struct{ name, body string }{{"pnpm-lock.yaml", pnpm.String()}, {"yarn.lock", berry.String()}} {
		t.Run(f.name, func(t *testing.T) {
			start := time.Now()
			done := make(chan []byte, 1)
			go func() {
				out, err := npm.Extractor{}.Reduce(f.name, []byte(f.body))
				if err != nil {
					t.Error(err)
				}
				done <- out
			}()
			select {
			case out := <-done:
				if got := bytes.Count(out, []byte("\n")) + 1; got != n {
					t.Errorf("%d packages, want %d", got, n)
				}
				if took := time.Since(start); took > 3*time.Second {
					t.Errorf("Reduce took %v", took)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Reduce still running after 10s")
			}
		})
	}
}

func FuzzYarnLock(f *testing.F) {
	f.Add([]byte(readTestdata(f, "yarn-v1.lock")))
	f.Add(head(f, "yarn-berry.lock"))
	f.Add([]byte("\"a@npm:b@1\", c@x/y:\n  version \"1\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = npm.Extractor{}.Reduce("yarn.lock", data)
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

func FuzzPnpmLock(f *testing.F) {
	for _, v := range []string{"7", "8", "9"} {
		f.Add(head(f, "pnpm"+v+"-lock.yaml"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = npm.Extractor{}.Reduce("pnpm-lock.yaml", data)
	})
}
