package pipeline

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/drydock/drydock/internal/scan/layer"
	"github.com/drydock/drydock/internal/scan/match"
)

// Config tunes the pipeline. Zero fields take the defaults noted.
type Config struct {
	// Workers is the number of images scanned at once. Default
	// GOMAXPROCS.
	Workers int
	// TimeBudget bounds the scan of one image (reading its layers,
	// matching). A scan over budget is retried like any failure and ends
	// failed when the attempts run out. Default 2m.
	TimeBudget time.Duration
	// MaxAttempts is how many times a job is tried before its images are
	// marked failed. Default 3.
	MaxAttempts int
	// Backoff is the delay before the first retry; each retry doubles it
	// up to MaxBackoff. Defaults 2s and 5m.
	Backoff, MaxBackoff time.Duration
	// Lease is how long a claimed job stays with its worker without a
	// renewal (renewed every Lease/3 while it runs): a crashed worker's
	// jobs are taken over after it. Default 30s.
	Lease time.Duration
	// Poll is how often idle workers look for jobs. Default 100ms.
	Poll time.Duration
	// WorkerName identifies this process's workers in job leases; a
	// process restarting under the same name takes its old jobs back at
	// once. Default the host name.
	WorkerName string
	// DefaultEnabled is the scanning plan of subscriptions and registries
	// that have none recorded. Default true (set DisabledByDefault).
	DisabledByDefault bool
	// PlanWindow: when scanning is switched on, images pushed or pulled
	// within this window are scanned. Default 30 days.
	PlanWindow time.Duration
	// Reevaluate is the period of the scheduled re-evaluation of every
	// stored image (release end-of-life dates and exemption expiries move
	// with time); 0 takes the default of 24h, negative disables it.
	Reevaluate time.Duration
	// ReevaluateBatch is how many images one re-evaluation step reads.
	// Default 500.
	ReevaluateBatch int
	// Limits bound the work one image may cause (see scan.Options.Limits).
	Limits layer.Config
	// GoScan is how closely Go binaries' findings are judged (see
	// match.GoScan); empty means match.GoScanSymbol. A change re-evaluates
	// every stored image at the next start.
	GoScan match.GoScan
	// AttachSBOM writes each scanned image's CycloneDX SBOM into its
	// repository as an OCI referrer of the image (Deps.Artifacts required).
	AttachSBOM bool
	// ToolVersion is drydock's version, written into attached SBOMs.
	ToolVersion string
}

func (c Config) withDefaults() (Config, error) {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"TimeBudget", c.TimeBudget}, {"Backoff", c.Backoff}, {"MaxBackoff", c.MaxBackoff}, {"Lease", c.Lease},
		{"Poll", c.Poll}, {"PlanWindow", c.PlanWindow}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s is negative", d.name))
		}
	}
	if c.Workers < 0 || c.MaxAttempts < 0 || c.ReevaluateBatch < 0 {
		errs = append(errs, errors.New("Workers, MaxAttempts and ReevaluateBatch must not be negative"))
	}
	if err := c.Limits.Validate(); err != nil {
		errs = append(errs, err)
	}
	if g, err := match.ParseGoScan(string(c.GoScan)); err != nil {
		errs = append(errs, err)
	} else {
		c.GoScan = g
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("pipeline: config: %w", errors.Join(errs...))
	}
	set := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 3
	}
	if c.ReevaluateBatch == 0 {
		c.ReevaluateBatch = 500
	}
	set(&c.TimeBudget, 2*time.Minute)
	set(&c.Backoff, 2*time.Second)
	set(&c.MaxBackoff, 5*time.Minute)
	set(&c.Lease, 30*time.Second)
	set(&c.Poll, 100*time.Millisecond)
	set(&c.PlanWindow, 30*24*time.Hour)
	set(&c.Reevaluate, 24*time.Hour)
	if c.WorkerName == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "drydock"
		}
		c.WorkerName = h
	}
	return c, nil
}

// backoff returns the delay before retry number attempt (1-based).
func (c Config) backoff(attempt int) time.Duration {
	d := c.Backoff
	for i := 1; i < attempt && d < c.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, c.MaxBackoff)
}
