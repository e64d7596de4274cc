package layer_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/drydock/drydock/internal/scan/layer"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

// FuzzLayer reads two arbitrary layers and walks the views: no input may
// panic, hang or escape the limits.
func FuzzLayer(f *testing.F) {
	base := lt.Tar(f,
		lt.Dir("etc/"), lt.File("etc/a", "a"), lt.Symlink("etc/os-release", "../usr/lib/os-release"),
		lt.File("usr/lib/os-release", "ID=x"), lt.Hardlink("etc/b", "etc/a"), lt.Symlink("lib", "usr/lib"),
		lt.File("../escape", "x"), lt.Symlink("etc/loop", "loop"))
	upper := lt.Tar(f, lt.Whiteout("etc/a"), lt.Opaque("usr"), lt.File("lib/x", "x"), lt.File("etc/a", "b"),
		lt.Symlink("etc/up", "../../.."), lt.File("etc/up/etc/c", "c"))
	f.Add(base, upper)
	f.Add(lt.Gzip(f, base), lt.Zstd(f, upper))
	f.Add(lt.Gzip(f, base)[:40], []byte{})
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0}, []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, first, second []byte) {
		cfg := layer.Config{MaxLayerBytes: 8 << 20, MaxEntries: 10_000, MaxFileBytes: 1 << 20,
			MaxKeptBytes: 4 << 20, Timeout: 5 * time.Second}
		r, err := layer.New(cfg, prefixSel{"etc/", "lib/", "usr/"}, upperSel("etc/"))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range [][]byte{first, second} {
			if err := r.ReadLayer(t.Context(), layer.Desc{}, bytes.NewReader(l)); err != nil {
				if errors.Is(err, layer.ErrLimit) && limitOf(err) == layer.LimitTime {
					t.Fatalf("timeout: %v", err)
				}
				break
			}
		}
		for sel := range 2 {
			v := r.FS(sel)
			for _, fl := range v.Files() {
				if _, err := v.File(fl.Path); err != nil {
					t.Errorf("listed %q but File: %v", fl.Path, err)
				}
				v.History(fl.Path)
				v.At(0).Files()
			}
			_, _ = v.ReadFile("etc/os-release")
		}
	})
}
