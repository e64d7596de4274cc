package registry

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the registry's Prometheus collectors. They always exist; they
// are registered only when Deps.Metrics is set.
type metrics struct {
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	bytesIn   prometheus.Counter
	bytesOut  prometheus.Counter
	mounts    *prometheus.CounterVec
	manifests *prometheus.CounterVec
	pulls     prometheus.Counter
	swept     prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "drydock", Subsystem: "registry", Name: "requests_total",
			Help: "Distribution API requests by endpoint, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "drydock", Subsystem: "registry", Name: "request_duration_seconds",
			Help:    "Distribution API request latency by endpoint and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"route", "method"}),
		bytesIn: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "drydock", Subsystem: "registry", Name: "blob_bytes_received_total",
			Help: "Blob bytes received in uploads.",
		}),
		bytesOut: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "drydock", Subsystem: "registry", Name: "blob_bytes_sent_total",
			Help: "Blob bytes sent to clients.",
		}),
		mounts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "drydock", Subsystem: "registry", Name: "blob_mounts_total",
			Help: "Blobs linked without an upload: kind=explicit (?mount=&from=) or auto (AutoMount).",
		}, []string{"kind"}),
		manifests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "drydock", Subsystem: "registry", Name: "manifests_pushed_total",
			Help: "Manifest pushes; created=true when the manifest was new to the repository.",
		}, []string{"created"}),
		pulls: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "drydock", Subsystem: "registry", Name: "manifest_pulls_recorded_total",
			Help: "Manifest pulls written to the metadata store (lastPulledAt).",
		}),
		swept: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "drydock", Subsystem: "registry", Name: "uploads_expired_total",
			Help: "Expired upload sessions removed.",
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.requests, m.duration, m.bytesIn, m.bytesOut, m.mounts, m.manifests, m.pulls, m.swept} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	switch method {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE":
	default:
		method = "OTHER" // bound label cardinality
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(d.Seconds())
}
