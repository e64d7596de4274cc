package gobinary_test

import (
	"bufio"
	"bytes"
	"debug/buildinfo"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/scan/extract"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
	"github.com/drydock/drydock/internal/scan/extract/gobinary"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

// buildFixture builds the vulnfixture program (testdata/manifests/go) with
// the given toolchain ("" for the one running the test), as its README
// says, and env added to the go command's environment. It skips when the
// toolchain or modules cannot be fetched.
func buildFixture(t *testing.T, toolchain string, env ...string) []byte {
	t.Helper()
	files := map[string]string{}
	for _, f := range []string{"main.go", "go.mod", "go.sum"} {
		files[f] = et.Fixture(t, "go/vulnfixture/"+f)
	}
	return buildProgram(t, files, toolchain, env...)
}

// buildProgram builds the main package of a module made of files (name to
// contents) as buildFixture does.
func buildProgram(t *testing.T, files map[string]string, toolchain string, env ...string) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not building Go binaries")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	src := t.TempDir()
	for f, data := range files {
		if err := os.WriteFile(filepath.Join(src, f), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if toolchain != "" {
		// Run the toolchain's own go command (the go command does not
		// switch toolchains outside module mode).
		cmd := exec.CommandContext(t.Context(), goBin, "env", "GOROOT")
		cmd.Env = append(os.Environ(), "GOTOOLCHAIN="+toolchain, "GOFLAGS=")
		b, err := cmd.Output()
		if err != nil {
			t.Skipf("cannot get toolchain %s (module proxy unreachable?): %v", toolchain, err)
		}
		goBin = filepath.Join(strings.TrimSpace(string(b)), "bin", "go")
	}
	out := filepath.Join(t.TempDir(), "program")
	cmd := exec.CommandContext(t.Context(), goBin, "build", "-trimpath", "-o", out, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=readonly", "GOOS=linux", "GOARCH=amd64", "GOTOOLCHAIN=local")
	cmd.Env = append(cmd.Env, env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("cannot build the fixture with toolchain %q (module proxy unreachable?): %v\n%s", toolchain, err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// expected reads `go version -m` output: the stdlib and every dep line.
func expected(t *testing.T, rel string) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(strings.NewReader(et.Fixture(t, rel)))
	for first := true; sc.Scan(); first = false {
		f := strings.Fields(sc.Text())
		switch {
		case first:
			v, ok := gobinary.StdlibVersion(f[1])
			if !ok {
				t.Fatalf("%s: toolchain %q", rel, f[1])
			}
			out = append(out, "stdlib@"+v)
		case f[0] == "dep":
			out = append(out, f[1]+"@"+strings.TrimPrefix(f[2], "v"))
		}
	}
	return out
}

func TestVulnFixture(t *testing.T) {
	for _, tt := range []struct{ toolchain, versionM string }{
		{"go1.20.14", "go/vulnfixture/version-m-go1.20.14.txt"},
		{"", "go/vulnfixture/version-m-go1.26.8.txt"},
	} {
		t.Run("toolchain "+tt.toolchain, func(t *testing.T) {
			want := expected(t, tt.versionM)
			if tt.toolchain == "" && !strings.Contains(want[0], strings.TrimPrefix(goVersion(t), "go")) {
				t.Skipf("local toolchain is %s, fixture is for %s", goVersion(t), want[0])
			}
			bin := buildFixture(t, tt.toolchain)
			inv := et.Run(t, []extract.Extractor{gobinary.Extractor{}},
				[]lt.Entry{
					lt.Exec("usr/local/bin/vulnfixture", bin),
					lt.Symlink("usr/bin/vf", "../local/bin/vulnfixture"),
					lt.Exec("usr/bin/script.sh", []byte("#!/bin/sh\n"+strings.Repeat("echo not go\n", 1000))),
					lt.Exec("usr/bin/not-go", append([]byte("\x7fELF"), make([]byte, 8192)...)),
					lt.File("usr/share/vulnfixture.copy", string(bin)), // not executable
				},
				[]lt.Entry{lt.File("etc/motd", "hi")},
			)
			var got []string
			for _, p := range inv.Packages {
				got = append(got, p.Name+"@"+p.Version)
				if p.Path != "usr/local/bin/vulnfixture" || p.Layer != 0 || p.Type != "go-module" {
					t.Errorf("%s: path %q layer %d type %q", p.Name, p.Path, p.Layer, p.Type)
				}
			}
			if diff := cmp.Diff(sorted(want), sorted(got)); diff != "" {
				t.Errorf("packages (-want +got):\n%s", diff)
			}
			if tt.toolchain == "go1.20.14" {
				et.CompareGolden(t, "vulnfixture-go1.20.14", inv.Packages)
			}
		})
	}
}

// TestExperimentToolchain: a binary built with GOEXPERIMENT records the
// experiments after its Go version ("go1.24.13 X:nosynchashtriemap";
// "go1.26.8-X:jsonv2" from Go 1.26 on); the standard library is reported
// at the toolchain's version all the same. (Go 1.26's form made the
// version unparsable: stdlib, and all its advisories, went missing.)
func TestExperimentToolchain(t *testing.T) {
	want, ok := gobinary.StdlibVersion(goVersion(t))
	if !ok {
		t.Skipf("local toolchain %s", goVersion(t))
	}
	bin := buildFixture(t, "", "GOEXPERIMENT=jsonv2") // an experiment Go 1.25 and later know
	bi, err := buildinfo.Read(bytes.NewReader(bin))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(bi.GoVersion, "X:jsonv2") {
		t.Skipf("the toolchain did not record the experiment: %q", bi.GoVersion)
	}
	inv := et.Run(t, []extract.Extractor{gobinary.Extractor{}}, []lt.Entry{lt.Exec("usr/local/bin/vulnfixture", bin)})
	var got []string
	for _, p := range inv.Packages {
		if p.Name == "stdlib" {
			got = append(got, p.Version)
		}
	}
	if diff := cmp.Diff([]string{want}, got); diff != "" {
		t.Errorf("%s: stdlib (-want +got):\n%s", bi.GoVersion, diff)
	}
}

func goVersion(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		t.Skip(err)
	}
	return strings.TrimSpace(string(out))
}

func sorted(s []string) []string {
	c := append([]string(nil), s...)
	for i := range c {
		for j := i + 1; j < len(c); j++ {
			if c[j] < c[i] {
				c[i], c[j] = c[j], c[i]
			}
		}
	}
	return c
}

func TestStdlibVersion(t *testing.T) {
	for in, want := range map[string]string{
		"go1.20.14":               "1.20.14",
		"go1.21":                  "1.21.0",
		"go1.21rc2":               "1.21.0-rc.2",
		"go1.9beta1":              "1.9.0-beta.1",
		"go1.22.1 X:boringcrypto": "1.22.1",
		// Go 1.26 on: "-X:" (go version of binaries built with
		// GOEXPERIMENT=jsonv2,nogreenteagc by go1.26.8, jsonv2 by go1.26rc1).
		"go1.26.8-X:jsonv2,nogreenteagc": "1.26.8",
		"go1.26rc1-X:jsonv2":             "1.26.0-rc.1",
		"go1.26.8-X:":                    "1.26.8",
		"go1.26.8-rc1":                   "",
		"devel go1.23-abc1234 +0000":     "",
		"go1.x":                          "",
		"":                               "",
	} {
		got, ok := gobinary.StdlibVersion(in)
		if got != want || ok != (want != "") {
			t.Errorf("StdlibVersion(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestReduceIgnoresOtherFiles(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("#!/bin/sh"), append([]byte("\x7fELF"), make([]byte, 100)...), []byte("MZ garbage")} {
		out, err := gobinary.Extractor{}.Reduce("x", data)
		if out != nil || err != nil {
			t.Errorf("Reduce(%q) = %q, %v", data[:min(len(data), 10)], out, err)
		}
	}
}

func FuzzReduce(f *testing.F) {
	f.Add(append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 64)...))
	f.Add([]byte("MZ\x90\x00"))
	f.Add([]byte{0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = gobinary.Extractor{}.Reduce("x", data)
	})
}

// FuzzPackages: build information text, as Reduce keeps it, gives
// packages with a version (never "(devel)" or empty), whatever its flags.
func FuzzPackages(f *testing.F) {
	f.Add("path\texample.com/app\nmod\texample.com/app\t(devel)\t\nbuild\t-ldflags=\"-X main.version=1.2.3 -X 'a.ver=v2.0.0'\"\n")
	f.Add("mod\tm\t(devel)\t\nbuild\t-ldflags=\"-X\"\ndep\td\t(devel)\t\n=>\t./d\t(devel)\t\n")
	f.Add("mod\tm\t\t\nbuild\t-ldflags=\"-X=k.version=1.0.0 \\\"\"\n")
	f.Fuzz(func(t *testing.T, text string) {
		bi, err := debug.ParseBuildInfo(text)
		if err != nil {
			return
		}
		for _, p := range gobinary.Packages(bi) {
			if p.Version == "" || p.Version == "(devel)" || p.Name == "" {
				t.Errorf("package %+v from %q", p, text)
			}
		}
	})
}

// TestPackagesSkipDirectoryModules: modules built from a directory carry
// "(devel)" (kubectl's go.work staging modules, terraform's local
// replacements) and have no version to judge; versioned replacements
// stand for the module they replace.
func TestPackagesSkipDirectoryModules(t *testing.T) {
	bi, err := debug.ParseBuildInfo(strings.Join([]string{
		"path\tk8s.io/kubernetes/cmd/kubectl",
		"mod\tk8s.io/kubernetes\tv1.33.1\t",
		"dep\tgithub.com/google/uuid\tv1.6.0\t",
		"dep\tk8s.io/apimachinery\t(devel)\t",
		"dep\tgithub.com/hashicorp/terraform/internal/legacy\tv0.0.0-00010101000000-000000000000\t",
		"=>\t./internal/legacy\t(devel)\t",
		"dep\tgolang.org/x/net\tv0.1.0\t",
		"=>\tgithub.com/fork/net\tv0.2.0\t",
		"",
	}, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	bi.GoVersion = "go1.24.2"
	var got []string
	for _, p := range gobinary.Packages(bi) {
		got = append(got, p.Name+"@"+p.Version)
	}
	want := []string{"stdlib@1.24.2", "k8s.io/kubernetes@1.33.1", "github.com/google/uuid@1.6.0", "github.com/fork/net@0.2.0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}

	bi.Main.Version = "(devel)"
	if got := gobinary.Packages(bi); len(got) != 3 || got[1].Name == "k8s.io/kubernetes" {
		t.Errorf("a (devel) main module is reported: %v", got)
	}
}

// TestMainVersionFromLDFlags: a "(devel)" main module takes the release
// version the linker stamped into a version variable, and nothing else.
func TestMainVersionFromLDFlags(t *testing.T) {
	for ldflags, want := range map[string]string{
		`-s -w -X github.com/GoogleContainerTools/kpt/run.version=1.0.0-beta.56 -extldflags "-z noexecstack"`:            "1.0.0-beta.56",
		`-X 'github.com/prometheus/common/version.Version=v2.45.0' -X github.com/prometheus/common/version.Revision=abc`: "2.45.0",
		`-X=k8s.io/component-base/version.gitVersion=v1.29.3 -X k8s.io/component-base/version.gitCommit=6813625`:         "1.29.3",
		`-X github.com/aquasecurity/trivy/pkg/version/app.ver=0.50.1`:                                                    "0.50.1",
		`-X anthoscli/pkg/commands/version.anthoscliVersion=beta -X anthoscli/pkg/commands/version.gitTag=0.2.56`:        "",
		`-X main.version=dev -X main.Version=v0.0.0-20240101000000-abcdefabcdef`:                                         "",
		`-X main.version=1.2`: "",
		`-s -w`:               "",
		`-X main.version=1.4.0 -X other/pkg.version=9.9.9`: "1.4.0",
		`-X "main.version=1.5.0" -X`:                       "1.5.0",
		`-X`:                                               "",
	} {
		bi := &debug.BuildInfo{
			Main:     debug.Module{Path: "example.com/app", Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "-ldflags", Value: ldflags}},
		}
		var got string
		for _, p := range gobinary.Packages(bi) {
			if p.Name == "example.com/app" {
				got = p.Version
				if p.PURL != "pkg:golang/example.com/app@v"+want {
					t.Errorf("%s: purl %s", ldflags, p.PURL)
				}
			}
		}
		if got != want {
			t.Errorf("%s: main module version %q, want %q", ldflags, got, want)
		}
	}
}
