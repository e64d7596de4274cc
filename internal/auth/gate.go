package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/audit"
	"github.com/drydock/drydock/internal/identity"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// Config configures a [Gate]. Zero fields take the defaults noted.
type Config struct {
	// Service is the token service name (the challenge's service and the
	// tokens' audience). Default "drydock".
	Service string
	// Realm is the token endpoint URL put in challenges; "" derives it from
	// each request: <scheme>://<Host>/auth/token.
	Realm string
	// TokenTTL is the lifetime of access tokens. Default 5m.
	TokenTTL time.Duration
	// RefreshTTL is the lifetime of refresh tokens. Default 720h.
	RefreshTTL time.Duration
	// DefaultSubscription and AutoCreateRegistries mirror the registry's
	// settings: a push into a registry that does not exist yet is judged
	// by the caller's rights in the subscription it would be created in.
	DefaultSubscription  string
	AutoCreateRegistries bool
	// MaxFailures authentication failures within FailureWindow block a
	// client address, and separately a user name, for Lockout. Default
	// 10 in 5m for 1m; a negative MaxFailures disables throttling.
	MaxFailures   int
	FailureWindow time.Duration
	Lockout       time.Duration
	// MaxBodyBytes bounds request bodies on the interfaces Middleware
	// guards. Default 8 MiB.
	MaxBodyBytes int64
}

func (c Config) withDefaults() (Config, error) {
	if c.Service == "" {
		c.Service = "drydock"
	}
	if c.TokenTTL == 0 {
		c.TokenTTL = 5 * time.Minute
	}
	if c.RefreshTTL == 0 {
		c.RefreshTTL = 720 * time.Hour
	}
	if c.DefaultSubscription == "" {
		c.DefaultSubscription = "default"
	}
	if c.MaxFailures == 0 {
		c.MaxFailures = 10
	}
	if c.FailureWindow == 0 {
		c.FailureWindow = 5 * time.Minute
	}
	if c.Lockout == 0 {
		c.Lockout = time.Minute
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 8 << 20
	}
	if c.TokenTTL < 0 || c.RefreshTTL < 0 || c.FailureWindow < 0 || c.Lockout < 0 || c.MaxBodyBytes < 0 {
		return c, errors.New("auth: durations and sizes must not be negative")
	}
	if strings.ContainsAny(c.Service, `"\`) || strings.ContainsAny(c.Realm, `"\`) {
		return c, errors.New(`auth: service and realm must not contain '"' or '\'`)
	}
	return c, nil
}

// Registries resolves a registry name to its subscription.
type Registries interface {
	GetRegistry(ctx context.Context, name string) (store.Registry, error)
}

