// Package sourcetest builds real container images in tests: OCI and
// Docker manifests, configs with diff_ids, multi-platform indexes, and
// writes them as OCI image layouts, docker save archives (legacy and OCI
// form) or into a registry.
package sourcetest

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/drydock/drydock/internal/oci"
	lt "github.com/drydock/drydock/internal/scan/layer/layertest"
)

// Compression of the layers of an image.
type Compression string

// Compressions.
const (
	Gzip Compression = "gzip"
	Zstd Compression = "zstd"
	None Compression = "none"
)

// Blob is content with its descriptor.
type Blob struct {
	Desc oci.Descriptor
	Data []byte
}

// Artifact is a manifest (image or index) with every blob and child
// manifest it needs.
type Artifact struct {
	// Root is the manifest's descriptor and bytes.
	Root Blob
	// Blobs holds configs, layers and child manifests by digest.
	Blobs map[oci.Digest]Blob
	// Config and Layers of an image (nil for an index), layers
	// uncompressed, for legacy archives.
	Config    []byte
	RawLayers [][]byte
}

// ImageSpec describes an image to build.
type ImageSpec struct {
	// Platform is os/arch[/variant]; empty means linux/amd64.
	Platform string
	// Layers are uncompressed tar streams (see Tar).
	Layers [][]byte
	// Compression of the layer blobs; empty means gzip.
	Compression Compression
	// Docker builds a Docker schema 2 manifest instead of an OCI one.
	Docker bool
	// ConfigMediaType overrides the config's media type (an artifact).
	ConfigMediaType string
	// DiffIDs overrides the config's diff_ids (to test mismatches).
	DiffIDs []string
	// LayerMediaType, when set, stores Layers as they are (not tar
	// streams, not compressed) with this media type: documents such as
	// the in-toto statements of an attestation manifest.
	LayerMediaType string
	// Subject is the manifest this one refers to (OCI referrers).
	Subject *oci.Descriptor
}

// Tar returns a layer tar stream of entries.
func Tar(t testing.TB, entries ...lt.Entry) []byte { return lt.Tar(t, entries...) }

