package npm_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/scan/extract"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
	"github.com/drydock/drydock/internal/scan/extract/npm"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

// TestWorkspaceLockfiles reads the lockfiles every tool wrote for the
// testdata/ws-app project (see testdata/README.md): a workspace package,
// a file: dependency, an npm alias, an optional and a dev dependency.
// Every format reports the registry packages the workspace and the local
// package pull in (json5 1.0.1, qs 6.5.2), the alias under its real name
// (lodash 4.17.11), and neither the workspace, the local package nor the
// root project.
func TestWorkspaceLockfiles(t *testing.T) {
	prod := []string{"json5@1.0.1", "lodash@4.17.11", "minimist@1.2.5", "qs@6.5.2"}
	yarnProd := []string{"json5@1.0.1", "lodash@4.17.11", "minimist@1.2.5", "minimist@1.2.8", "qs@6.5.2"}
	for _, tt := range []struct {
		name, fixture, file string
		want                []string
	}{
		// npm 6 does not know workspaces: packages/ws-a is not installed.
		{"npm 6 (lockfileVersion 1)", "npm6-package-lock.json", "package-lock.json", []string{"lodash@4.17.11", "minimist@1.2.5", "qs@6.5.2"}},
		{"npm 8 (lockfileVersion 2)", "npm8-package-lock.json", "package-lock.json", prod},
		{"npm 10 (lockfileVersion 3)", "npm10-package-lock.json", "package-lock.json", prod},
		// yarn resolves json5 1.0.1's "minimist@^1.2.0" on its own; the
		// dev dependency json5 2.2.1 is told apart by package.json.
		{"yarn 1.22", "yarn1.lock", "yarn.lock", yarnProd},
		{"yarn 3.8", "berry3.lock", "yarn.lock", yarnProd},
		{"yarn 4.18", "berry4.lock", "yarn.lock", yarnProd},
		{"pnpm 7 (lockfileVersion 5.4)", "pnpm7-lock.yaml", "pnpm-lock.yaml", prod},
		{"pnpm 8 (lockfileVersion 6.0)", "pnpm8-lock.yaml", "pnpm-lock.yaml", prod},
		{"pnpm 9 (lockfileVersion 9.0)", "pnpm9-lock.yaml", "pnpm-lock.yaml", prod},
		{"bun 1.4", "bun.lock", "bun.lock", prod},
	} {
		t.Run(tt.name, func(t *testing.T) {
			inv := et.Run(t, []extract.Extractor{npm.Extractor{}}, []lt.Entry{
				lt.File("app/package.json", readTestdata(t, "ws-app/package.json")),
				lt.File("app/local-lib/package.json", readTestdata(t, "ws-app/local-lib.package.json")),
				lt.File("app/packages/ws-a/package.json", readTestdata(t, "ws-app/ws-a.package.json")),
				lt.File("app/"+tt.file, readTestdata(t, "ws-app/"+tt.fixture)),
			})
			if diff := cmp.Diff(tt.want, pkgs(inv)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, p := range inv.Packages {
				if p.Path != "app/"+tt.file {
					t.Errorf("%s@%s from %s", p.Name, p.Version, p.Path)
				}
			}
		})
	}
}

// TestBunLockPeersAndDev: testdata/bun-peers.lock (see testdata/README.md).
// react is installed as react-dom's peer, ms 2.0.0 as the root's peer
// (and debug's dependency); debug is reached from devDependencies only;
// the tarball dependency "tgz" has no registry version.
func TestBunLockPeersAndDev(t *testing.T) {
	inv := et.Run(t, []extract.Extractor{npm.Extractor{}}, []lt.Entry{
		lt.File("app/package.json", readTestdata(t, "bun-peers.package.json")),
		lt.File("app/bun.lock", readTestdata(t, "bun-peers.lock")),
	})
	want := []string{
		"@babel/code-frame@7.12.13", "@babel/helper-validator-identifier@7.29.7", "@babel/highlight@7.25.9",
		"ansi-styles@3.2.1", "chalk@2.4.2", "color-convert@1.9.3", "color-name@1.1.3", "escape-string-regexp@1.0.5",
		"has-flag@3.0.0", "js-tokens@4.0.0", "loose-envify@1.4.0", "ms@2.0.0", "object-assign@4.1.1", "picocolors@1.1.1",
		"prop-types@15.8.1", "react-dom@16.14.0", "react-is@16.13.1", "react@16.14.0", "scheduler@0.19.1", "supports-color@5.5.0",
	}
	if diff := cmp.Diff(want, pkgs(inv)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, p := range inv.Packages {
		if p.Name == "@babel/highlight" && p.PURL != "pkg:npm/%40babel/highlight@7.25.9" {
			t.Errorf("purl %s", p.PURL)
		}
	}
}

// TestGitAndTarballLockfiles reads the lockfiles of testdata/git-dep (see
// testdata/README.md): a git dependency (git+file://, which every tool
// records as it does a GitHub one) and a registry tarball URL. The git
// dependency is never reported, its registry dependency minimist is; the
// tarball is reported where the lockfile names the package and version it
// holds (package-lock 2+, pnpm), not where it names only the URL.
func TestGitAndTarballLockfiles(t *testing.T) {
	for _, tt := range []struct {
		fixture, file string
		want          []string
	}{
		{"npm6-package-lock.json", "package-lock.json", []string{"minimist@1.2.5"}},
		{"npm10-package-lock.json", "package-lock.json", []string{"minimist@1.2.5", "ms@2.1.1"}},
		{"yarn1.lock", "yarn.lock", []string{"minimist@1.2.5"}},
		{"pnpm7-lock.yaml", "pnpm-lock.yaml", []string{"minimist@1.2.5", "ms@2.1.1"}},
		{"pnpm9-lock.yaml", "pnpm-lock.yaml", []string{"minimist@1.2.5", "ms@2.1.1"}},
		{"bun.lock", "bun.lock", []string{"minimist@1.2.5"}},
	} {
		t.Run(tt.fixture, func(t *testing.T) {
			inv := et.Run(t, []extract.Extractor{npm.Extractor{}}, []lt.Entry{
				lt.File("app/package.json", readTestdata(t, "git-dep/package.json")),
				lt.File("app/"+tt.file, readTestdata(t, "git-dep/"+tt.fixture)),
			})
			if diff := cmp.Diff(tt.want, pkgs(inv)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestLocalPackageDependencyAlsoDev reads the lockfiles of
// testdata/file-dev (see testdata/README.md): qs 6.5.2 is a
// devDependency of the root and a dependency of the local package
// local-lib (file:), which is a production dependency. qs is installed
// in production and is reported. (pnpm 9.x marks nothing: the walk from
// the importers stopped at the file: dependency, so qs looked dev-only.)
func TestLocalPackageDependencyAlsoDev(t *testing.T) {
	for _, tt := range []struct{ fixture, file string }{
		{"npm10-package-lock.json", "package-lock.json"},
		{"yarn1.lock", "yarn.lock"},  // local-lib@file:./local-lib's dependencies
		{"berry3.lock", "yarn.lock"}, // local-lib's key is bound to the root:
		{"berry4.lock", "yarn.lock"}, // "local-lib@file:./local-lib::locator=file-dev%40workspace%3A."
		{"pnpm7-lock.yaml", "pnpm-lock.yaml"},
		{"pnpm8-lock.yaml", "pnpm-lock.yaml"},
		{"pnpm9-lock.yaml", "pnpm-lock.yaml"},
		{"bun.lock", "bun.lock"},
	} {
		t.Run(tt.fixture, func(t *testing.T) {
			inv := et.Run(t, []extract.Extractor{npm.Extractor{}}, []lt.Entry{
				lt.File("app/package.json", readTestdata(t, "file-dev/package.json")),
				lt.File("app/"+tt.file, readTestdata(t, "file-dev/"+tt.fixture)),
			})
			if diff := cmp.Diff([]string{"qs@6.5.2"}, pkgs(inv)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
