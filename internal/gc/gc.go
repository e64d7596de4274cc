package gc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// NoGrace as Config.GracePeriod collects objects however young they are.
// Collection stays correct, but a push whose blobs were uploaded before the
// collector ran may fail with "blob unknown" and need a retry.
const NoGrace time.Duration = -1

// Defaults of [Config].
const (
	DefaultInterval    = time.Hour
	DefaultGracePeriod = time.Hour
	DefaultBatchSize   = 500
)

// Config configures a [GC]. Zero values pick the defaults.
type Config struct {
	// Interval between runs of [GC.Run]. Default 1h.
	Interval time.Duration
	// GracePeriod protects recently written objects: nothing that became
	// unreferenced less than GracePeriod ago is collected. Default 1h;
	// NoGrace for none.
	GracePeriod time.Duration
	// DeleteUntagged also removes manifests that no tag, index or live
	// subject keeps alive. Default false: untagged manifests stay (pushes by
	// digest are common and deliberate).
	DeleteUntagged bool
	// BatchSize bounds the objects handled per metadata transaction, so the
	// collector never holds the write lock for long. Default 500.
	BatchSize int
	// UploadTTL expires upload sessions started longer ago than this.
	// Default 0: uploads are not expired by the collector.
	UploadTTL time.Duration
}

func (c Config) withDefaults() (Config, error) {
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Interval < 0 {
		return c, fmt.Errorf("gc: config: negative Interval %s", c.Interval)
	}
	switch {
	case c.GracePeriod == 0:
		c.GracePeriod = DefaultGracePeriod
	case c.GracePeriod == NoGrace:
		c.GracePeriod = 0
	case c.GracePeriod < 0:
		return c, fmt.Errorf("gc: config: negative GracePeriod %s (use gc.NoGrace for none)", c.GracePeriod)
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.BatchSize < 0 {
		return c, fmt.Errorf("gc: config: negative BatchSize %d", c.BatchSize)
	}
	if c.UploadTTL < 0 {
		return c, fmt.Errorf("gc: config: negative UploadTTL %s", c.UploadTTL)
	}
	return c, nil
}

// Meta is the part of the metadata store the collector uses.
type Meta interface {
	store.Collector
	store.Uploads
}

// Blobs is the part of the blob store the collector uses.
type Blobs interface {
	Stat(ctx context.Context, d oci.Digest) (int64, error)
	Delete(ctx context.Context, d oci.Digest) error
	Walk(ctx context.Context, fn func(store.BlobInfo) error) error
	WalkUploads(ctx context.Context, fn func(id string, started time.Time) error) error
	ResumeUpload(ctx context.Context, id string) (store.Upload, error)
}

// Stats reports what one run removed.
type Stats struct {
	ManifestsDeleted int
	LinksPruned      int
	BlobsDeleted     int
	BytesFreed       int64 // of BlobsDeleted and OrphansDeleted
	OrphansDeleted   int   // stored files the metadata did not know
	UploadsExpired   int
	// CacheObjectsDeleted counts layer skeletons and inventories removed
	// (WithCache).
	CacheObjectsDeleted int
	Duration            time.Duration
}

// GC is the online garbage collector. Runs never overlap: a RunOnce waits
// for the one in progress.
type GC struct {
	cfg    Config
	meta   Meta
	blobs  Blobs
	logger *slog.Logger
	now    func() time.Time
	mu     sync.Mutex // one run at a time
	cache  Cache      // nil: no cache sweep (WithCache)
	images Images
}

// New returns a collector over meta and blobs (a [store.Meta] and a
// [store.Blobs] satisfy the interfaces), with options such as [WithCache].
func New(cfg Config, meta Meta, blobs Blobs, logger *slog.Logger, opts ...Option) (*GC, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if meta == nil || blobs == nil || logger == nil {
		return nil, errors.New("gc: New needs a metadata store, a blob store and a logger")
	}
	g := &GC{cfg: cfg, meta: meta, blobs: blobs, logger: logger, now: time.Now}
	for _, o := range opts {
		o(g)
	}
	if (g.cache == nil) != (g.images == nil) {
		return nil, errors.New("gc: WithCache needs a cache and an image lookup")
	}
	return g, nil
}

// Run calls RunOnce every interval (cfg.Interval when interval <= 0) until
// ctx is done. A failed run is logged and the next one happens as planned.
func (g *GC) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = g.cfg.Interval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if _, err := g.RunOnce(ctx); err != nil && ctx.Err() == nil {
				g.logger.ErrorContext(ctx, "garbage collection failed", "err", err)
			}
		}
	}
}

