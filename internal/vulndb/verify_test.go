package vulndb

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/drydock/drydock/internal/vulndb/feed"
)

// TestVerifyFileHash checks the streaming check install runs: an intact
// version passes, one flipped byte anywhere before the hash fails.
func TestVerifyFileHash(t *testing.T) {
	s := newStore(t)
	res := build(t, s, nil, src{"a", []feed.Record{
		{Advisory: adv("GHSA-1", day(1), "npm/lodash")},
		{Advisory: adv("GHSA-2", day(1), "PyPI/django")},
	}})
	if err := verifyFileHash(res.Path); err != nil {
		t.Fatalf("intact file: %v", err)
	}
	b, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []int{0, len(b) / 2, len(b) - 41} {
		c := append([]byte(nil), b...)
		c[at] ^= 0x01
		p := filepath.Join(t.TempDir(), "bad.db")
		if err := os.WriteFile(p, c, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := verifyFileHash(p); !errors.Is(err, ErrCorrupt) {
			t.Errorf("byte %d flipped: err = %v, want ErrCorrupt", at, err)
		}
	}
	short := filepath.Join(t.TempDir(), "short.db")
	os.WriteFile(short, b[:20], 0o600)
	if err := verifyFileHash(short); !errors.Is(err, ErrCorrupt) {
		t.Errorf("short file: err = %v, want ErrCorrupt", err)
	}
}
