//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// alpineFiles is the package database and release file of a real Alpine
// release from the shared test data.
func alpineFiles(version string) map[string]string {
	return map[string]string{
		"lib/apk/db/installed": "manifests/alpine/" + version + "/installed",
		"etc/os-release":       "manifests/alpine/" + version + "/os-release",
	}
}

// platformImage builds a one-layer OCI image of files (plus randomBytes of
// random content when > 0, to make it distinct) for linux/arch.
func platformImage(t testing.TB, files map[string]string, randomBytes int, arch string) v1.Image {
	t.Helper()
	tb := layerTar(t, files, randomBytes)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(tb)), nil },
		tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
	if err != nil {
		t.Fatal(err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.AppendLayers(img, l)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// pushImage pushes img with crane (from an OCI layout) as ref and returns
// its digest.
func pushImage(t testing.TB, img v1.Image, ref string) string {
	t.Helper()
	dir := t.TempDir()
	writeLayout(t, dir, map[string]v1.Image{"x": img})
	runTool(t, nil, "crane", "--insecure", "push", dir, ref)
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// pushIndex pushes an index of imgs with crane and returns its digest.
func pushIndex(t testing.TB, imgs []v1.Image, ref string) string {
	t.Helper()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, img := range imgs {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: cf.OS, Architecture: cf.Architecture}}})
	}
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendIndex(idx); err != nil {
		t.Fatal(err)
	}
	runTool(t, nil, "crane", "--insecure", "push", "--index", dir, ref)
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// dbImport runs `drydock db import` into the server's data directory; the
// running server picks the new version up by itself.
func dbImport(t testing.TB, dataDir string, paths ...string) {
	t.Helper()
	cmd := exec.Command(drydockBin, append([]string{"db", "import", "--data", dataDir}, paths...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("drydock db import %v: %v\n%s", paths, err, out)
	}
	t.Logf("db import %s: %s", strings.Join(paths, " "), bytes.TrimSpace(out))
}

// apiManifest is a manifest's state from the API.
type apiManifest struct {
	Digest  string         `json:"digest"`
	Kind    string         `json:"kind"`
	Status  string         `json:"status"`
	Reason  string         `json:"reason"`
	Summary map[string]int `json:"summary"`
	Images  []struct {
		Digest    string `json:"digest"`
		Platform  string `json:"platform"`
		Status    string `json:"status"`
		DBVersion string `json:"dbVersion"`
	} `json:"images"`
}

var finalStatus = map[string]bool{"healthy": true, "unhealthy": true, "notApplicable": true, "failed": true, "pending": true}

// waitVerdict polls the API until the manifest has a final status (and
// cond, when set, holds).
func waitVerdict(t testing.TB, srv *server, repo, digest string, timeout time.Duration, cond func(apiManifest) bool) apiManifest {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var m apiManifest
	for {
		code, _, b, err := httpDo(t.Context(), "GET", srv.url("/api/v1/repositories/"+repo+"/manifests/"+digest), "")
		if err == nil && code == 200 {
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("manifest state: %v: %s", err, b)
			}
			if finalStatus[m.Status] && (cond == nil || cond(m)) {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s@%s: no verdict within %s (last %d %+v %v)", repo, digest, timeout, code, m, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// apiFinding is one finding from /api/v1/findings.
type apiFinding struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
	Package  struct {
		Name, Version, Type, Path string
	} `json:"package"`
	Image struct{ Repository, Digest string } `json:"image"`
}

// findings returns every finding the query selects, following cursors.
func findings(t testing.TB, srv *server, query url.Values) []apiFinding {
	t.Helper()
	var out []apiFinding
	for {
		var page struct {
			Items      []apiFinding `json:"items"`
			NextCursor string       `json:"nextCursor"`
		}
		apiGet(t, srv, "/api/v1/findings?"+query.Encode(), &page)
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out
		}
		query.Set("cursor", page.NextCursor)
	}
}

// apiGet GETs an API path as the administrator and decodes the answer.
func apiGet(t testing.TB, srv *server, path string, out any) {
	t.Helper()
	code, _, b, err := httpDo(t.Context(), "GET", srv.url(path), "")
	if err != nil || code != 200 {
		t.Fatalf("GET %s: %d %v: %s", path, code, err, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, b)
	}
}

// writeOSV writes one OSV record into a new directory and returns it.
func writeOSV(t testing.TB, name, body string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func distinct(fs []apiFinding) []string {
	seen := map[string]bool{}
	var ids []string
	for _, f := range fs {
		if !seen[f.ID] {
			seen[f.ID] = true
			ids = append(ids, f.ID)
		}
	}
	return ids
}

func findingKey(f apiFinding) string {
	return fmt.Sprintf("%s|%s|%s|%s|%s", f.ID, f.Package.Type, f.Package.Name, f.Package.Version, f.Package.Path)
}
