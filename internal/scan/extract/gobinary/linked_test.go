package gobinary

import (
	"bytes"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/pkg"
)

// TestSymbolOf: a function's symbol name gives its package's import path
// and the function as the Go vulnerability database names it.
func TestSymbolOf(t *testing.T) {
	for name, want := range map[string][2]string{
		"net/http.(*Client).Do":                          {"net/http", "Client.Do"},
		"net/http.(*Server).Serve.func1":                 {"net/http", "Server.Serve"},
		"net/http.(*Server).Serve.func1.2":               {"net/http", "Server.Serve"},
		"net/textproto.Reader.ReadLine":                  {"net/textproto", "Reader.ReadLine"},
		"net/http.(*Transport).roundTrip-fm":             {"net/http", "Transport.roundTrip"},
		"iter.Seq.F-range1":                              {"iter", "Seq.F"},
		"os.init.0":                                      {"os", "init"},
		"main.main.gowrap1":                              {"main", "main"},
		"runtime.memmove":                                {"runtime", "memmove"},
		"gopkg.in/yaml%2ev3.Unmarshal":                   {"gopkg.in/yaml.v3", "Unmarshal"},
		"github.com/a/b%2ec/d.F":                         {"github.com/a/b.c/d", "F"},
		"slices.SortFunc[go.shape.*net/url.URL]":         {"slices", "SortFunc"},
		"example.com/l.(*List[go.shape.[]int]).Push":     {"example.com/l", "List.Push"},
		"vendor/golang.org/x/net/http2/hpack.NewDecoder": {"vendor/golang.org/x/net/http2/hpack", "NewDecoder"},
		"type:.eq.net/mail.Address":                      {"", ""},
		"go:buildid":                                     {"", ""},
		"noDot":                                          {"", ""},
		"bad%zz/pkg.F":                                   {"", ""},
		"a%09b/c.F":                                      {"", ""}, // a tab: no import path, and it would break Reduce's lines
		"a\nb/c.F":                                       {"", ""},
		"a b.F":                                          {"", ""},
	} {
		if p, sym := symbolOf(name); p != want[0] || sym != want[1] {
			t.Errorf("symbolOf(%q) = %q, %q; want %q, %q", name, p, sym, want[0], want[1])
		}
	}
}

// TestLinkedPackages reads the packages linked into this test binary: the
// ones it calls are there (this package, runtime, net/url by way of
// symbolOf), with their functions, and packages nothing here imports are
// not.
func TestLinkedPackages(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	got := parseLines(linkedPackages(data))
	if !slices.IsSortedFunc(got, func(a, b pkg.GoPackage) int { return strings.Compare(a.Path, b.Path) }) {
		t.Error("not sorted")
	}
	for _, want := range []string{"runtime", "net/url", "debug/buildinfo", "github.com/drydock/drydock/internal/scan/extract/gobinary", "github.com/google/go-cmp/cmp"} {
		if pkg.FindGoPackage(got, want) == nil {
			t.Errorf("%s not among the %d packages linked", want, len(got))
		}
	}
	for _, absent := range []string{"net/mail", "database/sql"} {
		if pkg.FindGoPackage(got, absent) != nil {
			t.Errorf("%s among the packages linked", absent)
		}
	}
	self := pkg.FindGoPackage(got, "github.com/drydock/drydock/internal/scan/extract/gobinary")
	url := pkg.FindGoPackage(got, "net/url")
	if self == nil || url == nil {
		t.Fatal("gobinary or net/url not linked")
	}
	for _, fn := range []string{"symbolOf", "withoutTypeArgs", "TestLinkedPackages", "Extractor.Reduce", "pkgSet.add"} {
		if !self.Functions.Has(fn) {
			t.Errorf("gobinary.%s not found", fn)
		}
	}
	if !url.Functions.Has("PathUnescape") {
		t.Error("url.PathUnescape not found")
	}
	for _, fn := range []string{"NoSuchFunction", "Parse2", "URL.Nonsense"} {
		if url.Functions.Has(fn) {
			t.Errorf("url.%s found", fn)
		}
	}

	// Nothing, and a header whose offsets lie (past the data's end).
	lying := append(make([]byte, 64), 0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8)
	for _, w := range []byte{1, 1, 0, 72, 83, 83, 83, 0xff} {
		lying = append(lying, w, 0, 0, 0, 0, 0, 0, 0)
	}
	lying = append(lying, "net/mail.F\x00"...)
	for name, data := range map[string][]byte{"empty": nil, "lying": lying} {
		if got := linkedPackages(data); got != nil {
			t.Errorf("%s: %q", name, got)
		}
	}
	// The same header telling the truth.
	lying[64+8+7*8] = 83
	if got := parseLines(linkedPackages(lying)); len(got) != 1 || got[0].Path != "net/mail" || !got[0].Functions.Has("F") {
		t.Errorf("a true header: %+v", got)
	}
}

