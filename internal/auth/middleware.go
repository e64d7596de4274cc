package auth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/audit"
	"github.com/drydock/drydock/internal/identity"
	"github.com/drydock/drydock/internal/oci"
)

// requestInfo carries, from Authorize back to RegistryGuard, who made a
// registry request.
type requestInfo struct{ actor string }

type requestInfoKey struct{}

// RegistryGuard wraps the registry (/v2/): a throttled client address or
// user is refused with 429 TOOMANYREQUESTS and Retry-After before the
// registry does any work, and successful deletes are audited. Authorization
// itself is the registry's call to Authorize.
func (g *Gate) RegistryGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cred, _ := ParseAuthorization(r.Header.Get("Authorization"))
		if rerr := g.blocked(r, cred.User); rerr != nil {
			w.Header().Set("Retry-After", rerr.RetryAfter())
			w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
			writeJSON(w, http.StatusTooManyRequests, "application/json", ociErrors("TOOMANYREQUESTS", rerr.Error()))
			return
		}
		if r.Method != http.MethodDelete {
			next.ServeHTTP(w, r)
			return
		}
		info := &requestInfo{actor: "anonymous"}
		rec := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
		if rec.code < 200 || rec.code > 299 {
			return
		}
		action, target := deleteAction(r.URL.Path)
		sub := ""
		if reg, err := g.regs.GetRegistry(r.Context(), oci.RegistryOf(target)); err == nil {
			sub = reg.SubscriptionID
		}
		g.audit.Record(r.Context(), audit.Event{Actor: info.actor, Action: action, Target: target, Subscription: sub,
			Remote: audit.Remote(r), Outcome: audit.OK, Detail: map[string]string{"path": r.URL.Path}})
	})
}

// deleteAction names a successful DELETE under /v2/ and what it removed
// ("team/app@sha256:..." or "team/app:tag").
func deleteAction(path string) (action, target string) {
	rest := strings.TrimPrefix(path, "/v2/")
	if i := strings.LastIndex(rest, "/blobs/uploads/"); i >= 0 {
		return audit.UploadCancel, rest[:i]
	}
	if i := strings.LastIndex(rest, "/manifests/"); i >= 0 {
		ref := rest[i+len("/manifests/"):]
		if oci.IsDigestReference(ref) {
			return audit.ManifestDelete, rest[:i] + "@" + ref
		}
		return audit.TagDelete, rest[:i] + ":" + ref
	}
	if i := strings.LastIndex(rest, "/blobs/"); i >= 0 {
		return audit.BlobDelete, rest[:i] + "@" + rest[i+len("/blobs/"):]
	}
	return "delete", rest
}

// Middleware guards the interfaces other than the registry (REST API,
// provider API, query API, events, console, metrics): it authenticates
// Basic (password or API token) and Bearer (signed token or API token)
// credentials, refuses anonymous callers with 401 and a challenge, refuses
// state-changing methods to callers that may only read, bounds request
// bodies, and puts the caller's access.Identity (and principal, see
// PrincipalFromContext) into the request context. Errors are problem JSON
// (RFC 9457).
func (g *Gate) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := g.authenticate(r)
		if err == nil && c.p.Anonymous() {
			err = access.ErrUnauthenticated
		}
		if err != nil {
			g.writeProblem(w, r, err)
			return
		}
		if c.claims != nil {
			// A signed registry token never grants more than its access
			// claims outside the registry.
			p := *c.p
			p.Grants.Scopes = intersectScopes(p.Grants.Scopes, claimScopes(c.claims.Access))
			c.p = &p
		}
		if !safeMethod(r.Method) && !readOnlyPost(r) && c.p.Grants.Any()&(identity.Push|identity.Delete|identity.Admin) == 0 {
			g.writeProblem(w, r, access.ErrDenied)
			return
		}
		ctx := r.Context()
		id, err := g.ids.Identity(ctx, c.p, nil)
		if err != nil {
			g.writeProblem(w, r, err)
			return
		}
		if r.Body != nil && g.cfg.MaxBodyBytes > 0 {
			r.Body = http.MaxBytesReader(w, r.Body, g.cfg.MaxBodyBytes)
		}
		ctx = context.WithValue(access.WithIdentity(ctx, id), principalKey{}, c.p)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// readOnlyPost reports whether r is a POST that only reads: the fleet query
// carries its query in a body but changes nothing, so readers may run it
// (the query tables still see only the caller's subscriptions).
func readOnlyPost(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == "/api/v1/query"
}

// writeProblem renders an authentication or authorization failure as
// problem JSON.
func (g *Gate) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	status, title, detail := http.StatusInternalServerError, "Internal Server Error", "internal error"
	var rerr *RetryError
	switch {
	case errors.As(err, &rerr):
		status, title, detail = http.StatusTooManyRequests, "Too Many Requests", rerr.Error()
		w.Header().Set("Retry-After", rerr.RetryAfter())
	case errors.Is(err, access.ErrTooManyRequests):
		status, title, detail = http.StatusTooManyRequests, "Too Many Requests", "too many requests"
	case errors.Is(err, access.ErrUnauthenticated):
		status, title, detail = http.StatusUnauthorized, "Unauthorized", "authentication required: use HTTP Basic (user and password or API token) or a bearer token"
		w.Header().Add("WWW-Authenticate", `Basic realm="`+g.cfg.Service+`"`)
		w.Header().Add("WWW-Authenticate", `Bearer realm="`+g.realm(r)+`",service="`+g.cfg.Service+`"`)
	case errors.Is(err, access.ErrDenied):
		status, title, detail = http.StatusForbidden, "Forbidden", "access denied"
	default:
		g.log.ErrorContext(r.Context(), "authentication failed", "err", err)
	}
	writeJSON(w, status, "application/problem+json", map[string]any{
		"type": "about:blank", "title": title, "status": status, "detail": detail,
	})
}

func ociErrors(code, msg string) map[string]any {
	return map[string]any{"errors": []map[string]string{{"code": code, "message": msg}}}
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{}`)
	}
	b = append(b, '\n')
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// statusWriter records the status code of a response.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
