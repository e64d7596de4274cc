//go:build e2e

package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestConsoleOfflineBanner opens the console in headless Chromium against
// a server without an advisory database and checks that the page says so.
func TestConsoleOfflineBanner(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed (apt-get install -y chromium); skipping the browser check of the console")
	}
	s := startServer(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	url := "http://" + adminUser + ":" + adminPassword + "@" + s.addr + "/"
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--user-data-dir="+t.TempDir(), "--dump-dom", url)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	dom := string(out)
	for _, want := range []string{"Advisory database: not loaded (offline)", "No advisory database: findings stay pending."} {
		if !strings.Contains(dom, want) {
			t.Errorf("console DOM lacks %q:\n%s", want, dom)
		}
	}
}
