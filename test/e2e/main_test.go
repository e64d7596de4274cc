//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var (
	// repoRoot is the module root (the directory holding go.mod).
	repoRoot string
	// drydockBin is the drydock binary built by TestMain.
	drydockBin string
	// sharedTestdata is ../shared/testdata next to the repository
	// (DRYDOCK_SHARED_TESTDATA overrides it).
	sharedTestdata string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	repoRoot, err = findRepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	sharedTestdata = os.Getenv("DRYDOCK_SHARED_TESTDATA")
	if sharedTestdata == "" {
		sharedTestdata = filepath.Join(repoRoot, "..", "shared", "testdata")
	}
	// Tools installed by scripts/install-tools.sh come first.
	os.Setenv("PATH", filepath.Join(repoRoot, ".tools", "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))

	tmp, err := os.MkdirTemp("", "drydock-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	defer removeClientCredentials()
	// E2E_DRYDOCK_BIN runs the suite against an already built binary.
	if drydockBin = os.Getenv("E2E_DRYDOCK_BIN"); drydockBin != "" {
		return m.Run()
	}
	drydockBin = filepath.Join(tmp, "drydock")
	build := exec.Command("go", "build", "-o", drydockBin, "./cmd/drydock")
	build.Dir = repoRoot
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: go build ./cmd/drydock:", err)
		return 1
	}
	return m.Run()
}

func findRepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("getwd: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// needTool returns the path of an external tool or fails the test.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found on PATH: run scripts/install-tools.sh (%v)", name, err)
	}
	return p
}

// testdataFile returns the path of a file under ../shared/testdata and
// fails the test when it is missing.
func testdataFile(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(sharedTestdata, rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared test data missing (set DRYDOCK_SHARED_TESTDATA?): %v", err)
	}
	return p
}