// TestAttachLinked: each linked package goes to the module whose path is
// the longest prefix of its own, standard packages to the stdlib; a
// module replaced by another path gets none (not known), nor do packages
// of the main module or of no module.
func TestAttachLinked(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.22.1",
		Main:      debug.Module{Path: "example.com/app", Version: "v1.0.0"},
		Deps: []*debug.Module{
			{Path: "golang.org/x/net", Version: "v0.20.0"},
			{Path: "golang.org/x/net/nested", Version: "v0.1.0"},
			{Path: "github.com/orig/lib", Version: "v1.0.0", Replace: &debug.Module{Path: "github.com/fork/lib", Version: "v1.0.1"}},
		},
	}
	pkgs := Packages(bi)
	var linked []pkg.GoPackage
	for _, p := range []string{
		"example.com/app/internal/x", "github.com/orig/lib", "golang.org/x/net/http2", "golang.org/x/net/nested/y",
		"golang.org/x/net2/z", "main", "net/http", "runtime", "vendor/golang.org/x/crypto/chacha20",
	} {
		linked = append(linked, pkg.GoPackage{Path: p, Functions: pkg.NewFunctionSet([]string{"F"})})
	}
	attachLinked(pkgs, bi, linked)
	got := map[string][]string{}
	for _, p := range pkgs {
		for _, gp := range p.GoPackages {
			got[p.Name] = append(got[p.Name], gp.Path)
			if !gp.Functions.Has("F") {
				t.Errorf("%s: functions lost", gp.Path)
			}
		}
	}
	want := map[string][]string{
		"stdlib":                  {"net/http", "runtime", "vendor/golang.org/x/crypto/chacha20"},
		"example.com/app":         {"example.com/app/internal/x"},
		"golang.org/x/net":        {"golang.org/x/net/http2"},
		"golang.org/x/net/nested": {"golang.org/x/net/nested/y"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GoPackages (-want +got):\n%s", diff)
	}
}

// FuzzLinkedPackages: any bytes give nil or lines that parse back into
// packages sorted by distinct, non-empty import paths, never a panic.
func FuzzLinkedPackages(f *testing.F) {
	h := append(make([]byte, 64), 0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8)
	for _, w := range []byte{1, 1, 0, 72, 83, 83, 83, 83} {
		h = append(h, w, 0, 0, 0, 0, 0, 0, 0)
	}
	f.Add(append(h, "net/mail.F\x00"...))
	f.Add([]byte{0xfa, 0xff, 0xff, 0xff, 0, 0, 4, 4, 1, 0, 0, 0, 1, 0, 0, 0, 36, 0, 0, 0, 40, 0, 0, 0, 40, 0, 0, 0, 40, 0, 0, 0, 40, 0, 0, 0, 'a', '.', 'b', 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := linkedPackages(data)
		got := parseLines(lines)
		if lines != nil && got == nil {
			t.Fatalf("lines %q do not parse", lines)
		}
		for i, p := range got {
			if p.Path == "" || i > 0 && got[i-1].Path >= p.Path {
				t.Fatalf("linkedPackages = %+v", got)
			}
		}
	})
}

// TestManyFalseMagics: a magic number's four bytes are common in code
// (0xfffffffa is -6); a million of them, none a header, are passed over in
// one search per magic number, whole or as a stream (searching for every
// magic number again after each took seconds per binary; here it would
// not end).
func TestManyFalseMagics(t *testing.T) {
	data := append([]byte("\x7fELF"), make([]byte, 60)...)
	data = append(data, bytes.Repeat([]byte{0xfa, 0xff, 0xff, 0xff}, 1<<20)...)
	if got := linkedPackages(data); got != nil {
		t.Errorf("linkedPackages = %q", got)
	}
	if out, err := (Extractor{}).ReduceStream("bin", bytes.NewReader(data), int64(len(data))); out != nil || err != nil {
		t.Errorf("ReduceStream = %.40q, %v", out, err)
	}
}
