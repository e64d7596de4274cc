//go:build e2e

package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ociManifest is the part of an image manifest the tests read.
type ociManifest struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     string          `json:"mediaType"`
	ArtifactType  string          `json:"artifactType,omitempty"`
	Config        ociDescriptor   `json:"config"`
	Layers        []ociDescriptor `json:"layers"`
	Manifests     []ociDescriptor `json:"manifests"` // for indexes
	Subject       *ociDescriptor  `json:"subject,omitempty"`
}

type ociDescriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Platform     *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
	} `json:"platform,omitempty"`
}

func parseManifest(t testing.TB, b []byte) ociManifest {
	t.Helper()
	var m ociManifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("parse manifest: %v\n%s", err, b)
	}
	return m
}

// TestCrane pushes an image built from real layer tarballs with crane, then
// pulls, copies, lists, tags and deletes it, checking that every byte read
// back is the byte pushed.
func TestCrane(t *testing.T) {
	srv := startServer(t, "")
	work := t.TempDir()
	crane := func(args ...string) []byte {
		t.Helper()
		return runTool(t, nil, "crane", append([]string{"--insecure"}, args...)...)
	}
	craneStr := func(args ...string) string { return strings.TrimSpace(string(crane(args...))) }
	repo := srv.addr + "/e2e/crane/app"
	copyRepo := srv.addr + "/e2e/crane-copy/app"

	// Three layers of real files; the last one also holds random bytes.
	var layerFiles []string
	var wantDiffIDs []string
	for i, set := range realFileSets {
		random := 0
		if i == len(realFileSets)-1 {
			random = 256 << 10
		}
		tb := layerTar(t, set, random)
		layerFiles = append(layerFiles, writeFile(t, work, fmt.Sprintf("layer%d.tar", i), tb))
		wantDiffIDs = append(wantDiffIDs, sha256Hex(tb))
	}
	args := []string{"append", "--oci-empty-base", "-t", repo + ":v1"}
	for _, f := range layerFiles {
		args = append(args, "-f", f)
	}
	crane(args...)

	// digest, manifest and config agree and match what was pushed.
	dig := craneStr("digest", repo+":v1")
	rawManifest := crane("manifest", repo+":v1")
	if got := sha256Hex(rawManifest); got != dig {
		t.Fatalf("crane digest %s, but sha256 of crane manifest is %s", dig, got)
	}
	if byDigest := crane("manifest", repo+"@"+dig); !bytes.Equal(byDigest, rawManifest) {
		t.Fatalf("manifest by digest differs from manifest by tag")
	}
	m := parseManifest(t, rawManifest)
	if m.MediaType != "application/vnd.oci.image.manifest.v1+json" || len(m.Layers) != len(layerFiles) {
		t.Fatalf("manifest: mediaType %q with %d layers, want OCI manifest with %d layers", m.MediaType, len(m.Layers), len(layerFiles))
	}
	var cfg struct {
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	rawConfig := crane("config", repo+":v1")
	if got := sha256Hex(rawConfig); got != m.Config.Digest {
		t.Fatalf("config digest: manifest says %s, bytes hash to %s", m.Config.Digest, got)
	}
	if err := json.Unmarshal(rawConfig, &cfg); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantDiffIDs, cfg.RootFS.DiffIDs); diff != "" {
		t.Fatalf("diff_ids (-pushed tarballs +config):\n%s", diff)
	}
	// Every layer blob: digest and size as described, and its uncompressed
	// content is byte-identical to the tarball pushed.
	for i, l := range m.Layers {
		blob := crane("blob", repo+"@"+l.Digest)
		if got := sha256Hex(blob); got != l.Digest || int64(len(blob)) != l.Size {
			t.Fatalf("layer %d: got %s (%d bytes), want %s (%d bytes)", i, got, len(blob), l.Digest, l.Size)
		}
		zr, err := gzip.NewReader(bytes.NewReader(blob))
		if err != nil {
			t.Fatalf("layer %d: %v", i, err)
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("layer %d: %v", i, err)
		}
		want, _ := os.ReadFile(layerFiles[i])
		if !bytes.Equal(raw, want) {
			t.Fatalf("layer %d: uncompressed blob differs from the pushed tarball", i)
		}
	}

	// pull into an OCI layout and validate every digest there.
	pulled := filepath.Join(work, "pulled")
	crane("pull", "--format", "oci", repo+":v1", pulled)
	crane("validate", "--remote", repo+":v1")
	for _, d := range append([]ociDescriptor{m.Config}, m.Layers...) {
		b, err := os.ReadFile(filepath.Join(pulled, "blobs", "sha256", strings.TrimPrefix(d.Digest, "sha256:")))
		if err != nil {
			t.Fatalf("pulled layout lacks %s: %v", d.Digest, err)
		}
		if sha256Hex(b) != d.Digest {
			t.Fatalf("pulled blob %s has wrong content", d.Digest)
		}
	}
	// push the layout back under another repository: same digest, and no
	// blob byte is uploaded again (the registry already holds every blob in
	// this subscription: existence checks or mounts answer for them).
	_, verbose, err := runToolStreams(t, nil, "crane", "--insecure", "-v", "push", pulled, srv.addr+"/e2e/crane/pushed:v1")
	if err != nil {
		t.Fatal(err)
	}
	var uploads []string
	for _, line := range strings.Split(string(verbose), "\n") {
		if strings.Contains(line, "--> PATCH") || (strings.Contains(line, "--> PUT") && strings.Contains(line, "/blobs/uploads/")) {
			uploads = append(uploads, strings.TrimSpace(line))
		}
	}
	if len(uploads) > 0 {
		t.Errorf("pushing blobs the registry already holds uploaded them again:\n%s", strings.Join(uploads, "\n"))
	}
	if got := craneStr("digest", srv.addr+"/e2e/crane/pushed:v1"); got != dig {
		t.Fatalf("digest after pushing pulled layout: %s, want %s", got, dig)
	}

	// tag, copy, list.
	crane("tag", repo+":v1", "v2")
	crane("copy", repo+":v1", copyRepo+":v1")
	if got := crane("manifest", copyRepo+":v1"); !bytes.Equal(got, rawManifest) {
		t.Fatalf("copied manifest differs from the original")
	}
	if got := craneStr("digest", copyRepo+":v1"); got != dig {
		t.Fatalf("copy digest %s, want %s", got, dig)
	}
	tags := strings.Fields(craneStr("ls", repo))
	if diff := cmp.Diff([]string{"v1", "v2"}, tags); diff != "" {
		t.Fatalf("crane ls (-want +got):\n%s", diff)
	}
	catalog := strings.Fields(craneStr("catalog", srv.addr))
	for _, want := range []string{"e2e/crane/app", "e2e/crane/pushed", "e2e/crane-copy/app"} {
		if !slices.Contains(catalog, want) {
			t.Fatalf("crane catalog %v lacks %s", catalog, want)
		}
	}

	// multi-platform index made by crane from two pushed images.
	crane("mutate", "--set-platform", "linux/arm64", "-t", repo+":arm64", repo+":v1")
	armDig := craneStr("digest", repo+":arm64")
	crane("index", "append", "--docker-empty-base=false", "-m", repo+"@"+dig, "-m", repo+"@"+armDig, "-t", repo+":multi")
	idx := parseManifest(t, crane("manifest", repo+":multi"))
	if len(idx.Manifests) != 2 {
		t.Fatalf("index has %d manifests, want 2", len(idx.Manifests))
	}
	if got := craneStr("digest", "--platform", "linux/arm64", repo+":multi"); got != armDig {
		t.Fatalf("digest for linux/arm64 through the index: %s, want %s", got, armDig)
	}

	// delete by digest in the copy: the copy's manifest is gone, the
	// original is untouched.
	crane("delete", copyRepo+"@"+dig)
	if out, err := runToolErr(t, nil, "crane", "--insecure", "manifest", copyRepo+"@"+dig); err == nil {
		t.Fatalf("manifest still readable after crane delete: %s", out)
	}
	if out, err := runToolErr(t, nil, "crane", "--insecure", "manifest", copyRepo+":v1"); err == nil {
		t.Fatalf("tag of a deleted manifest still resolves: %s", out)
	}
	if got := craneStr("digest", repo+":v1"); got != dig {
		t.Fatalf("original changed after deleting the copy: %s", got)
	}

	// Everything survives a graceful restart.
	srv.stop()
	srv.restart()
	repo = srv.addr + "/e2e/crane/app"
	if got := crane("manifest", repo+":v1"); !bytes.Equal(got, rawManifest) {
		t.Fatalf("manifest after restart differs")
	}
	crane("validate", "--remote", repo+":multi")
	if diff := cmp.Diff([]string{"arm64", "multi", "v1", "v2"}, strings.Fields(craneStr("ls", repo))); diff != "" {
		t.Fatalf("crane ls after restart (-want +got):\n%s", diff)
	}
}
