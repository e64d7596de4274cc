package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/audit"
	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/httpjson"
	"github.com/drydock/drydock/internal/pipeline"
	"github.com/drydock/drydock/internal/pipeline/layercache"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/vulndb"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1/"

// Store is what the API reads and writes in the metadata store.
type Store interface {
	store.ScanReader
	store.Plans
	store.Exemptions
	ListSubscriptions(ctx context.Context) ([]store.Subscription, error)
	GetRegistry(ctx context.Context, name string) (store.Registry, error)
	ListRegistries(ctx context.Context, subscriptionID string) ([]store.Registry, error)
	ResolveRepository(ctx context.Context, name string, opts store.ResolveOptions) (store.Repository, error)
	ListRepositories(ctx context.Context, subscriptions []string, last string, n int) ([]string, error)
	CountScanJobs(ctx context.Context, state string) (int64, error)
}

// Scans is the scan pipeline as the API drives it.
type Scans interface {
	Report(ctx context.Context, im store.ImageRecord) (*finding.Report, error)
	Rescan(ctx context.Context, scope store.ScanScope) (int, error)
	SetPlan(ctx context.Context, subscriptionID, registry string, enabled *bool) (int, error)
	ExemptionsChanged(subscriptionID string)
	ReevalState() pipeline.ReevalState
	CacheStats() layercache.Stats
}

// Advisories gives the current advisory database (nil while none).
type Advisories interface {
	DB() *vulndb.DB
}

