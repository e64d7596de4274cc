package gobinary

import (
	"bytes"
	"os"
	"runtime/debug"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPackageOf: a function's symbol name gives its package's import path.
func TestPackageOf(t *testing.T) {
	for name, want := range map[string]string{
		"net/http.(*Client).Do":                          "net/http",
		"net/http.(*Server).Serve.func1":                 "net/http",
		"runtime.memmove":                                "runtime",
		"main.main":                                      "main",
		"gopkg.in/yaml%2ev3.Unmarshal":                   "gopkg.in/yaml.v3",
		"github.com/a/b%2ec/d.F":                         "github.com/a/b.c/d",
		"slices.SortFunc[go.shape.*net/url.URL]":         "slices",
		"vendor/golang.org/x/net/http2/hpack.NewDecoder": "vendor/golang.org/x/net/http2/hpack",
		"type:.eq.net/mail.Address":                      "",
		"go:buildid":                                     "",
		"noDot":                                          "",
		"bad%zz/pkg.F":                                   "",
	} {
		if got := packageOf(name); got != want {
			t.Errorf("packageOf(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestLinkedPackages reads the packages linked into this test binary: the
// ones it calls are there (this package, runtime, net/url by way of
// packageOf), sorted, and packages nothing here imports are not.
func TestLinkedPackages(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	got := linkedPackages(data)
	if !slices.IsSorted(got) {
		t.Error("not sorted")
	}
	for _, want := range []string{"runtime", "net/url", "debug/buildinfo", "github.com/drydock/drydock/internal/scan/extract/gobinary", "github.com/google/go-cmp/cmp"} {
		if _, ok := slices.BinarySearch(got, want); !ok {
			t.Errorf("%s not among the %d packages linked", want, len(got))
		}
	}
	for _, absent := range []string{"net/mail", "database/sql"} {
		if _, ok := slices.BinarySearch(got, absent); ok {
			t.Errorf("%s among the packages linked", absent)
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
			t.Errorf("%s: %d packages", name, len(got))
		}
	}
	// The same header telling the truth.
	lying[64+8+7*8] = 83
	if got := linkedPackages(lying); !slices.Equal(got, []string{"net/mail"}) {
		t.Errorf("a true header: %q", got)
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
	attachLinked(pkgs, bi, []string{
		"example.com/app/internal/x", "github.com/orig/lib", "golang.org/x/net/http2", "golang.org/x/net/nested/y",
		"golang.org/x/net2/z", "main", "net/http", "runtime", "vendor/golang.org/x/crypto/chacha20",
	})
	got := map[string][]string{}
	for _, p := range pkgs {
		got[p.Name] = p.GoPackages
	}
	want := map[string][]string{
		"stdlib":                  {"net/http", "runtime", "vendor/golang.org/x/crypto/chacha20"},
		"example.com/app":         {"example.com/app/internal/x"},
		"golang.org/x/net":        {"golang.org/x/net/http2"},
		"golang.org/x/net/nested": {"golang.org/x/net/nested/y"},
		"github.com/fork/lib":     nil,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GoPackages (-want +got):\n%s", diff)
	}
}

// FuzzLinkedPackages: any bytes give a sorted list of distinct, non-empty
// import paths or nil, never a panic.
func FuzzLinkedPackages(f *testing.F) {
	h := append(make([]byte, 64), 0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8)
	for _, w := range []byte{1, 1, 0, 72, 83, 83, 83, 83} {
		h = append(h, w, 0, 0, 0, 0, 0, 0, 0)
	}
	f.Add(append(h, "net/mail.F\x00"...))
	f.Add([]byte{0xfa, 0xff, 0xff, 0xff, 0, 0, 4, 4, 1, 0, 0, 0, 1, 0, 0, 0, 36, 0, 0, 0, 40, 0, 0, 0, 40, 0, 0, 0, 40, 0, 0, 0, 40, 0, 0, 0, 'a', '.', 'b', 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		got := linkedPackages(data)
		for i, p := range got {
			if p == "" || i > 0 && got[i-1] >= p {
				t.Fatalf("linkedPackages = %q", got)
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
