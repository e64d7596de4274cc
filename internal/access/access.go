package access

import (
	"errors"
	"net/http"
)

// Action is something a caller does to a repository.
type Action string

// Actions of the registry protocol. The names match the Docker registry
// token scopes ("repository:team/app:pull,push").
const (
	// ActionPull reads manifests, blobs, tags and referrers.
	ActionPull Action = "pull"
	// ActionPush uploads blobs and manifests (and creates the repository).
	ActionPush Action = "push"
	// ActionDelete deletes manifests, tags and blob links.
	ActionDelete Action = "delete"
	// ActionCatalog lists repositories; its Request has an empty Repository.
	ActionCatalog Action = "catalog"
	// ActionAdmin administers a subscription or registry (plans, pull
	// policies, webhooks, the audit log); owners hold it. It is never part
	// of a registry protocol Request.
	ActionAdmin Action = "admin"
)

// Request is what one HTTP request wants to do to one repository.
type Request struct {
	// Repository is the full repository name ("team/app/api"); empty for
	// requests that are not about one repository (catalog, version check).
	Repository string
	// Actions are all required.
	Actions []Action
}

// Errors an [Authorizer] returns; callers branch on them with errors.Is.
var (
	// ErrUnauthenticated means the request carries no valid credentials.
	ErrUnauthenticated = errors.New("authentication required")
	// ErrDenied means the caller may not perform a requested action.
	ErrDenied = errors.New("access denied")
	// ErrTooManyRequests means the caller exceeded a rate limit.
	ErrTooManyRequests = errors.New("too many requests")
)

// Authorizer decides whether a request may perform reqs.
type Authorizer interface {
	// Authorize authenticates r and checks every action of reqs (an empty
	// reqs only authenticates). On success it returns r with the caller's
	// Identity in its context (see WithIdentity; a request without one sees
	// no subscription at all); otherwise it returns an
	// error wrapping ErrUnauthenticated, ErrDenied or ErrTooManyRequests (any
	// other error is an internal failure).
	Authorize(r *http.Request, reqs []Request) (*http.Request, error)
}

// Challenger is implemented by Authorizers that can tell a client how to
// authenticate after ErrUnauthenticated.
type Challenger interface {
	// Challenge returns the value of the WWW-Authenticate header for a
	// request that failed with ErrUnauthenticated, e.g.
	// `Bearer realm="https://host/token",service="drydock",scope="repository:a:pull"`.
	Challenge(r *http.Request, reqs []Request) string
}
