package cli

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/config"
	"github.com/drydock/drydock/internal/scan/layer"
	"github.com/drydock/drydock/internal/scan/match"
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

// TestGoScanConfig: the levels config accepts for scan.goScan are the
// matcher's (config imports nothing of drydock's, so it lists them
// itself), and its default is the matcher's.
func TestGoScanConfig(t *testing.T) {
	c := config.Default()
	if g, err := match.ParseGoScan(""); err != nil || match.GoScan(c.Scan.GoScan) != g {
		t.Errorf("config default %q, matcher default %q (%v)", c.Scan.GoScan, g, err)
	}
	for _, g := range append(slices.Clone(match.GoScans), "reachable", "Symbol", "") {
		c.Scan.GoScan = string(g)
		_, perr := match.ParseGoScan(string(g))
		okConfig, okMatch := c.Validate() == nil, perr == nil && g != ""
		if okConfig != okMatch {
			t.Errorf("%q: config accepts %t, matcher %t", g, okConfig, okMatch)
		}
	}
}
