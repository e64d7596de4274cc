package source

import (
	"os"
	"testing"
)

// TestPseudoFS: the live system's /proc and /sys are kernel file systems
// the walk does not enter; an ordinary directory is not one.
func TestPseudoFS(t *testing.T) {
	for _, p := range []string{"/proc", "/sys"} {
		if _, err := os.Stat(p + "/self"); p == "/proc" && err != nil {
			t.Skipf("no procfs here: %v", err)
		}
		if !isPseudo(t, p) {
			t.Errorf("pseudoFS(%s) = false", p)
		}
	}
	if isPseudo(t, t.TempDir()) {
		t.Error("a temporary directory is a pseudo file system")
	}
}

func isPseudo(t *testing.T, p string) bool {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return pseudoFS(int(f.Fd()))
}
