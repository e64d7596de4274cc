package registry

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"

	"github.com/drydock/drydock/internal/oci"
)

func TestManifestPutAndGet(t *testing.T) {
	e := newEnv(t)
	im := newImage(t, 2, nil)
	e.pushImageBlobs("m/app", im)
	cfgDesc := map[string]any{"mediaType": oci.MediaTypeDockerConfig, "digest": digest.FromBytes(im.config), "size": len(im.config)}
	layerDesc := func(mt string, l []byte) map[string]any {
		return map[string]any{"mediaType": mt, "digest": digest.FromBytes(l), "size": len(l)}
	}
	docker := mustJSON(t, map[string]any{
		"schemaVersion": 2, "mediaType": oci.MediaTypeDockerManifest, "config": cfgDesc,
		"layers": []any{layerDesc(oci.MediaTypeDockerLayerGzip, im.layers[0])},
	})
	foreign := mustJSON(t, map[string]any{
		"schemaVersion": 2, "mediaType": oci.MediaTypeDockerManifest, "config": cfgDesc,
		"layers": []any{
			map[string]any{"mediaType": oci.MediaTypeDockerForeignLayer, "digest": digest.FromString("windows base"), "size": 123,
				"urls": []string{"https://example.com/base"}},
			layerDesc(oci.MediaTypeDockerLayerGzip, im.layers[1]),
		},
	})
	index := mustJSON(t, map[string]any{
		"schemaVersion": 2, "mediaType": oci.MediaTypeImageIndex,
		"manifests": []any{map[string]any{"mediaType": oci.MediaTypeImageManifest, "digest": im.digest, "size": len(im.manifest),
			"platform": map[string]string{"os": "linux", "architecture": "amd64"}}},
	})
	dockerList := mustJSON(t, map[string]any{
		"schemaVersion": 2, "mediaType": oci.MediaTypeDockerList,
		"manifests": []any{map[string]any{"mediaType": oci.MediaTypeDockerManifest, "digest": digest.FromBytes(docker), "size": len(docker),
			"platform": map[string]string{"os": "linux", "architecture": "arm64"}}},
	})
	emptyJSON := []byte("{}")
	e.pushBlob("m/app", emptyJSON)
	artifact := mustJSON(t, map[string]any{
		"schemaVersion": 2, "mediaType": oci.MediaTypeImageManifest, "artifactType": "application/vnd.example.sbom",
		"config":  map[string]any{"mediaType": oci.MediaTypeEmptyJSON, "digest": digest.FromBytes(emptyJSON), "size": 2},
		"layers":  []any{layerDesc("application/vnd.example.sbom", im.layers[0])},
		"subject": map[string]any{"mediaType": oci.MediaTypeImageManifest, "digest": im.digest, "size": len(im.manifest)},
	})
	missingSubject := digest.FromString("not pushed")
	orphanArtifact := mustJSON(t, map[string]any{
		"schemaVersion": 2, "mediaType": oci.MediaTypeImageManifest, "artifactType": "application/vnd.example.sig",
		"config":  map[string]any{"mediaType": oci.MediaTypeEmptyJSON, "digest": digest.FromBytes(emptyJSON), "size": 2},
		"layers":  []any{},
		"subject": map[string]any{"mediaType": oci.MediaTypeImageManifest, "digest": missingSubject, "size": 7},
	})
	noMediaType := bytes.Replace(im.manifest, []byte(`"mediaType":"`+oci.MediaTypeImageManifest+`",`), nil, 1)
	large := newImage(t, 0, map[string]any{"annotations": map[string]string{"big": strings.Repeat("A", 3<<20)}})
	e.pushBlob("m/app", large.config)

	tests := []struct {
		name        string
		ref         string // "" = by digest
		contentType string
		body        []byte
		wantSubject oci.Digest
		wantType    string // stored media type; contentType when ""
	}{
		{name: "oci image by tag", ref: "v1", contentType: oci.MediaTypeImageManifest, body: im.manifest},
		{name: "oci image by digest", contentType: oci.MediaTypeImageManifest, body: im.manifest},
		{name: "oci index", ref: "multi", contentType: oci.MediaTypeImageIndex, body: index},
		{name: "docker schema2", ref: "docker", contentType: oci.MediaTypeDockerManifest, body: docker},
		{name: "docker list", ref: "dlist", contentType: oci.MediaTypeDockerList, body: dockerList},
		{name: "foreign layer need not exist", ref: "win", contentType: oci.MediaTypeDockerManifest, body: foreign},
		{name: "artifact with subject", contentType: oci.MediaTypeImageManifest, body: artifact, wantSubject: im.digest},
		{name: "subject need not exist", ref: "sig", contentType: oci.MediaTypeImageManifest, body: orphanArtifact, wantSubject: missingSubject},
		{name: "no mediaType field, taken from Content-Type", ref: "bare", contentType: oci.MediaTypeImageManifest, body: noMediaType},
		{name: "Content-Type with parameters", ref: "params", contentType: oci.MediaTypeImageManifest + "; charset=utf-8", body: im.manifest, wantType: oci.MediaTypeImageManifest},
		{name: "3 MiB manifest", ref: "large", contentType: oci.MediaTypeImageManifest, body: large.manifest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := digest.FromBytes(tt.body)
			ref := tt.ref
			if ref == "" {
				ref = d.String()
			}
			r := e.pushManifest("m/app", ref, tt.contentType, tt.body)
			if got := r.Header.Get("Docker-Content-Digest"); got != d.String() {
				t.Errorf("Docker-Content-Digest %q, want %s", got, d)
			}
			if got, want := r.Header.Get("Location"), "/v2/m/app/manifests/"+d.String(); got != want {
				t.Errorf("Location %q, want %q", got, want)
			}
			if got := r.Header.Get("OCI-Subject"); got != tt.wantSubject.String() {
				t.Errorf("OCI-Subject %q, want %q", got, tt.wantSubject)
			}
			wantType := tt.wantType
			if wantType == "" {
				wantType = tt.contentType
			}
			for _, path := range []string{"/v2/m/app/manifests/" + ref, r.Header.Get("Location")} {
				g := e.do("GET", path, nil, hdr("Accept", "*/*"))
				if g.Status != 200 || !bytes.Equal(g.Body, tt.body) {
					t.Fatalf("GET %s: %d, body equal %v", path, g.Status, bytes.Equal(g.Body, tt.body))
				}
				want := http.Header{
					"Content-Type":          {wantType},
					"Content-Length":        {strconv.Itoa(len(tt.body))},
					"Docker-Content-Digest": {d.String()},
					"Etag":                  {`"` + d.String() + `"`},
				}
				got := http.Header{}
				for k := range want {
					got[k] = g.Header.Values(k)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("GET %s headers (-want +got):\n%s", path, diff)
				}
				h := e.do("HEAD", path, nil, nil)
				if h.Status != 200 || h.Header.Get("Content-Length") != strconv.Itoa(len(tt.body)) ||
					h.Header.Get("Docker-Content-Digest") != d.String() || h.Header.Get("Content-Type") != wantType {
					t.Errorf("HEAD %s: %d %v", path, h.Status, h.Header)
				}
			}
		})
	}
}

