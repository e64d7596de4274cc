package composer_test

import (
	"errors"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/extract/composer"
	et "github.com/drydock/drydock/internal/scan/extract/extracttest"
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

func byPath(inv *extract.Inventory) map[string][]string {
	out := map[string][]string{}
	for _, p := range inv.Packages {
		out[p.Path] = append(out[p.Path], p.Name+"@"+p.Version)
	}
	for _, l := range out {
		sort.Strings(l)
	}
	return out
}

// TestComposerLock reads Composer 2.5.5's own lockfile (Debian's source
// package): 28 packages and 6 development packages.
func TestComposerLock(t *testing.T) {
	inv := et.Run(t, []extract.Extractor{composer.Extractor{}}, []lt.Entry{
		lt.File("usr/src/composer/composer.lock", testdata(t, "composer-2.5.5.composer.lock")),
	})
	got := byPath(inv)["usr/src/composer/composer.lock"]
	if len(got) != 34 || len(inv.Packages) != 34 {
		t.Errorf("got %d packages, want 28 + 6 dev", len(inv.Packages))
	}
	for _, want := range []string{"symfony/process@v5.4.21", "react/promise@v2.9.0", "composer/ca-bundle@1.3.5", "phpstan/phpstan@1.10.7"} {
		if !contains(got, want) {
			t.Errorf("%s missing", want)
		}
	}
	for _, p := range inv.Packages {
		if p.Name == "symfony/process" && p.PURL != "pkg:composer/symfony/process@v5.4.21" {
			t.Errorf("purl %s", p.PURL)
		}
	}
	et.CompareGolden(t, "composer-2.5.5", inv.Packages)
}

// TestMediaWikiVendor reads the vendor tree of Debian's mediawiki package:
// installed.json (Composer 2 format) is read, the vendor repository's own
// composer.lock inside vendor/ is not.
func TestMediaWikiVendor(t *testing.T) {
	const vendor = "usr/share/mediawiki/vendor/"
	inv := et.Run(t, []extract.Extractor{composer.Extractor{}}, []lt.Entry{
		lt.File(vendor+"composer/installed.json", testdata(t, "mediawiki-vendor/composer/installed.json")),
		lt.File(vendor+"composer.lock", testdata(t, "mediawiki-vendor/composer.lock")),
		lt.File(vendor+"wikimedia/at-ease/composer.json", `{"name": "wikimedia/at-ease"}`),
	})
	got := byPath(inv)
	if len(got) != 1 || len(got[vendor+"composer/installed.json"]) != 67 {
		t.Errorf("got %d files, %d packages from installed.json; want 67 from installed.json only", len(got), len(got[vendor+"composer/installed.json"]))
	}
	et.CompareGolden(t, "mediawiki-vendor", inv.Packages)
}

func TestLockfileNextToInstalled(t *testing.T) {
	inv := et.Run(t, []extract.Extractor{composer.Extractor{}}, []lt.Entry{
		lt.File("var/www/composer.lock", testdata(t, "composer-2.5.5.composer.lock")),
		lt.File("var/www/vendor/composer/installed.json", `[{"name": "psr/log", "version": "1.1.4"}]`),
		lt.File("srv/other/composer.lock", `{"packages": [{"name": "a/b", "version": "1.0.0"}], "packages-dev": []}`),
	})
	want := map[string][]string{
		"var/www/vendor/composer/installed.json": {"psr/log@1.1.4"},
		"srv/other/composer.lock":                {"a/b@1.0.0"},
	}
	if diff := cmp.Diff(want, byPath(inv)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFormats(t *testing.T) {
	tests := []struct{ name, file, body, want, wantErr string }{
		{"installed v1 array", "vendor/composer/installed.json",
			`[{"name": "monolog/monolog", "version": "1.25.1", "version_normalized": "1.25.1.0"}, {"name": "meta/pkg", "type": "metapackage"}]`,
			"monolog/monolog\t1.25.1", ""},
		{"installed v2 object", "vendor/composer/installed.json",
			`{"packages": [{"name": "psr/log", "version": "3.0.0"}], "dev": true, "dev-package-names": []}`, "psr/log\t3.0.0", ""},
		{"lock with dev", "composer.lock",
			`{"packages": [{"name": "a/b", "version": "v1.0"}], "packages-dev": [{"name": "c/d", "version": "dev-main"}]}`,
			"a/b\tv1.0\nc/d\tdev-main", ""},
		{"empty lock", "composer.lock", `{"packages": [], "packages-dev": []}`, "", ""},
		{"lock not json", "composer.lock", "<?php", "", "invalid character"},
		{"lock without packages", "composer.lock", `{"_readme": []}`, "", `no "packages" list`},
		{"lock packages wrong type", "composer.lock", `{"packages": {"a": 1}}`, "", "cannot unmarshal"},
		{"installed neither form", "vendor/composer/installed.json", `{"dev": true}`, "", "neither an array nor an object"},
		{"installed truncated", "vendor/composer/installed.json", `[{"name": "a/b",`, "", "unexpected end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := composer.Extractor{}.Reduce(tt.file, []byte(tt.body))
			if tt.wantErr != "" {
				if !errors.Is(err, composer.ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Reduce = %q, %v; want ErrInvalid mentioning %q", out, err, tt.wantErr)
				}
				return
			}
			if err != nil || string(out) != tt.want {
				t.Errorf("Reduce = %q, %v; want %q", out, err, tt.want)
			}
		})
	}
}

func TestUnreadableFileIsSkipped(t *testing.T) {
	inv := et.Run(t, []extract.Extractor{composer.Extractor{}}, []lt.Entry{
		lt.File("a/composer.lock", "{"),
		lt.File("b/vendor/composer/installed.json", `[{"name": "psr/log", "version": "1.1.4"}]`),
	})
	if len(inv.Packages) != 1 || inv.Packages[0].Name != "psr/log" {
		t.Errorf("packages = %v", byPath(inv))
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// The fuzz seeds are small: Go's fuzzing engine crawls (a few executions
// in 30 s) when seeded with the 85-160 KiB real files.

func FuzzComposerLock(f *testing.F) {
	f.Add([]byte(`{"packages": [{"name": "symfony/process", "version": "v5.4.21", "source": {"type": "git"}}], "packages-dev": [{"name": "phpstan/phpstan", "version": "1.10.7"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = composer.Extractor{}.Reduce("composer.lock", data)
	})
}

func FuzzInstalledJSON(f *testing.F) {
	f.Add([]byte(`{"packages": [{"name": "guzzlehttp/guzzle", "version": "7.4.5", "version_normalized": "7.4.5.0"}], "dev": false, "dev-package-names": []}`))
	f.Add([]byte(`[{"name": "a/b", "version": "1"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = composer.Extractor{}.Reduce("vendor/composer/installed.json", data)
	})
}
