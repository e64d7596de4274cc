package version

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzScheme seeds the fuzzer with the scheme's fixtures and checks that
// Parse never panics, rejects input only with ErrInvalidVersion, and that
// Compare is reflexive and antisymmetric on every parsed pair.
func fuzzScheme(f *testing.F, scheme Ecosystem) {
	for _, c := range readComparisons(f, scheme) {
		f.Add(c.a, c.b)
	}
	for _, s := range readLines(f, filepath.Join("testdata", string(scheme)+"-invalid.txt")) {
		f.Add(s, "1")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, errA := checkParse(t, scheme, a)
		vb, errB := checkParse(t, scheme, b)
		if errA != nil || errB != nil {
			return
		}
		ab, err := va.Compare(vb)
		if err != nil {
			t.Fatalf("Compare(%q, %q): %v", a, b, err)
		}
		ba, err := vb.Compare(va)
		if err != nil {
			t.Fatalf("Compare(%q, %q): %v", b, a, err)
		}
		if ab < -1 || ab > 1 || ab != -ba {
			t.Fatalf("not antisymmetric: %q vs %q = %d, reverse = %d", a, b, ab, ba)
		}
	})
}

func checkParse(t *testing.T, scheme Ecosystem, s string) (Version, error) {
	v, err := Parse(scheme, s)
	if err != nil {
		if !errors.Is(err, ErrInvalidVersion) || v != nil {
			t.Fatalf("Parse(%q) = %v, %v; want nil and ErrInvalidVersion", s, v, err)
		}
		return nil, err
	}
	if got := v.String(); got != strings.TrimSpace(s) {
		t.Fatalf("Parse(%q).String() = %q", s, got)
	}
	if c, err := v.Compare(v); c != 0 || err != nil {
		t.Fatalf("%q compared with itself = %d, %v", s, c, err)
	}
	return v, nil
}

func FuzzParseDpkg(f *testing.F)     { fuzzScheme(f, Dpkg) }
func FuzzParseAPK(f *testing.F)      { fuzzScheme(f, APK) }
func FuzzParseRPM(f *testing.F)      { fuzzScheme(f, RPM) }
func FuzzParseSemVer(f *testing.F)   { fuzzScheme(f, SemVer) }
func FuzzParseGo(f *testing.F)       { fuzzScheme(f, Go) }
func FuzzParsePEP440(f *testing.F)   { fuzzScheme(f, PEP440) }
func FuzzParseMaven(f *testing.F)    { fuzzScheme(f, Maven) }
func FuzzParseRubyGems(f *testing.F) { fuzzScheme(f, RubyGems) }
func FuzzParseNuGet(f *testing.F)    { fuzzScheme(f, NuGet) }
func FuzzParseComposer(f *testing.F) { fuzzScheme(f, Composer) }
func FuzzParsePub(f *testing.F)      { fuzzScheme(f, Pub) }
func FuzzParseGeneric(f *testing.F)  { fuzzScheme(f, Generic) }

// TestFuzzTargetsComplete makes sure a new scheme gets a fuzz target.
func TestFuzzTargetsComplete(t *testing.T) {
	targets := map[Ecosystem]func(*testing.F){
		Dpkg: FuzzParseDpkg, APK: FuzzParseAPK, RPM: FuzzParseRPM, SemVer: FuzzParseSemVer,
		Go: FuzzParseGo, PEP440: FuzzParsePEP440, Maven: FuzzParseMaven, RubyGems: FuzzParseRubyGems,
		NuGet: FuzzParseNuGet, Composer: FuzzParseComposer, Pub: FuzzParsePub, Generic: FuzzParseGeneric,
	}
	for _, s := range Schemes() {
		if targets[s] == nil {
			t.Errorf("no FuzzParse target for %q", s)
		}
	}
}
