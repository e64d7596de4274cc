package console

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/vulndb/live"
)

// Store is what the console reads from the metadata store.
type Store interface {
	ListSubscriptions(ctx context.Context) ([]store.Subscription, error)
	Assessments(ctx context.Context, subscriptions []string) ([]store.Assessment, error)
	CountImages(ctx context.Context, subscriptions []string) (map[string]int, error)
	ListImages(ctx context.Context, f store.ImageFilter) ([]store.ImageRecord, error)
}

// Advisories reports the advisory database state (live.Manager).
type Advisories interface {
	Status() live.Status
}

// Deps are what the console serves from.
type Deps struct {
	Store      Store
	Advisories Advisories
	// Auth authenticates requests that arrive without an access.Identity
	// in their context (the server's guard normally put one there).
	Auth   access.Authorizer
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Patterns are the routes the console serves (method-qualified).
var Patterns = []string{"GET /{$}", "GET /images"}

// PageSize is how many images /images shows per page.
const PageSize = 100

// Handler serves the console pages.
type Handler struct {
	d    Deps
	tmpl *template.Template
}

//go:embed assets/console.css
var css string

//go:embed assets/pages.html
var pages string

// New returns the console handler; mount it on each of [Patterns].
func New(d Deps) (*Handler, error) {
	if d.Store == nil || d.Advisories == nil || d.Auth == nil || d.Logger == nil {
		return nil, errors.New("console: Store, Advisories, Auth and Logger are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	t, err := template.New("console").Funcs(template.FuncMap{
		"css":       func() template.CSS { return template.CSS(css) },
		"time":      formatTime,
		"shortHash": shortDigest,
		"reportURL": reportURL,
		"lower":     strings.ToLower,
	}).Parse(pages)
	if err != nil {
		return nil, err
	}
	return &Handler{d: d, tmpl: t}, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r, id, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	var (
		name string
		data any
		err  error
	)
	switch r.URL.Path {
	case "/":
		name = "overview"
		data, err = h.overview(r.Context(), id)
	case "/images":
		name = "images"
		data, err = h.images(r, id)
	default:
		http.NotFound(w, r)
		return
	}
	if errors.Is(err, errBadRequest) {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err != nil {
		h.d.Logger.ErrorContext(r.Context(), "console page failed", "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		h.d.Logger.ErrorContext(r.Context(), "console render failed", "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	_, _ = w.Write(buf.Bytes())
}

var errBadRequest = errors.New("bad request")

// authenticate returns the caller; on failure it has answered.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) (*http.Request, *access.Identity, bool) {
	if id := access.FromContext(r.Context()); id != nil {
		return r, id, true
	}
	r2, err := h.d.Auth.Authorize(r, nil)
	var id *access.Identity
	if err == nil {
		id = access.FromContext(r2.Context())
	}
	if err == nil && id != nil {
		return r2, id, true
	}
	switch {
	case err == nil, errors.Is(err, access.ErrUnauthenticated):
		if c, ok := h.d.Auth.(access.Challenger); ok {
			w.Header().Set("WWW-Authenticate", c.Challenge(r, nil))
		}
		http.Error(w, "authentication required", http.StatusUnauthorized)
	case errors.Is(err, access.ErrTooManyRequests):
		http.Error(w, "too many requests", http.StatusTooManyRequests)
	default:
		http.Error(w, "forbidden", http.StatusForbidden)
	}
	return nil, nil, false
}

// subscriptions returns the caller's subscriptions as a store filter: nil
// for all, empty non-nil for none.
func subscriptions(id *access.Identity) []string {
	if id.AllSubscriptions() {
		return nil
	}
	if id.Subscriptions == nil {
		return []string{}
	}
	return id.Subscriptions
}

// banner is the advisory database state.
type banner struct {
	live.Status
	// State is "ok", "stale" (loaded, last update failed) or "offline"
	// (nothing loaded).
	State string
	Age   string
}

type registryRow struct {
	store.Assessment
}

type overviewPage struct {
	Now        time.Time
	User       string
	DB         banner
	Registries []registryRow
	Images     map[string]int
	Statuses   []string
}

// statuses are the image statuses in display order.
var statuses = []string{store.StatusUnhealthy, store.StatusHealthy, store.StatusPending, store.StatusFailed,
	store.StatusNotApplicable, store.StatusNotScanned}

func (h *Handler) banner() banner {
	st := h.d.Advisories.Status()
	b := banner{Status: st, State: "ok"}
	switch {
	case !st.Loaded:
		b.State = "offline"
	case st.LastError != "":
		b.State = "stale"
	}
	if st.Loaded && !st.UpdatedAt.IsZero() {
		b.Age = humanAge(h.d.Now().Sub(st.UpdatedAt))
	}
	return b
}

func (h *Handler) overview(ctx context.Context, id *access.Identity) (*overviewPage, error) {
	p := &overviewPage{Now: h.d.Now(), User: id.Name, DB: h.banner(), Statuses: statuses}
	subs := subscriptions(id)
	as, err := h.d.Store.Assessments(ctx, subs)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		if !id.InSubscription(a.SubscriptionID) {
			continue // the store filtered already; never trust one layer
		}
		p.Registries = append(p.Registries, registryRow{a})
	}
	slices.SortFunc(p.Registries, func(a, b registryRow) int {
		return strings.Compare(a.SubscriptionID+"\x00"+a.Registry, b.SubscriptionID+"\x00"+b.Registry)
	})
	if p.Images, err = h.d.Store.CountImages(ctx, subs); err != nil {
		return nil, err
	}
	return p, nil
}

type imagesPage struct {
	Now    time.Time
	User   string
	DB     banner
	Images []store.ImageRecord
	// Next is the image id the next page starts after; empty on the last
	// page.
	Next string
}

func (h *Handler) images(r *http.Request, id *access.Identity) (*imagesPage, error) {
	var after int64
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, errors.Join(errBadRequest, errors.New("after: want a non-negative image id"))
		}
		after = n
	}
	p := &imagesPage{Now: h.d.Now(), User: id.Name, DB: h.banner()}
	ims, err := h.d.Store.ListImages(r.Context(), store.ImageFilter{Subscriptions: subscriptions(id), AfterID: after, Limit: PageSize})
	if err != nil {
		return nil, err
	}
	for _, im := range ims {
		if id.CanRead(im.SubscriptionID, im.Repository) {
			p.Images = append(p.Images, im)
		}
	}
	if len(ims) == PageSize {
		p.Next = strconv.FormatInt(ims[len(ims)-1].ID, 10)
	}
	return p, nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func shortDigest(d string) string {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok || len(hex) <= 12 {
		return d
	}
	return alg + ":" + hex[:12]
}

// reportURL is the API report of an image; the repository name keeps its
// slashes (the API's {name} spans segments), each segment escaped.
func reportURL(repo, digest string) string {
	segs := strings.Split(repo, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return "/api/v1/repositories/" + strings.Join(segs, "/") + "/manifests/" + url.PathEscape(digest) + "/report"
}

func humanAge(d time.Duration) string {
	switch {
	case d < 0:
		return "0 minutes"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " minutes"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " hours"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + " days"
}
