//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// orasNode is one node of `oras discover --format json`.
type orasNode struct {
	Digest       string     `json:"digest"`
	ArtifactType string     `json:"artifactType"`
	Referrers    []orasNode `json:"referrers"`
}

func (n orasNode) types() []string {
	var ts []string
	for _, r := range n.Referrers {
		ts = append(ts, r.ArtifactType)
	}
	slices.Sort(ts)
	return ts
}

// TestOras copies an image into drydock with oras, attaches artifacts to it
// through the referrers API (no tag-schema fallback), discovers them with
// and without an artifact-type filter, and pulls them back byte-identical.
func TestOras(t *testing.T) {
	srv := startServer(t, "")
	work := t.TempDir()
	oras := func(args ...string) []byte {
		t.Helper()
		return runTool(t, nil, "oras", append(args, "--plain-http")...)
	}
	img := testImage(t, "amd64")
	wantManifest, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	wantDigest := sha256Hex(wantManifest)
	src := filepath.Join(work, "layout")
	writeLayout(t, src, map[string]v1.Image{"v1": img})
	repo := srv.addr + "/e2e/oras/app"

	runTool(t, nil, "oras", "cp", "--to-plain-http", "--from-oci-layout", src+":v1", repo+":v1")
	if got := oras("manifest", "fetch", repo+":v1"); !bytes.Equal(got, wantManifest) {
		t.Fatalf("manifest fetch differs from the pushed manifest")
	}

	// Attach two artifacts through the referrers API.
	const sbomType, sigType = "application/spdx+json", "application/vnd.example.signature.v1"
	sbom := []byte(`{"spdxVersion":"SPDX-2.3","name":"oras-e2e"}` + "\n")
	sig := randBytes(t, 4096)
	sbomDir := filepath.Join(work, "sbom")
	writeFile(t, sbomDir, "sbom.spdx.json", sbom)
	sigDir := filepath.Join(work, "sig")
	writeFile(t, sigDir, "image.sig", sig)
	attach := func(file, artifactType, mediaType, subject string) string {
		t.Helper()
		cmd := []string{"attach", "--distribution-spec", "v1.1-referrers-api", "--format", "json",
			"--artifact-type", artifactType, subject, file + ":" + mediaType}
		out, err := runToolErr(t, nil, "oras", append(cmd, "--plain-http")...)
		if err != nil {
			t.Fatal(err)
		}
		var res struct {
			Digest string `json:"digest"`
		}
		if err := json.Unmarshal(out, &res); err != nil || res.Digest == "" {
			t.Fatalf("oras attach output: %v\n%s", err, out)
		}
		return res.Digest
	}
	// oras attach reads files relative to the working directory.
	chdir(t, sbomDir)
	sbomDigest := attach("sbom.spdx.json", sbomType, "application/spdx+json", repo+":v1")
	chdir(t, sigDir)
	sigDigest := attach("image.sig", sigType, "application/octet-stream", repo+":v1")
	// A signature of the SBOM: a referrer of a referrer.
	sbomSigDigest := attach("image.sig", sigType, "application/octet-stream", repo+"@"+sbomDigest)

	discover := func(args ...string) orasNode {
		t.Helper()
		out := oras(append([]string{"discover", "--distribution-spec", "v1.1-referrers-api", "--format", "json", repo + ":v1"}, args...)...)
		var n orasNode
		if err := json.Unmarshal(out, &n); err != nil {
			t.Fatalf("oras discover output: %v\n%s", err, out)
		}
		if n.Digest != wantDigest {
			t.Fatalf("discover subject digest %s, want %s", n.Digest, wantDigest)
		}
		return n
	}
	all := discover()
	if diff := cmp.Diff([]string{sbomType, sigType}, all.types()); diff != "" {
		t.Fatalf("discover: referrer artifact types (-want +got):\n%s", diff)
	}
	for _, r := range all.Referrers {
		switch r.Digest {
		case sbomDigest:
			if len(r.Referrers) != 1 || r.Referrers[0].Digest != sbomSigDigest {
				t.Fatalf("discover: the SBOM's referrers are %+v, want its signature %s", r.Referrers, sbomSigDigest)
			}
		case sigDigest:
		default:
			t.Fatalf("discover: unexpected referrer %s", r.Digest)
		}
	}
	filtered := discover("--artifact-type", sbomType)
	if len(filtered.Referrers) != 1 || filtered.Referrers[0].Digest != sbomDigest {
		t.Fatalf("discover --artifact-type %s: %+v, want only %s", sbomType, filtered.Referrers, sbomDigest)
	}
	if none := discover("--artifact-type", "application/vnd.example.none"); len(none.Referrers) != 0 {
		t.Fatalf("discover with an unknown artifact type: %+v, want none", none.Referrers)
	}

	// Pull both artifacts: the files come back byte-identical.
	for _, c := range []struct {
		digest, file string
		want         []byte
	}{
		{sbomDigest, "sbom.spdx.json", sbom},
		{sigDigest, "image.sig", sig},
	} {
		out := filepath.Join(work, "pull-"+strings.TrimPrefix(c.digest, "sha256:")[:12])
		oras("pull", "-o", out, repo+"@"+c.digest)
		got, err := os.ReadFile(filepath.Join(out, c.file))
		if err != nil {
			t.Fatalf("oras pull %s: %v", c.digest, err)
		}
		if !bytes.Equal(got, c.want) {
			t.Fatalf("oras pull %s: %s differs from the attached file", c.digest, c.file)
		}
	}

	// A standalone artifact pushed with oras push, pulled back.
	data := randBytes(t, 1<<20)
	pushDir := filepath.Join(work, "push")
	writeFile(t, pushDir, "data.bin", data)
	chdir(t, pushDir)
	oras("push", "--artifact-type", "application/vnd.example.data.v1", srv.addr+"/e2e/oras/data:v1", "data.bin:application/octet-stream")
	m := parseManifest(t, oras("manifest", "fetch", srv.addr+"/e2e/oras/data:v1"))
	if m.ArtifactType != "application/vnd.example.data.v1" || len(m.Layers) != 1 || m.Layers[0].Digest != sha256Hex(data) {
		t.Fatalf("pushed artifact manifest: artifactType %q, layers %+v", m.ArtifactType, m.Layers)
	}
	pullDir := filepath.Join(work, "pull-data")
	oras("pull", "-o", pullDir, srv.addr+"/e2e/oras/data:v1")
	if got, err := os.ReadFile(filepath.Join(pullDir, "data.bin")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("oras pull data.bin: identical=%v err=%v", bytes.Equal(got, data), err)
	}
	if diff := cmp.Diff([]string{"v1"}, strings.Fields(string(oras("repo", "tags", srv.addr+"/e2e/oras/data")))); diff != "" {
		t.Fatalf("oras repo tags (-want +got):\n%s", diff)
	}
}

// chdir changes the working directory for the rest of the test.
func chdir(t *testing.T, dir string) {
	t.Helper()
	old, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chdir(old) })
}
