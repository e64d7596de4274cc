package provider

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/projection"
	"github.com/drydock/drydock/internal/store"
)

// list is a list response: {"value": [...], "nextLink": "..."}; nextLink
// is left out on the last page.
type list[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"nextLink,omitempty"`
}

// subscription is one subscription, as the provider lists them.
type subscription struct {
	ID             string `json:"id"`
	SubscriptionID string `json:"subscriptionId"`
	TenantID       string `json:"tenantId"`
	DisplayName    string `json:"displayName"`
	State          string `json:"state"`
}

func (h *Handler) subscriptionOf(s store.Subscription) subscription {
	id := projection.SubscriptionID(s.ID)
	return subscription{ID: "/subscriptions/" + id, SubscriptionID: id, TenantID: h.p.Config().TenantID,
		DisplayName: s.Name, State: "Enabled"}
}

// listSubscriptions lists the subscriptions the caller may read, with the
// provider ids the other routes take.
func (h *Handler) listSubscriptions(w http.ResponseWriter, r *http.Request, id *access.Identity) error {
	subs, err := h.p.Subscriptions(r.Context(), id)
	if err != nil {
		return err
	}
	out := list[subscription]{Value: []subscription{}}
	for _, s := range subs {
		out.Value = append(out.Value, h.subscriptionOf(s))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// pageSize is $top, else the configured page size.
func (h *Handler) pageSize(q url.Values) (int, error) {
	v := q.Get("$top")
	if v == "" {
		return h.cfg.PageSize, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPage {
		return 0, errorf(http.StatusBadRequest, "InvalidParameter", "The value '%s' of $top is invalid: give a number from 1 to %d.", v, maxPage)
	}
	return n, nil
}

// Skip tokens are opaque to clients: "a" and an offset for assessments,
// "s" and a projection.Position for sub-assessments.
func skipToken(kind string, parts ...int64) string {
	s := kind
	for _, p := range parts {
		s += "." + strconv.FormatInt(p, 10)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

var errBadToken = errorf(http.StatusBadRequest, "InvalidSkipToken", "The $skipToken is not one this list returned; start again without it.")

// readToken decodes $skipToken for a list of kind into want numbers (none
// when absent).
func readToken(q url.Values, kind string, want int) ([]int64, error) {
	t := q.Get("$skipToken")
	if t == "" {
		return make([]int64, want), nil
	}
	b, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil {
		return nil, errBadToken
	}
	parts := strings.Split(string(b), ".")
	if len(parts) != want+1 || parts[0] != kind {
		return nil, errBadToken
	}
	out := make([]int64, want)
	for i, p := range parts[1:] {
		if out[i], err = strconv.ParseInt(p, 10, 64); err != nil || out[i] < 0 {
			return nil, errBadToken
		}
	}
	return out, nil
}

// nextLink is the absolute URL of the next page: this request's path
// with api-version, $top and the new $skipToken.
func nextLink(r *http.Request, token string) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	q := r.URL.Query()
	s := scheme + "://" + r.Host + r.URL.EscapedPath() + "?api-version=" + url.QueryEscape(q.Get("api-version"))
	if top := q.Get("$top"); top != "" {
		s += "&$top=" + url.QueryEscape(top)
	}
	return s + "&$skipToken=" + token
}

func (h *Handler) listAssessments(w http.ResponseWriter, r *http.Request, sc projection.Scope) error {
	q := r.URL.Query()
	n, err := h.pageSize(q)
	if err != nil {
		return err
	}
	pos, err := readToken(q, "a", 1)
	if err != nil {
		return err
	}
	as, err := h.p.Assessments(r.Context(), sc, "")
	if err != nil {
		return err
	}
	out := list[projection.Resource]{Value: []projection.Resource{}}
	from := min(int(pos[0]), len(as))
	end := min(from+n, len(as))
	out.Value = append(out.Value, as[from:end]...)
	if end < len(as) {
		out.NextLink = nextLink(r, skipToken("a", int64(end)))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (h *Handler) listSubAssessments(w http.ResponseWriter, r *http.Request, sc projection.Scope, keys []string) error {
	q := r.URL.Query()
	n, err := h.pageSize(q)
	if err != nil {
		return err
	}
	pos, err := readToken(q, "s", 2)
	if err != nil {
		return err
	}
	out := list[projection.Resource]{Value: []projection.Resource{}}
	var last projection.Position
	more := false
	err = h.p.EachSubAssessment(r.Context(), sc, keys, projection.Position{ImageID: pos[0], Index: int(pos[1])},
		func(res projection.Resource, next projection.Position) error {
			if len(out.Value) == n {
				more = true
				return projection.ErrStop
			}
			out.Value, last = append(out.Value, res), next
			return nil
		})
	if err != nil && !errors.Is(err, projection.ErrStop) {
		return err
	}
	if more {
		out.NextLink = nextLink(r, skipToken("s", last.ImageID, int64(last.Index)))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
