package cache

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/extract/list"
	"github.com/drydock/drydock/internal/scan/layer"
	"github.com/drydock/drydock/internal/scan/source"
)

func TestImagesServesSeenLayers(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	c, err := NewImages(fileStore(root), list.All(), layer.Config{}, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	d1 := oci.Digest("sha256:1111111111111111111111111111111111111111111111111111111111111111")
	d2 := oci.Digest("sha256:2222222222222222222222222222222222222222222222222222222222222222")
	want := &extract.Inventory{Distro: &pkg.Distro{ID: "debian", VersionID: "12"},
		Packages:  []pkg.Package{{Name: "bash", Version: "5.2.15-2+b2", Type: pkg.TypeDeb}},
		Anomalies: []layer.Anomaly{{Layer: 0, Kind: layer.DeviceFile, Path: "dev/null", Detail: "ignored"}}, NumAnomalies: 1}
	reads := 0
	read := func(context.Context) (*extract.Inventory, error) { reads++; return want, nil }
	im := &source.Image{Layers: []source.Layer{{Digest: d1}, {Digest: d2}}}
	for i := range 2 {
		got, err := c.Inventory(ctx, im, read)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("scan %d (-want +got):\n%s", i, d)
		}
	}
	if reads != 1 {
		t.Errorf("%d reads for two scans of the same layers, want 1", reads)
	}
	// Other layers, a layer order change, and another extractor set are other entries.
	for _, tt := range []struct {
		name string
		im   *source.Image
		c    *Images
	}{
		{"reordered", &source.Image{Layers: []source.Layer{{Digest: d2}, {Digest: d1}}}, c},
		{"no digests (dir:)", &source.Image{Layers: []source.Layer{{}}}, c},
		{"other extractors", im, must(NewImages(fileStore(root), list.All()[:1], layer.Config{}, nil, slog.New(slog.DiscardHandler)))},
		{"other limits", im, must(NewImages(fileStore(root), list.All(), layer.Config{MaxFileBytes: 1}, nil, slog.New(slog.DiscardHandler)))},
	} {
		before := reads
		if _, err := tt.c.Inventory(ctx, tt.im, read); err != nil {
			t.Fatal(err)
		}
		if reads != before+1 {
			t.Errorf("%s: served from the cache", tt.name)
		}
	}
	// A failed read is not kept.
	boom := errors.New("boom")
	im3 := &source.Image{Layers: []source.Layer{{Digest: "sha256:3333333333333333333333333333333333333333333333333333333333333333"}}}
	for range 2 {
		if _, err := c.Inventory(ctx, im3, func(context.Context) (*extract.Inventory, error) { reads++; return want, boom }); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
	}
}

func must(c *Images, err error) *Images {
	if err != nil {
		panic(err)
	}
	return c
}