// RunOnce performs one full collection and reports what it removed. On error
// the stats count what was removed before it.
func (g *GC) RunOnce(ctx context.Context) (Stats, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	start := g.now()
	olderThan := start.Add(-g.cfg.GracePeriod)
	var st Stats
	steps := []struct {
		name string
		run  func(context.Context, time.Time, *Stats) error
		on   bool
	}{
		{"untagged manifests", g.pruneManifests, g.cfg.DeleteUntagged},
		{"blob links", g.pruneLinks, true},
		{"unreferenced blobs", g.deleteBlobs, true},
		{"orphan files", g.sweepOrphans, true},
		{"expired uploads", g.expireUploads, g.cfg.UploadTTL > 0},
		{"cache objects", g.sweepCache, g.cache != nil},
	}
	for _, s := range steps {
		if !s.on {
			continue
		}
		if err := s.run(ctx, olderThan, &st); err != nil {
			st.Duration = g.now().Sub(start)
			return st, fmt.Errorf("gc: %s: %w", s.name, err)
		}
	}
	st.Duration = g.now().Sub(start)
	g.logger.InfoContext(ctx, "garbage collection done",
		"manifests", st.ManifestsDeleted, "links", st.LinksPruned, "blobs", st.BlobsDeleted,
		"orphans", st.OrphansDeleted, "bytes_freed", st.BytesFreed, "uploads", st.UploadsExpired, "cache_objects", st.CacheObjectsDeleted,
		"duration", st.Duration)
	return st, nil
}

// repeat calls step until it handles fewer than a batch.
func (g *GC) repeat(ctx context.Context, step func() (int, error)) (int, error) {
	total := 0
	for {
		n, err := step()
		total += n
		if err != nil || n < g.cfg.BatchSize {
			return total, err
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

func (g *GC) pruneManifests(ctx context.Context, olderThan time.Time, st *Stats) error {
	n, err := g.repeat(ctx, func() (int, error) {
		return g.meta.PruneUntaggedManifests(ctx, olderThan, g.cfg.BatchSize)
	})
	st.ManifestsDeleted += n
	return err
}

func (g *GC) pruneLinks(ctx context.Context, olderThan time.Time, st *Stats) error {
	n, err := g.repeat(ctx, func() (int, error) {
		return g.meta.PruneBlobLinks(ctx, olderThan, g.cfg.BatchSize)
	})
	st.LinksPruned += n
	return err
}

// deleteBlob removes d's bytes if the metadata still finds it unreferenced,
// and reports the bytes freed.
func (g *GC) deleteBlob(ctx context.Context, d oci.Digest, olderThan time.Time) (bool, int64, error) {
	var size int64
	ok, err := g.meta.DeleteBlobIfUnreferenced(ctx, d, olderThan, func() error {
		n, err := g.blobs.Stat(ctx, d)
		switch {
		case errors.Is(err, store.ErrBlobUnknown):
			return nil // already gone: forget the record
		case err != nil:
			return err
		}
		size = n
		return g.blobs.Delete(ctx, d)
	})
	return ok, size, err
}

func (g *GC) deleteBlobs(ctx context.Context, olderThan time.Time, st *Stats) error {
	for {
		ds, err := g.meta.UnreferencedBlobs(ctx, olderThan, g.cfg.BatchSize)
		if err != nil {
			return err
		}
		deleted := 0
		for _, d := range ds {
			ok, size, err := g.deleteBlob(ctx, d, olderThan)
			if err != nil {
				return err
			}
			if ok {
				deleted++
				st.BlobsDeleted++
				st.BytesFreed += size
				g.logger.DebugContext(ctx, "blob deleted", "digest", d, "size", size)
			}
		}
		// Fewer than a batch: done. Nothing deleted from a full batch: every
		// one was re-linked meanwhile; the next run sees the rest.
		if len(ds) < g.cfg.BatchSize || deleted == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// sweepOrphans removes stored files older than the grace period whose digest
// the metadata does not know.
func (g *GC) sweepOrphans(ctx context.Context, olderThan time.Time, st *Stats) error {
	var orphans []oci.Digest
	err := g.blobs.Walk(ctx, func(b store.BlobInfo) error {
		if !b.ModTime.Before(olderThan) {
			return nil
		}
		known, err := g.meta.KnownBlob(ctx, b.Digest)
		if err != nil {
			return err
		}
		if !known {
			orphans = append(orphans, b.Digest)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, d := range orphans {
		// Re-checked under the lock: a CommitBlob in flight when Walk saw the
		// file has recorded and linked it by now, and it stays.
		ok, size, err := g.deleteBlob(ctx, d, olderThan)
		if err != nil {
			return err
		}
		if ok {
			st.OrphansDeleted++
			st.BytesFreed += size
			g.logger.InfoContext(ctx, "orphan blob file deleted", "digest", d, "size", size)
		}
	}
	return nil
}

// expireUploads cancels upload sessions started before now-UploadTTL, in the
// blob store (their bytes) and in the metadata.
func (g *GC) expireUploads(ctx context.Context, _ time.Time, st *Stats) error {
	before := g.now().Add(-g.cfg.UploadTTL)
	var ids []string
	err := g.blobs.WalkUploads(ctx, func(id string, started time.Time) error {
		if started.Before(before) {
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		u, err := g.blobs.ResumeUpload(ctx, id)
		if errors.Is(err, store.ErrUploadUnknown) {
			continue // finished meanwhile
		}
		if err != nil {
			return err
		}
		if err := u.Cancel(ctx); err != nil {
			return err
		}
		st.UploadsExpired++
	}
	for {
		ids, err := g.meta.ExpiredUploads(ctx, before, g.cfg.BatchSize)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := g.meta.DeleteUpload(ctx, id); err != nil {
				return err
			}
		}
		if len(ids) < g.cfg.BatchSize {
			return nil
		}
	}
}
