package registry

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// pullRecorder batches manifest pulls in memory (the latest time per
// repository and digest) until FlushPulls writes them in one store call, so
// a pull costs no write of its own.
type pullRecorder struct {
	mu      sync.Mutex
	pending map[pullKey]time.Time
}

type pullKey struct {
	repo   int64
	digest oci.Digest
}

func newPullRecorder() *pullRecorder { return &pullRecorder{pending: map[pullKey]time.Time{}} }

func (p *pullRecorder) record(repo int64, d oci.Digest, at time.Time) {
	p.mu.Lock()
	k := pullKey{repo, d}
	if at.After(p.pending[k]) {
		p.pending[k] = at
	}
	p.mu.Unlock()
}

// take removes and returns the pending pulls.
func (p *pullRecorder) take() []store.Pull {
	p.mu.Lock()
	pending := p.pending
	p.pending = map[pullKey]time.Time{}
	p.mu.Unlock()
	out := make([]store.Pull, 0, len(pending))
	for k, at := range pending {
		out = append(out, store.Pull{RepositoryID: k.repo, Digest: k.digest, At: at})
	}
	return out
}

// restore puts pulls back after a failed flush, up to pullBufferLimit.
func (p *pullRecorder) restore(pulls []store.Pull) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pl := range pulls {
		if len(p.pending) >= pullBufferLimit {
			return
		}
		k := pullKey{pl.RepositoryID, pl.Digest}
		if pl.At.After(p.pending[k]) {
			p.pending[k] = pl.At
		}
	}
}

// FlushPulls writes the manifest pulls recorded since the last flush
// (lastPulledAt) in one Meta.RecordPulls call. On failure the pulls are kept
// for the next flush. Run calls it every PullFlushInterval and on exit.
func (g *Registry) FlushPulls(ctx context.Context) error {
	pulls := g.pulls.take()
	if len(pulls) == 0 {
		return nil
	}
	if err := g.meta.RecordPulls(ctx, pulls); err != nil {
		g.pulls.restore(pulls)
		return fmt.Errorf("registry: record %d pulls: %w", len(pulls), err)
	}
	g.metrics.pulls.Add(float64(len(pulls)))
	return nil
}
