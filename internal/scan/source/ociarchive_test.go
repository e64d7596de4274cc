package source_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/scan/source"
	st "github.com/drydock/drydock/internal/scan/source/sourcetest"
)

// TestOCIArchive: an OCI image layout in a tar file (as skopeo, podman
// and buildah write with oci-archive:) reads as the layout does, named
// oci-archive:, whether given as oci-archive:FILE or as oci:FILE.
func TestOCIArchive(t *testing.T) {
	amd, arm := twoLayers(t, "linux/amd64"), twoLayers(t, "linux/arm64/v8")
	file := filepath.Join(t.TempDir(), "image.tar")
	st.WriteOCIArchive(t, file, "v1", st.Index(t, amd, arm))
	want := []string{want(amd, "linux/amd64"), want(arm, "linux/arm64/v8")}
	for _, ref := range []string{"oci-archive:" + file, "oci:" + file, "oci-archive:" + file + ":v1"} {
		src, err := source.Open(t.Context(), ref, source.Options{})
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if name := src.Name(); name != "oci-archive:"+file {
			t.Errorf("%s: Name = %q", ref, name)
		}
		ims, err := src.Images(t.Context())
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if diff := cmp.Diff(want, summary(t, ims)); diff != "" {
			t.Errorf("%s: images (-want +got):\n%s", ref, diff)
		}
		src.Close()
	}
	src, err := source.Open(t.Context(), "oci-archive:"+file+":v2", source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.Images(t.Context()); !errors.Is(err, source.ErrNotFound) {
		t.Errorf("unknown tag: %v, want ErrNotFound", err)
	}
}

// TestTransports: docker://REF is a registry reference; the stores of a
// local engine (docker-daemon:, containers-storage:, ...) are refused
// with a usage error saying how to export the image, not looked up as a
// registry host.
func TestTransports(t *testing.T) {
	src, err := source.Open(t.Context(), "docker://registry.example/team/app:1.0", source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := source.Open(t.Context(), "registry.example/team/app:1.0", source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if src.Name() != plain.Name() {
		t.Errorf("docker:// names %q, the plain reference %q", src.Name(), plain.Name())
	}
	src.Close()
	plain.Close()
	for _, ref := range []string{"docker-daemon:alpine:3.20", "containers-storage:localhost/app:1", "podman:app"} {
		_, err := source.Open(t.Context(), ref, source.Options{})
		if !errors.Is(err, source.ErrInvalidReference) || !strings.Contains(err.Error(), "docker save") {
			t.Errorf("%s: %v; want ErrInvalidReference saying how to export", ref, err)
		}
	}
	// A registry host that happens to bear such a name, with a port.
	src, err = source.Open(t.Context(), "podman:5000/team/app:1", source.Options{})
	if err != nil {
		t.Fatalf("podman:5000/team/app:1: %v", err)
	}
	if !strings.HasPrefix(src.Name(), "podman:5000/team/app") {
		t.Errorf("podman:5000/team/app:1 opened as %q", src.Name())
	}
	src.Close()
}
