package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadLayers(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	os.WriteFile(file, []byte("registry:\n  maxManifestSize: 8MiB\n  autoCreateRegistries: false\ngc:\n  interval: 5m\n"), 0o600)
	tests := []struct {
		name string
		file string
		env  map[string]string
		want func(*Config)
	}{
		{name: "defaults", want: func(*Config) {}},
		{name: "file", file: file, want: func(c *Config) {
			c.Registry.MaxManifestSize = 8 << 20
			c.Registry.AutoCreateRegistries = false
			c.GC.Interval = Duration(5 * time.Minute)
		}},
		{name: "env over file", file: file, env: map[string]string{
			"DRYDOCK_REGISTRY_MAXMANIFESTSIZE": "1MB",
			"DRYDOCK_ADDR":                     "127.0.0.1:9",
			"DRYDOCK_DATA":                     "/x",
			"DRYDOCK_STORAGE_SYNC":             "true",
			"DRYDOCK_SCAN_LIMITS_MAXENTRIES":   "10000000",
			"DRYDOCK_SCAN_LIMITS_MAXFILEBYTES": "128MiB",
			"DRYDOCK_SCAN_GOSCAN":              "module",
		}, want: func(c *Config) {
			c.Scan.GoScan = "module"
			c.Scan.Limits.MaxEntries = 10_000_000
			c.Scan.Limits.MaxFileBytes = 128 << 20
			c.Registry.MaxManifestSize = 1000 * 1000
			c.Registry.AutoCreateRegistries = false
			c.GC.Interval = Duration(5 * time.Minute)
			c.Server.Addr = "127.0.0.1:9"
			c.Data = "/x"
			c.Storage.Sync = true
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Load(tc.file, env(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			want := Default()
			tc.want(&want)
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
			if err := got.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("registry:\n  nosuchfield: 1\n"), 0o600)
	if _, err := Load(bad, env(nil)); err == nil || !strings.Contains(err.Error(), "nosuchfield") {
		t.Errorf("unknown field: %v", err)
	}
	if _, err := Load("", env(map[string]string{"DRYDOCK_GC_INTERVAL": "soon"})); err == nil || !strings.Contains(err.Error(), "DRYDOCK_GC_INTERVAL") {
		t.Errorf("bad duration: %v", err)
	}
	c := Default()
	c.Log.Level = "loud"
	c.Server.TLSCert = "x"
	c.Scan.Limits.MaxRatio = 0
	c.Scan.GoScan = "reachable"
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "loud") || !strings.Contains(err.Error(), "tlsKey") || !strings.Contains(err.Error(), "scan.limits") ||
		!strings.Contains(err.Error(), `scan.goScan: "reachable"`) {
		t.Errorf("validate: %v", err)
	}
	empty := filepath.Join(dir, "empty.yaml")
	os.WriteFile(empty, nil, 0o600)
	if _, err := Load(empty, env(nil)); err != nil {
		t.Errorf("empty file: %v", err)
	}
}
