package layer

import (
	"path"
	"strings"
	"testing"
)

// wantClean is isClean's definition, spelled with path.Clean.
func wantClean(name string) bool {
	return name != "" && path.Clean(name) == name && !strings.HasPrefix(name, "/") &&
		name != "." && name != ".." && !strings.HasPrefix(name, "../")
}

var pathCases = []string{
	"", ".", "..", "/", "//", "a", "a/b", "a/b/", "/a", "//a", "a//b", "./a", "a/.", "a/./b",
	"../a", "a/..", "a/../b", "a/b/../../..", "...", "..a", "a..", ".a/.b", "a/...", "a/..b/c",
	"usr/lib/x86_64-linux-gnu/libc.so.6", "./usr/bin/", "/etc/os-release", "a/b/c/../../../../d",
}

func TestIsClean(t *testing.T) {
	for _, name := range pathCases {
		if got, want := isClean(name), wantClean(name); got != want {
			t.Errorf("isClean(%q) = %v, want %v", name, got, want)
		}
	}
}

// CleanPath gives what the slow path (path.Clean) gives, with or without
// the fast one.
func TestCleanPath(t *testing.T) {
	for _, name := range pathCases {
		p, ok := CleanPath(name)
		slow := path.Clean(strings.TrimLeft(name, "/"))
		wantOK := slow != "." && slow != ".." && !strings.HasPrefix(slow, "../")
		if ok != wantOK || ok && p != slow {
			t.Errorf("CleanPath(%q) = %q, %v; want %q, %v", name, p, ok, slow, wantOK)
		}
	}
}

func FuzzIsClean(f *testing.F) {
	for _, name := range pathCases {
		f.Add(name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if got, want := isClean(name), wantClean(name); got != want {
			t.Errorf("isClean(%q) = %v, want %v", name, got, want)
		}
		p, abs, escapes := cleanName(name)
		slow := path.Clean(strings.TrimLeft(name, "/"))
		if abs != strings.HasPrefix(name, "/") || escapes != (slow == ".." || strings.HasPrefix(slow, "../")) ||
			!escapes && slow != "." && p != slow || slow == "." && p != "" {
			t.Errorf("cleanName(%q) = %q, %v, %v; path.Clean gives %q", name, p, abs, escapes, slow)
		}
	})
}
