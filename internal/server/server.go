// Package server composes drydock's HTTP surface: it routes /v2/ to the
// registry, serves /healthz, /readyz and /metrics, and wraps every request
// in the same middleware (request id, panic recovery, access log, metrics).
// Authentication is applied per interface by each handler through
// internal/access, in one place per interface.
package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config configures the listener.
type Config struct {
	// TLSCert and TLSKey are PEM file paths; both set enables HTTPS.
	TLSCert, TLSKey string
	// ReadHeaderTimeout bounds reading request headers (slowloris).
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes idle keep-alive connections.
	IdleTimeout time.Duration
	// ShutdownTimeout is how long in-flight requests get after the context
	// is cancelled.
	ShutdownTimeout time.Duration
	// OpenMetrics serves /metrics without authentication when Deps.Guard
	// is set.
	OpenMetrics bool
}

// Deps are the handlers and probes the server routes to.
type Deps struct {
	// Registry serves /v2/.
	Registry http.Handler
	// Ready reports whether the server can take traffic (/readyz).
	Ready func(ctx context.Context) error
	// Metrics is the Prometheus registry served on /metrics; the server
	// registers its own request metrics and the Go collectors in it.
	Metrics *prometheus.Registry
	// Logger receives access logs.
	Logger *slog.Logger
	// Guard, when set, authenticates every interface (internal/auth.Gate):
	// /v2/ through RegistryGuard (the registry authorizes each request
	// itself), everything else through Middleware, except /healthz,
	// /readyz, the token endpoint and (with OpenMetrics) /metrics. nil runs
	// every interface open.
	Guard Guard
	// Webhooks, when set, serves the webhook API on each of
	// WebhookPatterns (method-qualified, so they win over a /api/v1/
	// catch-all).
	Webhooks        http.Handler
	WebhookPatterns []string
	// API, when set, serves the native REST API under /api/v1/ (the
	// webhook patterns, more specific, still go to Webhooks).
	API http.Handler
	// Query, when set, serves the fleet query at POST /api/v1/query
	// (method-qualified, so it wins over /api/v1/).
	Query http.Handler
	// Provider, when set, serves the provider-compatible API: on each of
	// ProviderPatterns (method-qualified, listed in the routes) and on
	// /subscriptions and /subscriptions/ for every other method and
	// letter case, which it answers in its own error shape.
	Provider         http.Handler
	ProviderPatterns []string
	// Console, when set, serves the web console on each of
	// ConsolePatterns ("GET /{$}", "GET /images"), behind the guard's
	// Middleware like every other interface.
	Console         http.Handler
	ConsolePatterns []string
}

// Guard authenticates the interfaces; internal/auth.Gate implements it.
type Guard interface {
	// RegistryGuard wraps /v2/.
	RegistryGuard(next http.Handler) http.Handler
	// Middleware wraps every other guarded path.
	Middleware(next http.Handler) http.Handler
	// TokenHandler serves TokenPath.
	TokenHandler() http.Handler
}

// TokenPath is where the registry token endpoint is mounted.
const TokenPath = "/auth/token"

// Server is drydock's HTTP server.
type Server struct {
	cfg     Config
	log     *slog.Logger
	handler http.Handler
	routes  []string

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inflight prometheus.Gauge
}

// New validates deps and builds the routing table.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Registry == nil || deps.Ready == nil || deps.Metrics == nil || deps.Logger == nil {
		return nil, errors.New("server: Registry, Ready, Metrics and Logger are required")
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, errors.New("server: TLS certificate and key must be set together")
	}
	s := &Server{cfg: cfg, log: deps.Logger}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drydock_http_requests_total",
		Help: "HTTP requests by interface, method and status code.",
	}, []string{"interface", "method", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "drydock_http_request_duration_seconds",
		Help:    "HTTP request latency by interface and method.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 4, 9),
	}, []string{"interface", "method"})
	s.inflight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "drydock_http_requests_in_flight",
		Help: "HTTP requests being served.",
	})
	for _, c := range []prometheus.Collector{s.requests, s.latency, s.inflight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := deps.Metrics.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, fmt.Errorf("server: register metrics: %w", err)
			}
		}
	}
	mux := newRouter()
	mux.Handle("/v2/", deps.Registry)
	mux.Handle("/v2", http.RedirectHandler("/v2/", http.StatusMovedPermanently))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := deps.Ready(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not ready: %v\n", err)
			return
		}
		w.Write([]byte("ready\n"))
	})
	if deps.Webhooks != nil {
		for _, p := range deps.WebhookPatterns {
			mux.Handle(p, deps.Webhooks)
		}
	}
	if deps.API != nil {
		mux.Handle("/api/v1/", deps.API)
	}
	if deps.Query != nil {
		mux.Handle("POST /api/v1/query", deps.Query)
	}
	if deps.Provider != nil {
		for _, p := range deps.ProviderPatterns {
			mux.Handle(p, deps.Provider)
		}
		mux.Handle("/subscriptions", deps.Provider)
		mux.Handle("/subscriptions/", deps.Provider)
	}
	if deps.Console != nil {
		for _, p := range deps.ConsolePatterns {
			mux.Handle(p, deps.Console)
		}
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(deps.Metrics, promhttp.HandlerOpts{Registry: deps.Metrics}))
	if deps.Guard != nil {
		mux.Handle(TokenPath, deps.Guard.TokenHandler())
	}
	s.routes = mux.patterns
	s.log.Debug("http routes", "patterns", s.routes)
	s.handler = s.middleware(guard(mux, deps.Guard, cfg.OpenMetrics))
	return s, nil
}