func TestManifestSha512(t *testing.T) {
	e := newEnv(t)
	im := newImage(t, 1, nil)
	e.pushImageBlobs("m/sha", im)
	d := oci.SHA512.FromBytes(im.manifest)
	r := e.pushManifest("m/sha", d.String(), oci.MediaTypeImageManifest, im.manifest)
	if r.Header.Get("Docker-Content-Digest") != d.String() {
		t.Fatalf("Docker-Content-Digest %q", r.Header.Get("Docker-Content-Digest"))
	}
	g := e.do("GET", "/v2/m/sha/manifests/"+d.String(), nil, nil)
	if g.Status != 200 || !bytes.Equal(g.Body, im.manifest) {
		t.Fatalf("GET by sha512: %d", g.Status)
	}
	// An index referencing children by sha512.
	idx := mustJSON(t, map[string]any{
		"schemaVersion": 2, "mediaType": oci.MediaTypeImageIndex,
		"manifests": []any{map[string]any{"mediaType": oci.MediaTypeImageManifest, "digest": d, "size": len(im.manifest)}},
	})
	di := oci.SHA512.FromBytes(idx)
	e.pushManifest("m/sha", di.String(), oci.MediaTypeImageIndex, idx)
	// With tag parameters the same push also tags.
	r = e.do("PUT", "/v2/m/sha/manifests/"+di.String()+"?tag=a&tag=b", idx, hdr("Content-Type", oci.MediaTypeImageIndex))
	if r.Status != 201 || r.Header.Get("OCI-Tag") != "a, b" {
		t.Fatalf("tag params: %d OCI-Tag %q", r.Status, r.Header.Get("OCI-Tag"))
	}
	for _, tag := range []string{"a", "b"} {
		if g := e.do("HEAD", "/v2/m/sha/manifests/"+tag, nil, nil); g.Header.Get("Docker-Content-Digest") != di.String() {
			t.Errorf("tag %s -> %q", tag, g.Header.Get("Docker-Content-Digest"))
		}
	}
}

