package vulndb

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drydock/drydock/internal/vulndb/feed"
)

// testdata/format1.db was written by drydock 6a6d5ef (format 1).
func TestOtherFormats(t *testing.T) {
	s := newStore(t)
	res := build(t, s, nil, src{"a", []feed.Record{{Advisory: adv("GHSA-1", day(1), "npm/a")}}})
	cur, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	newer := append([]byte(nil), cur...)
	binary.LittleEndian.PutUint32(newer[len(newer)-formatFromEnd:], formatVersion+1)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "newer.db"), newer, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		have       uint32
		says       string
	}{
		{"format 1", filepath.Join("testdata", "format1.db"), 1, "older drydock"},
		{"newer", filepath.Join(dir, "newer.db"), formatVersion + 1, "newer drydock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OpenFile(tt.path)
			var fe *FormatError
			if !errors.Is(err, ErrFormat) || !errors.As(err, &fe) || fe.Have != tt.have || fe.Want != formatVersion {
				t.Fatalf("OpenFile = %v, want a FormatError for format %d", err, tt.have)
			}
			if !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), "drydock db import --replace") {
				t.Errorf("the error does not say what to do: %v", err)
			}
		})
	}

	// A store whose current version is a format 1 file: Open says so, and a
	// watcher keeps no database and reports the same error without
	// reopening the file at every poll.
	old := newStore(t)
	name := "vulndb-0123456789abcdef-1.db"
	data, err := os.ReadFile(filepath.Join("testdata", "format1.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(old.Dir(), name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(old.Dir(), pointerName), []byte(name+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Open(); !errors.Is(err, ErrFormat) {
		t.Errorf("Store.Open = %v, want ErrFormat", err)
	}
	w, err := NewWatcher(old.Dir(), Options{}, discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if ok, err := w.Reload(); ok || !errors.Is(err, ErrFormat) || w.DB() != nil {
			t.Fatalf("Reload = %v, %v; want ErrFormat and no database", ok, err)
		}
	}
	// Replacing the version is picked up.
	build(t, old, nil, src{"a", []feed.Record{{Advisory: adv("GHSA-1", day(1), "npm/a")}}})
	if ok, err := w.Reload(); !ok || err != nil || w.DB() == nil {
		t.Fatalf("Reload after a rebuild = %v, %v", ok, err)
	}
}
