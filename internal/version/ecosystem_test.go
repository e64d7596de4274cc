package version

import (
	"errors"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestSchemeFor(t *testing.T) {
	tests := map[string]Ecosystem{
		"Debian":                                Dpkg,
		"Debian:12":                             Dpkg,
		"Ubuntu:22.04:LTS":                      Dpkg,
		"Ubuntu:Pro:18.04:LTS":                  Dpkg,
		"Alpine:v3.4":                           APK,
		"Alpine:v3.20":                          APK,
		"Chainguard":                            APK,
		"Wolfi":                                 APK,
		"AlmaLinux:9":                           RPM,
		"Rocky Linux:8":                         RPM,
		"Red Hat:enterprise_linux:9::appstream": RPM,
		"SUSE:Linux Enterprise Server 15 SP5":   RPM,
		"openSUSE:Leap 15.5":                    RPM,
		"Go":                                    Go,
		"npm":                                   SemVer,
		"crates.io":                             SemVer,
		"Hex":                                   SemVer,
		"GitHub Actions":                        SemVer,
		"PyPI":                                  PEP440,
		"pypi":                                  PEP440,
		"Maven":                                 Maven,
		"Maven:https://repo1.maven.org/maven2/": Maven,
		"RubyGems":                              RubyGems,
		"NuGet":                                 NuGet,
		"Packagist":                             Composer,
		"Pub":                                   Pub,
		"CRAN":                                  Generic,
		"Hackage":                               Generic,
	}
	for name, want := range tests {
		got, err := SchemeFor(name)
		if err != nil || got != want {
			t.Errorf("SchemeFor(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	for _, name := range []string{"", "GIT", "Linux", "OSS-Fuzz", "Android", "Debian12", ":Debian"} {
		if got, err := SchemeFor(name); !errors.Is(err, ErrUnsupportedEcosystem) {
			t.Errorf("SchemeFor(%q) = %q, %v; want ErrUnsupportedEcosystem", name, got, err)
		}
	}
}

// TestSchemesComplete checks that the explicit lists agree: every scheme an
// OSV ecosystem maps to is parseable, every scheme is reachable from some
// OSV ecosystem, and every scheme has fixtures.
func TestSchemesComplete(t *testing.T) {
	reached := map[Ecosystem]bool{}
	for name, e := range osvSchemes {
		if !slices.Contains(Schemes(), e) {
			t.Errorf("ecosystem %q maps to %q, which is not in Schemes", name, e)
		}
		reached[e] = true
	}
	for _, e := range Schemes() {
		if !reached[e] {
			t.Errorf("scheme %q is not reachable from any OSV ecosystem", e)
		}
		if _, err := Parse(e, "1"); err != nil {
			t.Errorf("Parse(%q, \"1\"): %v", e, err)
		}
	}
}

// TestImports guards the package's place at the bottom of the import graph:
// it imports nothing of drydock's, and only the libraries doc.go names.
func TestImports(t *testing.T) {
	allowed := []string{"golang.org/x/mod/semver", "github.com/knqyf263/go-rpm-version"}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.Contains(strings.SplitN(path, "/", 2)[0], ".") && !slices.Contains(allowed, path) {
				t.Errorf("%s imports %s; allowed non-standard imports: %v", name, path, allowed)
			}
		}
	}
}
