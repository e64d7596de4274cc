package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/scan"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/source"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/vulndb"
)

// reevaluateLoop re-matches stored images whenever the advisory database
// changes or images are marked stale (an exemption changed), and on a
// schedule. A pass works through the images whose recorded database
// version differs from the current one, so a pass interrupted by a crash
// resumes where it stopped.
func (p *Pipeline) reevaluateLoop(ctx context.Context) {
	var tick <-chan time.Time
	if p.cfg.Reevaluate > 0 {
		t := time.NewTicker(p.cfg.Reevaluate)
		defer t.Stop()
		tick = t.C
	}
	p.kick() // whatever changed while the server was down
	// Exemptions expire: their findings count again from then on. After
	// every wake-up the expired rules' subscriptions are marked stale and
	// the timer set to the next expiry.
	expiry := time.NewTimer(time.Hour)
	defer expiry.Stop()
	checked := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			if _, err := p.d.Results.MarkStale(ctx, ""); err != nil {
				p.log.WarnContext(ctx, "scheduled re-evaluation", "err", err)
				continue
			}
		case <-expiry.C:
		case <-p.reeval:
		}
		if p.d.Exemptions != nil {
			now := p.now()
			next, err := p.d.Exemptions.ExpireExemptions(ctx, checked, now)
			wait := time.Hour // rules created by other processes are seen within the hour
			if err != nil {
				p.log.WarnContext(ctx, "exemption expiry", "err", err)
				wait = time.Minute
			} else {
				if !checked.IsZero() && p.rules != nil {
					p.rules.mu.Lock()
					clear(p.rules.cache)
					p.rules.mu.Unlock()
				}
				checked = now
				if !next.IsZero() {
					wait = min(wait, next.Sub(now)+time.Millisecond)
				}
			}
			expiry.Reset(wait)
		}
		if err := p.Reevaluate(ctx); err != nil && ctx.Err() == nil {
			p.log.WarnContext(ctx, "re-evaluation", "err", err)
		}
	}
}

// Reevaluate brings every stored image to the current advisory database
// (and exemptions): each image's stored inventory is matched again,
// without reading layers; images whose findings or status changed are
// written with their differences and events, the others only get the new
// database version. It returns when no image is left to do.
func (p *Pipeline) Reevaluate(ctx context.Context) error {
	db, version := p.currentDB()
	if db == nil {
		return nil // pending images wait for a database
	}
	start := p.now()
	p.setState(func(s *ReevalState) {
		*s = ReevalState{DBVersion: version, Running: true, StartedAt: start}
	})
	defer p.setState(func(s *ReevalState) { s.Running, s.EndedAt = false, p.now() })
	var after int64
	for {
		targets, err := p.d.Results.DueEvaluations(ctx, version, after, p.cfg.ReevaluateBatch)
		if err != nil {
			return err
		}
		if len(targets) == 0 {
			break
		}
		after = targets[len(targets)-1].ImageID
		if err := p.reevaluateBatch(ctx, db, version, targets); err != nil {
			return err
		}
	}
	st := p.ReevalState()
	if st.Evaluated > 0 {
		p.log.InfoContext(ctx, "stored images re-evaluated", "db_version", version, "images", st.Evaluated,
			"changed", st.Changed, "duration", p.now().Sub(start).Round(time.Millisecond))
	}
	return nil
}

func (p *Pipeline) setState(f func(*ReevalState)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.state)
}

// saveBatch is how many changed evaluations one transaction writes.
const saveBatch = 100

