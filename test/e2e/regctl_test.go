//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestRegctl copies an OCI layout into drydock with regctl, reads it back
// (manifest, blobs, tags), deletes a tag, and attaches an artifact with a
// subject that the referrers API must list and filter.
func TestRegctl(t *testing.T) {
	srv := startServer(t, "")
	work := t.TempDir()
	env := []string{"HOME=" + work} // regctl keeps its config in $HOME/.regctl
	regctl := func(args ...string) []byte {
		t.Helper()
		return runTool(t, env, "regctl", args...)
	}
	regctlStr := func(args ...string) string { return strings.TrimSpace(string(regctl(args...))) }
	regctl("registry", "set", "--tls", "disabled", srv.addr)

	img := testImage(t, "amd64")
	wantManifest, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	wantDigest := sha256Hex(wantManifest)
	src := filepath.Join(work, "layout")
	writeLayout(t, src, map[string]v1.Image{"v1": img})
	repo := srv.addr + "/e2e/regctl/app"

	regctl("image", "copy", "ocidir://"+src+":v1", repo+":v1")
	if got := regctlStr("image", "digest", repo+":v1"); got != wantDigest {
		t.Fatalf("image digest %s, want %s", got, wantDigest)
	}
	if got := regctl("manifest", "get", "--format", "raw-body", repo+":v1"); !bytes.Equal(got, wantManifest) {
		t.Fatalf("manifest get differs from the pushed manifest:\ngot  %s\nwant %s", got, wantManifest)
	}
	m := parseManifest(t, wantManifest)
	for _, d := range append([]ociDescriptor{m.Config}, m.Layers...) {
		got := regctl("blob", "get", repo, d.Digest)
		if sha256Hex(got) != d.Digest || int64(len(got)) != d.Size {
			t.Fatalf("blob get %s: %d bytes hashing to %s", d.Digest, len(got), sha256Hex(got))
		}
	}

	// Attach an SBOM-like artifact to the image.
	sbom := []byte(`{"spdxVersion":"SPDX-2.3","name":"regctl-e2e"}` + "\n")
	sbomFile := writeFile(t, work, "sbom.json", sbom)
	const sbomType = "application/spdx+json"
	regctl("artifact", "put", "--subject", repo+":v1", "--artifact-type", sbomType,
		"--file", sbomFile, "--file-media-type", "application/spdx+json")
	sigFile := writeFile(t, work, "sig.txt", []byte("not really a signature\n"))
	const sigType = "application/vnd.example.signature.v1"
	regctl("artifact", "put", "--subject", repo+":v1", "--artifact-type", sigType,
		"--file", sigFile, "--file-media-type", "text/plain")

	types := func(args ...string) []string {
		t.Helper()
		var list struct {
			Descriptors []ociDescriptor `json:"descriptors"`
		}
		out := regctl(append([]string{"artifact", "list", "--format", "{{jsonPretty .}}", repo + ":v1"}, args...)...)
		if err := json.Unmarshal(out, &list); err != nil {
			t.Fatalf("artifact list: %v\n%s", err, out)
		}
		var ts []string
		for _, d := range list.Descriptors {
			ts = append(ts, d.ArtifactType)
		}
		slices.Sort(ts)
		return ts
	}
	if diff := cmp.Diff([]string{sbomType, sigType}, types()); diff != "" {
		t.Fatalf("artifact list: artifact types (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{sbomType}, types("--filter-artifact-type", sbomType)); diff != "" {
		t.Fatalf("artifact list --filter-artifact-type (-want +got):\n%s", diff)
	}
	if got := regctl("artifact", "get", "--subject", repo+":v1", "--filter-artifact-type", sbomType); !bytes.Equal(got, sbom) {
		t.Fatalf("artifact get returned %q, want %q", got, sbom)
	}

	// Copy with referrers into another repository, then list tags and
	// delete one.
	other := srv.addr + "/e2e/regctl-copy/app"
	regctl("image", "copy", "--referrers", repo+":v1", other+":v1")
	regctl("image", "copy", repo+":v1", other+":v2")
	if got := regctlStr("image", "digest", other+":v1"); got != wantDigest {
		t.Fatalf("copied digest %s, want %s", got, wantDigest)
	}
	var copiedTypes []string
	{
		var list struct {
			Descriptors []ociDescriptor `json:"descriptors"`
		}
		out := regctl("artifact", "list", "--format", "{{jsonPretty .}}", other+":v1")
		if err := json.Unmarshal(out, &list); err != nil {
			t.Fatalf("artifact list: %v\n%s", err, out)
		}
		for _, d := range list.Descriptors {
			copiedTypes = append(copiedTypes, d.ArtifactType)
		}
		slices.Sort(copiedTypes)
	}
	if diff := cmp.Diff([]string{sbomType, sigType}, copiedTypes); diff != "" {
		t.Fatalf("referrers after image copy --referrers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"v1", "v2"}, strings.Fields(regctlStr("tag", "ls", other))); diff != "" {
		t.Fatalf("tag ls (-want +got):\n%s", diff)
	}
	regctl("tag", "delete", other+":v1")
	if diff := cmp.Diff([]string{"v2"}, strings.Fields(regctlStr("tag", "ls", other))); diff != "" {
		t.Fatalf("tag ls after tag delete (-want +got):\n%s", diff)
	}
	// Deleting a tag keeps the manifest.
	if got := regctlStr("image", "digest", other+":v2"); got != wantDigest {
		t.Fatalf("v2 after deleting v1: %s, want %s", got, wantDigest)
	}
	if got := regctl("manifest", "get", "--format", "raw-body", other+"@"+wantDigest); !bytes.Equal(got, wantManifest) {
		t.Fatalf("manifest by digest after tag delete differs")
	}
}
