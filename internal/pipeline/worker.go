package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/scan"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/layer"
	"github.com/drydock/drydock/internal/scan/source"
	"github.com/drydock/drydock/internal/store"
)

// work is one worker: it claims due jobs and scans them until ctx ends.
// Idle, it polls with a read (HasDueScanJobs) so that it takes the
// metadata write lock only when there is something to claim.
func (p *Pipeline) work(ctx context.Context, name string) {
	t := time.NewTicker(p.cfg.Poll)
	defer t.Stop()
	for {
		for ctx.Err() == nil {
			due, err := p.d.Queue.HasDueScanJobs(ctx)
			if err != nil || !due {
				if err != nil && ctx.Err() == nil {
					p.log.WarnContext(ctx, "poll scan jobs", "err", err)
				}
				break
			}
			job, ok, err := p.d.Queue.ClaimScanJob(ctx, name, p.cfg.Lease, !p.cfg.DisabledByDefault)
			if err != nil {
				if ctx.Err() == nil {
					p.log.WarnContext(ctx, "claim scan job", "err", err)
				}
				break
			}
			if !ok {
				break
			}
			p.runJob(ctx, name, job)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// runJob scans a claimed job, renewing its lease meanwhile, and settles it.
func (p *Pipeline) runJob(ctx context.Context, worker string, job store.ClaimedJob) {
	log := p.log.With("job", job.ID, "repo", job.Repository, "digest", job.Digest, "attempt", job.Attempts)
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(p.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-jctx.Done():
				return
			case <-t.C:
				if err := p.d.Queue.ExtendScanLease(jctx, job.ID, worker, p.cfg.Lease); err != nil {
					if jctx.Err() == nil {
						log.WarnContext(jctx, "scan job lease lost", "err", err)
						cancel() // another worker has it now
					}
					return
				}
			}
		}
	}()
	start := p.now()
	state, note, err := p.scanJob(jctx, job)
	cancel()
	<-done
	if ctx.Err() != nil {
		return // shutting down: the lease runs out or the restart takes the job back
	}
	if err != nil {
		if job.Attempts < p.cfg.MaxAttempts {
			delay := p.cfg.backoff(job.Attempts)
			log.WarnContext(ctx, "scan failed; will retry", "err", err, "in", delay)
			p.m.jobs.WithLabelValues("retry").Inc()
			if rerr := p.d.Queue.RetryScanJob(ctx, job.ID, worker, p.now().Add(delay), err.Error()); rerr != nil {
				log.WarnContext(ctx, "requeue scan job", "err", rerr)
			}
			return
		}
		log.WarnContext(ctx, "scan failed; no attempts left", "err", err)
		state, note = store.JobFailed, err.Error()
		p.failImages(ctx, job, fmt.Sprintf("scan did not complete after %d attempts: %v", job.Attempts, err), log)
	}
	p.m.jobs.WithLabelValues(state).Inc()
	p.m.jobSeconds.Observe(p.now().Sub(start).Seconds())
	if err := p.d.Queue.FinishScanJob(ctx, job.ID, worker, state, note); err != nil {
		log.WarnContext(ctx, "finish scan job", "err", err)
	}
}

// repoManifests adapts Manifests to source.ManifestGetter for one
// repository.
type repoManifests struct {
	m    Manifests
	repo int64
}

func (r repoManifests) Manifest(ctx context.Context, d oci.Digest) ([]byte, string, error) {
	rec, err := r.m.GetManifest(ctx, r.repo, string(d))
	if err != nil {
		return nil, "", err
	}
	return rec.Content, rec.MediaType, nil
}

// scanJob scans the images of a job. It returns the final job state and
// note, or an error for a failure worth a retry (the blob store or the
// metadata store failed, the time budget ran out).
func (p *Pipeline) scanJob(ctx context.Context, job store.ClaimedJob) (state, note string, err error) {
	switch {
	case job.RegistryType != store.RegistryTypeStandard:
		return store.JobSkipped, fmt.Sprintf("registry %s is of type %s, which is not scanned", job.Registry, job.RegistryType), nil
	case !job.ScanningEnabled:
		return store.JobSkipped, "scanning is off for registry " + job.Registry, nil
	}
	src, err := source.NewStored(p.d.Blobs, repoManifests{p.d.Manifests, job.RepositoryID}, job.Repository, job.Digest, source.Options{})
	if err != nil {
		return "", "", err
	}
	defer src.Close()
	images, err := src.Images(ctx)
	switch {
	case errors.Is(err, source.ErrNotFound) && errors.Is(err, store.ErrManifestUnknown):
		return store.JobDone, "manifest deleted before it was scanned", nil
	case errors.Is(err, source.ErrInvalid) || errors.Is(err, source.ErrNotFound):
		// A malformed manifest, or an index that holds no image: a failed
		// result, not a retry.
		ref := store.ImageRef{RepositoryID: job.RepositoryID, Digest: job.Digest}
		r := &finding.Report{Image: finding.Image{Repository: job.Repository, Digest: string(job.Digest)},
			Status: finding.StatusFailed, Reason: err.Error(), ScannedAt: p.now().UTC()}
		return p.saveScan(ctx, job, ref, r, nil)
	case err != nil:
		return "", "", err
	}
	for _, im := range images {
		ref := store.ImageRef{RepositoryID: job.RepositoryID, Digest: im.Digest, Platform: im.Platform}
		if im.Digest != job.Digest {
			ref.ParentDigest = job.Digest
		}
		if job.Reason == store.ReasonPush || job.Reason == store.ReasonPlan {
			// A platform of an index pushed after its children (each child's
			// own job scanned it), or an image scanned before scanning was
			// switched off and on again.
			// A child whose own job is still queued or running is left to
			// it. That is asked first: a job saves its result, then ends,
			// so a child job that ends between the two questions has its
			// result seen by the second (asked the other way round, the
			// child was scanned twice, with two scan.completed events).
			done := false
			var err error
			if im.Digest != job.Digest {
				if done, err = p.d.Queue.PendingScanJob(ctx, job.RepositoryID, im.Digest); err != nil {
					return "", "", err
				}
			}
			if !done {
				if done, err = p.d.Results.ImageEvaluated(ctx, job.RepositoryID, im.Digest); err != nil {
					return "", "", err
				}
			}
			if done {
				continue
			}
		}
		if err := p.d.Results.MarkScanning(ctx, ref, p.now()); err != nil {
			return "", "", err
		}
		r, inv, err := p.scanImage(ctx, job, im)
		if err != nil {
			return "", "", err
		}
		if _, _, err := p.saveScan(ctx, job, ref, r, inv); err != nil {
			return "", "", err
		}
		if p.cfg.AttachSBOM && inv != nil && r.Status != finding.StatusFailed {
			// The scan is recorded: a failed attach is logged, not retried
			// (the next scan of the image tries again).
			if err := p.attachSBOM(ctx, job, ref, r, inv); err != nil {
				p.log.WarnContext(ctx, "attach SBOM", "repo", job.Repository, "digest", im.Digest, "err", err)
			}
		}
	}
	return store.JobDone, "", nil
}

// scanImage scans one image within the time budget and returns its
// report and the inventory taken (nil when none: notApplicable, failed).
func (p *Pipeline) scanImage(ctx context.Context, job store.ClaimedJob, im *source.Image) (*finding.Report, *extract.Inventory, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.TimeBudget)
	defer cancel()
	db, _ := p.currentDB()
	scope := ImageScope{SubscriptionID: job.SubscriptionID, Registry: job.Registry, Repository: job.Repository, Digest: im.Digest}
	if im.Digest != job.Digest {
		scope.Parent = job.Digest
	}
	exs, err := p.exemptersFor(ctx, scope)
	if err != nil {
		return nil, nil, err
	}
	var taken *extract.Inventory
	partial := false
	start := p.now()
	r, err := scan.ScanImage(ctx, im, scan.Options{
		DB: db, Extractors: p.d.Extractors, Limits: p.cfg.Limits, GoScan: p.cfg.GoScan, Exempters: exs, Logger: p.log, Now: p.now,
		Inventory: func(ctx context.Context, im *source.Image, read func(context.Context) (*extract.Inventory, error)) (*extract.Inventory, error) {
			inv, err := p.cache.Inventory(ctx, im, read)
			switch {
			case err == nil:
				taken = inv
			case inv != nil && keepPartial(err):
				// The report fails and lists what the other extractors
				// found: the stored inventory keeps it for the image's
				// report (see storedInventory.Failure).
				taken, partial = inv, true
			}
			return inv, err
		},
	})
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return nil, nil, fmt.Errorf("time budget of %s exceeded: %w", p.cfg.TimeBudget, err)
		}
		return nil, nil, err
	}
	p.m.imageSeconds.Observe(p.now().Sub(start).Seconds())
	if r.Status == finding.StatusNotApplicable || (r.Status == finding.StatusFailed && !partial) {
		taken = nil
	}
	return r, taken, nil
}

