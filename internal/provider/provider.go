package provider

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/projection"
)

// Prefix is where the provider API is mounted.
const Prefix = "/subscriptions/"

// Patterns are the routes as method-qualified mux patterns, for
// server.Deps.ProviderPatterns: they document the API in the server's
// route list (and the tenant isolation walk that reads it). The handler
// serves them, in any letter case of the literal segments, below Prefix
// and at /subscriptions.
var Patterns = []string{
	"GET /subscriptions",
	"GET /subscriptions/{sub}",
	"GET /subscriptions/{sub}/providers/Microsoft.Security/assessments",
	"GET /subscriptions/{sub}/providers/Microsoft.Security/assessments/{key}/subAssessments",
	"GET /subscriptions/{sub}/providers/Microsoft.Security/assessments/{key}/subAssessments/{name}",
	"GET /subscriptions/{sub}/providers/Microsoft.Security/subAssessments",
	"GET /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Security/assessments",
	"GET /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Security/assessments/{key}/subAssessments",
	"GET /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Security/subAssessments",
	"GET /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerRegistry/registries/{registry}/providers/Microsoft.Security/assessments",
	"GET /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerRegistry/registries/{registry}/providers/Microsoft.Security/assessments/{key}",
	"GET /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerRegistry/registries/{registry}/providers/Microsoft.Security/assessments/{key}/subAssessments",
	"GET /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerRegistry/registries/{registry}/providers/Microsoft.Security/assessments/{key}/subAssessments/{name}",
	"GET /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerRegistry/registries/{registry}/providers/Microsoft.Security/subAssessments",
}

// Config configures the provider API.
type Config struct {
	// PageSize is the number of resources per page of a list (default
	// 100); a request's $top (1 to 1000) overrides it.
	PageSize int
}

// Deps are what the provider API serves from.
type Deps struct {
	Projector *projection.Projector
	// Auth authenticates requests that arrive without an access.Identity
	// in their context (the server's guard puts one there when
	// authentication is on); access.Open() when it is off.
	Auth   access.Authorizer
	Logger *slog.Logger
}

// Handler serves the provider-compatible API.
type Handler struct {
	cfg  Config
	p    *projection.Projector
	auth access.Authorizer
	log  *slog.Logger
}

// maxPage bounds $top.
const maxPage = 1000

// New returns the provider API handler.
func New(cfg Config, d Deps) (*Handler, error) {
	if d.Projector == nil || d.Auth == nil || d.Logger == nil {
		return nil, errors.New("provider: Projector, Auth and Logger are required")
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 100
	}
	if cfg.PageSize > maxPage {
		return nil, fmt.Errorf("provider: page size %d is over %d", cfg.PageSize, maxPage)
	}
	return &Handler{cfg: cfg, p: d.Projector, auth: d.Auth, log: d.Logger}, nil
}

// operation is what a request path asks for.
type operation int

const (
	opListSubscriptions operation = iota
	opGetSubscription
	opListAssessments
	opGetAssessment
	opListSubAssessments // of one key
	opGetSubAssessment
	opListAllSubAssessments // of every key
)

// request is a parsed provider path.
type request struct {
	op       operation
	sub      string // {sub} as written
	rg       string // "" at subscription scope
	registry string // "" above registry scope
	key      string // assessment key as written
	name     string // sub-assessment name as written
}

// errNoRoute is answered for paths that name no provider resource.
func errNoRoute(path string) error {
	return errorf(http.StatusNotFound, "NotFound", "No provider resource at %s: see the provider API in drydock's README.", path)
}

// parsePath parses a provider path; literal segments match in any case.
func parsePath(path string) (request, error) {
	var q request
	segs := strings.Split(strings.Trim(path, "/"), "/")
	eq := strings.EqualFold
	if len(segs) == 0 || !eq(segs[0], "subscriptions") {
		return q, errNoRoute(path)
	}
	for _, s := range segs[1:] {
		if s == "" {
			return q, errNoRoute(path)
		}
	}
	switch len(segs) {
	case 1:
		return request{op: opListSubscriptions}, nil
	case 2:
		return request{op: opGetSubscription, sub: segs[1]}, nil
	}
	q.sub, segs = segs[1], segs[2:]
	if eq(segs[0], "resourceGroups") {
		if len(segs) < 2 {
			return q, errNoRoute(path)
		}
		q.rg, segs = segs[1], segs[2:]
		if len(segs) >= 5 && eq(segs[0], "providers") && eq(segs[1], projection.RegistryNamespace) && eq(segs[2], "registries") {
			q.registry, segs = segs[3], segs[4:]
		}
	}
	// segs is now providers/Microsoft.Security/...
	if len(segs) < 3 || !eq(segs[0], "providers") || !eq(segs[1], projection.SecurityNamespace) {
		return q, errNoRoute(path)
	}
	segs = segs[2:]
	switch {
	case len(segs) == 1 && eq(segs[0], "subAssessments"):
		q.op = opListAllSubAssessments
	case len(segs) == 1 && eq(segs[0], "assessments"):
		q.op = opListAssessments
	case len(segs) == 2 && eq(segs[0], "assessments") && q.registry != "":
		q.op, q.key = opGetAssessment, segs[1]
	case len(segs) == 3 && eq(segs[0], "assessments") && eq(segs[2], "subAssessments"):
		q.op, q.key = opListSubAssessments, segs[1]
	case len(segs) == 4 && eq(segs[0], "assessments") && eq(segs[2], "subAssessments"):
		q.op, q.key, q.name = opGetSubAssessment, segs[1], segs[3]
	default:
		return q, errNoRoute(path)
	}
	return q, nil
}

