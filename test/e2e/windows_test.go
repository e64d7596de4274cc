//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// TestScanPipelineWindows pushes a Windows image with crane (its config
// says os "windows") and checks that it becomes notApplicable with a reason
// naming Windows.
func TestScanPipelineWindows(t *testing.T) {
	dir := t.TempDir()
	dbImport(t, dir, testdataFile(t, "vulndb/alpine-secdb"))
	srv := startServer(t, dir)

	// The layer holds a vulnerable Alpine package database: were the image
	// scanned, it would be unhealthy.
	img := platformImage(t, alpineFiles("3.4.6"), 0, "amd64")
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.OSVersion = "windows", "10.0.20348.2113"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	d := pushImage(t, img, srv.addr+"/e2e/win/servercore:ltsc2022")
	m := waitVerdict(t, srv, "e2e/win/servercore", d, 30*time.Second, nil)
	if m.Status != "notApplicable" || !strings.Contains(strings.ToLower(m.Reason), "windows") {
		t.Fatalf("windows image: status %q, reason %q, want notApplicable naming Windows", m.Status, m.Reason)
	}
}
