package registry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/drydock/drydock/internal/store"
)

// Run performs the registry's background work until ctx is done: it flushes
// recorded manifest pulls every PullFlushInterval and removes expired upload
// sessions every SweepInterval (and once at start). On exit it flushes the
// last pulls with a short grace period and returns nil; failures along the
// way are logged and retried on the next tick.
func (g *Registry) Run(ctx context.Context) error {
	flush := time.NewTicker(g.cfg.PullFlushInterval)
	defer flush.Stop()
	sweep := time.NewTicker(g.cfg.SweepInterval)
	defer sweep.Stop()
	g.sweepAndLog(ctx)
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalFlushTimeout)
			defer cancel()
			if err := g.FlushPulls(fctx); err != nil {
				g.log.ErrorContext(fctx, "final pull flush failed", "err", err)
			}
			return nil
		case <-flush.C:
			if err := g.FlushPulls(ctx); err != nil && ctx.Err() == nil {
				g.log.WarnContext(ctx, "pull flush failed", "err", err)
			}
		case <-sweep.C:
			g.sweepAndLog(ctx)
		}
	}
}

func (g *Registry) sweepAndLog(ctx context.Context) {
	n, err := g.SweepUploads(ctx, g.now())
	switch {
	case err != nil && ctx.Err() == nil:
		g.log.WarnContext(ctx, "upload sweep failed", "removed", n, "err", err)
	case n > 0:
		g.log.InfoContext(ctx, "expired uploads removed", "removed", n)
	}
}

// SweepUploads removes upload sessions started more than UploadExpiry before
// now: those recorded in the metadata store (Meta.ExpiredUploads) and those
// only the blob store knows (Blobs.WalkUploads: monolithic uploads cut off by
// a crash, sessions whose record is gone). It returns how many sessions it
// removed.
func (g *Registry) SweepUploads(ctx context.Context, now time.Time) (int, error) {
	cutoff := now.Add(-g.cfg.UploadExpiry)
	removed := 0
	seen := map[string]bool{}
	for {
		ids, err := g.meta.ExpiredUploads(ctx, cutoff, uploadSweepBatch)
		if err != nil {
			return removed, fmt.Errorf("registry: sweep uploads: %w", err)
		}
		progress := false
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			progress = true
			if err := g.discardUpload(ctx, id); err != nil {
				return removed, fmt.Errorf("registry: sweep upload %s: %w", id, err)
			}
			if err := g.meta.DeleteUpload(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
				return removed, fmt.Errorf("registry: sweep upload %s: %w", id, err)
			}
			removed++
		}
		if len(ids) < uploadSweepBatch || !progress {
			break
		}
	}
	var stale []string
	err := g.blobs.WalkUploads(ctx, func(id string, started time.Time) error {
		if started.Before(cutoff) && !seen[id] {
			stale = append(stale, id)
		}
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("registry: sweep uploads: walk: %w", err)
	}
	for _, id := range stale {
		if err := g.discardUpload(ctx, id); err != nil {
			return removed, fmt.Errorf("registry: sweep upload %s: %w", id, err)
		}
		if err := g.meta.DeleteUpload(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			return removed, fmt.Errorf("registry: sweep upload %s: %w", id, err)
		}
		removed++
	}
	g.metrics.swept.Add(float64(removed))
	return removed, nil
}

// discardUpload cancels the bytes of session id, if the blob store has any.
func (g *Registry) discardUpload(ctx context.Context, id string) error {
	unlock := g.locks.lock(id)
	defer unlock()
	up, err := g.blobs.ResumeUpload(ctx, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	return up.Cancel(ctx)
}