// reevaluateBatch re-matches one batch on all workers; changed images are
// saved one by one, unchanged ones touched in one write.
func (p *Pipeline) reevaluateBatch(ctx context.Context, db *vulndb.DB, version string, targets []store.EvalTarget) error {
	at := p.now().UTC()
	type result struct {
		ev       store.Evaluation
		changed  bool
		lost     bool
		outdated bool // other extractors made the inventory: scan again
		err      error
	}
	results := make([]result, len(targets))
	var wg sync.WaitGroup
	next := make(chan int)
	for range p.cfg.Workers {
		wg.Go(func() {
			for i := range next {
				t := targets[i]
				r, outdated, err := p.rematch(ctx, db, t, at)
				switch {
				case errors.Is(err, errInventoryLost):
					results[i] = result{lost: true}
				case err != nil:
					results[i] = result{err: err}
				default:
					// An outdated inventory is matched all the same: its
					// findings stay current until the new scan replaces it.
					ev := evaluation(t.Ref, r, t.Inventory)
					ev.Base = t.ScannedAt
					results[i] = result{ev: ev, changed: ev.Fingerprint != t.Fingerprint, outdated: outdated}
				}
			}
		})
	}
	for i := range targets {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	var unchanged []int64
	var changedEvs []store.Evaluation
	changed := 0
	outdated := 0
	for i, r := range results {
		t := targets[i]
		if r.outdated {
			// Other extractors (an older drydock) made the inventory:
			// scan the image again, after the work users asked for.
			outdated++
			if err := p.scanAgain(ctx, t, store.PriorityBulk); err != nil {
				return err
			}
		}
		switch {
		case r.err != nil:
			return fmt.Errorf("pipeline: re-evaluate %s@%s: %w", t.Repository, t.Ref.Digest, r.err)
		case r.lost:
			// The inventory is gone: scan the image again.
			p.m.reevaluated.WithLabelValues("lost").Inc()
			p.log.WarnContext(ctx, "stored inventory lost; rescanning", "repo", t.Repository, "digest", t.Ref.Digest)
			if err := p.scanAgain(ctx, t, store.PriorityRescan); err != nil {
				return err
			}
			unchanged = append(unchanged, t.ImageID)
		case r.changed:
			changed++
			changedEvs = append(changedEvs, r.ev)
		default:
			unchanged = append(unchanged, t.ImageID)
		}
	}
	// Changed images are written in transactions of saveBatch: one per
	// image would make a database update that touches the whole fleet cost
	// a commit per image.
	for len(changedEvs) > 0 {
		n := min(len(changedEvs), saveBatch)
		if _, err := p.d.Results.SaveEvaluations(ctx, changedEvs[:n]); err != nil {
			return err
		}
		changedEvs = changedEvs[n:]
	}
	if err := p.d.Results.TouchEvaluations(ctx, unchanged, version, at); err != nil {
		return err
	}
	p.m.reevaluated.WithLabelValues("changed").Add(float64(changed))
	p.m.reevaluated.WithLabelValues("unchanged").Add(float64(len(unchanged)))
	p.m.reevaluated.WithLabelValues("outdated").Add(float64(outdated))
	p.setState(func(s *ReevalState) { s.Evaluated += len(targets); s.Changed += changed })
	return nil
}

// scanAgain queues a scan of a stored image at priority.
func (p *Pipeline) scanAgain(ctx context.Context, t store.EvalTarget, priority int) error {
	_, err := p.d.Queue.EnqueueScans(ctx, store.ScanScope{SubscriptionID: t.SubscriptionID, Repository: t.Repository,
		Digest: t.Ref.Digest}, store.ReasonRescan, priority)
	return err
}

// rematch matches a stored image's inventory against db, with the
// exemptions that apply to it now. outdated reports an inventory made by
// other extractors than the pipeline's.
func (p *Pipeline) rematch(ctx context.Context, db *vulndb.DB, t store.EvalTarget, at time.Time) (r *finding.Report, outdated bool, err error) {
	li, err := getInventory(ctx, p.d.Objects, t.Inventory)
	if err != nil {
		return nil, false, err
	}
	r, err = p.reportFrom(ctx, db, t.SubscriptionID, t.Registry, t.Repository, t.Ref, li.inv, li.failure, at)
	return r, !slices.Equal(li.extractors, p.extractors), err
}

// reportFrom builds the report of a stored image from its inventory, as
// scan.ScanImage builds it from the layers: failure, when set, is why the
// scan that took the inventory failed (see storedInventory.Failure), and
// the report fails with it, listing the packages found.
func (p *Pipeline) reportFrom(ctx context.Context, db *vulndb.DB, sub, registry, repo string, ref store.ImageRef,
	inv *extract.Inventory, failure string, at time.Time) (*finding.Report, error) {
	exs, err := p.exemptersFor(ctx, ImageScope{SubscriptionID: sub, Registry: registry, Repository: repo, Digest: ref.Digest,
		Parent: ref.ParentDigest})
	if err != nil {
		return nil, err
	}
	var invErr error
	log := p.log
	if failure != "" {
		// The scan logged the failure; each report of it would again.
		invErr, log = errors.New(failure), slog.New(slog.DiscardHandler)
	}
	im := &source.Image{Repository: repo, Digest: ref.Digest, Platform: ref.Platform}
	return scan.ScanImage(ctx, im, scan.Options{
		DB: db, Extractors: p.d.Extractors, GoScan: p.cfg.GoScan, Exempters: exs, Logger: log, Now: func() time.Time { return at },
		Inventory: func(context.Context, *source.Image, func(context.Context) (*extract.Inventory, error)) (*extract.Inventory, error) {
			return inv, invErr
		},
	})
}
