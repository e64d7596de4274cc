package vulndb

import (
	"testing"

	"github.com/drydock/drydock/internal/vulndb/osv"
)

func TestNormalizeName(t *testing.T) {
	tests := []struct{ eco, in, want string }{
		{"PyPI", "Django_Rest.Framework", "django-rest-framework"},
		{"PyPI", "zope.interface", "zope-interface"},
		{"PyPI", "a--__..b", "a-b"},
		{"NuGet", "Newtonsoft.Json", "newtonsoft.json"},
		{"Packagist", "Symfony/HTTP-Kernel", "symfony/http-kernel"},
		{"npm", "JSONStream", "JSONStream"},
		{"Go", "github.com/BurntSushi/toml", "github.com/BurntSushi/toml"},
		{"Debian:12", "libC6", "libC6"},
	}
	for _, tc := range tests {
		if got := NormalizeName(tc.eco, tc.in); got != tc.want {
			t.Errorf("NormalizeName(%s, %q) = %q, want %q", tc.eco, tc.in, got, tc.want)
		}
	}
	if !SamePackage(osv.Package{Ecosystem: "PyPI", Name: "Django"}, "PyPI", "django") || SamePackage(osv.Package{Ecosystem: "PyPI", Name: "Django"}, "PyPI:x", "django") {
		t.Error("SamePackage wrong")
	}
}
