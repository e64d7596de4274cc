package npm_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/scan/extract"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
	"github.com/drydock/drydock/internal/scan/extract/npm"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

// platAppAll is what testdata/plat-app (see testdata/README.md: esbuild
// 0.19.12 and rollup 4.20.0, whose native parts are optional packages,
// one per platform) resolves to, but for the dev dependency json5 and
// what yarn berry adds (below): 23 @esbuild/*, 16 @rollup/rollup-*,
// fsevents (macOS only), esbuild, rollup, @types/estree.
var platAppAll = func() []string {
	out := []string{"@types/estree@1.0.5", "esbuild@0.19.12", "fsevents@2.3.3", "rollup@4.20.0"}
	for _, p := range []string{"aix-ppc64", "android-arm", "android-arm64", "android-x64", "darwin-arm64", "darwin-x64",
		"freebsd-arm64", "freebsd-x64", "linux-arm", "linux-arm64", "linux-ia32", "linux-loong64", "linux-mips64el",
		"linux-ppc64", "linux-riscv64", "linux-s390x", "linux-x64", "netbsd-x64", "openbsd-x64", "sunos-x64",
		"win32-arm64", "win32-ia32", "win32-x64"} {
		out = append(out, "@esbuild/"+p+"@0.19.12")
	}
	for _, p := range []string{"android-arm-eabi", "android-arm64", "darwin-arm64", "darwin-x64", "linux-arm-gnueabihf",
		"linux-arm-musleabihf", "linux-arm64-gnu", "linux-arm64-musl", "linux-powerpc64le-gnu", "linux-riscv64-gnu",
		"linux-s390x-gnu", "linux-x64-gnu", "linux-x64-musl", "win32-arm64-msvc", "win32-ia32-msvc", "win32-x64-msvc"} {
		out = append(out, "@rollup/rollup-"+p+"@4.20.0")
	}
	slices.Sort(out)
	return out
}()

// nodeGyp is what yarn berry adds to fsevents (which has a native build):
// node-gyp at its latest version, and its dependencies. Only macOS
// installs fsevents, and so them.
var nodeGyp = []string{
	"@isaacs/fs-minipass@4.0.1", "abbrev@5.0.0", "chownr@3.0.0", "env-paths@2.2.1", "exponential-backoff@3.1.3",
	"fdir@6.5.0", "graceful-fs@4.2.12", "isexe@4.0.0", "minipass@7.1.3", "minizlib@3.1.0", "node-gyp@13.1.0",
	"nopt@10.0.1", "picomatch@4.0.7", "proc-log@7.0.0", "semver@7.8.6", "tar@7.5.23", "tinyglobby@0.2.17",
	"undici@8.13.1", "which@7.0.0", "yallist@5.0.0",
}