// Routes returns the patterns registered on the server's mux, in
// registration order.
func (s *Server) Routes() []string { return append([]string(nil), s.routes...) }

// router is an http.ServeMux that remembers its patterns (Routes, and the
// tenant isolation test that walks them).
type router struct {
	*http.ServeMux
	patterns []string
}

func newRouter() *router { return &router{ServeMux: http.NewServeMux()} }

func (m *router) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *router) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

// guard puts authentication in front of every route in one place, so that
// routes mounted later are guarded too: only the paths listed here are
// open, /v2/ goes through the registry guard, everything else through the
// middleware.
func guard(mux http.Handler, g Guard, openMetrics bool) http.Handler {
	if g == nil {
		return mux
	}
	registry, other := g.RegistryGuard(mux), g.Middleware(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case r.URL.RawPath == "" && (p == "/healthz" || p == "/readyz" || p == TokenPath || (openMetrics && p == "/metrics")):
			mux.ServeHTTP(w, r)
		case p == "/v2" || strings.HasPrefix(p, "/v2/") && strings.HasPrefix(path.Clean(p)+"/", "/v2/"):
			registry.ServeHTTP(w, r)
		default:
			other.ServeHTTP(w, r)
		}
	})
}

// Handler returns the routed handler with middleware (for tests).
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves on ln until ctx is cancelled, then shuts down gracefully,
// giving in-flight requests ShutdownTimeout to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if s.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			return fmt.Errorf("server: load TLS key pair: %w", err)
		}
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, hs.TLSConfig)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
		return fmt.Errorf("server: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}

type ctxKey int

const requestIDKey ctxKey = 0

// RequestID returns the id the middleware gave the request, if any.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

func interfaceOf(path string) string {
	switch {
	case strings.HasPrefix(path, "/v2"):
		return "registry"
	case strings.HasPrefix(path, "/api/"):
		return "api"
	case strings.HasPrefix(path, "/subscriptions/"):
		return "provider"
	case path == "/metrics", path == "/healthz", path == "/readyz":
		return "ops"
	case path == TokenPath:
		return "auth"
	}
	return "console"
}

// middleware adds a request id, recovers panics into 500s, records metrics
// and writes one access-log line per request.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var b [8]byte
		rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		iface := interfaceOf(r.URL.Path)
		s.inflight.Inc()
		defer func() {
			s.inflight.Dec()
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(r.Context(), "panic in handler", "request_id", id, "panic", fmt.Sprint(p))
				if !rec.wrote {
					http.Error(rec, "internal error", http.StatusInternalServerError)
				}
				rec.code = http.StatusInternalServerError
			}
			d := time.Since(start)
			s.requests.WithLabelValues(iface, r.Method, strconv.Itoa(rec.code)).Inc()
			s.latency.WithLabelValues(iface, r.Method).Observe(d.Seconds())
			if iface != "ops" {
				lvl := slog.LevelDebug
				if rec.code >= 500 {
					lvl = slog.LevelWarn
				}
				s.log.Log(r.Context(), lvl, "request", "request_id", id, "method", r.Method,
					"path", r.URL.Path, "code", rec.code, "bytes", rec.n, "dur", d, "remote", r.RemoteAddr)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// statusRecorder remembers the status code and byte count. It forwards
// ReadFrom so that sendfile still works for blob downloads.
type statusRecorder struct {
	http.ResponseWriter
	code  int
	n     int64
	wrote bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.code = code
		r.wrote = true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(p)
	r.n += int64(n)
	return n, err
}

func (r *statusRecorder) ReadFrom(src io.Reader) (int64, error) {
	r.wrote = true
	n, err := io.Copy(r.ResponseWriter, src)
	r.n += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush forwards to the underlying writer when it can flush.
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
