//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ociLayoutIndex is an OCI layout's index.json.
type ociLayoutIndex struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     string          `json:"mediaType,omitempty"`
	Manifests     []ociDescriptor `json:"manifests"`
}

func readLayoutIndex(t testing.TB, dir string) ociLayoutIndex {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx ociLayoutIndex
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatalf("parse %s/index.json: %v", dir, err)
	}
	return idx
}

// layoutRef returns the descriptor tagged ref in the layout at dir.
func layoutRef(t testing.TB, dir, ref string) ociDescriptor {
	t.Helper()
	for _, d := range readLayoutIndex(t, dir).Manifests {
		if d.Annotations["org.opencontainers.image.ref.name"] == ref {
			return d
		}
	}
	t.Fatalf("layout %s has no manifest tagged %q", dir, ref)
	return ociDescriptor{}
}

// layoutBlob reads a blob of the layout at dir and checks its digest.
func layoutBlob(t testing.TB, dir, digest string) []byte {
	t.Helper()
	alg, hex, ok := strings.Cut(digest, ":")
	if !ok {
		t.Fatalf("bad digest %q", digest)
	}
	b, err := os.ReadFile(filepath.Join(dir, "blobs", alg, hex))
	if err != nil {
		t.Fatalf("layout %s: %v", dir, err)
	}
	if alg == "sha256" && sha256Hex(b) != digest {
		t.Fatalf("layout %s: blob %s has wrong content", dir, digest)
	}
	return b
}

// umociImage builds image tag in the OCI layout at dir with umoci: a
// linux/arch config and three layers of real files plus random bytes.
func umociImage(t testing.TB, dir, tag, arch string) {
	t.Helper()
	img := dir + ":" + tag
	runTool(t, nil, "umoci", "new", "--image", img)
	runTool(t, nil, "umoci", "config", "--image", img, "--os", "linux", "--architecture", arch, "--config.cmd", "/bin/sh")
	runTool(t, nil, "umoci", "insert", "--image", img, testdataFile(t, "manifests/alpine/3.20.3/installed"), "/lib/apk/db/installed")
	runTool(t, nil, "umoci", "insert", "--image", img, testdataFile(t, "manifests/alpine/3.20.3/os-release"), "/etc/os-release")
	random := writeFile(t, t.TempDir(), "random.bin", randBytes(t, 64<<10))
	runTool(t, nil, "umoci", "insert", "--image", img, random, "/opt/random-"+arch+".bin")
}

// addIndex writes an OCI image index of the given tags (each annotated with
// its platform) into the layout at dir and tags it ref. It returns the
// index bytes.
func addIndex(t testing.TB, dir, ref string, tags map[string]string /* tag -> arch */) []byte {
	t.Helper()
	type platform struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
	}
	type desc struct {
		MediaType string    `json:"mediaType"`
		Digest    string    `json:"digest"`
		Size      int64     `json:"size"`
		Platform  *platform `json:"platform,omitempty"`
	}
	index := struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType"`
		Manifests     []desc `json:"manifests"`
	}{SchemaVersion: 2, MediaType: "application/vnd.oci.image.index.v1+json"}
	for _, tag := range sortedKeys(tags) {
		d := layoutRef(t, dir, tag)
		index.Manifests = append(index.Manifests, desc{
			MediaType: "application/vnd.oci.image.manifest.v1+json",
			Digest:    d.Digest, Size: d.Size,
			Platform: &platform{OS: "linux", Architecture: tags[tag]},
		})
	}
	b, err := json.Marshal(index)
	if err != nil {
		t.Fatal(err)
	}
	dig := sha256Hex(b)
	writeFile(t, filepath.Join(dir, "blobs", "sha256"), strings.TrimPrefix(dig, "sha256:"), b)
	li := readLayoutIndex(t, dir)
	li.Manifests = append(li.Manifests, ociDescriptor{
		MediaType:   "application/vnd.oci.image.index.v1+json",
		Digest:      dig,
		Size:        int64(len(b)),
		Annotations: map[string]string{"org.opencontainers.image.ref.name": ref},
	})
	lb, err := json.Marshal(li)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "index.json", lb)
	return b
}