func TestManifestPutErrors(t *testing.T) {
	e := newEnv(t, withConfig(func(c *Config) { c.MaxManifestSize = 64 << 10 }))
	im := newImage(t, 2, nil)
	e.pushImageBlobs("m/err", im)
	missingLayer := newImage(t, 1, nil)
	e.pushBlob("m/err", missingLayer.config)
	missingChild := mustJSON(t, map[string]any{
		"schemaVersion": 2, "mediaType": oci.MediaTypeImageIndex,
		"manifests": []any{map[string]any{"mediaType": oci.MediaTypeImageManifest, "digest": digest.FromString("nope"), "size": 4}},
	})
	tooBig := newImage(t, 0, map[string]any{"annotations": map[string]string{"a": strings.Repeat("x", 70<<10)}})
	schema1 := []byte(`{"schemaVersion":1,"name":"m/err","tag":"v1","fsLayers":[]}`)

	tests := []struct {
		name        string
		ref         string
		contentType string
		body        []byte
		wantStatus  int
		wantCode    string
		wantDigest  string // in the error detail
	}{
		{"not JSON", "v1", oci.MediaTypeImageManifest, []byte("{nope"), 400, codeManifestInvalid, ""},
		{"trailing data", "v1", oci.MediaTypeImageManifest, append(bytes.Clone(im.manifest), "{}"...), 400, codeManifestInvalid, ""},
		{"schema 1", "v1", oci.MediaTypeDockerSchema1, schema1, 400, codeManifestInvalid, ""},
		{"unknown media type", "v1", "application/vnd.example+json", im.manifest, 400, codeManifestInvalid, ""},
		{"media type mismatch", "v1", oci.MediaTypeImageIndex, im.manifest, 400, codeManifestInvalid, ""},
		{"digest mismatch", digest.FromString("x").String(), oci.MediaTypeImageManifest, im.manifest, 400, codeDigestInvalid, ""},
		{"digest mismatch by whitespace", im.digest.String(), oci.MediaTypeImageManifest, append(bytes.Clone(im.manifest), ' ', ' '), 400, codeDigestInvalid, ""},
		{"sha512 digest mismatch", oci.SHA512.FromString("x").String(), oci.MediaTypeImageManifest, im.manifest, 400, codeDigestInvalid, ""},
		{"malformed digest reference", "sha256:baddigeststring", oci.MediaTypeImageManifest, im.manifest, 400, codeDigestInvalid, ""},
		{"invalid tag", "-x", oci.MediaTypeImageManifest, im.manifest, 400, codeTagInvalid, ""},
		{"invalid tag parameter", im.digest.String() + "?tag=-x", oci.MediaTypeImageManifest, im.manifest, 400, codeTagInvalid, ""},
		{"missing layer", "v2", oci.MediaTypeImageManifest, missingLayer.manifest, 400, codeManifestBlobUnknown, digest.FromBytes(missingLayer.layers[0]).String()},
		{"missing child", "v3", oci.MediaTypeImageIndex, missingChild, 400, codeManifestUnknown, digest.FromString("nope").String()},
		{"too large", "v4", oci.MediaTypeImageManifest, tooBig.manifest, 413, codeSizeInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("PUT", "/v2/m/err/manifests/"+tt.ref, tt.body, hdr("Content-Type", tt.contentType))
			if r.Status != tt.wantStatus || errCode(t, r) != tt.wantCode {
				t.Fatalf("status %d code %q, want %d %s: %s", r.Status, errCode(t, r), tt.wantStatus, tt.wantCode, r.Body)
			}
			if tt.wantDigest != "" && !strings.Contains(string(r.Body), tt.wantDigest) {
				t.Errorf("error does not name %s: %s", tt.wantDigest, r.Body)
			}
		})
	}
	// Nothing of the failed pushes is visible.
	tags := e.do("GET", "/v2/m/err/tags/list", nil, nil)
	if string(tags.Body) != `{"name":"m/err","tags":[]}`+"\n" {
		t.Errorf("tags after failed pushes: %s", tags.Body)
	}
	// A failed push does not create a repository.
	if r := e.do("PUT", "/v2/never/made/manifests/v1", []byte("{"), hdr("Content-Type", oci.MediaTypeImageManifest)); r.Status != 400 {
		t.Fatalf("bad push: %d", r.Status)
	}
	if r := e.do("GET", "/v2/never/made/tags/list", nil, nil); r.Status != 404 {
		t.Errorf("repository created by a failed push: %d", r.Status)
	}
}