// TestPlatformPackages reads testdata/plat-app's lockfiles as they would
// be in images of several platforms: only the native packages for the
// image's os and cpu (and C library, where the lockfile records it and
// the distribution tells it) are reported. yarn classic's lockfile
// records no platform: it reports them all.
func TestPlatformPackages(t *testing.T) {
	common := []string{"@types/estree@1.0.5", "esbuild@0.19.12", "rollup@4.20.0"}
	with := func(extra ...string) []string {
		out := append(slices.Clone(common), extra...)
		slices.Sort(out)
		return out
	}
	debian := lt.File("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n")
	alpine := lt.File("etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n")
	amd64 := extract.Platform{OS: "linux", Arch: "amd64"}
	arm64 := extract.Platform{OS: "linux", Arch: "arm64", Variant: "v8"}
	armv7 := extract.Platform{OS: "linux", Arch: "arm", Variant: "v7"}
	linuxX64 := with("@esbuild/linux-x64@0.19.12", "@rollup/rollup-linux-x64-gnu@4.20.0")
	for _, tt := range []struct {
		fixture  string
		platform extract.Platform
		osr      lt.Entry
		want     []string
	}{
		{"npm10-package-lock.json", amd64, debian, // npm 10.9 writes no libc
			with("@esbuild/linux-x64@0.19.12", "@rollup/rollup-linux-x64-gnu@4.20.0", "@rollup/rollup-linux-x64-musl@4.20.0")},
		{"npm10-package-lock.json", extract.Platform{}, debian, platAppAll},
		{"npm11-package-lock.json", amd64, debian, linuxX64},
		{"npm11-package-lock.json", arm64, alpine, with("@esbuild/linux-arm64@0.19.12", "@rollup/rollup-linux-arm64-musl@4.20.0")},
		{"yarn1.lock", amd64, debian, platAppAll},
		{"berry3.lock", amd64, debian, linuxX64},
		{"berry4.lock", amd64, debian, linuxX64},
		{"berry4.lock", arm64, alpine, with("@esbuild/linux-arm64@0.19.12", "@rollup/rollup-linux-arm64-musl@4.20.0")},
		{"berry4.lock", extract.Platform{}, debian, sortedUnion(platAppAll, nodeGyp)},
		{"pnpm8-lock.yaml", amd64, debian, linuxX64},
		{"pnpm9-lock.yaml", amd64, debian, linuxX64},
		{"pnpm9-lock.yaml", armv7, debian, with("@esbuild/linux-arm@0.19.12", "@rollup/rollup-linux-arm-gnueabihf@4.20.0")},
		{"pnpm9-lock.yaml", extract.Platform{}, debian, platAppAll},
		{"bun.lock", amd64, debian, linuxX64},
		// No os-release: the C library is not known, both are kept.
		{"bun.lock", amd64, lt.File("etc/hostname", "x"), with("@esbuild/linux-x64@0.19.12", "@rollup/rollup-linux-x64-gnu@4.20.0", "@rollup/rollup-linux-x64-musl@4.20.0")},
		{"bun.lock", extract.Platform{OS: "linux", Arch: "s390x"}, debian, with("@esbuild/linux-s390x@0.19.12", "@rollup/rollup-linux-s390x-gnu@4.20.0")},
	} {
		file := tt.fixture
		switch {
		case strings.HasSuffix(file, ".lock") && file != "bun.lock":
			file = "yarn.lock"
		case strings.HasSuffix(file, ".yaml"):
			file = "pnpm-lock.yaml"
		case strings.HasSuffix(file, ".json"):
			file = "package-lock.json"
		}
		t.Run(tt.fixture+" "+tt.platform.OS+"/"+tt.platform.Arch, func(t *testing.T) {
			inv := et.RunOn(t, tt.platform, []extract.Extractor{npm.Extractor{}}, []lt.Entry{
				tt.osr,
				lt.File("app/package.json", readTestdata(t, "plat-app/package.json")),
				lt.File("app/"+file, readTestdata(t, "plat-app/"+tt.fixture)),
			})
			if diff := cmp.Diff(tt.want, pkgs(inv)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func sortedUnion(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// TestPlatformRules: npm's os/cpu/libc semantics (a list of allowed
// values, "!x" ruling x out) and berry's conditions, written by hand.
func TestPlatformRules(t *testing.T) {
	lock := `{"lockfileVersion": 3, "packages": {
  "": {"name": "app"},
  "node_modules/any": {"version": "1.0.0"},
  "node_modules/linux": {"version": "1.0.0", "os": ["linux"]},
  "node_modules/not-linux": {"version": "1.0.0", "os": ["!linux"]},
  "node_modules/not-win": {"version": "1.0.0", "os": ["!win32", "!darwin"]},
  "node_modules/mixed": {"version": "1.0.0", "os": ["darwin", "!linux"]},
  "node_modules/any-os": {"version": "1.0.0", "os": ["any"]},
  "node_modules/string-os": {"version": "1.0.0", "os": "darwin"},
  "node_modules/x64": {"version": "1.0.0", "cpu": ["x64", "arm64"]},
  "node_modules/not-x64": {"version": "1.0.0", "cpu": ["!x64"]},
  "node_modules/musl": {"version": "1.0.0", "os": ["linux"], "libc": ["musl"]},
  "node_modules/glibc": {"version": "1.0.0", "os": ["linux"], "libc": ["glibc"]},
  "node_modules/odd": {"version": "1.0.0", "os": {"linux": true}, "cpu": [1]}}}`
	berry := `__metadata:
  version: 8

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  dependencies:
    a: "npm:1.0.0"
    b: "npm:1.0.0"
    c: "npm:1.0.0"
    d: "npm:1.0.0"
    e: "npm:1.0.0"

"a@npm:1.0.0":
  version: 1.0.0
  resolution: "a@npm:1.0.0"
  conditions: (os=darwin | os=linux)

"b@npm:1.0.0":
  version: 1.0.0
  resolution: "b@npm:1.0.0"
  conditions: "!os=linux"

"c@npm:1.0.0":
  version: 1.0.0
  resolution: "c@npm:1.0.0"
  conditions: os=linux & (cpu=arm64 | cpu=ppc64)

"d@npm:1.0.0":
  version: 1.0.0
  resolution: "d@npm:1.0.0"
  conditions: os=linux & cpu=x64 & libc=musl

"e@npm:1.0.0":
  version: 1.0.0
  resolution: "e@npm:1.0.0"
  conditions: something new
`
	debian := lt.File("etc/os-release", "ID=debian\n")
	for _, tt := range []struct {
		name, file, body string
		want             []string
	}{
		{"package-lock", "package-lock.json", lock, []string{"any-os@1.0.0", "any@1.0.0", "glibc@1.0.0", "linux@1.0.0", "not-win@1.0.0", "odd@1.0.0", "x64@1.0.0"}},
		{"berry conditions", "yarn.lock", berry, []string{"a@1.0.0", "e@1.0.0"}},
		{"pnpm lists", "pnpm-lock.yaml", `lockfileVersion: '6.0'
packages:
  /a@1.0.0: {resolution: {integrity: x}, os: [darwin]}
  /b@1.0.0: {resolution: {integrity: x}, os: linux, cpu: [x64], libc: [musl]}
  /c@1.0.0: {resolution: {integrity: x}, os: {weird: 1}, cpu: [x64, arm64]}
`, []string{"c@1.0.0"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			inv := et.RunOn(t, extract.Platform{OS: "linux", Arch: "amd64"}, []extract.Extractor{npm.Extractor{}}, []lt.Entry{
				debian, lt.File("app/"+tt.file, tt.body),
			})
			if diff := cmp.Diff(tt.want, pkgs(inv)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
