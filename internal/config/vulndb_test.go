package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestVulnDB(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(file, []byte("vulndb:\n  autoUpdate: false\n  updateInterval: 6h\n  sources:\n    - osv=https://mirror.example/osv/Go/all.zip\n"), 0o600)
	tests := []struct {
		name string
		file string
		env  map[string]string
		want VulnDB
	}{
		{name: "defaults", want: VulnDB{AutoUpdate: true, UpdateInterval: Duration(24 * time.Hour), RetryInterval: Duration(time.Hour)}},
		{name: "file", file: file, want: VulnDB{UpdateInterval: Duration(6 * time.Hour), RetryInterval: Duration(time.Hour),
			Sources: []string{"osv=https://mirror.example/osv/Go/all.zip"}}},
		{name: "env", file: file, env: map[string]string{
			"DRYDOCK_VULNDB_AUTOUPDATE":    "true",
			"DRYDOCK_VULNDB_RETRYINTERVAL": "10m",
			"DRYDOCK_VULNDB_SOURCES":       "https://mirror.example/a.zip, b=http://mirror.example/kev.json,",
		}, want: VulnDB{AutoUpdate: true, UpdateInterval: Duration(6 * time.Hour), RetryInterval: Duration(10 * time.Minute),
			Sources: []string{"https://mirror.example/a.zip", "b=http://mirror.example/kev.json"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Load(tc.file, env(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got.VulnDB); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
			if err := got.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
	c := Default()
	c.VulnDB.RetryInterval = 0
	c.VulnDB.Sources = []string{"/feeds/local.json"}
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "vulndb.retryInterval") || !strings.Contains(err.Error(), "/feeds/local.json") {
		t.Errorf("validate: %v", err)
	}
}
