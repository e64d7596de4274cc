package vulndb

import (
	"errors"
	"os"
	"testing"

	"github.com/drydock/drydock/internal/vulndb/feed"
)

// TestStoreOpenSkipsFileHash: a store's version file is hashed when it is
// installed, not on every open; opening it checks framing and that the
// footer holds the version its name says. Loose files (bundles, --db
// PATH) are still hashed whole.
func TestStoreOpenSkipsFileHash(t *testing.T) {
	s := newStore(t)
	res := build(t, s, nil, src{"a", []feed.Record{{Advisory: adv("GHSA-1", day(1), "npm/a")}}})
	orig, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(at int) []byte {
		b := append([]byte(nil), orig...)
		b[at] ^= 1
		return b
	}
	contentAt := len(orig) - formatFromEnd + 4 // first byte of the content hash
	tests := []struct {
		name      string
		data      []byte
		storeOpen error // nil: opens
		openFile  error
	}{
		{"intact", orig, nil, nil},
		{"record byte flipped", flip(len(magicStart) + 2), nil, ErrCorrupt},
		{"content hash flipped", flip(contentAt), ErrCorrupt, ErrCorrupt},
		{"truncated", orig[:len(orig)-10], ErrCorrupt, ErrCorrupt},
		{"end marker flipped", flip(len(orig) - 1), ErrCorrupt, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(res.Path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			db, err := s.Open()
			if !errors.Is(err, tt.storeOpen) || (err == nil) != (tt.storeOpen == nil) {
				t.Errorf("store Open = %v, want %v", err, tt.storeOpen)
			}
			if db != nil {
				db.Close()
			}
			db, err = OpenFile(res.Path)
			if !errors.Is(err, tt.openFile) || (err == nil) != (tt.openFile == nil) {
				t.Errorf("OpenFile = %v, want %v", err, tt.openFile)
			}
			if db != nil {
				db.Close()
			}
		})
	}
}