// apiVersion matches the form of an api-version (2019-01-01-preview).
var apiVersion = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(-[a-z]+)?$`)

// checkAPIVersion requires ?api-version= in the provider's form. Every
// version answers the same shapes: the ones the provider documents for
// these resources are 2019-01-01-preview (sub-assessments) and
// 2019-01-01-preview, 2020-01-01 and 2021-06-01 (assessments).
func checkAPIVersion(q url.Values) error {
	v := q.Get("api-version")
	switch {
	case v == "":
		return errorf(http.StatusBadRequest, "MissingApiVersionParameter",
			"The api-version query parameter (?api-version=) is required for all requests.")
	case !apiVersion.MatchString(v):
		return errorf(http.StatusBadRequest, "InvalidApiVersionParameter",
			"The api-version '%s' is invalid. The supported versions are '2019-01-01-preview,2020-01-01,2021-06-01'.", v)
	}
	return nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r2, id, err := h.authenticate(r)
	if err != nil {
		if errors.Is(err, access.ErrUnauthenticated) {
			if c, ok := h.auth.(access.Challenger); ok {
				w.Header().Set("WWW-Authenticate", c.Challenge(r, nil))
			}
		}
		h.writeError(w, r, err)
		return
	}
	if err := h.serve(w, r2, id); err != nil {
		h.writeError(w, r2, err)
	}
}

// authenticate returns the caller: the identity the server's guard put in
// the context, else what Auth says.
func (h *Handler) authenticate(r *http.Request) (*http.Request, *access.Identity, error) {
	if id := access.FromContext(r.Context()); id != nil {
		return r, id, nil
	}
	r2, err := h.auth.Authorize(r, nil)
	if err != nil {
		return nil, nil, err
	}
	id := access.FromContext(r2.Context())
	if id == nil {
		return nil, nil, fmt.Errorf("%w: no identity", access.ErrUnauthenticated)
	}
	return r2, id, nil
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, id *access.Identity) error {
	q, err := parsePath(r.URL.Path)
	if err != nil {
		return err
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		return errorf(http.StatusMethodNotAllowed, "MethodNotAllowed", "The provider API is read-only: %s is not allowed; use GET.", r.Method)
	}
	query := r.URL.Query()
	if err := checkAPIVersion(query); err != nil {
		return err
	}
	ctx := r.Context()
	if q.op == opListSubscriptions {
		return h.listSubscriptions(w, r, id)
	}
	sub, err := h.p.ResolveSubscription(ctx, id, q.sub)
	if errors.Is(err, projection.ErrNotFound) {
		return errorf(http.StatusNotFound, "SubscriptionNotFound", "The subscription '%s' could not be found.", q.sub)
	}
	if err != nil {
		return err
	}
	if q.op == opGetSubscription {
		writeJSON(w, http.StatusOK, h.subscriptionOf(sub))
		return nil
	}
	sc := projection.Scope{Identity: id, Subscription: sub.ID, RegistryHost: r.Host}
	if q.rg != "" && !strings.EqualFold(q.rg, h.p.Config().ResourceGroup) {
		return errorf(http.StatusNotFound, "ResourceGroupNotFound", "Resource group '%s' could not be found.", q.rg)
	}
	if q.registry != "" {
		sc.Registry = q.registry
		as, err := h.p.Assessments(ctx, sc, projection.KeyContainerRegistry)
		if err != nil {
			return err
		}
		if len(as) == 0 {
			return errorf(http.StatusNotFound, "ResourceNotFound", "The Resource '%s/registries/%s' under resource group '%s' was not found.",
				projection.RegistryNamespace, q.registry, q.rg)
		}
	}
	var key string
	if q.key != "" {
		if key, err = projection.NormalizeKey(q.key); err != nil {
			return errorf(http.StatusNotFound, "AssessmentNotFound", "Assessment '%s' was not found: drydock has %s.",
				q.key, strings.Join(projection.Keys(), " and "))
		}
	}
	switch q.op {
	case opListAssessments:
		return h.listAssessments(w, r, sc)
	case opGetAssessment:
		as, err := h.p.Assessments(ctx, sc, key)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, as[0])
		return nil
	case opListSubAssessments:
		return h.listSubAssessments(w, r, sc, []string{key})
	case opListAllSubAssessments:
		return h.listSubAssessments(w, r, sc, nil)
	case opGetSubAssessment:
		res, err := h.p.SubAssessment(ctx, sc, key, strings.ToLower(q.name))
		if errors.Is(err, projection.ErrNotFound) {
			return errorf(http.StatusNotFound, "SubAssessmentNotFound", "Sub-assessment '%s' of assessment '%s' was not found.", q.name, key)
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, res)
		return nil
	}
	return errNoRoute(r.URL.Path)
}
