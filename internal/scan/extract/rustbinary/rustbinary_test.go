package rustbinary_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/scan/extract"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
	"github.com/drydock/drydock/internal/scan/extract/rustbinary"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

// gunzip reads testdata/<name>.gz.
func gunzip(t testing.TB, name string) []byte {
	t.Helper()
	return et.Gunzip(t, "testdata/"+name+".gz")
}

// fixtureCrates is what testdata/audit.json reports: reachable from the
// root, not build-time (cc), not local (the root) or git (gitdep), not
// unreachable (orphan); the registry mirror's crate counts as crates.io.
var fixtureCrates = []string{"libc@0.2.139", "mirrored@1.2.0", "smallvec@1.6.0", "time@0.1.43", "winapi@0.3.9"}

func crates(inv *extract.Inventory, path string, t *testing.T) []string {
	var out []string
	for _, p := range inv.Packages {
		if p.Path != path || p.Type != "cargo" {
			t.Errorf("%s@%s: path %q type %q", p.Name, p.Version, p.Path, p.Type)
		}
		out = append(out, p.Name+"@"+p.Version)
	}
	return out
}

func TestBinaries(t *testing.T) {
	for _, tt := range []struct{ name, fixture, path string }{
		{"rust ELF", "rust-fixture", "usr/local/bin/rust-fixture"},
		{"C ELF", "small-c-elf", "usr/bin/small"},
		{"PE", "pe-fixture.exe", "opt/app/fixture.exe"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			self, err := os.ReadFile(os.Args[0]) // a Go ELF that holds ".dep-v0" as a string constant
			if err != nil {
				t.Fatal(err)
			}
			inv := et.Run(t, []extract.Extractor{rustbinary.Extractor{}},
				[]lt.Entry{
					lt.Exec(tt.path, gunzip(t, tt.fixture)),
					lt.Exec("usr/bin/go-test-binary", self),
					lt.Exec("usr/bin/script", []byte("#!/bin/sh\n# .dep-v0\n"+strings.Repeat("echo\n", 1000))),
					lt.File("usr/share/copy", string(gunzip(t, tt.fixture))), // not executable
				},
				[]lt.Entry{lt.File("etc/motd", "hi")},
			)
			if diff := cmp.Diff(fixtureCrates, crates(inv, tt.path, t)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, p := range inv.Packages {
				if p.Layer != 0 || p.PURL != "pkg:cargo/"+p.Name+"@"+p.Version {
					t.Errorf("%s: layer %d purl %s", p.Name, p.Layer, p.PURL)
				}
			}
			if tt.fixture == "rust-fixture" {
				et.CompareGolden(t, "rust-fixture", inv.Packages)
			}
		})
	}
}

func TestCorruptSectionIsSkipped(t *testing.T) {
	bin := gunzip(t, "small-c-elf")
	i := bytes.Index(bin, []byte{0x78, 0xda}) // the zlib stream's header
	if i < 0 {
		t.Fatal("no zlib stream in the fixture")
	}
	bad := bytes.Clone(bin)
	copy(bad[i+10:], "garbage garbage")
	out, err := rustbinary.Extractor{}.Reduce("x", bad)
	if !errors.Is(err, rustbinary.ErrInvalid) {
		t.Errorf("Reduce = %q, %v; want ErrInvalid", out, err)
	}
	inv := et.Run(t, []extract.Extractor{rustbinary.Extractor{}}, []lt.Entry{
		lt.Exec("usr/bin/bad", bad),
		lt.Exec("usr/bin/good", bin),
	})
	if diff := cmp.Diff(fixtureCrates, crates(inv, "usr/bin/good", t)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestReduceIgnoresOtherFiles(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("#!/bin/sh .dep-v0"), append([]byte("\x7fELF.dep-v0"), make([]byte, 100)...), []byte("MZ .dep-v0 garbage"), {0xcf, 0xfa, 0xed, 0xfe, '.', 'd', 'e', 'p', '-', 'v', '0'}} {
		out, err := rustbinary.Extractor{}.Reduce("x", data)
		if out != nil || err != nil {
			t.Errorf("Reduce(%q) = %q, %v", data[:min(len(data), 12)], out, err)
		}
	}
}

func FuzzReduce(f *testing.F) {
	f.Add(gunzip(f, "small-c-elf"))
	f.Add(append([]byte("MZ\x90\x00.dep-v0"), make([]byte, 64)...))
	f.Add([]byte{0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1, '.', 'd', 'e', 'p', '-', 'v', '0'})
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := rustbinary.Extractor{}.Reduce("x", data)
		if err == nil && len(out) > 0 && bytes.Count(out, []byte("\t")) != bytes.Count(out, []byte("\n"))+1 {
			t.Errorf("Reduce = %q", out)
		}
	})
}