// Files returns layer entries for files on disk: each rel path under
// srcDir becomes imagePath/rel. Directories are walked.
func Files(t testing.TB, imagePath, srcDir string) []lt.Entry {
	t.Helper()
	var out []lt.Entry
	err := filepath.WalkDir(srcDir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(srcDir, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, lt.File(path.Join(imagePath, filepath.ToSlash(rel)), string(b)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func blob(mediaType string, data []byte) Blob {
	return Blob{Desc: oci.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))}, Data: data}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Image builds an image.
func Image(t testing.TB, spec ImageSpec) *Artifact {
	t.Helper()
	plat := spec.Platform
	if plat == "" {
		plat = "linux/amd64"
	}
	parts := strings.Split(plat, "/")
	a := &Artifact{Blobs: map[oci.Digest]Blob{}, RawLayers: spec.Layers}
	layerMT := oci.MediaTypeLayerGzip
	if spec.Docker {
		layerMT = oci.MediaTypeDockerLayerGzip
	}
	var layers []oci.Descriptor
	var diffIDs []string
	for _, raw := range spec.Layers {
		data := raw
		switch {
		case spec.LayerMediaType != "":
			layerMT = spec.LayerMediaType
		case spec.Compression == "" || spec.Compression == Gzip:
			data = lt.Gzip(t, raw)
		case spec.Compression == Zstd:
			data, layerMT = lt.Zstd(t, raw), oci.MediaTypeLayerZstd
		case spec.Compression == None:
			layerMT = oci.MediaTypeLayer
		}
		b := blob(layerMT, data)
		a.Blobs[b.Desc.Digest] = b
		layers = append(layers, b.Desc)
		diffIDs = append(diffIDs, lt.DiffID(raw).String())
	}
	if spec.DiffIDs != nil {
		diffIDs = spec.DiffIDs
	}
	if diffIDs == nil {
		diffIDs = []string{}
	}
	cfg := map[string]any{
		"architecture": parts[1], "os": parts[0],
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
		"config": map[string]any{},
	}
	if len(parts) > 2 {
		cfg["variant"] = parts[2]
	}
	a.Config = mustJSON(t, cfg)
	cfgMT := oci.MediaTypeImageConfig
	mt := oci.MediaTypeImageManifest
	if spec.Docker {
		cfgMT, mt = oci.MediaTypeDockerConfig, oci.MediaTypeDockerManifest
	}
	if spec.ConfigMediaType != "" {
		cfgMT = spec.ConfigMediaType
	}
	cb := blob(cfgMT, a.Config)
	a.Blobs[cb.Desc.Digest] = cb
	if layers == nil {
		layers = []oci.Descriptor{}
	}
	doc := map[string]any{"schemaVersion": 2, "mediaType": mt, "config": cb.Desc, "layers": layers}
	if spec.Subject != nil {
		doc["subject"] = spec.Subject
	}
	m := mustJSON(t, doc)
	a.Root = blob(mt, m)
	a.Root.Desc.Platform = &oci.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) > 2 {
		a.Root.Desc.Platform.Variant = parts[2]
	}
	return a
}

// Index builds an OCI index of images (their descriptors keep the
// platform). Extra descriptors (attestations, say) may be appended to
// the result's children with AddChild before writing.
func Index(t testing.TB, children ...*Artifact) *Artifact {
	t.Helper()
	a := &Artifact{Blobs: map[oci.Digest]Blob{}}
	var descs []oci.Descriptor
	for _, c := range children {
		for d, b := range c.Blobs {
			a.Blobs[d] = b
		}
		a.Blobs[c.Root.Desc.Digest] = Blob{Desc: c.Root.Desc, Data: c.Root.Data}
		descs = append(descs, c.Root.Desc)
	}
	m := mustJSON(t, map[string]any{"schemaVersion": 2, "mediaType": oci.MediaTypeImageIndex, "manifests": descs})
	a.Root = blob(oci.MediaTypeImageIndex, m)
	return a
}

// WriteLayout writes a as an OCI image layout in dir, tagged tag (when not
// empty). Several artifacts may be written into one layout.
func WriteLayout(t testing.TB, dir, tag string, a *Artifact) {
	t.Helper()
	writeLayoutTo(t, refName(tag), a, func(name string, data []byte) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}, func() []oci.Descriptor {
		b, err := os.ReadFile(filepath.Join(dir, "index.json"))
		if err != nil {
			return nil
		}
		var idx struct{ Manifests []oci.Descriptor }
		if err := json.Unmarshal(b, &idx); err != nil {
			t.Fatal(err)
		}
		return idx.Manifests
	}())
}

