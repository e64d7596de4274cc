package gc

import (
	"context"
	"path"
	"strings"
	"time"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// Cache is the scan pipeline's store of derived objects (package
// pipeline/objects) as the collector sweeps it:
//
//	layers/<alg>/<hex[:2]>/<hex>.skeleton          per layer blob
//	inventories/<alg>/<hex[:2]>/<hex>.inventory    per image manifest
type Cache interface {
	Walk(ctx context.Context, prefix string, fn func(name string, modTime time.Time) error) error
	Delete(ctx context.Context, name string) error
}

// Images tells which stored images still use an inventory.
type Images interface {
	ListImages(ctx context.Context, f store.ImageFilter) ([]store.ImageRecord, error)
}

// Option adds to a collector what it does not need to run.
type Option func(*GC)

// WithCache makes every run also remove, from the scan pipeline's object
// store, layer skeletons whose layer blob the metadata no longer knows
// (collected, or never committed) and inventories no stored image names any
// more (the image was deleted), when they are older than the grace period
// (a scan writes an inventory moments before it records the image).
// Objects are caches: removing one too many costs a re-read, never a wrong
// result.
func WithCache(c Cache, images Images) Option {
	return func(g *GC) { g.cache, g.images = c, images }
}

// Prefixes and suffixes of the object names (see Cache).
const (
	skeletonDir, skeletonExt   = "layers", ".skeleton"
	inventoryDir, inventoryExt = "inventories", ".inventory"
)

// objectDigest parses "<dir>/<alg>/[<xx>/]<hex><ext>" into alg:hex.
func objectDigest(name, dir, ext string) (oci.Digest, bool) {
	rest, ok := strings.CutPrefix(name, dir+"/")
	if !ok {
		return "", false
	}
	alg, _, ok := strings.Cut(rest, "/")
	base, okExt := strings.CutSuffix(path.Base(rest), ext)
	if !ok || !okExt {
		return "", false
	}
	d, err := oci.ParseDigest(alg + ":" + base)
	if err != nil {
		return "", false
	}
	return d, true
}

// sweepCache removes cached objects nothing uses any more.
func (g *GC) sweepCache(ctx context.Context, olderThan time.Time, st *Stats) error {
	var dead []string
	err := g.cache.Walk(ctx, skeletonDir+"/", func(name string, mod time.Time) error {
		d, ok := objectDigest(name, skeletonDir, skeletonExt)
		if !ok || !mod.Before(olderThan) {
			return nil
		}
		known, err := g.meta.KnownBlob(ctx, d)
		if err == nil && !known {
			dead = append(dead, name)
		}
		return err
	})
	if err != nil {
		return err
	}
	err = g.cache.Walk(ctx, inventoryDir+"/", func(name string, mod time.Time) error {
		d, ok := objectDigest(name, inventoryDir, inventoryExt)
		if !ok || !mod.Before(olderThan) {
			return nil
		}
		ims, err := g.images.ListImages(ctx, store.ImageFilter{Digest: d, Limit: 1000})
		if err != nil {
			return err
		}
		for _, im := range ims {
			if im.Inventory == name {
				return nil
			}
		}
		dead = append(dead, name)
		return nil
	})
	if err != nil {
		return err
	}
	for _, name := range dead {
		if err := g.cache.Delete(ctx, name); err != nil {
			return err
		}
		st.CacheObjectsDeleted++
		g.logger.DebugContext(ctx, "cached object deleted", "object", name)
	}
	return nil
}
