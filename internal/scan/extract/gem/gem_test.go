package gem_test

import (
	"errors"
	"io/fs"
	"os"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/scan/extract"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
	"github.com/drydock/drydock/internal/scan/extract/gem"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

func testdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func pkgs(inv *extract.Inventory) []string {
	var out []string
	for _, p := range inv.Packages {
		out = append(out, p.Name+"@"+p.Version+" "+p.Path)
	}
	sort.Strings(out)
	return out
}

// TestDebianBookworm reads real specifications at the paths Debian
// bookworm installs them (see testdata/README.md) and a Gemfile.lock
// written by Bundler 2.3.7, in an image of two layers.
func TestDebianBookworm(t *testing.T) {
	const (
		integ  = "usr/share/rubygems-integration/all/specifications/"
		archIn = "usr/lib/x86_64-linux-gnu/rubygems-integration/3.1.0/specifications/"
		ruby   = "usr/lib/ruby/gems/3.1.0/specifications/"
	)
	inv := et.Run(t, []extract.Extractor{gem.Extractor{}},
		[]lt.Entry{
			lt.File(ruby+"rexml-3.2.5.gemspec", testdata(t, "specifications/rexml-3.2.5.gemspec")),
			lt.File(ruby+"default/uri-0.11.0.gemspec", testdata(t, "specifications/default/uri-0.11.0.gemspec")),
			lt.File(ruby+"default/openssl-3.0.1.gemspec", testdata(t, "specifications/default/openssl-3.0.1.gemspec")),
			lt.File("usr/lib/ruby/gems/3.1.0/gems/rexml-3.2.5/rexml.gemspec", "Gem::Specification.new do |spec|\n  spec.name = \"rexml\"\n  spec.version = REXML::VERSION\nend\n"),
		},
		[]lt.Entry{
			lt.File(integ+"webrick-1.8.1.gemspec", testdata(t, "specifications/webrick-1.8.1.gemspec")),
			lt.File(integ+"rack-2.2.22.gemspec", testdata(t, "specifications/rack-2.2.22.gemspec")),
			lt.File(archIn+"nokogiri-1.13.10.gemspec", testdata(t, "specifications/nokogiri-1.13.10.gemspec")),
			lt.File("srv/app/Gemfile", testdata(t, "Gemfile")),
			lt.File("srv/app/Gemfile.lock", testdata(t, "Gemfile.lock")),
			lt.File("usr/lib/ruby/gems/3.1.0/gems/rack-2.2.22/Gemfile.lock", "GEM\n  specs:\n    not-installed (1.0)\n"),
		},
	)
	want := []string{
		"mini_portile2@2.8.1 srv/app/Gemfile.lock",
		"nokogiri@1.13.10 srv/app/Gemfile.lock",
		"nokogiri@1.13.10 " + archIn + "nokogiri-1.13.10.gemspec",
		"openssl@3.0.1 " + ruby + "default/openssl-3.0.1.gemspec",
		"racc@1.6.2 srv/app/Gemfile.lock",
		"rack@2.2.22 srv/app/Gemfile.lock",
		"rack@2.2.22 " + integ + "rack-2.2.22.gemspec",
		"rake@13.0.6 srv/app/Gemfile.lock",
		"rexml@3.2.5 " + ruby + "rexml-3.2.5.gemspec",
		"uri@0.11.0 " + ruby + "default/uri-0.11.0.gemspec",
		"webrick@1.8.1 srv/app/Gemfile.lock",
		"webrick@1.8.1 " + integ + "webrick-1.8.1.gemspec",
	}
	if diff := cmp.Diff(want, pkgs(inv)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, p := range inv.Packages {
		if p.Name == "webrick" && p.PURL != "pkg:gem/webrick@1.8.1" {
			t.Errorf("purl %s", p.PURL)
		}
	}
	et.CompareGolden(t, "debian-bookworm", inv.Packages)
}

func TestGemspecForms(t *testing.T) {
	tests := []struct{ name, body, want, wantErr string }{
		{"rubygems 3", "# stub: a 1\nGem::Specification.new do |s|\n  s.name = \"a\".freeze\n  s.version = \"1.0.0\"\n  s.rubygems_version = \"3.3.15\".freeze\nend\n", "a@1.0.0", ""},
		{"rubygems 1.8 %q", "Gem::Specification.new do |s|\n  s.name = %q{rails}\n  s.version = \"2.3.5\"\nend\n", "rails@2.3.5", ""},
		{"single quotes, other var", "Gem::Specification.new do |spec|\n  spec.name    = 'b-c'\n  spec.version = '0.1.0.pre'\nend\n", "b-c@0.1.0.pre", ""},
		{"other receivers ignored", "Gem::Specification.new do |s|\n  x.name = \"no\"\n  s.name = \"yes\"\n  s.version = \"2\"\n  s.version = \"3\"\nend\n", "yes@2", ""},
		{"constant version", "Gem::Specification.new do |s|\n  s.name = \"x\"\n  s.version = X::VERSION\nend\n", "", "not a string literal"},
		{"interpolation", "Gem::Specification.new do |s|\n  s.name = \"x#{1}\"\nend\n", "", "not a string literal"},
		{"method call", "Gem::Specification.new do |s|\n  s.name = File.read(\"/etc/passwd\")\nend\n", "", "not a string literal"},
		{"no block", "s.name = \"x\"\ns.version = \"1\"\n", "", "no Gem::Specification.new block"},
		{"no version", "Gem::Specification.new do |s|\n  s.name = \"x\"\nend\n", "", "no name or no version"},
		{"empty", "", "", "no Gem::Specification.new block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := gem.Extractor{}.Reduce("specifications/x.gemspec", []byte(tt.body))
			if tt.wantErr != "" {
				if !errors.Is(err, gem.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Reduce = %q, %v; want ErrInvalid mentioning %q", out, err, tt.wantErr)
				}
				return
			}
			if err != nil || strings.Replace(string(out), "\t", "@", 1) != tt.want {
				t.Errorf("Reduce = %q, %v; want %s", out, err, tt.want)
			}
		})
	}
}

func TestLockfileForms(t *testing.T) {
	const lock = `GIT
  remote: https://github.com/rails/rails.git
  revision: 0123456789abcdef
  specs:
    rails (7.1.0.alpha)

PATH
  remote: .
  specs:
    myapp (0.1.0)

GEM
  remote: https://rubygems.org/
  specs:
    ffi (1.15.5-x86_64-linux-musl)
    jruby-openssl (0.14.1-java)
    nokogiri (1.13.10-x86_64-linux)
      racc (~> 1.4)
    pre (1.0.0-rc1)
    racc (1.6.2)

GEM
  remote: https://gems.example.com/
  specs:
    private (2.0.0)

PLATFORMS
  x86_64-linux

DEPENDENCIES
  nokogiri

BUNDLED WITH
   2.4.10
`
	out, err := gem.Extractor{}.Reduce("Gemfile.lock", []byte(lock))
	if err != nil {
		t.Fatal(err)
	}
	want := "ffi\t1.15.5\njruby-openssl\t0.14.1\nnokogiri\t1.13.10\npre\t1.0.0-rc1\nracc\t1.6.2\nprivate\t2.0.0"
	if diff := cmp.Diff(want, string(out)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []struct{ name, body, wantErr string }{
		{"no sections", "", "no sections"},
		{"spec without version", "GEM\n  specs:\n    rack\n", "want \"name (version)\""},
		{"spec with space in name", "GEM\n  specs:\n    ra ck (1.0)\n", "want \"name (version)\""},
		{"empty version", "GEM\n  specs:\n    rack ()\n", "bad version"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			out, err := gem.Extractor{}.Reduce("Gemfile.lock", []byte(bad.body))
			if !errors.Is(err, gem.ErrInvalid) || !strings.Contains(err.Error(), bad.wantErr) {
				t.Errorf("Reduce = %q, %v; want ErrInvalid mentioning %q", out, err, bad.wantErr)
			}
		})
	}
}

func TestWants(t *testing.T) {
	fsys := fstest.MapFS{"f": {Data: []byte("x")}}
	fi, _ := fs.Stat(fsys, "f")
	for p, want := range map[string]bool{
		"usr/local/bundle/specifications/rack-2.2.8.gemspec":                      true,
		"usr/local/lib/ruby/gems/3.2.0/specifications/default/json-2.6.3.gemspec": true,
		"usr/local/bundle/gems/rack-2.2.8/rack.gemspec":                           false,
		"app/rack.gemspec":                       false,
		"app/Gemfile.lock":                       true,
		"gems.locked":                            true,
		"usr/local/bundle/gems/x-1/Gemfile.lock": false,
		"gems/x/Gemfile.lock":                    false,
		"app/Gemfile":                            false,
	} {
		if got := (gem.Extractor{}).Wants(p, fi); got != want {
			t.Errorf("Wants(%s) = %v", p, got)
		}
	}
}

func TestUnreadableFilesAreSkipped(t *testing.T) {
	inv := et.Run(t, []extract.Extractor{gem.Extractor{}}, []lt.Entry{
		lt.File("var/lib/gems/3.1.0/specifications/bad-1.gemspec", "Gem::Specification.new do |s|\n  s.name = NAME\nend\n"),
		lt.File("app/Gemfile.lock", "GEM\n  specs:\n    broken\n"),
		lt.File("var/lib/gems/3.1.0/specifications/rack-2.2.22.gemspec", testdata(t, "specifications/rack-2.2.22.gemspec")),
	})
	if diff := cmp.Diff([]string{"rack@2.2.22 var/lib/gems/3.1.0/specifications/rack-2.2.22.gemspec"}, pkgs(inv)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func FuzzGemspec(f *testing.F) {
	f.Add([]byte(testdata(f, "specifications/nokogiri-1.13.10.gemspec")))
	f.Add([]byte("Gem::Specification.new do |s|\n s.name = %q{a}\n s.version = '1'\nend"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := gem.Extractor{}.Reduce("specifications/x.gemspec", data)
		if err == nil && strings.Count(string(out), "\t") != 1 {
			t.Errorf("Reduce = %q", out)
		}
	})
}

func FuzzGemfileLock(f *testing.F) {
	f.Add([]byte(testdata(f, "Gemfile.lock")))
	f.Add([]byte("GEM\n  specs:\n    a (1-java)\n      b (>= 0)\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = gem.Extractor{}.Reduce("Gemfile.lock", data)
	})
}