func writeLayoutTo(t testing.TB, ann map[string]string, a *Artifact, write func(name string, data []byte), prev []oci.Descriptor) {
	t.Helper()
	write("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))
	for d, b := range a.Blobs {
		write("blobs/sha256/"+d.Encoded(), b.Data)
	}
	write("blobs/sha256/"+a.Root.Desc.Digest.Encoded(), a.Root.Data)
	desc := a.Root.Desc
	desc.Platform = nil
	desc.Annotations = ann
	idx := map[string]any{"schemaVersion": 2, "mediaType": oci.MediaTypeImageIndex, "manifests": append(prev, desc)}
	write("index.json", mustJSON(t, idx))
}

// WriteOCIArchive writes a as an OCI image layout in a tar file (what
// skopeo and podman write as oci-archive:), tagged tag when not empty.
func WriteOCIArchive(t testing.TB, file, tag string, a *Artifact) {
	t.Helper()
	writeTarFile(t, file, func(_ *tar.Writer, write func(name string, data []byte)) {
		writeLayoutTo(t, refName(tag), a, write, nil)
	})
}

// writeTarFile writes the tar file that fill makes: with tw itself, or
// with write, which adds a regular file.
func writeTarFile(t testing.TB, file string, fill func(tw *tar.Writer, write func(name string, data []byte))) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	fill(tw, func(name string, data []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	})
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// refName is the annotations naming an image of a layout tag (none when
// tag is empty).
func refName(tag string) map[string]string {
	if tag == "" {
		return nil
	}
	return map[string]string{"org.opencontainers.image.ref.name": tag}
}

// WriteDockerArchive writes image a as a `docker save` archive at file,
// named repoTag ("demo/app:1"). With oci, the archive also holds the OCI
// layout Docker 25+ writes (index.json, blobs/), and manifest.json points
// into blobs/; without, it is the legacy form (<id>/layer.tar).
func WriteDockerArchive(t testing.TB, file, repoTag string, a *Artifact, withOCI bool) {
	t.Helper()
	writeTarFile(t, file, func(tw *tar.Writer, write func(name string, data []byte)) {
		cfgName := digest.FromBytes(a.Config).Encoded() + ".json"
		var layerNames []string
		if withOCI {
			// Docker 25+ writes uncompressed layers into blobs/ and points the
			// legacy manifest at them; here the compressed blobs do.
			// As Docker names them: the full reference and the tag.
			writeLayoutTo(t, map[string]string{
				"io.containerd.image.name":          "docker.io/" + repoTag,
				"org.opencontainers.image.ref.name": repoTag[strings.LastIndex(repoTag, ":")+1:],
			}, a, write, nil)
			cfgName = "blobs/sha256/" + digest.FromBytes(a.Config).Encoded()
			for _, raw := range a.RawLayers {
				layerNames = append(layerNames, "blobs/sha256/"+lt.DiffID(raw).Encoded())
				write("blobs/sha256/"+lt.DiffID(raw).Encoded(), raw)
			}
		} else {
			write(cfgName, a.Config)
			for i, raw := range a.RawLayers {
				id := lt.DiffID(raw).Encoded()
				name := id + "/layer.tar"
				if i > 0 && bytes.Equal(raw, a.RawLayers[0]) {
					// Docker links a layer it already wrote.
					first := lt.DiffID(a.RawLayers[0]).Encoded() + "/layer.tar"
					if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeSymlink, Linkname: "../" + first}); err != nil {
						t.Fatal(err)
					}
				} else {
					write(name, raw)
				}
				layerNames = append(layerNames, name)
			}
		}
		write("manifest.json", mustJSON(t, []map[string]any{{"Config": cfgName, "RepoTags": []string{repoTag}, "Layers": layerNames}}))
	})
}

// Push stores a in the registry served by h (any OCI distribution
// handler) as repo:tag, calling the handler directly.
func Push(t testing.TB, h http.Handler, repo, tag string, a *Artifact) {
	t.Helper()
	do := func(method, target, contentType string, body []byte) *http.Response {
		req := httptest.NewRequest(method, target, bytes.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result()
	}
	for d, b := range a.Blobs {
		if oci.IsManifestMediaType(b.Desc.MediaType) {
			continue
		}
		resp := do(http.MethodPost, "/v2/"+repo+"/blobs/uploads/", "", nil)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusAccepted || loc == "" {
			t.Fatalf("push %s: start upload: %s", repo, resp.Status)
		}
		sep := "?"
		if strings.Contains(loc, "?") {
			sep = "&"
		}
		if resp := do(http.MethodPut, loc+sep+"digest="+d.String(), "application/octet-stream", b.Data); resp.StatusCode != http.StatusCreated {
			t.Fatalf("push %s: blob %s: %s", repo, d, resp.Status)
		}
	}
	for d, b := range a.Blobs {
		if !oci.IsManifestMediaType(b.Desc.MediaType) {
			continue
		}
		if resp := do(http.MethodPut, "/v2/"+repo+"/manifests/"+d.String(), b.Desc.MediaType, b.Data); resp.StatusCode != http.StatusCreated {
			t.Fatalf("push %s: manifest %s: %s", repo, d, resp.Status)
		}
	}
	if resp := do(http.MethodPut, "/v2/"+repo+"/manifests/"+tag, a.Root.Desc.MediaType, a.Root.Data); resp.StatusCode != http.StatusCreated {
		t.Fatalf("push %s:%s: %s", repo, tag, resp.Status)
	}
}