// Deps are what the API serves from.
type Deps struct {
	Store      Store
	Scans      Scans
	Advisories Advisories
	// Auth authenticates requests that arrive without an access.Identity
	// in their context (a guard in front of the server may have put one
	// there; that one is kept). access.Open() when authentication is off.
	Auth   access.Authorizer
	Logger *slog.Logger
	// ExternalRoutes are other handlers' patterns under /api/v1/
	// ("GET /api/v1/webhooks", ...): the OpenAPI document lists them too.
	ExternalRoutes []string
	// ExternalRoles are the least roles of those external routes that are
	// not reads ("POST /api/v1/webhooks": "owner"; a POST that only reads:
	// "reader"); a write without one is documented as needing owner.
	ExternalRoles map[string]string
	// ToolVersion names drydock in SBOMs.
	ToolVersion string
	// Policies manages pull policies and break-glass overrides; nil
	// leaves the policy routes answering 404.
	Policies Policies
	// Audit records plan switches, rescans, exemption, policy and
	// break-glass changes (and refused attempts); nil records nothing.
	Audit audit.Recorder
	// AuditLog serves GET /api/v1/audit; nil leaves it answering 404.
	AuditLog store.AuditQuery
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Handler serves /api/v1/.
type Handler struct {
	d      Deps
	routes []route
	spec   []byte
	now    func() time.Time
	audit  audit.Recorder
}

// New returns the API handler. Mount it at [Prefix].
func New(d Deps) (*Handler, error) {
	if d.Store == nil || d.Scans == nil || d.Advisories == nil || d.Auth == nil || d.Logger == nil {
		return nil, errors.New("api: Store, Scans, Advisories, Auth and Logger are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Audit == nil {
		d.Audit = audit.Discard()
	}
	h := &Handler{d: d, now: d.Now, audit: d.Audit}
	h.routes = h.table()
	spec, err := openAPI(d.ExternalRoutes, d.ExternalRoles)
	if err != nil {
		return nil, err
	}
	h.spec = spec
	return h, nil
}

// Routes lists the operations the handler serves as "METHOD /path".
func (h *Handler) Routes() []string {
	out := make([]string, 0, len(h.routes))
	for _, rt := range h.routes {
		out = append(out, rt.method+" "+rt.template)
	}
	return out
}

// call is one request being served.
type call struct {
	id     *access.Identity
	params map[string]string
	query  url.Values
}

// Errors the handlers return; writeError maps them to problem JSON.
var (
	errInvalid   = errors.New("invalid request")
	errNotFound  = errors.New("not found")
	errForbidden = errors.New("forbidden")
	errConflict  = errors.New("conflict")
	// errNoRepository: the {name} of the route is not a repository the
	// caller can see; the router tries a less specific route.
	errNoRepository = fmt.Errorf("repository %w", errNotFound)
)

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.EscapedPath()
	if !strings.HasPrefix(raw, "/api/v1/") {
		h.writeError(w, r, fmt.Errorf("%w: %s", errNotFound, r.URL.Path))
		return
	}
	var segs []string
	for _, s := range strings.Split(strings.TrimPrefix(raw, "/"), "/") {
		u, err := url.PathUnescape(s)
		if err != nil {
			h.writeError(w, r, fmt.Errorf("%w: path: %v", errInvalid, err))
			return
		}
		segs = append(segs, u)
	}
	type candidate struct {
		rt     *route
		params map[string]string
	}
	var cands []candidate
	allowed := map[string]bool{}
	for i := range h.routes {
		rt := &h.routes[i]
		params := map[string]string{}
		if !rt.match(segs, params) {
			continue
		}
		allowed[rt.method] = true
		if rt.method == r.Method || (r.Method == http.MethodHead && rt.method == http.MethodGet) {
			cands = append(cands, candidate{rt, params})
		}
	}
	if len(cands) == 0 {
		if len(allowed) > 0 {
			methods := make([]string, 0, len(allowed))
			for m := range allowed {
				methods = append(methods, m)
			}
			slices.Sort(methods)
			w.Header().Set("Allow", strings.Join(methods, ", "))
			h.writeError(w, r, &statusError{http.StatusMethodNotAllowed, fmt.Sprintf("%s is not allowed here (allowed: %s)", r.Method, strings.Join(methods, ", "))})
			return
		}
		h.writeError(w, r, fmt.Errorf("%w: no API route %s", errNotFound, r.URL.Path))
		return
	}
	slices.SortStableFunc(cands, func(a, b candidate) int { return b.rt.literals() - a.rt.literals() })
	r2, id, err := h.authenticate(w, r)
	if err != nil {
		return
	}
	for i, c := range cands {
		err = c.rt.h(w, r2, &call{id: id, params: c.params, query: r.URL.Query()})
		if errors.Is(err, errNoRepository) && i < len(cands)-1 {
			continue
		}
		break
	}
	if err != nil {
		h.writeError(w, r2, err)
	}
}

// authenticate returns the caller; on failure it has answered.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) (*http.Request, *access.Identity, error) {
	if id := access.FromContext(r.Context()); id != nil {
		return r, id, nil
	}
	r2, err := h.d.Auth.Authorize(r, nil)
	if err != nil {
		if errors.Is(err, access.ErrUnauthenticated) {
			if c, ok := h.d.Auth.(access.Challenger); ok {
				w.Header().Set("WWW-Authenticate", c.Challenge(r, nil))
			}
		}
		h.writeError(w, r, err)
		return nil, nil, err
	}
	id := access.FromContext(r2.Context())
	if id == nil {
		err := fmt.Errorf("%w: no identity", access.ErrUnauthenticated)
		h.writeError(w, r, err)
		return nil, nil, err
	}
	return r2, id, nil
}

// statusError carries an explicit status code.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	var se *statusError
	switch {
	case errors.As(err, &se):
		status = se.code
	case errors.Is(err, errInvalid):
		status = http.StatusBadRequest
	case errors.Is(err, errNotFound), errors.Is(err, store.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, errConflict), errors.Is(err, pipeline.ErrNotEvaluated):
		status = http.StatusConflict
	case errors.Is(err, access.ErrUnauthenticated):
		status = http.StatusUnauthorized
	case errors.Is(err, access.ErrDenied), errors.Is(err, errForbidden):
		status = http.StatusForbidden
	case errors.Is(err, access.ErrTooManyRequests):
		status = http.StatusTooManyRequests
	}
	detail := err.Error()
	if status == http.StatusInternalServerError {
		h.d.Logger.ErrorContext(r.Context(), "api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		detail = "internal error"
	}
	httpjson.WriteProblem(w, status, detail)
}

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error { return httpjson.Write(w, status, v) }

// maxBody bounds request bodies.
const maxBody = 64 << 10

// decode reads a JSON request body strictly.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: empty request body, want a JSON object", errInvalid)
		}
		return fmt.Errorf("%w: request body: %v", errInvalid, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: request body: more than one JSON value", errInvalid)
	}
	return nil
}
