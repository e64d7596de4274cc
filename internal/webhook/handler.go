package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/httpjson"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// Patterns are the net/http ServeMux patterns of the webhook API. Each
// names its method, so that it is more specific than a catch-all such as
// "/api/v1/" or "GET /api/v1/" registered on the same mux.
var Patterns = []string{
	"GET /api/v1/webhooks",
	"POST /api/v1/webhooks",
	"GET /api/v1/webhooks/{id}",
	"PATCH /api/v1/webhooks/{id}",
	"DELETE /api/v1/webhooks/{id}",
	"GET /api/v1/webhooks/{id}/deliveries",
	"GET /api/v1/webhooks/{id}/deliveries/{delivery}",
	"POST /api/v1/webhooks/{id}/deliveries/{delivery}/redeliver",
	"POST /api/v1/webhooks/{id}/ping",
}

// Paging of the delivery log.
const (
	defaultPageSize = 20
	maxPageSize     = 100
	maxBodyBytes    = 64 << 10
	minSecretLength = 16
	maxSecretLength = 256
)

// HandlerDeps are what the API handler needs.
type HandlerDeps struct {
	// Store holds webhooks and the delivery log (a sqlmeta.Store).
	Store store.Webhooks
	// Auth authenticates requests that arrive without an access.Identity
	// in their context (a guard in front of the server may have put one
	// there already; that one is kept). The caller's identity then limits
	// it to the subscriptions it may see.
	Auth access.Authorizer
	// Logger receives internal errors.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

type handler struct {
	cfg   Config
	store store.Webhooks
	auth  access.Authorizer
	log   *slog.Logger
	now   func() time.Time
	mux   *http.ServeMux
}

// NewHandler returns the /api/v1/webhooks API. Mount it on every entry of
// [Patterns]. Every request is authenticated with deps.Auth and sees only
// the webhooks of the subscriptions its identity may see; a webhook of
// another subscription is answered 404, like one that does not exist.
func NewHandler(cfg Config, deps HandlerDeps) (http.Handler, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if deps.Store == nil || deps.Auth == nil || deps.Logger == nil {
		return nil, errors.New("webhook: NewHandler needs a Store, an Authorizer and a Logger")
	}
	h := &handler{cfg: cfg, store: deps.Store, auth: deps.Auth, log: deps.Logger, now: deps.Now, mux: http.NewServeMux()}
	if h.now == nil {
		h.now = time.Now
	}
	routes := map[string]func(http.ResponseWriter, *http.Request, *access.Identity) error{
		Patterns[0]: h.list,
		Patterns[1]: h.create,
		Patterns[2]: h.get,
		Patterns[3]: h.update,
		Patterns[4]: h.delete,
		Patterns[5]: h.deliveries,
		Patterns[6]: h.delivery,
		Patterns[7]: h.redeliver,
		Patterns[8]: h.ping,
	}
	for p, fn := range routes {
		h.mux.Handle(p, h.wrap(fn))
	}
	return h, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Errors the handlers return; writeError maps them to problem JSON.
var (
	errNotFound  = errors.New("not found")
	errConflict  = errors.New("conflict")
	errForbidden = errors.New("forbidden")
)

// wrap authenticates the request and turns the handler's error into a
// problem response.
func (h *handler) wrap(fn func(http.ResponseWriter, *http.Request, *access.Identity) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// An identity already in the context was put there by a guard in
		// front of every interface; it is the caller, whatever Auth says.
		r2 := r
		if access.FromContext(r.Context()) == nil {
			var err error
			if r2, err = h.auth.Authorize(r, nil); err != nil {
				if errors.Is(err, access.ErrUnauthenticated) {
					if c, ok := h.auth.(access.Challenger); ok {
						w.Header().Set("WWW-Authenticate", c.Challenge(r, nil))
					}
				}
				h.writeError(w, r, err)
				return
			}
		}
		id := access.FromContext(r2.Context())
		if id != nil && id.Repositories != nil {
			// Webhooks carry every event of a subscription; a credential
			// limited to some repositories must not subscribe to them all.
			h.writeError(w, r2, fmt.Errorf("%w: a credential restricted to repositories cannot manage webhooks", errForbidden))
			return
		}
		if err := fn(w, r2, id); err != nil {
			h.writeError(w, r2, err)
		}
	})
}

