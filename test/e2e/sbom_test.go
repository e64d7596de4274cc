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
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestAttachSBOM: with DRYDOCK_SCAN_ATTACHSBOM=true a pushed Alpine image
// gets its CycloneDX SBOM as an OCI referrer; oras discovers it through the
// referrers API, and the pulled document is the API's SBOM download,
// listing the image's packages.
func TestAttachSBOM(t *testing.T) {
	const cdxType = "application/vnd.cyclonedx+json"
	dir := t.TempDir()
	dbImport(t, dir, testdataFile(t, "vulndb/alpine-secdb"))
	srv := startServer(t, dir, "DRYDOCK_SCAN_ATTACHSBOM=true")
	repo := srv.addr + "/e2e/sbom/alpine"
	d := pushImage(t, platformImage(t, alpineFiles("3.4.6"), 0, "amd64"), repo+":3.4.6")
	if m := waitVerdict(t, srv, "e2e/sbom/alpine", d, 30*time.Second, nil); m.Status != "unhealthy" {
		t.Fatalf("alpine 3.4.6: %+v", m)
	}

	// The referrer is written right after the verdict is recorded.
	var n orasNode
	deadline := time.Now().Add(20 * time.Second)
	for {
		out := runTool(t, nil, "oras", "discover", "--plain-http", "--distribution-spec", "v1.1-referrers-api",
			"--format", "json", "--artifact-type", cdxType, repo+"@"+d)
		if err := json.Unmarshal(out, &n); err != nil {
			t.Fatalf("oras discover output: %v\n%s", err, out)
		}
		if len(n.Referrers) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n.Digest != d || len(n.Referrers) != 1 || n.Referrers[0].ArtifactType != cdxType {
		t.Fatalf("discover: %+v, want one %s referrer of %s", n, cdxType, d)
	}

	out := filepath.Join(t.TempDir(), "pull")
	runTool(t, nil, "oras", "pull", "--plain-http", "-o", out, repo+"@"+n.Referrers[0].Digest)
	got, err := os.ReadFile(filepath.Join(out, "sbom.cyclonedx.json"))
	if err != nil {
		t.Fatalf("oras pull: %v", err)
	}
	code, _, want, err := httpDo(t.Context(), "GET", srv.url("/api/v1/repositories/e2e/sbom/alpine/manifests/"+d+"/sbom"), "")
	if err != nil || code != 200 {
		t.Fatalf("SBOM download: %d %v", code, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("attached SBOM differs from the API's download")
	}
	var bom struct {
		BOMFormat   string `json:"bomFormat"`
		SpecVersion string `json:"specVersion"`
		Components  []struct {
			Type, Name, Version string
		} `json:"components"`
	}
	if err := json.Unmarshal(got, &bom); err != nil || bom.BOMFormat != "CycloneDX" || bom.SpecVersion != "1.6" {
		t.Fatalf("attached SBOM is not CycloneDX 1.6: %v (%q %q)", err, bom.BOMFormat, bom.SpecVersion)
	}
	var pkgs []string
	for _, c := range bom.Components {
		if c.Type == "library" {
			pkgs = append(pkgs, c.Name)
		}
	}
	// Package names of lib/apk/db/installed (P: lines).
	installed, err := os.ReadFile(testdataFile(t, "manifests/alpine/3.4.6/installed"))
	if err != nil {
		t.Fatal(err)
	}
	var wantPkgs []string
	for _, l := range strings.Split(string(installed), "\n") {
		if name, ok := strings.CutPrefix(l, "P:"); ok {
			wantPkgs = append(wantPkgs, name)
		}
	}
	slices.Sort(pkgs)
	slices.Sort(wantPkgs)
	if diff := cmp.Diff(wantPkgs, pkgs); diff != "" || len(pkgs) == 0 {
		t.Errorf("SBOM packages (-installed +SBOM):\n%s", diff)
	}
}
