package source_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
	"github.com/drydock/drydock/internal/scan/source"
	st "github.com/drydock/drydock/internal/scan/source/sourcetest"
)

// FuzzDockerArchive opens any file as a `docker save` archive (the legacy
// manifest.json form and the OCI layout inside, both seeded) and reads
// every layer of every image it lists: no panic, and no layer read past
// the archive.
func FuzzDockerArchive(f *testing.F) {
	img := st.Image(f, st.ImageSpec{Docker: true, Layers: [][]byte{st.Tar(f, lt.File("etc/os-release", "ID=alpine\n"))}})
	for _, withOCI := range []bool{false, true} {
		file := filepath.Join(f.TempDir(), "seed.tar")
		st.WriteDockerArchive(f, file, "demo/app:1.0", img, withOCI)
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file := filepath.Join(t.TempDir(), "image.tar")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		src, err := source.Open(t.Context(), source.PrefixDockerArchive+file, source.Options{})
		if err != nil {
			return
		}
		defer src.Close()
		ims, err := src.Images(t.Context())
		if err != nil {
			return
		}
		for _, im := range ims {
			if im.Err != nil {
				continue
			}
			for i := range im.Layers {
				rc, err := im.OpenLayer(t.Context(), i)
				if err != nil {
					continue
				}
				n, _ := io.Copy(io.Discard, rc)
				rc.Close()
				if n > int64(len(data)) {
					t.Fatalf("layer %d of %s: %d bytes from a %d-byte archive", i, im.Repository, n, len(data))
				}
			}
		}
	})
}

// FuzzParsePlatform: no panic, and an accepted platform has an OS and an
// architecture.
func FuzzParsePlatform(f *testing.F) {
	for _, s := range []string{"linux/amd64", "linux/arm/v7", "windows/amd64/10.0.17763", "linux", "/", "linux//v8", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := source.ParsePlatform(s)
		if err == nil && (p.OS == "" || p.Arch == "") {
			t.Fatalf("ParsePlatform(%q) = %+v", s, p)
		}
	})
}