// keepPartial reports whether the inventory a failed read returned with
// err is worth keeping: what the image holds (an extractor could not read
// a file), not where a clock stopped the read.
func keepPartial(err error) bool {
	var le *layer.LimitError
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) &&
		!(errors.As(err, &le) && le.Limit == layer.LimitTime)
}

// saveScan stores the inventory (when one was taken) and the evaluation.
func (p *Pipeline) saveScan(ctx context.Context, job store.ClaimedJob, ref store.ImageRef, r *finding.Report, inv *extract.Inventory) (string, string, error) {
	name := ""
	if inv != nil {
		var err error
		failure := ""
		if r.Status == finding.StatusFailed {
			failure = r.Reason
		}
		if name, err = putInventory(ctx, p.d.Objects, ref.Digest, inv, p.extractors, failure); err != nil {
			return "", "", err
		}
	}
	ev := evaluation(ref, r, name)
	ev.Scan, ev.Attempts = true, job.Attempts
	res, err := p.d.Results.SaveEvaluation(ctx, ev)
	if errors.Is(err, store.ErrManifestUnknown) {
		return store.JobDone, "manifest deleted while it was scanned", nil
	}
	if err != nil {
		return "", "", err
	}
	p.m.images.WithLabelValues(ev.Status).Inc()
	if res.AssessmentChanged {
		p.log.InfoContext(ctx, "registry assessment changed", "registry", job.Registry, "assessment", res.Assessment)
	}
	return store.JobDone, "", nil
}

