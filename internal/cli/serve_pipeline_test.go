package cli

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/config"
	"github.com/drydock/drydock/internal/scan/layer"
)

// TestScanLimitsDefaults: drydock serve's default limits are the layer
// reader's, as `drydock scan`'s flags are (package config cannot import
// the reader, so its defaults are written out).
func TestScanLimitsDefaults(t *testing.T) {
	got := scanLimits(config.Default().Scan.Limits)
	want := layer.Config{MaxLayerBytes: layer.DefaultMaxLayerBytes, MaxEntries: layer.DefaultMaxEntries,
		MaxFileBytes: layer.DefaultMaxFileBytes, MaxRatio: layer.DefaultMaxRatio}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-reader +config)\n%s", d)
	}
}
