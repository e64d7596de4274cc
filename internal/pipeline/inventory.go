package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/pipeline/objects"
	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
)

// storedInventory is the part of an inventory the pipeline keeps per
// image: what matching needs. It is the image's SBOM.
type storedInventory struct {
	Schema   string        `json:"schema"`
	Distro   *pkg.Distro   `json:"distro,omitempty"`
	Packages []pkg.Package `json:"packages"`
}

const inventorySchema = "drydock.inventory/v1"

// inventoryName is the object holding the inventory of image d. An
// image's inventory depends only on its content (and the extractors), so
// images of the same digest share it.
func inventoryName(d oci.Digest) string {
	enc := d.Encoded()
	if len(enc) < 2 {
		return "inventories/" + string(d.Algorithm()) + "/" + enc + ".inventory"
	}
	return "inventories/" + string(d.Algorithm()) + "/" + enc[:2] + "/" + enc + ".inventory"
}

var (
	invEncoders = sync.Pool{New: func() any {
		e, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
		return e
	}}
	invDecoders = sync.Pool{New: func() any {
		d, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(256<<20))
		return d
	}}
)

// putInventory stores the inventory of image d and returns its name.
func putInventory(ctx context.Context, objs objects.Store, d oci.Digest, inv *extract.Inventory) (string, error) {
	b, err := json.Marshal(storedInventory{Schema: inventorySchema, Distro: inv.Distro, Packages: inv.Packages})
	if err != nil {
		return "", fmt.Errorf("pipeline: encode inventory of %s: %w", d, err)
	}
	enc := invEncoders.Get().(*zstd.Encoder)
	z := enc.EncodeAll(b, nil)
	invEncoders.Put(enc)
	name := inventoryName(d)
	if err := objs.Put(ctx, name, z); err != nil {
		return "", fmt.Errorf("pipeline: store inventory of %s: %w", d, err)
	}
	return name, nil
}

// errInventoryLost reports a stored inventory that is gone or unreadable:
// the image must be scanned again.
var errInventoryLost = errors.New("pipeline: stored inventory lost")

// getInventory reads a stored inventory.
func getInventory(ctx context.Context, objs objects.Store, name string) (*extract.Inventory, error) {
	z, err := objs.Get(ctx, name)
	if errors.Is(err, objects.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", errInventoryLost, name)
	}
	if err != nil {
		return nil, err
	}
	dec := invDecoders.Get().(*zstd.Decoder)
	b, err := dec.DecodeAll(z, nil)
	invDecoders.Put(dec)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errInventoryLost, name, err)
	}
	var s storedInventory
	if err := json.Unmarshal(b, &s); err != nil || s.Schema != inventorySchema {
		return nil, fmt.Errorf("%w: %s: not an inventory (%v)", errInventoryLost, name, err)
	}
	if s.Packages == nil {
		s.Packages = []pkg.Package{}
	}
	return &extract.Inventory{Distro: s.Distro, Packages: s.Packages}, nil
}
