package registry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/store"
)

// Config tunes the registry. Start from [DefaultConfig]: zero numeric fields
// take their defaults in [New], but booleans are taken as given.
type Config struct {
	// MaxManifestSize is the largest manifest accepted, in bytes. Larger
	// pushes fail with 413 SIZE_INVALID. 0 means the default, 4 MiB.
	MaxManifestSize int64
	// MaxBlobSize is the largest blob accepted, in bytes; 0 means no limit.
	// It is enforced while streaming: an upload that grows past it fails
	// with 413 SIZE_INVALID and its session is cancelled.
	MaxBlobSize int64
	// UploadExpiry is how long an upload session may stay open. Older
	// sessions answer BLOB_UPLOAD_UNKNOWN and are removed by SweepUploads.
	// 0 means the default, 24h.
	UploadExpiry time.Duration
	// AutoCreateRegistries creates the registry (the first path element of
	// a repository) on first push. When false, pushing to a registry that
	// was not created beforehand fails with NAME_UNKNOWN. Default true.
	AutoCreateRegistries bool
	// DefaultSubscription receives registries created on first push, unless
	// the caller's identity belongs to exactly one subscription (then that
	// one). It is created if missing. "" means the default, "default".
	DefaultSubscription string
	// AutoMount links blobs that another repository of the same
	// subscription already holds, and that the caller may read, instead of
	// asking the client to upload them again: on HEAD of a blob (for
	// callers with push access), on POST ?mount= without from (or with a
	// from that does not hold it), and on a manifest push that references
	// such a blob. Default true.
	AutoMount bool
	// PullFlushInterval is how often recorded manifest pulls are written to
	// the metadata store (lastPulledAt) by Run. 0 means the default, 2s.
	PullFlushInterval time.Duration
	// SweepInterval is how often Run removes expired upload sessions.
	// 0 means the default, 10m.
	SweepInterval time.Duration
}

// Defaults.
const (
	DefaultMaxManifestSize   = 4 << 20
	DefaultUploadExpiry      = 24 * time.Hour
	DefaultSubscriptionName  = "default"
	DefaultPullFlushInterval = 2 * time.Second
	DefaultSweepInterval     = 10 * time.Minute
	maxAutoMountCandidates   = 16
	defaultCatalogPageSize   = 1000
	maxPageSize              = 10000
	pullBufferLimit          = 1 << 20 // pending pull records kept when flushing fails
	finalFlushTimeout        = 5 * time.Second
	uploadSweepBatch         = 500
	deletedBlobMemory        = 100000 // blob deletions remembered to keep AutoMount from undoing them
	repoCacheSize            = 10000
	repoCacheTTL             = 5 * time.Second
	headerAPIVersion         = "Docker-Distribution-Api-Version"
)

// DefaultConfig returns the configuration with every default filled in.
func DefaultConfig() Config {
	return Config{
		MaxManifestSize:      DefaultMaxManifestSize,
		UploadExpiry:         DefaultUploadExpiry,
		AutoCreateRegistries: true,
		DefaultSubscription:  DefaultSubscriptionName,
		AutoMount:            true,
		PullFlushInterval:    DefaultPullFlushInterval,
		SweepInterval:        DefaultSweepInterval,
	}
}

// withDefaults fills zero fields and validates.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.MaxManifestSize < 0 {
		errs = append(errs, fmt.Errorf("MaxManifestSize %d is negative", c.MaxManifestSize))
	}
	if c.MaxBlobSize < 0 {
		errs = append(errs, fmt.Errorf("MaxBlobSize %d is negative (0 means no limit)", c.MaxBlobSize))
	}
	if c.UploadExpiry < 0 {
		errs = append(errs, fmt.Errorf("UploadExpiry %s is negative", c.UploadExpiry))
	}
	if c.PullFlushInterval < 0 {
		errs = append(errs, fmt.Errorf("PullFlushInterval %s is negative", c.PullFlushInterval))
	}
	if c.SweepInterval < 0 {
		errs = append(errs, fmt.Errorf("SweepInterval %s is negative", c.SweepInterval))
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("registry: invalid config: %w", errors.Join(errs...))
	}
	if c.MaxManifestSize == 0 {
		c.MaxManifestSize = DefaultMaxManifestSize
	}
	if c.UploadExpiry == 0 {
		c.UploadExpiry = DefaultUploadExpiry
	}
	if c.DefaultSubscription == "" {
		c.DefaultSubscription = DefaultSubscriptionName
	}
	if c.PullFlushInterval == 0 {
		c.PullFlushInterval = DefaultPullFlushInterval
	}
	if c.SweepInterval == 0 {
		c.SweepInterval = DefaultSweepInterval
	}
	return c, nil
}

