package registry

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestGGCRRoundTrip pushes with a real client library and pulls back
// byte-identical content: a multi-layer image, an index of images, and an
// artifact that refers to the image.
func TestGGCRRoundTrip(t *testing.T) {
	e := newEnv(t)
	host := strings.TrimPrefix(e.srv.URL, "http://")
	ref := func(s string) name.Reference {
		t.Helper()
		r, err := name.ParseReference(host+"/"+s, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	opts := []remote.Option{remote.WithContext(t.Context())}

	img, err := random.Image(256<<10, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref("ggcr/app:v1"), img, opts...); err != nil {
		t.Fatalf("remote.Write: %v", err)
	}
	assertSameImage(t, img, ref("ggcr/app:v1"), opts)

	idx, err := random.Index(64<<10, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref("ggcr/multi:v1"), idx, opts...); err != nil {
		t.Fatalf("remote.WriteIndex: %v", err)
	}
	got, err := remote.Index(ref("ggcr/multi:v1"), opts...)
	if err != nil {
		t.Fatalf("remote.Index: %v", err)
	}
	wantRaw, _ := idx.RawManifest()
	gotRaw, err := got.RawManifest()
	if err != nil || !bytes.Equal(wantRaw, gotRaw) {
		t.Fatalf("index manifest differs (err %v)", err)
	}
	im, _ := idx.IndexManifest()
	for _, desc := range im.Manifests {
		child, err := idx.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		assertSameImage(t, child, ref("ggcr/multi@"+desc.Digest.String()), opts)
	}

	// Pushing the same image to another repository of the subscription
	// uploads no blob bytes: the existence checks link them.
	before := testutil.ToFloat64(e.reg.metrics.bytesIn)
	if err := remote.Write(ref("ggcr/copy:v1"), img, opts...); err != nil {
		t.Fatalf("second remote.Write: %v", err)
	}
	if after := testutil.ToFloat64(e.reg.metrics.bytesIn); after != before {
		t.Errorf("second push uploaded %v bytes, want 0", after-before)
	}
	assertSameImage(t, img, ref("ggcr/copy:v1"), opts)

	// An artifact with a subject is found through the referrers API, and
	// the client needs no fallback tag since the registry answers OCI-Subject.
	imgDigest, _ := img.Digest()
	mt, _ := img.MediaType()
	size, _ := img.Size()
	art, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	art = mutate.MediaType(art, types.OCIManifestSchema1) // Docker manifests have no subject
	art = mutate.Subject(art, v1.Descriptor{MediaType: mt, Digest: imgDigest, Size: size}).(v1.Image)
	artDigest, _ := art.Digest()
	if err := remote.Write(ref("ggcr/app@"+artDigest.String()), art, opts...); err != nil {
		t.Fatalf("write artifact: %v", err)
	}
	subject, err := name.NewDigest(host+"/ggcr/app@"+imgDigest.String(), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := remote.Referrers(subject, opts...)
	if err != nil {
		t.Fatalf("remote.Referrers: %v", err)
	}
	rm, _ := refs.IndexManifest()
	if len(rm.Manifests) != 1 || rm.Manifests[0].Digest != artDigest {
		t.Errorf("referrers %+v, want %s", rm.Manifests, artDigest)
	}
	tags, err := remote.List(ref("ggcr/app:v1").Context(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) != 1 || tags[0] != "v1" {
		t.Errorf("tags %v, want [v1] (no referrers fallback tag)", tags)
	}

	// And delete through the client.
	if err := remote.Delete(ref("ggcr/app@"+artDigest.String()), opts...); err != nil {
		t.Fatalf("remote.Delete: %v", err)
	}
	if _, err := remote.Head(ref("ggcr/app@"+artDigest.String()), opts...); err == nil {
		t.Error("deleted manifest still there")
	}
}

func assertSameImage(t *testing.T, want v1.Image, r name.Reference, opts []remote.Option) {
	t.Helper()
	got, err := remote.Image(r, opts...)
	if err != nil {
		t.Fatalf("remote.Image(%s): %v", r, err)
	}
	wantRaw, _ := want.RawManifest()
	gotRaw, err := got.RawManifest()
	if err != nil || !bytes.Equal(wantRaw, gotRaw) {
		t.Fatalf("%s: manifest differs (err %v)", r, err)
	}
	wantCfg, _ := want.RawConfigFile()
	gotCfg, err := got.RawConfigFile()
	if err != nil || !bytes.Equal(wantCfg, gotCfg) {
		t.Fatalf("%s: config differs (err %v)", r, err)
	}
	wantLayers, _ := want.Layers()
	gotLayers, err := got.Layers()
	if err != nil || len(gotLayers) != len(wantLayers) {
		t.Fatalf("%s: %d layers, want %d (err %v)", r, len(gotLayers), len(wantLayers), err)
	}
	for i := range wantLayers {
		wb := readLayer(t, wantLayers[i])
		gb := readLayer(t, gotLayers[i])
		if !bytes.Equal(wb, gb) {
			t.Fatalf("%s: layer %d differs", r, i)
		}
	}
}

func readLayer(t *testing.T, l v1.Layer) []byte {
	t.Helper()
	rc, err := l.Compressed()
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
