//go:build e2e

package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/drydock/drydock/internal/scan/extract/rpm/rpmtest"
)

// zlibOSV is an OSV record written for this test (not a real advisory):
// newer advisory data affecting the zlib of Alpine 3.4.6 (1.2.8-r2).
const zlibOSV = `{"schema_version":"1.6.0","id":"DRYDOCK-TEST-0003","modified":"2026-08-01T00:00:00Z",
"published":"2026-08-01T00:00:00Z","aliases":["CVE-2099-0003"],"summary":"test advisory for zlib",
"details":"Test data written for drydock's end-to-end test.",
"affected":[{"package":{"ecosystem":"Alpine:v3.4","name":"zlib"},
"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2.8-r9"}]}]}],
"database_specific":{"severity":"HIGH"}}`

// withLayer returns img with one more layer holding files (path ->
// content).
func withLayer(t *testing.T, img v1.Image, files map[string][]byte) v1.Image {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range sortedKeys(files) {
		hdr := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])), ModTime: time.Date(2024, 9, 6, 0, 0, 0, 0, time.UTC),
			Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	tb := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(tb)), nil },
		tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
	if err != nil {
		t.Fatal(err)
	}
	out, err := mutate.AppendLayers(img, l)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// parityReport is a report as JSON, without what differs by design
// between the server's report and drydock scan's: the repository (the
// server's name, the scan's reference) and the scan time.
func parityReport(t *testing.T, b []byte) string {
	t.Helper()
	var r map[string]any
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("report: %v: %s", err, b)
	}
	delete(r, "scannedAt")
	if im, ok := r["image"].(map[string]any); ok {
		delete(im, "repository")
	}
	out, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestScanParity: a user who pushes an image and scans it in CI gets the
// same report. For images pushed with crane and skopeo (one with findings,
// one whose rpm database is damaged beside its apk packages, an OCI
// artifact), GET .../report equals `drydock scan --format json` of the
// pushed image by reference with the server's advisory database; and
// again after newer advisory data is imported while the server runs,
// without a push.
func TestScanParity(t *testing.T) {
	dir := t.TempDir()
	dbImport(t, dir, testdataFile(t, "vulndb/alpine-secdb"))
	srv := startServer(t, dir)

	alpine := platformImage(t, alpineFiles("3.4.6"), 0, "amd64")
	damaged := withLayer(t, alpine, map[string][]byte{"var/lib/rpm/Packages": rpmtest.TruncatedDB(t)})
	pushed := map[string]string{ // repository -> digest
		"e2e/parity/alpine":  pushImage(t, alpine, srv.addr+"/e2e/parity/alpine:crane"),
		"e2e/parity/damaged": pushImage(t, damaged, srv.addr+"/e2e/parity/damaged:crane"),
	}
	// skopeo converts the OCI image to a Docker one: another manifest.
	needTool(t, "skopeo")
	lay := t.TempDir()
	writeLayout(t, lay, map[string]v1.Image{"x": alpine})
	digestFile := filepath.Join(t.TempDir(), "digest")
	runTool(t, nil, "skopeo", "copy", "--dest-tls-verify=false", "--format", "v2s2", "--digestfile", digestFile,
		"oci:"+lay+":x", "docker://"+srv.addr+"/e2e/parity/skopeo:1")
	d, err := os.ReadFile(digestFile)
	if err != nil {
		t.Fatal(err)
	}
	pushed["e2e/parity/skopeo"] = strings.TrimSpace(string(d))
	artDir := t.TempDir()
	sbom := writeFile(t, artDir, "sbom.spdx.json", []byte(`{"spdxVersion":"SPDX-2.3"}`))
	runTool(t, nil, "oras", "push", "--plain-http", "--artifact-type", "application/vnd.example.sbom",
		srv.addr+"/e2e/parity/artifact:v1", sbom+":application/spdx+json", "--disable-path-validation")
	pushed["e2e/parity/artifact"] = strings.TrimSpace(string(runTool(t, nil, "crane", "--insecure", "digest", srv.addr+"/e2e/parity/artifact:v1")))

	want := map[string]string{"e2e/parity/alpine": "unhealthy", "e2e/parity/damaged": "failed", "e2e/parity/skopeo": "unhealthy",
		"e2e/parity/artifact": "notApplicable"}
	compare := func(stage string) {
		t.Helper()
		for _, repo := range sortedKeys(pushed) {
			digest := pushed[repo]
			if m := waitVerdict(t, srv, repo, digest, 30*time.Second, nil); m.Status != want[repo] {
				t.Errorf("%s %s: %s (%s), want %s", stage, repo, m.Status, m.Reason, want[repo])
			}
			code, _, server, err := httpDo(t.Context(), "GET", srv.url("/api/v1/repositories/"+repo+"/manifests/"+digest+"/report"), "")
			if err != nil || code != 200 {
				t.Fatalf("%s %s: report: %d %v: %s", stage, repo, code, err, server)
			}
			// The CLI scan, with the server's database and credentials
			// from a Docker config; a failed scan exits 1.
			cli, stderr, err := runToolStreams(t, nil, drydockBin, "scan", "--data", t.TempDir(),
				"--db", filepath.Join(srv.dataDir, "vulndb"), "--insecure", "--format", "json", srv.addr+"/"+repo+"@"+digest)
			if err != nil && want[repo] != "failed" {
				t.Fatalf("%s %s: drydock scan: %v\n%s", stage, repo, err, stderr)
			}
			if diff := cmp.Diff(parityReport(t, cli), parityReport(t, server)); diff != "" {
				t.Errorf("%s %s: report (-drydock scan +server):\n%s", stage, repo, diff)
			}
		}
	}
	compare("first scan")

	// Newer advisory data: the stored reports gain the finding without a
	// push, and still equal a fresh drydock scan.
	dbImport(t, srv.dataDir, writeOSV(t, "DRYDOCK-TEST-0003.json", zlibOSV))
	start := time.Now()
	for deadline := start.Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, _, b, err := httpDo(t.Context(), "GET", srv.url("/api/v1/findings?repository=e2e/parity/alpine&id=DRYDOCK-TEST-0003"), "")
		if err == nil && bytes.Contains(b, []byte("DRYDOCK-TEST-0003")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new advisory did not reach the stored findings in 60s")
		}
	}
	t.Logf("the new advisory reached the stored findings %s after the import", time.Since(start).Round(time.Millisecond))
	compare("after the import")
}
