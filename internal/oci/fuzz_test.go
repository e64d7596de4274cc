package oci

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	seedDigest  = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
	seedDigest2 = "sha256:a7e78439035de913ebcc2a6149741e872a7f37b603943bd7f8cefbf246997210"
)

// FuzzParseManifest checks that ParseManifest never panics, refuses input
// only with ErrInvalidManifest, and that what it accepts is consistent: an
// index has child manifests and no config or layers, an image manifest a
// config and no children, every descriptor a valid digest and a size >= 0;
// and that parsing is deterministic.
func FuzzParseManifest(f *testing.F) {
	seeds := []struct{ ct, body string }{
		{MediaTypeImageManifest, `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` +
			`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` + seedDigest + `","size":2},` +
			`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"` + seedDigest2 + `","size":10}]}`},
		{"", `{"schemaVersion":2,"config":{"mediaType":"application/vnd.example.sbom","digest":"` + seedDigest + `","size":2},"layers":[],` +
			`"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + seedDigest2 + `","size":300},"annotations":{"a":"b"}}`},
		{MediaTypeImageIndex, `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` +
			`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + seedDigest + `","size":7,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]}`},
		{"", `{"schemaVersion":2,"manifests":[]}`},
		{MediaTypeDockerManifest, `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",` +
			`"config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"` + seedDigest + `","size":2},` +
			`"layers":[{"mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","digest":"` + seedDigest2 + `","size":10,"urls":["https://x"]}]}`},
		{MediaTypeDockerList, `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]}`},
		{"application/json", `{"schemaVersion":1,"fsLayers":[{"blobSum":"` + seedDigest + `"}]}`},
		{"", `{"schemaVersion":2,"config":{"digest":"sha512:` + "ab" + `","size":-1}}`},
		{"", `{}`},
		{"", `[]`},
		{"", `{"schemaVersion":2} {}`},
	}
	for _, s := range seeds {
		f.Add(s.ct, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		m, err := ParseManifest(contentType, body)
		if err != nil {
			if m != nil || !errors.Is(err, ErrInvalidManifest) {
				t.Fatalf("ParseManifest = %v, %v; want nil and ErrInvalidManifest", m, err)
			}
			return
		}
		if !IsManifestMediaType(m.MediaType) {
			t.Fatalf("accepted media type %q", m.MediaType)
		}
		if m.IsIndex() {
			if m.Manifests == nil || m.Config != nil || m.Layers != nil {
				t.Fatalf("index with manifests=%v config=%v layers=%v", m.Manifests, m.Config, m.Layers)
			}
		} else if m.Config == nil || m.Manifests != nil {
			t.Fatalf("image manifest with config=%v manifests=%v", m.Config, m.Manifests)
		}
		var all []Descriptor
		if m.Config != nil {
			all = append(all, *m.Config)
		}
		if m.Subject != nil {
			all = append(all, *m.Subject)
		}
		all = append(append(all, m.Layers...), m.Manifests...)
		for _, d := range all {
			if _, err := ParseDigest(d.Digest.String()); err != nil || d.Size < 0 {
				t.Fatalf("accepted descriptor %+v (%v)", d, err)
			}
		}
		for _, d := range m.BlobReferences() {
			if IsNonDistributable(d.MediaType) {
				t.Fatalf("BlobReferences lists non-distributable %+v", d)
			}
		}
		again, err := ParseManifest(contentType, body)
		if err != nil || !cmp.Equal(m, again) {
			t.Fatalf("second parse differs: %v\n%s", err, cmp.Diff(m, again))
		}
	})
}

// FuzzNames checks the reference parsers: ParseDigest accepts only
// digests of a supported algorithm that print back as given, and what the
// name and tag validators accept keeps to the spec's limits and can never
// be taken for a digest.
func FuzzNames(f *testing.F) {
	for _, s := range []string{seedDigest, "sha512:abc", "sha256:ABC", "team/app", "a/b/c-d_e.f", "v1.0", "latest",
		"-bad", "UPPER/case", "a//b", "x:y@sha256:0", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDigest(s); err == nil {
			if d.String() != s || !SupportedAlgorithm(d.Algorithm()) {
				t.Fatalf("ParseDigest(%q) = %q", s, d)
			}
			if _, ok := HashFor(d.Algorithm()); !ok {
				t.Fatalf("no hash for accepted algorithm %q", d.Algorithm())
			}
		}
		if ValidateTag(s) == nil && (len(s) == 0 || len(s) > 128 || IsDigestReference(s)) {
			t.Fatalf("ValidateTag accepted %q (%d bytes)", s, len(s))
		}
		if ValidateName(s) == nil && (len(s) > MaxNameLength || RegistryOf(s) == "" || IsDigestReference(s)) {
			t.Fatalf("ValidateName accepted %q, registry %q", s, RegistryOf(s))
		}
	})
}