// failImages records a failed result for the images of a job that ran out
// of attempts (the root manifest when its images cannot be resolved).
func (p *Pipeline) failImages(ctx context.Context, job store.ClaimedJob, reason string, log *slog.Logger) {
	refs := []store.ImageRef{{RepositoryID: job.RepositoryID, Digest: job.Digest}}
	src, err := source.NewStored(p.d.Blobs, repoManifests{p.d.Manifests, job.RepositoryID}, job.Repository, job.Digest, source.Options{})
	if err == nil {
		if ims, err := src.Images(ctx); err == nil && len(ims) > 0 {
			refs = refs[:0]
			for _, im := range ims {
				ref := store.ImageRef{RepositoryID: job.RepositoryID, Digest: im.Digest, Platform: im.Platform}
				if im.Digest != job.Digest {
					ref.ParentDigest = job.Digest
				}
				refs = append(refs, ref)
			}
		}
	}
	for _, ref := range refs {
		r := &finding.Report{Image: finding.Image{Repository: job.Repository, Digest: string(ref.Digest), Platform: ref.Platform},
			Status: finding.StatusFailed, Reason: reason, ScannedAt: p.now().UTC()}
		if db, _ := p.currentDB(); db != nil {
			r.DB.Version = db.Version()
		}
		if _, _, err := p.saveScan(ctx, job, ref, r, nil); err != nil {
			log.WarnContext(ctx, "record failed scan", "digest", ref.Digest, "err", err)
		}
	}
}

func (p *Pipeline) exemptersFor(ctx context.Context, sc ImageScope) ([]scan.Exempter, error) {
	if p.d.Exempters == nil {
		return nil, nil
	}
	return p.d.Exempters.ExemptersFor(ctx, sc)
}