func TestManifestDelete(t *testing.T) {
	e := newEnv(t)
	im := newImage(t, 1, nil)
	e.pushImage("m/del", "v1", im)
	e.pushManifest("m/del", "v2", oci.MediaTypeImageManifest, im.manifest)
	steps := []struct {
		method, ref string
		wantStatus  int
		wantCode    string
	}{
		{"DELETE", "v1", 202, ""},
		{"GET", "v1", 404, codeManifestUnknown},
		{"HEAD", "v2", 200, ""},
		{"GET", im.digest.String(), 200, ""},
		{"DELETE", "v1", 404, codeManifestUnknown},
		{"DELETE", im.digest.String(), 202, ""},
		{"GET", im.digest.String(), 404, codeManifestUnknown},
		{"HEAD", "v2", 404, ""},
		{"DELETE", im.digest.String(), 404, codeManifestUnknown},
		{"DELETE", "sha256:bad", 400, codeDigestInvalid},
	}
	for i, s := range steps {
		r := e.do(s.method, "/v2/m/del/manifests/"+s.ref, nil, nil)
		if r.Status != s.wantStatus || (s.wantCode != "" && errCode(t, r) != s.wantCode) {
			t.Fatalf("step %d %s %s: %d %s, want %d %s", i, s.method, s.ref, r.Status, errCode(t, r), s.wantStatus, s.wantCode)
		}
	}
	var tl tagList
	if err := json.Unmarshal(e.do("GET", "/v2/m/del/tags/list", nil, nil).Body, &tl); err != nil || len(tl.Tags) != 0 {
		t.Errorf("tags after deleting the manifest: %+v (%v)", tl, err)
	}
}

func TestManifestIfNoneMatch(t *testing.T) {
	e := newEnv(t)
	im := newImage(t, 1, nil)
	e.pushImage("m/etag", "v1", im)
	r := e.do("GET", "/v2/m/etag/manifests/v1", nil, hdr("If-None-Match", `"`+im.digest.String()+`"`))
	if r.Status != http.StatusNotModified || len(r.Body) != 0 {
		t.Fatalf("status %d", r.Status)
	}
	r = e.do("GET", "/v2/m/etag/manifests/v1", nil, hdr("If-None-Match", `"sha256:other"`))
	if r.Status != http.StatusOK {
		t.Fatalf("status %d", r.Status)
	}
}
