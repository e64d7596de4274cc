package cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/klauspost/compress/zstd"

	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/layer"
	"github.com/drydock/drydock/internal/scan/source"
)

// InventoryFunc has the signature of scan.Options.Inventory.
type InventoryFunc func(ctx context.Context, im *source.Image, read func(context.Context) (*extract.Inventory, error)) (*extract.Inventory, error)

// Images keeps whole-image inventories, keyed by the image's layers (blob
// digests and diff_ids, in order), the extractors' names and versions and
// the reader's limits: a re-scan of an image whose layers were all seen
// with the same extractors costs one small read. An image not seen goes
// to next (the per-layer cache, or the ordinary read), and its inventory
// is kept when it was complete. Images without layer digests (dir:
// sources) are never cached.
type Images struct {
	s    Store
	next InventoryFunc
	salt []byte
	log  *slog.Logger
}

// NewImages returns the image tier over s. exs and limits are the scan's
// (scan.Options.Extractors, Limits); next may be nil (the ordinary read).
func NewImages(s Store, exs []extract.Extractor, limits layer.Config, next InventoryFunc, log *slog.Logger) (*Images, error) {
	if s == nil || log == nil {
		return nil, fmt.Errorf("cache: a store and a logger are required")
	}
	lim, err := json.Marshal(limits)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", imageSchema, lim)
	for _, ex := range exs {
		fmt.Fprintf(h, "%s@%d\n", ex.Name(), ex.Version())
	}
	return &Images{s: s, next: next, salt: h.Sum(nil), log: log}, nil
}

// imageSchema names the format of an image's entry; it is part of every
// key. v1 was JSON; v2 is gob, whose decoding took a twelfth of the time
// (0.7 ms against 6.2 for lang's 1,027 packages: a fifth of a warm
// re-scan).
const imageSchema = "drydock.image-inventory/v2"

// stored is what an image's entry holds: what the report is made of. It
// is written with encoding/gob and compressed with zstd.
type stored struct {
	Schema       string
	Distro       *pkg.Distro
	Packages     []pkg.Package
	Anomalies    []layer.Anomaly
	NumAnomalies int
}

// key names the entry of im; ok is false when im cannot be cached.
func (c *Images) key(im *source.Image) (string, bool) {
	if len(im.Layers) == 0 {
		return "", false
	}
	h := sha256.New()
	h.Write(c.salt)
	for _, l := range im.Layers {
		if err := l.Digest.Validate(); err != nil {
			return "", false
		}
		fmt.Fprintf(h, "%s %s\n", l.Digest, l.DiffID)
	}
	k := hex.EncodeToString(h.Sum(nil))
	return "images/" + k[:2] + "/" + k + ".inventory", true
}

// Inventory returns the stored inventory of im, or gets it from next (or
// read) and stores it. It has the signature of scan.Options.Inventory.
func (c *Images) Inventory(ctx context.Context, im *source.Image, read func(context.Context) (*extract.Inventory, error)) (*extract.Inventory, error) {
	name, ok := c.key(im)
	if !ok {
		return c.get(ctx, im, read)
	}
	if b, err := c.s.Get(ctx, name); err == nil {
		if inv, err := decode(b); err == nil {
			return inv, nil
		} else {
			c.log.WarnContext(ctx, "unreadable cached inventory; reading the image", "err", err)
		}
	}
	inv, err := c.get(ctx, im, read)
	if err != nil || inv == nil {
		return inv, err
	}
	b, err := encode(inv)
	if err == nil {
		err = c.s.Put(ctx, name, b)
	}
	if err != nil {
		c.log.WarnContext(ctx, "store image inventory", "err", err)
	}
	return inv, nil
}

func (c *Images) get(ctx context.Context, im *source.Image, read func(context.Context) (*extract.Inventory, error)) (*extract.Inventory, error) {
	if c.next != nil {
		return c.next(ctx, im, read)
	}
	return read(ctx)
}

func encode(inv *extract.Inventory) ([]byte, error) {
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode(stored{Schema: imageSchema, Distro: inv.Distro, Packages: inv.Packages,
		Anomalies: inv.Anomalies, NumAnomalies: inv.NumAnomalies})
	if err != nil {
		return nil, err
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	defer enc.Close()
	return enc.EncodeAll(b.Bytes(), nil), nil
}

func decode(z []byte) (*extract.Inventory, error) {
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(256<<20))
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	b, err := dec.DecodeAll(z, nil)
	if err != nil {
		return nil, err
	}
	var s stored
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&s); err != nil {
		return nil, err
	}
	if s.Schema != imageSchema {
		return nil, fmt.Errorf("schema %q", s.Schema)
	}
	if s.Packages == nil {
		s.Packages = []pkg.Package{}
	}
	return &extract.Inventory{Distro: s.Distro, Packages: s.Packages, Anomalies: s.Anomalies, NumAnomalies: s.NumAnomalies}, nil
}
