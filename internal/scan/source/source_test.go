package source_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/scan/layer"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
	"github.com/drydock/drydock/internal/scan/source"
	st "github.com/drydock/drydock/internal/scan/source/sourcetest"
	storefs "github.com/drydock/drydock/internal/store/fs"
)

// twoLayers is an image with two gzip layers.
func twoLayers(t *testing.T, platform string) *st.Artifact {
	return st.Image(t, st.ImageSpec{Platform: platform, Layers: [][]byte{
		st.Tar(t, lt.File("etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n")),
		st.Tar(t, lt.File("app/"+platform+".txt", "hello")),
	}})
}

// summary describes resolved images: platform, digest, problem, and the
// layers' uncompressed digests as read through OpenLayer.
func summary(t *testing.T, images []*source.Image) []string {
	t.Helper()
	var out []string
	for _, im := range images {
		s := fmt.Sprintf("%s %s", im.Platform, im.Digest)
		switch {
		case im.NotApplicable != "":
			s += " notApplicable: " + im.NotApplicable
		case im.Err != nil:
			s += " err: " + im.Err.Error()
		}
		for i, l := range im.Layers {
			rc, err := im.OpenLayer(t.Context(), i)
			if err != nil {
				t.Fatalf("OpenLayer %d: %v", i, err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatalf("read layer %d: %v", i, err)
			}
			if l.Digest != "" && oci.Digest(l.Digest).Algorithm().FromBytes(b) != l.Digest {
				t.Errorf("layer %d does not hash to its digest %s", i, l.Digest)
			}
			s += " layer:" + string(l.DiffID)[7:19]
		}
		out = append(out, s)
	}
	return out
}

func want(a *st.Artifact, platform string) string {
	var layers string
	var cfg struct {
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	_ = jsonUnmarshal(a.Config, &cfg)
	for _, d := range cfg.RootFS.DiffIDs {
		layers += " layer:" + d[7:19]
	}
	return platform + " " + a.Root.Desc.Digest.String() + layers
}

func TestLayout(t *testing.T) {
	amd, arm := twoLayers(t, "linux/amd64"), twoLayers(t, "linux/arm64/v8")
	win := st.Image(t, st.ImageSpec{Platform: "windows/amd64", Layers: [][]byte{st.Tar(t, lt.File("Files/x", "x"))}})
	helm := st.Image(t, st.ImageSpec{ConfigMediaType: "application/vnd.cncf.helm.config.v1+json", Layers: [][]byte{st.Tar(t, lt.File("chart", "x"))}})
	idx := st.Index(t, amd, arm, win)
	// A BuildKit attestation manifest for amd64.
	att := st.Image(t, st.ImageSpec{Platform: "unknown/unknown", Layers: [][]byte{st.Tar(t, lt.File("sbom.json", "{}"))}})
	idx = addChild(t, idx, att, map[string]string{"vnd.docker.reference.type": "attestation-manifest"})

	tests := []struct {
		name     string
		art      *st.Artifact
		tag      string
		ref      string // selector after the directory
		platform string
		want     []string
		err      error
	}{
		{name: "single image", art: amd, want: []string{want(amd, "linux/amd64")}},
		{name: "by tag", art: amd, tag: "v1", ref: ":v1", want: []string{want(amd, "linux/amd64")}},
		{name: "by digest", art: amd, tag: "v1", ref: ":" + amd.Root.Desc.Digest.String(), want: []string{want(amd, "linux/amd64")}},
		{name: "unknown tag", art: amd, tag: "v1", ref: ":v2", err: source.ErrNotFound},
		{name: "index: every platform, windows not applicable, attestation left out", art: idx, want: []string{
			want(amd, "linux/amd64"), want(arm, "linux/arm64/v8"),
			"windows/amd64 " + win.Root.Desc.Digest.String() + " notApplicable: Windows images are not scanned: drydock scans Linux images",
		}},
		{name: "index: one platform", art: idx, platform: "linux/arm64", want: []string{want(arm, "linux/arm64/v8")}},
		{name: "index: arm64 default variant", art: idx, platform: "linux/arm64/v8", want: []string{want(arm, "linux/arm64/v8")}},
		{name: "index: absent platform", art: idx, platform: "linux/s390x", err: source.ErrNoPlatform},
		{name: "single image: other platform", art: amd, platform: "linux/arm64", err: source.ErrNoPlatform},
		{name: "artifact", art: helm, want: []string{" " + helm.Root.Desc.Digest.String() + ` notApplicable: not a container image: artifact of type "application/vnd.cncf.helm.config.v1+json"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			st.WriteLayout(t, dir, tt.tag, tt.art)
			src, err := source.Open(t.Context(), "oci:"+dir+tt.ref, source.Options{Platform: tt.platform})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			images, err := src.Images(t.Context())
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summary(t, images)); diff != "" {
				t.Errorf("images (-want +got):\n%s", diff)
			}
		})
	}
}

// addChild returns idx with one more child manifest (annotated).
func addChild(t *testing.T, idx, child *st.Artifact, ann map[string]string) *st.Artifact {
	t.Helper()
	var m struct {
		SchemaVersion int              `json:"schemaVersion"`
		MediaType     string           `json:"mediaType"`
		Manifests     []oci.Descriptor `json:"manifests"`
	}
	if err := jsonUnmarshal(idx.Root.Data, &m); err != nil {
		t.Fatal(err)
	}
	d := child.Root.Desc
	d.Annotations = ann
	m.Manifests = append(m.Manifests, d)
	out := &st.Artifact{Blobs: idx.Blobs}
	for k, v := range child.Blobs {
		out.Blobs[k] = v
	}
	out.Blobs[child.Root.Desc.Digest] = st.Blob{Desc: child.Root.Desc, Data: child.Root.Data}
	data := jsonMarshal(t, m)
	out.Root = st.Blob{Desc: oci.Descriptor{MediaType: oci.MediaTypeImageIndex, Digest: oci.Digest("sha256:" + sha256hex(data)), Size: int64(len(data))}, Data: data}
	return out
}

func TestLayoutProblems(t *testing.T) {
	amd, arm := twoLayers(t, "linux/amd64"), twoLayers(t, "linux/arm64")
	t.Run("absent platform of an index is skipped", func(t *testing.T) {
		dir := t.TempDir()
		st.WriteLayout(t, dir, "", st.Index(t, amd, arm))
		if err := os.Remove(filepath.Join(dir, "blobs", "sha256", arm.Root.Desc.Digest.Encoded())); err != nil {
			t.Fatal(err)
		}
		images := images(t, "oci:"+dir, source.Options{})
		if diff := cmp.Diff([]string{want(amd, "linux/amd64")}, summary(t, images)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("tampered config", func(t *testing.T) {
		dir := t.TempDir()
		st.WriteLayout(t, dir, "", amd)
		var cfg oci.Digest
		for d, b := range amd.Blobs {
			if b.Desc.MediaType == oci.MediaTypeImageConfig {
				cfg = d
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "blobs", "sha256", cfg.Encoded()), []byte(`{"os":"linux"}`), 0o644); err != nil {
			t.Fatal(err)
		}
		ims := images(t, "oci:"+dir, source.Options{})
		if len(ims) != 1 || !errors.Is(ims[0].Err, source.ErrInvalid) {
			t.Fatalf("images %+v, want one with ErrInvalid", ims)
		}
	})
	t.Run("diff_ids do not pair with layers", func(t *testing.T) {
		bad := st.Image(t, st.ImageSpec{Layers: [][]byte{st.Tar(t, lt.File("a", "a"))}, DiffIDs: []string{}})
		dir := t.TempDir()
		st.WriteLayout(t, dir, "", bad)
		ims := images(t, "oci:"+dir, source.Options{})
		if len(ims) != 1 || !errors.Is(ims[0].Err, source.ErrInvalid) || !strings.Contains(ims[0].Err.Error(), "0 diff_ids for 1 layers") {
			t.Fatalf("images %+v, want the diff_id count error", ims)
		}
	})
	t.Run("two images need a tag", func(t *testing.T) {
		dir := t.TempDir()
		st.WriteLayout(t, dir, "one", amd)
		st.WriteLayout(t, dir, "two", arm)
		src, err := source.Open(t.Context(), "oci:"+dir, source.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.Images(t.Context()); !errors.Is(err, source.ErrAmbiguous) || !strings.Contains(err.Error(), "one, two") {
			t.Errorf("err = %v, want ErrAmbiguous listing the tags", err)
		}
		if diff := cmp.Diff([]string{want(arm, "linux/arm64")}, summary(t, images(t, "oci:"+dir+":two", source.Options{}))); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("not a layout", func(t *testing.T) {
		src, err := source.Open(t.Context(), "oci:"+t.TempDir(), source.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.Images(t.Context()); !errors.Is(err, source.ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		if _, err := source.Open(t.Context(), "oci:/nonexistent/layout", source.Options{}); !errors.Is(err, source.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("bad platform", func(t *testing.T) {
		if _, err := source.Open(t.Context(), "oci:/x", source.Options{Platform: "linux"}); !errors.Is(err, source.ErrInvalidReference) {
			t.Errorf("err = %v, want ErrInvalidReference", err)
		}
	})
}

func images(t *testing.T, ref string, o source.Options) []*source.Image {
	t.Helper()
	src, err := source.Open(t.Context(), ref, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	ims, err := src.Images(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return ims
}

func TestDockerArchive(t *testing.T) {
	base := st.Tar(t, lt.File("etc/os-release", "ID=alpine\nVERSION_ID=3.20.3\n"))
	// The same layer twice: legacy archives link the second copy.
	img := st.Image(t, st.ImageSpec{Docker: true, Layers: [][]byte{base, st.Tar(t, lt.File("app/x", "x")), base}})
	for _, withOCI := range []bool{false, true} {
		t.Run(fmt.Sprintf("oci=%v", withOCI), func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "image.tar")
			st.WriteDockerArchive(t, file, "demo/app:1.0", img, withOCI)
			for _, ref := range []string{"docker-archive:" + file, "docker-archive:" + file + ":demo/app:1.0", "docker-archive:" + file + ":1.0"} {
				ims := images(t, ref, source.Options{})
				if len(ims) != 1 {
					t.Fatalf("%s: %d images", ref, len(ims))
				}
				im := ims[0]
				wantRepo := "demo/app"
				if withOCI {
					wantRepo = "docker.io/demo/app"
				}
				if im.Repository != wantRepo || im.Platform != "linux/amd64" || im.Err != nil || len(im.Layers) != 3 {
					t.Fatalf("%s: image %+v", ref, im)
				}
				wantDigest := img.Root.Desc.Digest
				if !withOCI {
					wantDigest = oci.Digest("sha256:" + sha256hex(img.Config)) // Docker's image id
				}
				if im.Digest != wantDigest {
					t.Errorf("%s: digest %s, want %s", ref, im.Digest, wantDigest)
				}
				for i, raw := range img.RawLayers {
					got := readLayer(t, im, i)
					if !withOCI && !bytes.Equal(got, raw) {
						t.Errorf("%s: layer %d differs", ref, i)
					}
					if im.Layers[i].DiffID != lt.DiffID(raw) {
						t.Errorf("%s: layer %d diff_id %s", ref, i, im.Layers[i].DiffID)
					}
				}
			}
			src, err := source.Open(t.Context(), "docker-archive:"+file+":other", source.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := src.Images(t.Context()); !errors.Is(err, source.ErrNotFound) {
				t.Errorf("unknown name: err = %v, want ErrNotFound", err)
			}
		})
	}
	t.Run("compressed archive", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "image.tar.gz")
		if err := os.WriteFile(file, lt.Gzip(t, []byte("not really")), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := source.Open(t.Context(), "docker-archive:"+file, source.Options{}); !errors.Is(err, source.ErrInvalid) || !strings.Contains(err.Error(), "gunzip") {
			t.Errorf("err = %v, want ErrInvalid saying to decompress", err)
		}
	})
	t.Run("not a tar", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "x.tar")
		if err := os.WriteFile(file, bytes.Repeat([]byte("x"), 2000), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := source.Open(t.Context(), "docker-archive:"+file, source.Options{}); !errors.Is(err, source.ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
	})
}

func readLayer(t *testing.T, im *source.Image, i int) []byte {
	t.Helper()
	rc, err := im.OpenLayer(t.Context(), i)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDir(t *testing.T) {
	root := t.TempDir()
	mustWrite(t, filepath.Join(root, "etc", "os-release"), "ID=alpine\n")
	mustWrite(t, filepath.Join(root, "usr", "bin", "tool"), "#!/bin/sh\n")
	if err := os.Symlink("../usr/bin/tool", filepath.Join(root, "etc", "link")); err != nil {
		t.Fatal(err)
	}
	ims := images(t, "dir:"+root, source.Options{})
	if len(ims) != 1 || len(ims[0].Layers) != 1 || ims[0].Digest != "" || ims[0].Repository != "dir:"+root {
		t.Fatalf("images %+v", ims)
	}
	var got []string
	tr := tar.NewReader(bytes.NewReader(readLayer(t, ims[0], 0)))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		got = append(got, fmt.Sprintf("%s %c %s%s", h.Name, h.Typeflag, h.Linkname, b))
	}
	wantEntries := []string{"etc/ 5 ", "etc/link 2 ../usr/bin/tool", "etc/os-release 0 ID=alpine\n", "usr/ 5 ", "usr/bin/ 5 ", "usr/bin/tool 0 #!/bin/sh\n"}
	if diff := cmp.Diff(wantEntries, got); diff != "" {
		t.Errorf("tar entries (-want +got):\n%s", diff)
	}
	// Closing the stream early stops the walk.
	rc, err := ims[0].OpenLayer(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if _, err := source.Open(t.Context(), "dir:"+filepath.Join(root, "etc", "os-release"), source.Options{}); !errors.Is(err, source.ErrInvalidReference) {
		t.Errorf("a file: err = %v, want ErrInvalidReference", err)
	}
}

// TestDirEntries: the entry view of a directory gives the tar stream's
// entries, opens a file only when it is read, and gives exactly the size
// its header says even when the file changes during the walk.
func TestDirEntries(t *testing.T) {
	root := t.TempDir()
	mustWrite(t, filepath.Join(root, "a", "grows"), "1234")
	mustWrite(t, filepath.Join(root, "a", "shrinks"), "12345678")
	mustWrite(t, filepath.Join(root, "a", "unread"), "x")
	mustWrite(t, filepath.Join(root, "b"), "bee")
	ims := images(t, "dir:"+root, source.Options{})
	layout := t.TempDir()
	st.WriteLayout(t, layout, "", twoLayers(t, "linux/amd64"))
	if _, ok, _ := images(t, "oci:"+layout, source.Options{})[0].OpenEntries(t.Context(), 0); ok {
		t.Error("an image from a layout offers entries")
	}
	es, ok, err := ims[0].OpenEntries(t.Context(), 0)
	if !ok || err != nil {
		t.Fatalf("OpenEntries: %v %v", ok, err)
	}
	defer es.Close()
	var got []string
	eachEntry(t, es, func(h *tar.Header) {
		switch h.Name {
		case "a/grows":
			mustWrite(t, filepath.Join(root, "a", "grows"), "123456789")
		case "a/shrinks":
			mustWrite(t, filepath.Join(root, "a", "shrinks"), "12")
		case "a/unread":
			// Not read: removing it does not fail the walk.
			if err := os.Remove(filepath.Join(root, "a", "unread")); err != nil {
				t.Fatal(err)
			}
			got = append(got, h.Name+" (not read)")
			return
		}
		b, err := io.ReadAll(es)
		if err != nil {
			t.Fatalf("%s: %v", h.Name, err)
		}
		got = append(got, fmt.Sprintf("%s %d %q", h.Name, h.Size, b))
	})
	want := []string{`a/ 0 ""`, `a/grows 4 "1234"`, `a/shrinks 8 "12\x00\x00\x00\x00\x00\x00"`, "a/unread (not read)", `b 3 "bee"`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}

	// A file removed between its header and its read is left out
	// (layer.ErrUnreadable, saying it is gone), not read as a short file.
	mustWrite(t, filepath.Join(root, "c"), "sea")
	es, _, _ = ims[0].OpenEntries(t.Context(), 0)
	defer es.Close()
	for {
		h, err := es.Next()
		if err != nil {
			t.Fatalf("walk ended before c: %v", err)
		}
		if h.Name == "c" {
			break
		}
	}
	if err := os.Remove(filepath.Join(root, "c")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(es); !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, layer.ErrUnreadable) {
		t.Errorf("read of a removed file: %v, want ErrUnreadable and ErrNotExist", err)
	}

	// Closed before its end (the walk runs ahead in a goroutine, which
	// Close stops), the walk gives no more entries.
	es, _, _ = ims[0].OpenEntries(t.Context(), 0)
	if _, err := es.Next(); err != nil {
		t.Fatal(err)
	}
	es.Close()
	if h, err := es.Next(); err == nil || errors.Is(err, io.EOF) {
		t.Errorf("Next after Close = %v, %v; want an error", h, err)
	}

	// A cancelled context ends the walk with its error.
	for i := range 1500 { // more than the walk runs ahead, and a context check beyond that
		mustWrite(t, filepath.Join(root, "many", fmt.Sprint(i)), "")
	}
	ctx, cancel := context.WithCancel(t.Context())
	es, _, _ = ims[0].OpenEntries(ctx, 0)
	defer es.Close()
	cancel()
	err = nil
	for err == nil {
		_, err = es.Next()
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("walk after cancel: %v, want context.Canceled", err)
	}
}

// TestDirUnreadable: what the walk may not read is left out and counted,
// a wanted file it may not open reads as layer.ErrUnreadable, and the
// walk goes on. (Permissions do not bind root: skipped when run as root.)
func TestDirUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads everything")
	}
	root := t.TempDir()
	mustWrite(t, filepath.Join(root, "closed", "inside"), "x")
	mustWrite(t, filepath.Join(root, "secret"), "s")
	mustWrite(t, filepath.Join(root, "z"), "z")
	for _, p := range []string{"closed", "secret"} {
		if err := os.Chmod(filepath.Join(root, p), 0); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(filepath.Join(root, p), 0o755) })
	}
	es, _, err := images(t, "dir:"+root, source.Options{})[0].OpenEntries(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer es.Close()
	var got []string
	eachEntry(t, es, func(h *tar.Header) {
		_, err := io.ReadAll(es)
		got = append(got, fmt.Sprintf("%s %v", h.Name, errors.Is(err, layer.ErrUnreadable)))
	})
	if diff := cmp.Diff([]string{"closed/ false", "secret true", "z false"}, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if n, first := es.Skipped(); n != 1 || first != "closed/" {
		t.Errorf("Skipped = %d, %q; want 1, closed/", n, first)
	}
}

// eachEntry calls fn with each entry of es, to the end of the walk.
func eachEntry(t *testing.T, es source.Entries, fn func(h *tar.Header)) {
	t.Helper()
	for {
		h, err := es.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		fn(h)
	}
}

func mustWrite(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// authRegistry wraps a registry handler with authentication: "basic"
// checks HTTP Basic credentials on every request; "bearer" answers 401
// with a Bearer challenge naming a token service (served at /token, which
// wants the same Basic credentials) and accepts only the token it issued.
func authRegistry(h http.Handler, mode, user, pass string, tokens *atomic.Int32) http.Handler {
	const token = "s3cr3t-token"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch mode {
		case "basic":
			if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
				return
			}
		case "bearer":
			if r.URL.Path == "/token" {
				if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
					http.Error(w, "bad credentials", http.StatusUnauthorized)
					return
				}
				if !strings.Contains(r.URL.Query().Get("scope"), "pull") {
					http.Error(w, "no pull scope", http.StatusBadRequest)
					return
				}
				tokens.Add(1)
				fmt.Fprintf(w, `{"token":%q}`, token)
				return
			}
			if r.Header.Get("Authorization") != "Bearer "+token {
				w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="http://%s/token",service="test"`, r.Host))
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED"}]}`, http.StatusUnauthorized)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func dockerConfig(t *testing.T, host, user, pass string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.json")
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	mustWrite(t, p, fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, auth))
	return p
}

func TestRegistry(t *testing.T) {
	amd, arm := twoLayers(t, "linux/amd64"), twoLayers(t, "linux/arm64")
	idx := st.Index(t, amd, arm)
	reg := ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))
	st.Push(t, reg, "team/app", "v1", idx)
	st.Push(t, reg, "team/single", "v1", amd)

	var tokens atomic.Int32
	for _, mode := range []string{"anonymous", "basic", "bearer"} {
		t.Run(mode, func(t *testing.T) {
			srv := httptest.NewServer(authRegistry(reg, mode, "alice", "pa55", &tokens))
			defer srv.Close()
			host := strings.TrimPrefix(srv.URL, "http://")
			o := source.Options{Insecure: true, DockerConfig: filepath.Join(t.TempDir(), "none.json")}
			if mode != "anonymous" {
				// Without credentials the registry refuses.
				src, err := source.Open(t.Context(), host+"/team/app:v1", o)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := src.Images(t.Context()); err == nil || !strings.Contains(err.Error(), "docker login") {
					t.Errorf("no credentials: err = %v", err)
				}
				o.DockerConfig = dockerConfig(t, host, "alice", "pa55")
			}
			// Layers are fetched under the context they are opened
			// with, after the one the images were found under ended
			// (drydock scan finds them within its time limit).
			src, err := source.Open(t.Context(), host+"/team/single:v1", o)
			if err != nil {
				t.Fatal(err)
			}
			rctx, cancel := context.WithCancel(t.Context())
			found, err := src.Images(rctx)
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			rc, err := found[0].OpenLayer(t.Context(), 0)
			if err == nil {
				_, err = io.ReadAll(rc)
				rc.Close()
			}
			if err != nil {
				t.Errorf("layer after the resolving context ended: %v", err)
			}
			src.Close()

			ims := images(t, host+"/team/app:v1", o)
			if diff := cmp.Diff([]string{want(amd, "linux/amd64"), want(arm, "linux/arm64")}, summary(t, ims)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if ims[0].Repository != host+"/team/app" {
				t.Errorf("repository %q", ims[0].Repository)
			}
			ims = images(t, host+"/team/app@"+idx.Root.Desc.Digest.String(), source.Options{Insecure: true, Platform: "linux/arm64", DockerConfig: o.DockerConfig})
			if diff := cmp.Diff([]string{want(arm, "linux/arm64")}, summary(t, ims)); diff != "" {
				t.Errorf("by digest, one platform (-want +got):\n%s", diff)
			}
			src, err = source.Open(t.Context(), host+"/team/missing:v1", o)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := src.Images(t.Context()); !errors.Is(err, source.ErrNotFound) {
				t.Errorf("missing repository: err = %v, want ErrNotFound", err)
			}
		})
	}
	if tokens.Load() == 0 {
		t.Error("the bearer flow never fetched a token")
	}
	t.Run("https with a trusted certificate", func(t *testing.T) {
		srv := httptest.NewTLSServer(reg)
		defer srv.Close()
		host := strings.TrimPrefix(srv.URL, "https://")
		ims := images(t, host+"/team/single:v1", source.Options{Transport: srv.Client().Transport, DockerConfig: filepath.Join(t.TempDir(), "none.json")})
		if diff := cmp.Diff([]string{want(amd, "linux/amd64")}, summary(t, ims)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("https, untrusted certificate, --insecure", func(t *testing.T) {
		srv := httptest.NewTLSServer(reg)
		defer srv.Close()
		host := strings.TrimPrefix(srv.URL, "https://")
		o := source.Options{DockerConfig: filepath.Join(t.TempDir(), "none.json")}
		src, err := source.Open(t.Context(), host+"/team/single:v1", o)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.Images(t.Context()); err == nil {
			t.Error("an untrusted certificate was accepted without --insecure")
		}
		o.Insecure = true
		if ims := images(t, host+"/team/single:v1", o); len(ims) != 1 || ims[0].Err != nil {
			t.Errorf("with --insecure: %+v", ims)
		}
	})
	t.Run("bad reference", func(t *testing.T) {
		if _, err := source.Open(t.Context(), "UPPER/Case::x", source.Options{}); !errors.Is(err, source.ErrInvalidReference) {
			t.Errorf("err = %v, want ErrInvalidReference", err)
		}
	})
}

// manifestMap serves manifests from a map, as the metadata store would.
type manifestMap map[oci.Digest]st.Blob

func (m manifestMap) Manifest(_ context.Context, d oci.Digest) ([]byte, string, error) {
	b, ok := m[d]
	if !ok {
		return nil, "", fmt.Errorf("manifest %s: %w", d, storeNotFound)
	}
	return b.Data, b.Desc.MediaType, nil
}

func TestStored(t *testing.T) {
	ctx := t.Context()
	amd, arm := twoLayers(t, "linux/amd64"), twoLayers(t, "linux/arm64")
	idx := st.Index(t, amd, arm)
	blobs, err := storefs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	manifests := manifestMap{idx.Root.Desc.Digest: idx.Root}
	for d, b := range idx.Blobs {
		if oci.IsManifestMediaType(b.Desc.MediaType) {
			manifests[d] = b
			continue
		}
		up, err := blobs.NewUpload(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := up.Write(b.Data); err != nil {
			t.Fatal(err)
		}
		if _, err := up.Commit(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	delete(manifests, arm.Root.Desc.Digest) // never pushed: skipped
	src, err := source.NewStored(blobs, manifests, "team/app", idx.Root.Desc.Digest, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ims, err := src.Images(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{want(amd, "linux/amd64")}, summary(t, ims)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if ims[0].Repository != "team/app" || src.Name() != "team/app" {
		t.Errorf("repository %q", ims[0].Repository)
	}
}

func TestParsePlatform(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want source.Platform
		ok   bool
	}{
		{"linux/amd64", source.Platform{OS: "linux", Arch: "amd64"}, true},
		{"linux/arm/v7", source.Platform{OS: "linux", Arch: "arm", Variant: "v7"}, true},
		{"Linux/ARM64", source.Platform{OS: "linux", Arch: "arm64"}, true},
		{"linux", source.Platform{}, false},
		{"linux/", source.Platform{}, false},
		{"linux/arm/v7/x", source.Platform{}, false},
	} {
		got, err := source.ParsePlatform(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParsePlatform(%q) = %+v, %v", tt.in, got, err)
		}
	}
}

// TestPlatformMatches: --platform is read as docker pull --platform reads
// it: architecture aliases and variant spellings are the same platform, and
// an image that names no variant has its architecture's default one.
func TestPlatformMatches(t *testing.T) {
	for _, tt := range []struct {
		request, image string
		want           bool
	}{
		{"linux/amd64", "linux/amd64", true},
		{"linux/arm64", "linux/arm64/v8", true},
		{"linux/arm64/v8", "linux/arm64", true},
		{"linux/arm/v7", "linux/arm", true}, // arm's default variant
		{"linux/arm/v6", "linux/arm", false},
		{"linux/arm/v6", "linux/arm/v7", false},
		{"linux/amd64/v1", "linux/amd64", true}, // amd64's default variant
		{"linux/amd64/v2", "linux/amd64", false},
		{"linux/aarch64", "linux/arm64/v8", true},
		{"linux/arm64/8", "linux/arm64", true},
		{"linux/arm64/v8.0", "linux/arm64/v8", true},
		{"linux/x86_64", "linux/amd64", true},
		{"linux/armhf", "linux/arm/v7", true},
		{"linux/armel", "linux/arm/v7", false},
		{"linux/arm/7", "linux/arm/v7", true},
		{"linux/arm/v8", "linux/arm64/v8", false},
		{"linux/amd64", "windows/amd64", false},
	} {
		p, err := source.ParsePlatform(tt.request)
		if err != nil {
			t.Fatal(err)
		}
		q, err := source.ParsePlatform(tt.image)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Matches(q); got != tt.want {
			t.Errorf("%s matches %s = %v, want %v", tt.request, tt.image, got, tt.want)
		}
	}
}

// TestLayoutPlatformDefaultVariant: an index whose arm entry names no
// variant (as manifest lists made before variants were common do) is the
// image `docker pull --platform linux/arm/v7` pulls, and linux/x86_64 is
// its amd64 image.
func TestLayoutPlatformDefaultVariant(t *testing.T) {
	amd, arm := twoLayers(t, "linux/amd64"), twoLayers(t, "linux/arm")
	dir := t.TempDir()
	st.WriteLayout(t, dir, "", st.Index(t, amd, arm))
	for platform, wantImage := range map[string]string{
		"linux/arm/v7":   want(arm, "linux/arm"),
		"linux/armhf":    want(arm, "linux/arm"),
		"linux/x86_64":   want(amd, "linux/amd64"),
		"linux/amd64/v1": want(amd, "linux/amd64"),
	} {
		got, err := layoutImages(t, dir, platform)
		if err != nil {
			t.Errorf("--platform %s: %v", platform, err)
			continue
		}
		if len(got) != 1 || got[0] != wantImage {
			t.Errorf("--platform %s: %q, want %q", platform, got, wantImage)
		}
	}
}

// TestPlatformFromConfig: an image's platform is what its config says,
// not its index entry (which the server, scanning a platform image when it
// is pushed, has not seen), so that drydock scan and the server report the
// same; the entry still decides which image --platform picks.
func TestPlatformFromConfig(t *testing.T) {
	arm := twoLayers(t, "linux/arm64") // config: arm64, no variant
	arm.Root.Desc.Platform.Variant = "v8"
	amd := twoLayers(t, "linux/amd64")
	dir := t.TempDir()
	st.WriteLayout(t, dir, "", st.Index(t, amd, arm))
	for platform, wantImages := range map[string][]string{
		"":               {want(amd, "linux/amd64"), want(arm, "linux/arm64")},
		"linux/arm64/v8": {want(arm, "linux/arm64")},
	} {
		got, err := layoutImages(t, dir, platform)
		if err != nil {
			t.Fatalf("--platform %q: %v", platform, err)
		}
		if d := cmp.Diff(wantImages, got); d != "" {
			t.Errorf("--platform %q (-want +got)\n%s", platform, d)
		}
	}
}

// layoutImages summarises the images of the OCI layout in dir that
// --platform selects.
func layoutImages(t *testing.T, dir, platform string) ([]string, error) {
	t.Helper()
	src, err := source.Open(t.Context(), "oci:"+dir, source.Options{Platform: platform})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	images, err := src.Images(t.Context())
	if err != nil {
		return nil, err
	}
	return summary(t, images), nil
}