// TestSkopeo copies umoci-built OCI layouts to drydock and back with skopeo:
// a single image, a multi-arch index with --all, docker:// to docker://
// between repositories, and a conversion to Docker schema2.
func TestSkopeo(t *testing.T) {
	needTool(t, "umoci")
	srv := startServer(t, "")
	work := t.TempDir()
	src := filepath.Join(work, "src")
	runTool(t, nil, "umoci", "init", "--layout", src)
	umociImage(t, src, "amd64", "amd64")
	umociImage(t, src, "arm64", "arm64")
	indexBytes := addIndex(t, src, "multi", map[string]string{"amd64": "amd64", "arm64": "arm64"})
	indexDigest := sha256Hex(indexBytes)

	skopeo := func(args ...string) []byte {
		t.Helper()
		return runTool(t, nil, "skopeo", append([]string{"--insecure-policy"}, args...)...)
	}
	raw := func(ref string) []byte {
		t.Helper()
		return skopeo("inspect", "--raw", "--tls-verify=false", "docker://"+ref)
	}
	reg := srv.addr + "/e2e/skopeo"

	t.Run("single oci layout to docker and back", func(t *testing.T) {
		want := layoutRef(t, src, "amd64")
		wantBytes := layoutBlob(t, src, want.Digest)
		skopeo("copy", "--preserve-digests", "--dest-tls-verify=false", "oci:"+src+":amd64", "docker://"+reg+"/single:v1")
		if got := raw(reg + "/single:v1"); !bytes.Equal(got, wantBytes) {
			t.Fatalf("manifest in registry differs from the layout's:\ngot  %s\nwant %s", got, wantBytes)
		}
		back := filepath.Join(work, "back-single")
		skopeo("copy", "--preserve-digests", "--src-tls-verify=false", "docker://"+reg+"/single:v1", "oci:"+back+":v1")
		got := layoutRef(t, back, "v1")
		if got.Digest != want.Digest {
			t.Fatalf("digest after the round trip: %s, want %s", got.Digest, want.Digest)
		}
		m := parseManifest(t, wantBytes)
		for _, d := range append([]ociDescriptor{m.Config}, m.Layers...) {
			if !bytes.Equal(layoutBlob(t, back, d.Digest), layoutBlob(t, src, d.Digest)) {
				t.Fatalf("blob %s differs after the round trip", d.Digest)
			}
		}
	})

	t.Run("multi-arch --all", func(t *testing.T) {
		skopeo("copy", "--all", "--preserve-digests", "--dest-tls-verify=false", "oci:"+src+":multi", "docker://"+reg+"/multi:v1")
		if got := raw(reg + "/multi:v1"); !bytes.Equal(got, indexBytes) {
			t.Fatalf("index in registry differs from the pushed one:\ngot  %s\nwant %s", got, indexBytes)
		}
		for _, arch := range []string{"amd64", "arm64"} {
			d := layoutRef(t, src, arch)
			if got := raw(reg + "/multi@" + d.Digest); !bytes.Equal(got, layoutBlob(t, src, d.Digest)) {
				t.Fatalf("%s manifest in registry differs from the layout's", arch)
			}
		}
		back := filepath.Join(work, "back-multi")
		skopeo("copy", "--all", "--preserve-digests", "--src-tls-verify=false", "docker://"+reg+"/multi:v1", "oci:"+back+":multi")
		if got := layoutRef(t, back, "multi"); got.Digest != indexDigest {
			t.Fatalf("index digest after the round trip: %s, want %s", got.Digest, indexDigest)
		}
		for _, arch := range []string{"amd64", "arm64"} {
			d := layoutRef(t, src, arch)
			m := parseManifest(t, layoutBlob(t, back, d.Digest))
			for _, l := range append([]ociDescriptor{m.Config}, m.Layers...) {
				if !bytes.Equal(layoutBlob(t, back, l.Digest), layoutBlob(t, src, l.Digest)) {
					t.Fatalf("%s: blob %s differs after the round trip", arch, l.Digest)
				}
			}
		}
	})

	t.Run("docker to docker between repositories", func(t *testing.T) {
		skopeo("copy", "--all", "--preserve-digests", "--src-tls-verify=false", "--dest-tls-verify=false",
			"docker://"+reg+"/multi:v1", "docker://"+srv.addr+"/e2e/skopeo-copy/multi:v2")
		if got := raw(srv.addr + "/e2e/skopeo-copy/multi:v2"); !bytes.Equal(got, indexBytes) {
			t.Fatalf("copied index differs from the original")
		}
		// Pull one platform through the index.
		back := filepath.Join(work, "back-arm64")
		skopeo("copy", "--override-arch", "arm64", "--override-os", "linux", "--src-tls-verify=false",
			"docker://"+srv.addr+"/e2e/skopeo-copy/multi:v2", "oci:"+back+":arm64")
		if got, want := layoutRef(t, back, "arm64").Digest, layoutRef(t, src, "arm64").Digest; got != want {
			t.Fatalf("arm64 through the copied index: %s, want %s", got, want)
		}
		var tags struct {
			Repository string
			Tags       []string
		}
		out := skopeo("list-tags", "--tls-verify=false", "docker://"+srv.addr+"/e2e/skopeo-copy/multi")
		if err := json.Unmarshal(out, &tags); err != nil {
			t.Fatalf("list-tags: %v\n%s", err, out)
		}
		if fmt.Sprint(tags.Tags) != "[v2]" {
			t.Fatalf("list-tags: %v, want [v2]", tags.Tags)
		}
	})

	t.Run("docker schema2", func(t *testing.T) {
		skopeo("copy", "--format", "v2s2", "--dest-tls-verify=false", "oci:"+src+":amd64", "docker://"+reg+"/schema2:v1")
		b := raw(reg + "/schema2:v1")
		m := parseManifest(t, b)
		if m.MediaType != "application/vnd.docker.distribution.manifest.v2+json" {
			t.Fatalf("mediaType %q, want Docker schema2", m.MediaType)
		}
		dig := sha256Hex(b)
		back := filepath.Join(work, "back-schema2")
		skopeo("copy", "--src-tls-verify=false", "docker://"+reg+"/schema2@"+dig, "dir:"+back)
		got, err := os.ReadFile(filepath.Join(back, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, b) {
			t.Fatalf("schema2 manifest pulled by digest differs")
		}
		for _, l := range append([]ociDescriptor{m.Config}, m.Layers...) {
			lb, err := os.ReadFile(filepath.Join(back, strings.TrimPrefix(l.Digest, "sha256:")))
			if err != nil {
				t.Fatal(err)
			}
			if sha256Hex(lb) != l.Digest {
				t.Fatalf("schema2 blob %s has wrong content", l.Digest)
			}
		}
		// A Docker manifest list made by skopeo from the OCI index.
		skopeo("copy", "--all", "--format", "v2s2", "--dest-tls-verify=false", "oci:"+src+":multi", "docker://"+reg+"/schema2-list:v1")
		list := parseManifest(t, raw(reg+"/schema2-list:v1"))
		if list.MediaType != "application/vnd.docker.distribution.manifest.list.v2+json" || len(list.Manifests) != 2 {
			t.Fatalf("manifest list: mediaType %q with %d manifests", list.MediaType, len(list.Manifests))
		}
	})
}
