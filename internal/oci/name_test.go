package oci

import (
	"regexp"
	"strings"
	"testing"
)

// The distribution spec's grammar as regular expressions: the reference
// the hand-written validators are held to.
var (
	specName = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$`)
	specTag  = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
)

var nameCases = []string{
	"", "a", "team/app", "a/b/c-d_e.f", "a--b", "a---b", "a__b", "a___b", "a_b", "a._b", "a-.b", "a.-b",
	"a_-b", "a-_b", "a..b", "a.b", "-a", "a-", "_a", "a_", ".a", "a.", "a//b", "/a", "a/", "A", "aB",
	"é", "a b", "0", "00/11", "a/-b", "a-/b", "library/ubuntu", "x:y", "a@b", "v1.0", "latest", "_", "-",
	"v1.0-rc.1", "sha256:abc", strings.Repeat("a", 128), strings.Repeat("a", 129), "a/b.c-d__e---f/g",
}

func TestNameGrammar(t *testing.T) {
	for _, s := range nameCases {
		if got, want := validName(s), specName.MatchString(s); got != want {
			t.Errorf("validName(%q) = %v, the grammar says %v", s, got, want)
		}
		if got, want := validTag(s), specTag.MatchString(s); got != want {
			t.Errorf("validTag(%q) = %v, the grammar says %v", s, got, want)
		}
	}
}

func FuzzNameGrammar(f *testing.F) {
	for _, s := range nameCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validName(s), specName.MatchString(s); got != want {
			t.Errorf("validName(%q) = %v, the grammar says %v", s, got, want)
		}
		if got, want := validTag(s), specTag.MatchString(s); got != want {
			t.Errorf("validTag(%q) = %v, the grammar says %v", s, got, want)
		}
	})
}
