package cli

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const (
	kevFixture    = "../vulndb/feed/kev/testdata/kev.json"
	alpineFixture = "../vulndb/feed/alpine/testdata/v3.18-main.json"
	alpineReal    = "../vulndb/feed/alpine/testdata/v3.8-main.yaml"
)

var versionRe = regexp.MustCompile(`version:\s+([0-9a-f]{64})`)

func dbVersion(t *testing.T, data string) string {
	t.Helper()
	code, out, errs := run(t, "--data", data, "db", "status")
	if code != ExitOK {
		t.Fatalf("db status = %d: %s", code, errs)
	}
	m := versionRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no version in status output:\n%s", out)
	}
	return m[1]
}

func TestDBImportStatusExport(t *testing.T) {
	data := t.TempDir()
	code, _, errs := run(t, "--data", data, "db", "status")
	if code != ExitFailure || !strings.Contains(errs, "no advisory database") || !strings.Contains(errs, "drydock db import") {
		t.Fatalf("status without a database = %d, %q", code, errs)
	}

	code, out, errs := run(t, "--data", data, "db", "import", alpineReal, kevFixture)
	if code != ExitOK {
		t.Fatalf("import = %d: %s", code, errs)
	}
	for _, want := range []string{"imported 2 files", "1084 advisories", "2 enrichment records", "2 malformed skipped", "kev.json: CVE-XXXX: cveID"} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	v1 := dbVersion(t, data)

	_, out, _ = run(t, "--data", data, "db", "status")
	for _, want := range []string{"Alpine:v3.8", "1084", "KEV 2", "GIT-only ranges", "sources:", "alpine", "kev", "DATA AS OF", "undated"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	// The database is as old as its newest data (the KEV catalog's last
	// addition; Alpine's secdb has no dates), not as the import.
	if !regexp.MustCompile(`updated:\s+2024-04-01T00:00:00Z`).MatchString(out) {
		t.Errorf("status does not date the data from the KEV catalog:\n%s", out)
	}
	code, out, _ = run(t, "--data", data, "db", "status", "--json")
	for _, want := range []string{`"ecosystems"`, v1, `"updatedAt": "2024-04-01T00:00:00Z"`, `"ageSeconds"`, `"importedAt"`} {
		if code != ExitOK || !strings.Contains(out, want) {
			t.Errorf("status --json = %d, lacks %q:\n%s", code, want, out)
		}
	}

	// --strict rejects a file with malformed records and changes nothing.
	code, out, errs = run(t, "--data", data, "db", "import", "--strict", alpineFixture)
	if code != ExitFailure || !strings.Contains(errs, "rejected") || !strings.Contains(out, "malformed records skipped") {
		t.Errorf("strict import = %d, out %q, err %q", code, out, errs)
	}
	if v := dbVersion(t, data); v != v1 {
		t.Errorf("rejected import changed the version to %s", v)
	}

	// Without --strict it is added as a new source next to the others.
	if code, _, errs := run(t, "--data", data, "db", "import", alpineFixture); code != ExitOK {
		t.Fatalf("import = %d: %s", code, errs)
	}
	_, out, _ = run(t, "--data", data, "db", "status")
	if !strings.Contains(out, "Alpine:v3.18") || !strings.Contains(out, "Alpine:v3.8") {
		t.Errorf("second import did not keep the first source:\n%s", out)
	}
	v2 := dbVersion(t, data)

	// Export, then import on "another machine": same version.
	bundle := filepath.Join(t.TempDir(), "advisories.db")
	code, out, errs = run(t, "--data", data, "db", "export", bundle)
	if code != ExitOK || !strings.Contains(out, v2) {
		t.Fatalf("export = %d, %q, %q", code, out, errs)
	}
	other := t.TempDir()
	if code, _, errs := run(t, "--data", other, "db", "import", bundle); code != ExitOK {
		t.Fatalf("import of the bundle = %d: %s", code, errs)
	}
	if v := dbVersion(t, other); v != v2 {
		t.Errorf("bundle imported as version %s, exported %s", v, v2)
	}
}

func TestDBUsageAndOffline(t *testing.T) {
	data := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{name: "import without paths", args: []string{"db", "import"}, code: ExitUsage, stderr: "requires at least 1 arg"},
		{name: "import missing path", args: []string{"db", "import", "/nonexistent/x.json"}, code: ExitUsage, stderr: "no such file"},
		{name: "import not a feed", args: []string{"db", "import", "db_test.go"}, code: ExitFailure, stderr: "not a recognised feed file"},
		{name: "bad source", args: []string{"db", "update", "--source", "ftp://x"}, code: ExitUsage, stderr: "want [NAME=]http(s)://URL"},
		{name: "export without database", args: []string{"db", "export", filepath.Join(t.TempDir(), "x.db")}, code: ExitFailure, stderr: "no advisory database"},
		{name: "export without file", args: []string{"db", "export"}, code: ExitUsage, stderr: "accepts 1 arg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := run(t, append([]string{"--data", data}, tc.args...)...)
			if code != tc.code || !strings.Contains(errs, tc.stderr) {
				t.Errorf("drydock %v = %d, stderr %q; want %d, %q", tc.args, code, errs, tc.code, tc.stderr)
			}
		})
	}

	// A port nobody listens on: the update fails, clearly, and creates nothing.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	code, _, errs := run(t, "--data", data, "db", "update", "--source", "http://"+addr+"/all.zip")
	if code != ExitFailure || !strings.Contains(errs, "offline") || !strings.Contains(errs, "drydock db import") {
		t.Errorf("offline update = %d, %q", code, errs)
	}
	if code, _, _ := run(t, "--data", data, "db", "status"); code != ExitFailure {
		t.Error("offline update created a database")
	}
}

// TestDBOldFormat: a database written by an older drydock is refused with
// what to do, and import --replace or update rebuilds it.
func TestDBOldFormat(t *testing.T) {
	data := t.TempDir()
	dir := filepath.Join(data, "vulndb")
	old, err := os.ReadFile("../vulndb/testdata/format1.db")
	if err != nil {
		t.Fatal(err)
	}
	name := "vulndb-0123456789abcdef-1.db"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), old, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "current"), []byte(name+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := run(t, "--data", data, "db", "status")
	if code != ExitFailure || !strings.Contains(errs, "older drydock") || !strings.Contains(errs, "drydock db import --replace") {
		t.Errorf("status of a format 1 database = %d, %q", code, errs)
	}
	code, _, errs = run(t, "--data", data, "db", "import", kevFixture)
	if code != ExitFailure || !strings.Contains(errs, "--replace") {
		t.Errorf("import over a format 1 database = %d, %q", code, errs)
	}
	if code, _, errs := run(t, "--data", data, "db", "import", "--replace", kevFixture); code != ExitOK {
		t.Fatalf("import --replace = %d: %s", code, errs)
	}
	dbVersion(t, data)
}