func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrForbiddenTarget):
		status = http.StatusBadRequest
	case errors.Is(err, errNotFound), errors.Is(err, store.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, errConflict), errors.Is(err, store.ErrDeliveryPending), errors.Is(err, store.ErrWebhookLimit):
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
		h.log.ErrorContext(r.Context(), "webhook api failed", "method", r.Method, "path", r.URL.Path, "err", err)
		detail = "internal error"
	}
	httpjson.WriteProblem(w, status, detail)
}

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error { return httpjson.Write(w, status, v) }

// decode reads a JSON request body strictly: bounded size, no unknown
// fields, one value.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBodyBytes+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: empty request body, want a JSON object", ErrInvalid)
		}
		return fmt.Errorf("%w: request body: %v", ErrInvalid, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: request body holds more than one JSON value", ErrInvalid)
	}
	return nil
}

// ---------------------------------------------------------------------------
// JSON shapes (see openapi.json)

// webhookJSON is a webhook as the API shows it. Secret is set only in the
// answer to its creation.
type webhookJSON struct {
	ID           string   `json:"id"`
	Subscription string   `json:"subscription"`
	URL          string   `json:"url"`
	Events       []string `json:"events"`
	Registry     string   `json:"registry,omitempty"`
	Active       bool     `json:"active"`
	CreatedBy    string   `json:"createdBy"`
	CreatedAt    string   `json:"createdAt"`
	UpdatedAt    string   `json:"updatedAt"`
	Secret       string   `json:"secret,omitempty"`
}

func toWebhookJSON(w store.Webhook) webhookJSON {
	events := w.Events
	if len(events) == 0 {
		events = []string{AllEvents}
	}
	return webhookJSON{
		ID: w.ID, Subscription: w.SubscriptionID, URL: w.URL, Events: events, Registry: w.Registry,
		Active: w.Active, CreatedBy: w.CreatedBy, CreatedAt: stamp(w.CreatedAt), UpdatedAt: stamp(w.UpdatedAt),
	}
}

type eventRefJSON struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

type deliveryJSON struct {
	ID             string        `json:"id"`
	Webhook        string        `json:"webhook"`
	Event          eventRefJSON  `json:"event"`
	State          string        `json:"state"`
	Attempts       int           `json:"attempts"`
	NextAttemptAt  string        `json:"nextAttemptAt,omitempty"`
	CreatedAt      string        `json:"createdAt"`
	UpdatedAt      string        `json:"updatedAt"`
	LastStatusCode int           `json:"lastStatusCode,omitempty"`
	LastError      string        `json:"lastError,omitempty"`
	LastLatencyMs  *float64      `json:"lastLatencyMs,omitempty"`
	RedeliveryOf   string        `json:"redeliveryOf,omitempty"`
	History        []attemptJSON `json:"history,omitempty"`
}