// Deps are the Gate's collaborators.
type Deps struct {
	Identities *identity.Service
	Registries Registries
	Key        *SigningKey
	// Audit records sign-ins and deletes; nil records nothing.
	Audit  audit.Recorder
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Gate authenticates and authorizes every HTTP interface of drydock: it is
// the registry's access.Authorizer and access.Challenger, serves the token
// endpoint, and wraps the other interfaces in [Gate.Middleware].
type Gate struct {
	cfg      Config
	ids      *identity.Service
	regs     Registries
	iss      *issuer
	throttle *Throttle
	audit    audit.Recorder
	log      *slog.Logger
	now      func() time.Time
}

var (
	_ access.Authorizer = (*Gate)(nil)
	_ access.Challenger = (*Gate)(nil)
)

// New returns a Gate.
func New(cfg Config, deps Deps) (*Gate, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if deps.Identities == nil || deps.Registries == nil || deps.Key == nil || deps.Logger == nil {
		return nil, errors.New("auth: Identities, Registries, Key and Logger are required")
	}
	if deps.Audit == nil {
		deps.Audit = audit.Discard()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	max := cfg.MaxFailures
	if max < 0 {
		max = 0
	}
	return &Gate{
		cfg:      cfg,
		ids:      deps.Identities,
		regs:     deps.Registries,
		iss:      &issuer{key: deps.Key, name: cfg.Service, service: cfg.Service, now: deps.Now},
		throttle: NewThrottle(max, cfg.FailureWindow, cfg.Lockout, deps.Now),
		audit:    deps.Audit,
		log:      deps.Logger.With("component", "auth"),
		now:      deps.Now,
	}, nil
}

// RetryError is ErrTooManyRequests with the time to wait.
type RetryError struct{ After time.Duration }

func (e *RetryError) Error() string {
	return fmt.Sprintf("too many failed sign-ins; retry in %s", e.After.Round(time.Second))
}

// Unwrap makes errors.Is(err, access.ErrTooManyRequests) true.
func (e *RetryError) Unwrap() error { return access.ErrTooManyRequests }

// RetryAfter is the value of the Retry-After header (whole seconds, >= 1).
func (e *RetryError) RetryAfter() string {
	return strconv.Itoa(max(1, int((e.After+time.Second-1)/time.Second)))
}

// caller is the result of authentication.
type caller struct {
	p *identity.Principal
	// claims are set when the caller presented a signed access token.
	claims *Claims
}

type principalKey struct{}

// PrincipalFromContext returns the principal Authorize or Middleware
// authenticated, or nil. Handlers use it for decisions finer than
// access.Identity carries (Allowed: roles per subscription and registry).
func PrincipalFromContext(ctx context.Context) *identity.Principal {
	p, _ := ctx.Value(principalKey{}).(*identity.Principal)
	return p
}

// Allowed reports whether the caller of ctx may perform action on the
// subscription sub as a whole (for example admin to change the plan).
func Allowed(ctx context.Context, sub string, action access.Action) bool {
	p := PrincipalFromContext(ctx)
	if p == nil {
		return false
	}
	bit := identity.ActionOf(action)
	return bit != 0 && p.Grants.InSubscription(sub).Has(bit)
}

func clientKey(r *http.Request) string { return "ip:" + audit.Remote(r) }

// blocked reports a throttled client address or user name.
func (g *Gate) blocked(r *http.Request, user string) *RetryError {
	if d, ok := g.throttle.Blocked(clientKey(r)); ok {
		return &RetryError{After: d}
	}
	if user != "" {
		if d, ok := g.throttle.Blocked("user:" + user); ok {
			return &RetryError{After: d}
		}
	}
	return nil
}

// failed records an authentication failure.
func (g *Gate) failed(r *http.Request, user, method, reason string) {
	g.throttle.Fail(clientKey(r))
	if user != "" {
		g.throttle.Fail("user:" + user)
	}
	actor := user
	if actor == "" {
		actor = "anonymous"
	}
	g.audit.Record(r.Context(), audit.Event{Actor: actor, Action: audit.Login, Remote: audit.Remote(r), Outcome: audit.Failed,
		Detail: map[string]string{"method": method, "reason": reason, "path": r.URL.Path}})
}

// authenticate finds the caller of r. Errors wrap ErrUnauthenticated,
// ErrTooManyRequests or are internal.
func (g *Gate) authenticate(r *http.Request) (caller, error) {
	ctx := r.Context()
	cred, err := ParseAuthorization(r.Header.Get("Authorization"))
	if rerr := g.blocked(r, cred.User); rerr != nil {
		return caller{}, rerr
	}
	if err != nil {
		g.failed(r, "", "malformed", err.Error())
		return caller{}, fmt.Errorf("%w: %w", access.ErrUnauthenticated, err)
	}
	switch cred.Scheme {
	case "":
		p, err := g.ids.Anonymous(ctx)
		return caller{p: p}, err
	case "basic":
		p, err := g.ids.AuthenticateBasic(ctx, cred.User, cred.Password)
		if errors.Is(err, access.ErrUnauthenticated) {
			g.failed(r, cred.User, "basic", "bad credentials")
			return caller{}, err
		}
		if err != nil {
			return caller{}, err
		}
		g.throttle.Reset("user:" + cred.User)
		return caller{p: p}, nil
	default: // bearer
		if identity.IsTokenSecret(cred.Token) {
			p, err := g.ids.AuthenticateToken(ctx, "", cred.Token)
			if errors.Is(err, access.ErrUnauthenticated) {
				g.failed(r, "", "bearer-api-token", "bad credentials")
			}
			return caller{p: p}, err
		}
		c, err := g.iss.VerifyAccess(cred.Token)
		if err != nil {
			g.failed(r, "", "bearer", err.Error())
			return caller{}, fmt.Errorf("%w: %w", access.ErrUnauthenticated, err)
		}
		p, err := g.ids.Resume(ctx, identity.Subject{UserID: c.UserID, TokenID: c.TokenID, IssuedAt: c.IssuedAt.Time})
		if errors.Is(err, access.ErrUnauthenticated) {
			g.failed(r, "", "bearer", "account or token no longer valid")
			return caller{}, err
		}
		if err != nil {
			return caller{}, err
		}
		// On the registry the access claims bound each request (Authorize);
		// listings still see what the account may read, so that automatic
		// mounts and the catalog work with the token a client fetched for
		// one repository. Middleware narrows the grants to the claims.
		return caller{p: p, claims: c}, nil
	}
}

// claimScopes turns access claims into scopes: a repository claim is its
// exact name, the catalog claim reads everything the user may read.
func claimScopes(access []ResourceActions) []identity.Scope {
	out := []identity.Scope{}
	for _, ra := range access {
		switch {
		case ra.Type == "repository":
			var a identity.Actions
			for _, x := range ra.Actions {
				a |= identity.ActionOf(accessAction(x))
			}
			if a != 0 {
				out = append(out, identity.Scope{Pattern: identity.Pattern(ra.Name), Actions: a})
			}
		case ra.Type == "registry" && ra.Name == "catalog":
			out = append(out, identity.Scope{Pattern: "*", Actions: identity.Pull})
		}
	}
	return out
}

func accessAction(s string) access.Action { return access.Action(s) }

// intersectScopes intersects two scope restrictions (nil: none).
func intersectScopes(a, b []identity.Scope) []identity.Scope {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	out := []identity.Scope{}
	for _, x := range a {
		for _, y := range b {
			if p, ok := x.Pattern.Intersect(y.Pattern); ok && x.Actions&y.Actions != 0 {
				out = append(out, identity.Scope{Pattern: p, Actions: x.Actions & y.Actions})
			}
		}
	}
	return out
}

// subscriptionOf returns the subscription repository repo belongs to: its
// registry's, or for a registry that does not exist yet the one a push
// would create it in ("" when pushes do not create registries).
func (g *Gate) subscriptionOf(ctx context.Context, p *identity.Principal, repo string) (string, error) {
	reg, err := g.regs.GetRegistry(ctx, oci.RegistryOf(repo))
	switch {
	case err == nil:
		return reg.SubscriptionID, nil
	case !errors.Is(err, store.ErrRegistryUnknown):
		return "", err
	case !g.cfg.AutoCreateRegistries || p.Anonymous():
		return "", nil
	}
	if sub, ok := p.Grants.SingleSubscription(); ok {
		return sub, nil
	}
	return g.cfg.DefaultSubscription, nil
}

func actionBits(as []access.Action) (identity.Actions, bool) {
	var a identity.Actions
	for _, x := range as {
		bit := identity.ActionOf(x)
		if bit == 0 {
			return 0, false
		}
		a |= bit
	}
	return a, true
}

// Authorize implements access.Authorizer.
func (g *Gate) Authorize(r *http.Request, reqs []access.Request) (*http.Request, error) {
	c, err := g.authenticate(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	p := c.p
	var anonSubs []string
	for _, req := range reqs {
		if req.Repository == "" {
			if !slices.Equal(req.Actions, []access.Action{access.ActionCatalog}) {
				return nil, fmt.Errorf("%w: unknown request %v", access.ErrDenied, req.Actions)
			}
			if p.Anonymous() || (c.claims != nil && !hasCatalogClaim(c.claims.Access)) {
				return nil, access.ErrUnauthenticated
			}
			continue
		}
		need, ok := actionBits(req.Actions)
		if !ok {
			return nil, fmt.Errorf("%w: unknown actions %v", access.ErrDenied, req.Actions)
		}
		if c.claims != nil && !claimActions(c.claims.Access, req.Repository).Has(need) {
			return nil, fmt.Errorf("%w: the token does not cover %s", access.ErrUnauthenticated, req.Repository)
		}
		sub, err := g.subscriptionOf(ctx, p, req.Repository)
		if err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
		if !p.Grants.Allowed(sub, req.Repository).Has(need) {
			if p.Anonymous() {
				return nil, access.ErrUnauthenticated
			}
			return nil, access.ErrDenied
		}
		if p.Anonymous() && sub != "" && !slices.Contains(anonSubs, sub) {
			anonSubs = append(anonSubs, sub)
		}
	}
	if p.Anonymous() && len(reqs) == 0 {
		// The version check: clients learn here how to sign in.
		return nil, access.ErrUnauthenticated
	}
	id, err := g.ids.Identity(ctx, p, anonSubs)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	if info, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		info.actor = p.Name()
	}
	ctx = context.WithValue(access.WithIdentity(ctx, id), principalKey{}, p)
	return r.WithContext(ctx), nil
}

func hasCatalogClaim(as []ResourceActions) bool {
	for _, ra := range as {
		if ra.Type == "registry" && ra.Name == "catalog" && slices.Contains(ra.Actions, "*") {
			return true
		}
	}
	return false
}

// claimActions returns what access claims grant on repository repo.
func claimActions(as []ResourceActions, repo string) identity.Actions {
	var a identity.Actions
	for _, ra := range as {
		if ra.Type == "repository" && ra.Name == repo {
			for _, x := range ra.Actions {
				a |= identity.ActionOf(access.Action(x))
			}
		}
	}
	return a
}

// Challenge implements access.Challenger: the Docker registry token flow.
func (g *Gate) Challenge(r *http.Request, reqs []access.Request) string {
	var scopes []string
	for _, req := range reqs {
		if req.Repository == "" {
			scopes = append(scopes, "registry:catalog:*")
			continue
		}
		var acts []string
		for _, a := range req.Actions {
			acts = append(acts, string(a))
		}
		scopes = append(scopes, "repository:"+req.Repository+":"+strings.Join(acts, ","))
	}
	ch := `Bearer realm="` + g.realm(r) + `",service="` + g.cfg.Service + `"`
	if len(scopes) > 0 {
		ch += `,scope="` + strings.Join(scopes, " ") + `"`
	}
	return ch
}

// realm is the token endpoint URL.
func (g *Gate) realm(r *http.Request) string {
	if g.cfg.Realm != "" {
		return g.cfg.Realm
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if strings.ContainsAny(host, "\"\\ \t/") || host == "" {
		host = "localhost"
	}
	return scheme + "://" + host + TokenPath
}

// TokenPath is where the token endpoint is served.
const TokenPath = "/auth/token"
