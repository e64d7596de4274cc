package auth

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/audit"
	"github.com/drydock/drydock/internal/identity"
)

// maxTokenForm bounds the body of a token request.
const maxTokenForm = 64 << 10

// tokenResponse is the token endpoint's answer (Docker registry token
// specification, and its OAuth2 variant).
type tokenResponse struct {
	Token        string `json:"token"`
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	IssuedAt     string `json:"issued_at"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// TokenHandler serves the token endpoint (TokenPath):
//
//   - GET with Basic credentials (password or API token) or none
//     (anonymous), ?service=&scope=...&offline_token=true: the Docker
//     registry token flow;
//   - POST form grant_type=password (username, password) or
//     grant_type=refresh_token (refresh_token), with scope, service,
//     client_id and access_type=offline: the OAuth2 flow of docker
//     login-style clients.
//
// Each requested scope is granted the subset of its actions the caller may
// perform (possibly none); only a malformed scope is an error.
func (g *Gate) TokenHandler() http.Handler {
	return http.HandlerFunc(g.serveToken)
}

type tokenError struct {
	status int
	code   string // OAuth2 error code
	msg    string
}

func (g *Gate) serveToken(w http.ResponseWriter, r *http.Request) {
	var (
		scopes                        []string
		p                             *identity.Principal
		offline                       bool
		method, client, service, user string
		terr                          *tokenError
	)
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		scopes, offline, client, service = q["scope"], q.Get("offline_token") == "true", q.Get("client_id"), q.Get("service")
		cred, err := ParseAuthorization(r.Header.Get("Authorization"))
		user = cred.User
		if rerr := g.blocked(r, cred.User); rerr != nil {
			g.writeTokenError(w, r, rerr, nil)
			return
		}
		switch {
		case err != nil || cred.Scheme == "bearer":
			g.failed(r, "", "token-endpoint", "unsupported credentials")
			terr = &tokenError{http.StatusUnauthorized, "invalid_client", "use HTTP Basic credentials or none"}
		case cred.Scheme == "basic":
			method = "basic"
			p, err = g.ids.AuthenticateBasic(r.Context(), cred.User, cred.Password)
			if err != nil {
				terr = g.loginFailed(r, cred.User, method, err)
			}
		default:
			method = "anonymous"
			if p, err = g.ids.Anonymous(r.Context()); err != nil {
				g.writeTokenError(w, r, err, nil)
				return
			}
		}
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, maxTokenForm)
		if err := r.ParseForm(); err != nil {
			g.writeTokenError(w, r, nil, &tokenError{http.StatusBadRequest, "invalid_request", "malformed form"})
			return
		}
		f := r.PostForm
		scopes, offline, client, service = strings.Fields(f.Get("scope")), f.Get("access_type") == "offline", f.Get("client_id"), f.Get("service")
		user = f.Get("username")
		if rerr := g.blocked(r, user); rerr != nil {
			g.writeTokenError(w, r, rerr, nil)
			return
		}
		var err error
		switch f.Get("grant_type") {
		case "password":
			method = "password-grant"
			p, err = g.ids.AuthenticateBasic(r.Context(), user, f.Get("password"))
			if err != nil {
				terr = g.loginFailed(r, user, method, err)
			}
		case "refresh_token":
			method = "refresh-grant"
			c, verr := g.iss.VerifyRefresh(f.Get("refresh_token"))
			if verr != nil {
				g.failed(r, "", method, verr.Error())
				terr = &tokenError{http.StatusUnauthorized, "invalid_grant", "invalid refresh token"}
				break
			}
			p, err = g.ids.Resume(r.Context(), identity.Subject{UserID: c.UserID, TokenID: c.TokenID, IssuedAt: c.IssuedAt.Time})
			if err != nil {
				terr = g.loginFailed(r, "", method, err)
			}
		default:
			terr = &tokenError{http.StatusBadRequest, "unsupported_grant_type", "grant_type must be password or refresh_token"}
		}
	default:
		w.Header().Set("Allow", "GET, POST")
		g.writeTokenError(w, r, nil, &tokenError{http.StatusMethodNotAllowed, "invalid_request", "use GET or POST"})
		return
	}
	if terr == nil && service != "" && service != g.cfg.Service {
		terr = &tokenError{http.StatusBadRequest, "invalid_request", "unknown service " + strconv.Quote(service)}
	}
	if terr != nil {
		g.writeTokenError(w, r, nil, terr)
		return
	}
	var req []identity.RequestScope
	for _, s := range scopes {
		for _, f := range strings.Fields(s) {
			rs, err := identity.ParseRequestScope(f)
			if err != nil {
				g.writeTokenError(w, r, nil, &tokenError{http.StatusBadRequest, "invalid_scope", err.Error()})
				return
			}
			req = append(req, rs)
		}
	}
	if len(req) > 100 {
		g.writeTokenError(w, r, nil, &tokenError{http.StatusBadRequest, "invalid_scope", "too many scopes"})
		return
	}
	granted, err := g.grant(r, p, req)
	if err != nil {
		g.writeTokenError(w, r, err, nil)
		return
	}
	claims := Claims{Access: granted, UserID: p.User.ID}
	claims.Subject = p.Name()
	if p.Token != nil {
		claims.TokenID = p.Token.ID
	}
	tok, issued, err := g.iss.Access(claims, g.cfg.TokenTTL)
	if err != nil {
		g.writeTokenError(w, r, err, nil)
		return
	}
	resp := tokenResponse{Token: tok, AccessToken: tok, ExpiresIn: int(g.cfg.TokenTTL / time.Second), IssuedAt: issued.Format(time.RFC3339)}
	var scopeStrs []string
	for _, ra := range granted {
		scopeStrs = append(scopeStrs, ra.Type+":"+ra.Name+":"+strings.Join(ra.Actions, ","))
	}
	resp.Scope = strings.Join(scopeStrs, " ")
	if offline && !p.Anonymous() {
		if resp.RefreshToken, err = g.iss.Refresh(claims, g.cfg.RefreshTTL); err != nil {
			g.writeTokenError(w, r, err, nil)
			return
		}
	}
	if !p.Anonymous() {
		detail := map[string]string{"method": method, "scope": resp.Scope}
		if client != "" {
			detail["client"] = client
		}
		if p.Token != nil {
			detail["token"] = p.Token.ID
		}
		g.throttle.Reset("user:" + p.User.Name)
		g.audit.Record(r.Context(), audit.Event{Actor: p.Name(), Action: audit.Login, Target: g.cfg.Service,
			Remote: audit.Remote(r), Outcome: audit.OK, Detail: detail})
	}
	writeJSON(w, http.StatusOK, "application/json", resp)
}

// loginFailed turns an authentication error into the endpoint's answer.
func (g *Gate) loginFailed(r *http.Request, user, method string, err error) *tokenError {
	if errors.Is(err, access.ErrUnauthenticated) {
		g.failed(r, user, method, "bad credentials")
		return &tokenError{http.StatusUnauthorized, "invalid_grant", "invalid username, password or token"}
	}
	g.log.ErrorContext(r.Context(), "token request failed", "err", err)
	return &tokenError{http.StatusInternalServerError, "server_error", "internal error"}
}

// grant returns the access claims for the requested scopes.
func (g *Gate) grant(r *http.Request, p *identity.Principal, req []identity.RequestScope) ([]ResourceActions, error) {
	out := []ResourceActions{}
	for _, rs := range req {
		ra := ResourceActions{Type: rs.Type, Name: rs.Name, Actions: []string{}}
		if rs.Type == "registry" { // registry:catalog:*
			if !p.Anonymous() && len(rs.Actions) > 0 {
				ra.Actions = []string{"*"}
			}
			out = append(out, ra)
			continue
		}
		sub, err := g.subscriptionOf(r.Context(), p, rs.Name)
		if err != nil {
			return nil, err
		}
		allowed := p.Grants.Allowed(sub, rs.Name)
		for _, a := range rs.Actions {
			if a == "*" {
				for _, x := range allowed.List() {
					ra.Actions = append(ra.Actions, string(x))
				}
				continue
			}
			if bit := identity.ActionOf(access.Action(a)); bit != 0 && allowed.Has(bit) {
				ra.Actions = append(ra.Actions, a)
			}
		}
		out = append(out, ra)
	}
	return out, nil
}

// writeTokenError renders a token endpoint failure: OAuth2 JSON for POST,
// the registry error envelope for GET; 429 with Retry-After when throttled.
func (g *Gate) writeTokenError(w http.ResponseWriter, r *http.Request, err error, te *tokenError) {
	if te == nil {
		var rerr *RetryError
		switch {
		case errors.As(err, &rerr):
			w.Header().Set("Retry-After", rerr.RetryAfter())
			te = &tokenError{http.StatusTooManyRequests, "too_many_requests", rerr.Error()}
		default:
			g.log.ErrorContext(r.Context(), "token request failed", "err", err)
			te = &tokenError{http.StatusInternalServerError, "server_error", "internal error"}
		}
	}
	if te.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+g.cfg.Service+`"`)
	}
	if r.Method == http.MethodPost {
		writeJSON(w, te.status, "application/json", map[string]string{"error": te.code, "error_description": te.msg})
		return
	}
	code := map[int]string{http.StatusUnauthorized: "UNAUTHORIZED", http.StatusTooManyRequests: "TOOMANYREQUESTS",
		http.StatusInternalServerError: "UNKNOWN"}[te.status]
	if code == "" {
		code = "UNSUPPORTED"
		if te.code == "invalid_scope" || te.code == "invalid_request" {
			code = "DENIED"
		}
	}
	writeJSON(w, te.status, "application/json", ociErrors(code, te.msg))
}