// Deps are the registry's collaborators.
type Deps struct {
	// Meta is the metadata store. Required.
	Meta store.Meta
	// Blobs is the blob byte store. Required.
	Blobs store.Blobs
	// Auth authorizes every request. Required; use access.Open() to run
	// without authentication.
	Auth access.Authorizer
	// Logger receives request and background logs; nil discards them.
	Logger *slog.Logger
	// Metrics, when set, receives the registry's Prometheus collectors.
	Metrics prometheus.Registerer
	// Now is the clock; nil means time.Now. Tests inject it to expire
	// upload sessions.
	Now func() time.Time
	// PullPolicy, when set, is asked before every manifest GET and HEAD
	// is served (see [PullPolicy]); nil serves everything.
	PullPolicy PullPolicy
}

// Registry serves the OCI distribution API under /v2/. It is an
// http.Handler; mount it at "/v2/" (it looks at the full URL path).
type Registry struct {
	cfg     Config
	meta    store.Meta
	blobs   store.Blobs
	auth    access.Authorizer
	log     *slog.Logger
	now     func() time.Time
	metrics *metrics
	pulls   *pullRecorder
	deleted *deletedBlobs
	locks   *keyedMutex
	repos   *repoCache
	policy  PullPolicy
}

// New returns a Registry for cfg and deps, or an error if either is invalid.
func New(cfg Config, deps Deps) (*Registry, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	var errs []error
	if deps.Meta == nil {
		errs = append(errs, errors.New("Deps.Meta is required"))
	}
	if deps.Blobs == nil {
		errs = append(errs, errors.New("Deps.Blobs is required"))
	}
	if deps.Auth == nil {
		errs = append(errs, errors.New("Deps.Auth is required (access.Open() allows everything)"))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("registry: %w", errors.Join(errs...))
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	m, err := newMetrics(deps.Metrics)
	if err != nil {
		return nil, fmt.Errorf("registry: metrics: %w", err)
	}
	return &Registry{
		cfg:     cfg,
		meta:    deps.Meta,
		blobs:   deps.Blobs,
		auth:    deps.Auth,
		log:     log.With("component", "registry"),
		now:     now,
		metrics: m,
		pulls:   newPullRecorder(),
		deleted: newDeletedBlobs(deletedBlobMemory, cfg.UploadExpiry),
		locks:   newKeyedMutex(),
		repos:   newRepoCache(repoCacheSize, repoCacheTTL),
		policy:  deps.PullPolicy,
	}, nil
}

// handlerFunc is the shape of every endpoint handler: it writes a successful
// response itself and returns any failure for writeError.
type handlerFunc func(w *responseWriter, r *http.Request, rt route) error

// ServeHTTP implements http.Handler.
func (g *Registry) ServeHTTP(hw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w := &responseWriter{ResponseWriter: hw}
	w.Header().Set(headerAPIVersion, "registry/2.0")

	// Prefer the id the server middleware put on the response.
	reqID := w.Header().Get("X-Request-Id")
	if reqID == "" {
		reqID = r.Header.Get("X-Request-Id")
	}
	if reqID == "" || len(reqID) > 64 {
		reqID = newRequestID()
	}
	rl := &requestLogger{base: g.log, attrs: []any{"request_id", reqID, "method", r.Method}}
	rt, err := parseRoute(r.URL.Path)
	if err == nil {
		rl.attrs = append(rl.attrs, "route", rt.Kind.String())
		if rt.Name != "" {
			rl.attrs = append(rl.attrs, "repo", rt.Name)
		}
		if rt.Digest != "" {
			rl.attrs = append(rl.attrs, "digest", rt.Digest.String())
		}
		if rt.Tag != "" {
			rl.attrs = append(rl.attrs, "tag", rt.Tag)
		}
		err = g.serve(w, r, rt, rl)
	}
	if err != nil {
		writeError(w, r, rl, err)
	}
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	g.metrics.observe(rt.Kind.String(), r.Method, status, time.Since(start))
	if g.log.Enabled(r.Context(), slog.LevelDebug) {
		rl.get().DebugContext(r.Context(), "request", "status", status, "bytes", w.written, "duration", time.Since(start))
	}
}

// requestLogger builds the request-scoped logger (request_id, repo, digest,
// ...) only when something is logged: most requests log nothing.
type requestLogger struct {
	base  *slog.Logger
	attrs []any
	l     *slog.Logger
}

func (rl *requestLogger) get() *slog.Logger {
	if rl.l == nil {
		rl.l = rl.base.With(rl.attrs...)
	}
	return rl.l
}

// serve authorizes and dispatches one parsed request.
func (g *Registry) serve(w *responseWriter, r *http.Request, rt route, rl *requestLogger) error {
	h := g.handler(rt.Kind, r.Method)
	if h == nil {
		methods := allowed[rt.Kind]
		return errUnsupported(http.StatusMethodNotAllowed, "method not allowed on this endpoint").
			withHeader("Allow", strings.Join(methods, ", "))
	}
	reqs := accessFor(rt, r.Method)
	ar, err := g.auth.Authorize(r, reqs)
	if err != nil {
		e := toError(err)
		if e.Status == http.StatusUnauthorized {
			if c, ok := g.auth.(access.Challenger); ok {
				if ch := c.Challenge(r, reqs); ch != "" {
					e = e.withHeader("WWW-Authenticate", ch)
				}
			}
		}
		return e
	}
	ctx := context.WithValue(ar.Context(), loggerKey{}, rl)
	return h(w, ar.WithContext(ctx), rt)
}

// handler returns the handler for kind and method, or nil.
func (g *Registry) handler(kind routeKind, method string) handlerFunc {
	get := method == http.MethodGet || method == http.MethodHead
	switch kind {
	case routeBase:
		if get {
			return g.serveBase
		}
	case routeCatalog:
		if method == http.MethodGet {
			return g.serveCatalog
		}
	case routeBlob:
		switch {
		case get:
			return g.serveBlob
		case method == http.MethodDelete:
			return g.deleteBlob
		}
	case routeUploadNew:
		if method == http.MethodPost {
			return g.startUpload
		}
	case routeUpload:
		switch method {
		case http.MethodGet:
			return g.uploadStatus
		case http.MethodPatch:
			return g.patchUpload
		case http.MethodPut:
			return g.finishUpload
		case http.MethodDelete:
			return g.cancelUpload
		}
	case routeManifest:
		switch {
		case get:
			return g.serveManifest
		case method == http.MethodPut:
			return g.putManifest
		case method == http.MethodDelete:
			return g.deleteManifest
		}
	case routeTags:
		if method == http.MethodGet {
			return g.serveTags
		}
	case routeReferrers:
		if method == http.MethodGet {
			return g.serveReferrers
		}
	}
	return nil
}

// serveBase answers the version check.
func (g *Registry) serveBase(w *responseWriter, r *http.Request, _ route) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", "2")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, "{}")
	}
	return nil
}

type loggerKey struct{}

// logger returns the request-scoped logger.
func (g *Registry) logger(ctx context.Context) *slog.Logger {
	if rl, ok := ctx.Value(loggerKey{}).(*requestLogger); ok {
		return rl.get()
	}
	return g.log
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// responseWriter records the status and size of a response. It keeps
// io.ReaderFrom so that serving an *os.File still uses sendfile.
type responseWriter struct {
	http.ResponseWriter
	status      int
	written     int64
	wroteHeader bool
}

func (w *responseWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	w.status = code
	if code == 499 {
		return // the client is gone; nothing to send
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(p)
	w.written += int64(n)
	return n, err
}

// ReadFrom implements io.ReaderFrom (sendfile for *os.File sources).
func (w *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	var n int64
	var err error
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(writerOnly{w.ResponseWriter}, src)
	}
	w.written += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type writerOnly struct{ io.Writer }
