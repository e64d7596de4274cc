package pipeline

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/drydock/drydock/internal/pipeline/layercache"
)

// metrics are the pipeline's Prometheus metrics.
type metrics struct {
	jobs         *prometheus.CounterVec
	images       *prometheus.CounterVec
	jobSeconds   prometheus.Histogram
	imageSeconds prometheus.Histogram
	reevaluated  *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry, cache *layercache.Cache) (*metrics, error) {
	m := &metrics{
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "drydock_scan_jobs_total", Help: "Scan jobs settled, by outcome (done, failed, skipped, retry).",
		}, []string{"outcome"}),
		images: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "drydock_scan_images_total", Help: "Images scanned, by resulting status.",
		}, []string{"status"}),
		jobSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "drydock_scan_job_duration_seconds", Help: "Time from claiming a scan job to settling it.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
		imageSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "drydock_scan_image_duration_seconds", Help: "Time to scan one image (inventory and matching).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		reevaluated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "drydock_reevaluations_total", Help: "Stored images re-matched, by outcome (unchanged, changed, lost; outdated: also queued for a new scan, their inventories made by other extractors).",
		}, []string{"outcome"}),
	}
	if reg == nil {
		return m, nil
	}
	cacheStat := func(name, help string, get func(layercache.Stats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(get(cache.Stats())) })
	}
	for _, c := range []prometheus.Collector{m.jobs, m.images, m.jobSeconds, m.imageSeconds, m.reevaluated,
		cacheStat("drydock_layer_cache_recorded_total", "Layer blobs read to record a skeleton.", func(s layercache.Stats) int64 { return s.Recorded }),
		cacheStat("drydock_layer_cache_reused_total", "Layers served from a stored skeleton.", func(s layercache.Stats) int64 { return s.Reused }),
		cacheStat("drydock_layer_cache_fallbacks_total", "Images read without the layer cache.", func(s layercache.Stats) int64 { return s.Fallbacks }),
	} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, fmt.Errorf("pipeline: register metrics: %w", err)
			}
		}
	}
	return m, nil
}
