package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/pipeline/layercache"
	"github.com/drydock/drydock/internal/pipeline/objects"
	"github.com/drydock/drydock/internal/scan"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/extract/list"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/vulndb"
)

// Advisories gives the advisory database to match against: the current
// version, or nil while none is loaded. The server's database watcher (or
// live service) implements it and calls [Pipeline.DBChanged] when a new
// version is in place.
type Advisories interface {
	DB() *vulndb.DB
}

// Manifests reads stored manifests (store.Manifests implements it).
type Manifests interface {
	GetManifest(ctx context.Context, repoID int64, ref string) (store.ManifestRecord, error)
}

// Exempters returns the exemption rules that apply to an image, as scan
// exempters. Optional.
type Exempters interface {
	ExemptersFor(ctx context.Context, img ImageScope) ([]scan.Exempter, error)
}

// ImageScope is what exemption scopes match on.
type ImageScope struct {
	SubscriptionID string
	Registry       string
	Repository     string
	Digest         oci.Digest
	// Parent is the index the image is a platform of, if any.
	Parent oci.Digest
}

// Deps are what the pipeline works with.
type Deps struct {
	Queue      store.ScanQueue
	Results    store.ScanResults
	Manifests  Manifests
	Blobs      store.Blobs
	Objects    objects.Store
	Advisories Advisories
	// Exemptions, when set, are the exemption rules applied to every
	// evaluation (Exempters, when set, replaces them).
	Exemptions store.Exemptions
	// Exempters is optional.
	Exempters Exempters
	// Plans, when set, lets SetPlan switch scanning.
	Plans store.Plans
	// Artifacts writes the SBOM referrers of Config.AttachSBOM.
	Artifacts ArtifactStore
	// Extractors default to list.All().
	Extractors []extract.Extractor
	Logger     *slog.Logger
	// Metrics, when set, receives the pipeline's metrics.
	Metrics *prometheus.Registry
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Pipeline runs the scan workers and the re-evaluations.
type Pipeline struct {
	cfg   Config
	d     Deps
	cache *layercache.Cache
	log   *slog.Logger
	now   func() time.Time
	m     *metrics

	rules      *rules
	extractors []string      // extractorKeys of d.Extractors
	reeval     chan struct{} // a re-evaluation is wanted
	mu         sync.Mutex
	state      ReevalState
}

// ReevalState describes the re-evaluation work.
type ReevalState struct {
	// DBVersion is the advisory database version results are being brought
	// to ("" while none is loaded).
	DBVersion string
	// Running is true while a pass runs; Evaluated and Changed count the
	// images of the current (or last) pass.
	Running            bool
	Evaluated, Changed int
	StartedAt, EndedAt time.Time
}

// New checks deps and returns a pipeline; Run starts it.
func New(cfg Config, d Deps) (*Pipeline, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if d.Queue == nil || d.Results == nil || d.Manifests == nil || d.Blobs == nil || d.Objects == nil ||
		d.Advisories == nil || d.Logger == nil {
		return nil, errors.New("pipeline: Queue, Results, Manifests, Blobs, Objects, Advisories and Logger are required")
	}
	if cfg.AttachSBOM && d.Artifacts == nil {
		return nil, errors.New("pipeline: AttachSBOM needs Artifacts")
	}
	if d.Extractors == nil {
		d.Extractors = list.All()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	cache, err := layercache.New(layercache.Config{Limits: cfg.Limits}, d.Objects, d.Extractors, d.Logger)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	p := &Pipeline{cfg: cfg, d: d, cache: cache, log: d.Logger, now: d.Now, reeval: make(chan struct{}, 1),
		extractors: extractorKeys(d.Extractors)}
	if d.Exemptions != nil {
		p.rules = &rules{store: d.Exemptions, now: d.Now, cache: map[string]cachedRules{}}
		if d.Exempters == nil {
			p.d.Exempters = p.rules
		}
	}
	p.m, err = newMetrics(d.Metrics, cache)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Config returns the configuration in effect (defaults applied).
func (p *Pipeline) Config() Config { return p.cfg }

// CacheStats returns the layer cache's counters.
func (p *Pipeline) CacheStats() layercache.Stats { return p.cache.Stats() }

// DBChanged asks for the re-evaluation of stored images against the
// current advisory database. It never blocks; call it from the database
// watcher's swap callback.
func (p *Pipeline) DBChanged() { p.kick() }

func (p *Pipeline) kick() {
	select {
	case p.reeval <- struct{}{}:
	default:
	}
}

// Run takes back the jobs this worker name held before a crash, then runs
// the workers, the lease keeper and the re-evaluation loop until ctx ends.
func (p *Pipeline) Run(ctx context.Context) error {
	if n, err := p.d.Queue.RequeueScanJobs(ctx, p.cfg.WorkerName); err != nil {
		p.log.WarnContext(ctx, "requeue scan jobs", "err", err)
	} else if n > 0 {
		p.log.InfoContext(ctx, "scan jobs taken back after a restart", "jobs", n, "worker", p.cfg.WorkerName)
	}
	p.checkScanConfig(ctx)
	p.waitForDB(ctx)
	p.log.InfoContext(ctx, "scan pipeline started", "workers", p.cfg.Workers, "worker", p.cfg.WorkerName,
		"time_budget", p.cfg.TimeBudget, "max_attempts", p.cfg.MaxAttempts)
	var wg sync.WaitGroup
	for i := range p.cfg.Workers {
		name := fmt.Sprintf("%s/%d", p.cfg.WorkerName, i)
		wg.Go(func() { p.work(ctx, name) })
	}
	wg.Go(func() { p.keepLeases(ctx) })
	wg.Go(func() { p.reevaluateLoop(ctx) })
	wg.Wait()
	return nil
}

// startupWait is how long workers wait for the advisory database at
// start: the database service loads an existing one in milliseconds, and
// a scan a moment earlier would be recorded pending (and re-matched, with
// finding.new events, right after). Without any database the workers start
// after it anyway.
const startupWait = 3 * time.Second

func (p *Pipeline) waitForDB(ctx context.Context) {
	deadline := time.Now().Add(startupWait)
	for p.d.Advisories.DB() == nil && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// keepLeases re-queues the jobs of workers whose leases ran out.
func (p *Pipeline) keepLeases(ctx context.Context) {
	t := time.NewTicker(p.cfg.Lease / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := p.d.Queue.RequeueScanJobs(ctx, ""); err != nil {
				if ctx.Err() == nil {
					p.log.WarnContext(ctx, "requeue expired scan jobs", "err", err)
				}
			} else if n > 0 {
				p.log.InfoContext(ctx, "expired scan job leases requeued", "jobs", n)
			}
		}
	}
}

// currentDB returns the database to match against and its version.
func (p *Pipeline) currentDB() (*vulndb.DB, string) {
	db := p.d.Advisories.DB()
	if db == nil {
		return nil, ""
	}
	return db, db.Version()
}

// ReevalState returns the re-evaluation state.
func (p *Pipeline) ReevalState() ReevalState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}
