package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
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

// TestInventoryEncoding: every field of an inventory survives the
// entry's encoding, each filled by reflection (so that a field added
// later is covered, and one encoding/gob cannot write fails here).
func TestInventoryEncoding(t *testing.T) {
	d := &pkg.Distro{}
	fill(t, reflect.ValueOf(d).Elem(), "distro")
	want := &extract.Inventory{Distro: d, NumAnomalies: 3}
	for i := range 3 {
		var p pkg.Package
		fill(t, reflect.ValueOf(&p).Elem(), fmt.Sprint("package-", i))
		want.Packages = append(want.Packages, p)
		var a layer.Anomaly
		fill(t, reflect.ValueOf(&a).Elem(), fmt.Sprint("anomaly-", i))
		want.Anomalies = append(want.Anomalies, a)
	}
	b, err := encode(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := decode(b[:len(b)/2]); err == nil {
		t.Error("half an entry decoded")
	}
}

// fill sets every exported field of the struct v to a value that is not
// the zero value, derived from seed.
func fill(t *testing.T, v reflect.Value, seed string) {
	t.Helper()
	for i := range v.NumField() {
		f, sf := v.Field(i), v.Type().Field(i)
		if !sf.IsExported() {
			continue
		}
		s := seed + "-" + sf.Name
		switch f.Kind() {
		case reflect.String:
			f.SetString(s)
		case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			if f.CanInt() {
				f.SetInt(int64(len(s)))
			} else {
				f.SetUint(uint64(len(s)))
			}
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Slice:
			switch f.Type().Elem().Kind() {
			case reflect.String:
				f.Set(reflect.ValueOf([]string{s, s + "-2"}).Convert(f.Type()))
			case reflect.Uint8:
				f.Set(reflect.ValueOf([]byte(s)).Convert(f.Type()))
			case reflect.Struct:
				f.Set(reflect.MakeSlice(f.Type(), 2, 2))
				for j := range 2 {
					fill(t, f.Index(j), fmt.Sprint(s, "-", j))
				}
			default:
				t.Fatalf("%s: fill has no rule for %s", s, f.Type())
			}
		case reflect.Pointer:
			p := reflect.New(f.Type().Elem())
			fill(t, p.Elem(), s)
			f.Set(p)
		case reflect.Struct:
			fill(t, f, s)
		default:
			t.Fatalf("%s: fill has no rule for %s", s, f.Type())
		}
	}
}
