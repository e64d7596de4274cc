//go:build e2e

package e2e

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// realFileSets are image layers made of real package databases from the
// shared test data: path inside the image -> path under ../shared/testdata.
var realFileSets = []map[string]string{
	{ // an Alpine base
		"lib/apk/db/installed": "manifests/alpine/3.20.3/installed",
		"etc/os-release":       "manifests/alpine/3.20.3/os-release",
	},
	{ // a Node application on top
		"app/package.json":      "manifests/npm/express-app/package.json",
		"app/package-lock.json": "manifests/npm/express-app/package-lock.json",
	},
	{ // a Debian package database
		"var/lib/dpkg/status": "manifests/debian/bookworm-minbase/status",
		"etc/debian_version":  "manifests/debian/bookworm-minbase/debian_version",
	},
}

// layerTar writes a tar archive holding files (image path -> shared test data
// path) and, when randomBytes > 0, a file of random bytes that makes the
// layer unique. It returns the tar bytes.
func layerTar(t testing.TB, files map[string]string, randomBytes int) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mod := time.Date(2024, 9, 6, 0, 0, 0, 0, time.UTC)
	for _, name := range sortedKeys(files) {
		b, err := os.ReadFile(testdataFile(t, files[name]))
		if err != nil {
			t.Fatal(err)
		}
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), ModTime: mod, Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if randomBytes > 0 {
		b := randBytes(t, randomBytes)
		hdr := &tar.Header{Name: "random/" + hex.EncodeToString(b[:8]), Mode: 0o644, Size: int64(len(b)), ModTime: mod, Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testImage builds an OCI image of the real file sets plus one random layer,
// with gzip-compressed layers, for the given platform.
func testImage(t testing.TB, arch string) v1.Image {
	t.Helper()
	var layers []v1.Layer
	for i, set := range realFileSets {
		random := 0
		if i == len(realFileSets)-1 {
			random = 32 << 10
		}
		tb := layerTar(t, set, random)
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(tb)), nil
		}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, l)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.AppendLayers(img, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Config.Cmd = []string{"/bin/sh"}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// writeLayout writes images into a new OCI image layout under dir, each
// annotated with its tag as org.opencontainers.image.ref.name.
func writeLayout(t testing.TB, dir string, images map[string]v1.Image) layout.Path {
	t.Helper()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range sortedKeys(images) {
		if err := p.AppendImage(images[tag], layout.WithAnnotations(map[string]string{
			"org.opencontainers.image.ref.name": tag,
		})); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func randBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// writeFile writes b to dir/name and returns the path.
func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