type attemptJSON struct {
	Attempt    int     `json:"attempt"`
	At         string  `json:"at"`
	StatusCode int     `json:"statusCode,omitempty"`
	LatencyMs  float64 `json:"latencyMs"`
	Error      string  `json:"error,omitempty"`
	Response   string  `json:"response,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func toDeliveryJSON(d store.WebhookDelivery) deliveryJSON {
	out := deliveryJSON{
		ID: d.ID, Webhook: d.WebhookID, Event: eventRefJSON{ID: strconv.FormatInt(d.EventID, 10), Type: d.EventType},
		State: d.State, Attempts: d.Attempts, CreatedAt: stamp(d.CreatedAt), UpdatedAt: stamp(d.UpdatedAt),
		LastStatusCode: d.LastStatus, LastError: d.LastError, RedeliveryOf: d.RedeliveryOf,
	}
	if d.State == store.DeliveryPending {
		out.NextAttemptAt = stamp(d.NextAttemptAt)
	}
	if d.Attempts > 0 {
		l := ms(d.LastLatency)
		out.LastLatencyMs = &l
	}
	return out
}

// ---------------------------------------------------------------------------
// Handlers

// visible returns the webhook id names if the caller may see it; any other
// case is errNotFound, so ids of other tenants reveal nothing.
func (h *handler) visible(ctx context.Context, id *access.Identity, webhookID string) (store.Webhook, error) {
	w, err := h.store.GetWebhook(ctx, webhookID)
	if errors.Is(err, store.ErrWebhookUnknown) || (err == nil && !id.InSubscription(w.SubscriptionID)) {
		return store.Webhook{}, fmt.Errorf("%w: webhook %q", errNotFound, webhookID)
	}
	return w, err
}

func (h *handler) list(w http.ResponseWriter, r *http.Request, id *access.Identity) error {
	var subs []string // nil: all
	if !id.AllSubscriptions() {
		subs = []string{}
		if id != nil {
			subs = id.Subscriptions
		}
	}
	if s := r.URL.Query().Get("subscription"); s != "" {
		subs = []string{}
		if id.InSubscription(s) {
			subs = []string{s}
		}
	}
	hooks, err := h.store.ListWebhooks(r.Context(), subs)
	if err != nil {
		return err
	}
	items := make([]webhookJSON, 0, len(hooks))
	for _, hk := range hooks {
		if id.InSubscription(hk.SubscriptionID) { // the store filtered; this is the guard
			items = append(items, toWebhookJSON(hk))
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

type createRequest struct {
	Subscription string   `json:"subscription"`
	URL          string   `json:"url"`
	Secret       string   `json:"secret"`
	Events       []string `json:"events"`
	Registry     string   `json:"registry"`
	Active       *bool    `json:"active"`
}

func (h *handler) create(w http.ResponseWriter, r *http.Request, id *access.Identity) error {
	var req createRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	sub := req.Subscription
	if sub == "" {
		if id == nil || len(id.Subscriptions) != 1 {
			return fmt.Errorf("%w: subscription is required", ErrInvalid)
		}
		sub = id.Subscriptions[0]
	}
	if !id.InSubscription(sub) {
		return fmt.Errorf("%w: subscription %q", errNotFound, sub)
	}
	if err := mayManage(id, sub); err != nil {
		return err
	}
	if err := validateURL(req.URL, h.cfg.AllowPrivateTargets); err != nil {
		return err
	}
	events, err := normalizeEvents(req.Events)
	if err != nil {
		return err
	}
	if err := validateRegistry(req.Registry); err != nil {
		return err
	}
	secret := req.Secret
	if secret == "" {
		if secret, err = newSecret(); err != nil {
			return err
		}
	} else if len(secret) < minSecretLength || len(secret) > maxSecretLength {
		return fmt.Errorf("%w: secret must be %d to %d bytes (omit it to have one generated)", ErrInvalid, minSecretLength, maxSecretLength)
	}
	active := req.Active == nil || *req.Active
	hook, err := h.store.CreateWebhook(r.Context(), store.Webhook{
		SubscriptionID: sub, URL: req.URL, Secret: secret, Events: events, Registry: req.Registry,
		Active: active, CreatedBy: id.Name, CreatedAt: h.now(),
	}, h.cfg.MaxPerSubscription)
	if errors.Is(err, store.ErrSubscriptionUnknown) {
		return fmt.Errorf("%w: subscription %q", errNotFound, sub)
	}
	if err != nil {
		return err
	}
	out := toWebhookJSON(hook)
	out.Secret = hook.Secret // shown once
	w.Header().Set("Location", "/api/v1/webhooks/"+url.PathEscape(hook.ID))
	return writeJSON(w, http.StatusCreated, out)
}

// validateRegistry checks a registry filter: "" or one path component.
func validateRegistry(name string) error {
	if name == "" {
		return nil
	}
	if strings.Contains(name, "/") || oci.ValidateName(name) != nil {
		return fmt.Errorf("%w: registry %q is not a registry name", ErrInvalid, name)
	}
	return nil
}

// newSecret returns 32 random bytes, base64url encoded.
func newSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("webhook: secret: %w", err)
	}
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func (h *handler) get(w http.ResponseWriter, r *http.Request, id *access.Identity) error {
	hook, err := h.visible(r.Context(), id, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toWebhookJSON(hook))
}

type updateRequest struct {
	URL      *string   `json:"url"`
	Events   *[]string `json:"events"`
	Registry *string   `json:"registry"`
	Active   *bool     `json:"active"`
}

func (h *handler) update(w http.ResponseWriter, r *http.Request, id *access.Identity) error {
	hook, err := h.visible(r.Context(), id, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := mayManage(id, hook.SubscriptionID); err != nil {
		return err
	}
	var req updateRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	u := store.WebhookUpdate{URL: req.URL, Registry: req.Registry, Active: req.Active, At: h.now()}
	if req.URL != nil {
		if err := validateURL(*req.URL, h.cfg.AllowPrivateTargets); err != nil {
			return err
		}
	}
	if req.Registry != nil {
		if err := validateRegistry(*req.Registry); err != nil {
			return err
		}
	}
	if req.Events != nil {
		events, err := normalizeEvents(*req.Events)
		if err != nil {
			return err
		}
		u.Events = &events
	}
	hook, err = h.store.UpdateWebhook(r.Context(), hook.ID, u)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toWebhookJSON(hook))
}

func (h *handler) delete(w http.ResponseWriter, r *http.Request, id *access.Identity) error {
	hook, err := h.visible(r.Context(), id, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := mayManage(id, hook.SubscriptionID); err != nil {
		return err
	}
	if err := h.store.DeleteWebhook(r.Context(), hook.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *handler) deliveries(w http.ResponseWriter, r *http.Request, id *access.Identity) error {
	hook, err := h.visible(r.Context(), id, r.PathValue("id"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	limit := defaultPageSize
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPageSize {
			return fmt.Errorf("%w: limit %q must be 1 to %d", ErrInvalid, s, maxPageSize)
		}
		limit = n
	}
	var before int64
	if s := q.Get("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return fmt.Errorf("%w: before %q is not a cursor from nextLink", ErrInvalid, s)
		}
		before = n
	}
	ds, err := h.store.ListDeliveries(r.Context(), hook.ID, before, limit+1)
	if err != nil {
		return err
	}
	out := struct {
		Items    []deliveryJSON `json:"items"`
		NextLink string         `json:"nextLink,omitempty"`
	}{Items: []deliveryJSON{}}
	for i, d := range ds {
		if i == limit {
			out.NextLink = fmt.Sprintf("/api/v1/webhooks/%s/deliveries?limit=%d&before=%d", url.PathEscape(hook.ID), limit, ds[i-1].Seq)
			break
		}
		out.Items = append(out.Items, toDeliveryJSON(d))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *handler) delivery(w http.ResponseWriter, r *http.Request, id *access.Identity) error {
	hook, err := h.visible(r.Context(), id, r.PathValue("id"))
	if err != nil {
		return err
	}
	d, attempts, err := h.store.GetDelivery(r.Context(), hook.ID, r.PathValue("delivery"))
	if err != nil {
		return err
	}
	out := toDeliveryJSON(d)
	out.History = make([]attemptJSON, 0, len(attempts))
	for _, a := range attempts {
		out.History = append(out.History, attemptJSON{
			Attempt: a.N, At: stamp(a.At), StatusCode: a.Status, LatencyMs: ms(a.Latency), Error: a.Error, Response: a.Response,
		})
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *handler) redeliver(w http.ResponseWriter, r *http.Request, id *access.Identity) error {
	hook, err := h.visible(r.Context(), id, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := mayManage(id, hook.SubscriptionID); err != nil {
		return err
	}
	d, err := h.store.Redeliver(r.Context(), hook.ID, r.PathValue("delivery"), h.now())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, toDeliveryJSON(d))
}

func (h *handler) ping(w http.ResponseWriter, r *http.Request, id *access.Identity) error {
	hook, err := h.visible(r.Context(), id, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := mayManage(id, hook.SubscriptionID); err != nil {
		return err
	}
	if !hook.Active {
		return fmt.Errorf("%w: webhook %q is paused; activate it first", errConflict, hook.ID)
	}
	payload, err := json.Marshal(map[string]string{"webhook": hook.ID, "message": "ping from drydock", "requestedBy": id.Name})
	if err != nil {
		return err
	}
	d, err := h.store.PingWebhook(r.Context(), hook.ID, EventPing, payload, h.now())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, toDeliveryJSON(d))
}
