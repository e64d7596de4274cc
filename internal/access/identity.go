package access

import (
	"context"
	"slices"
	"strings"
)

// Identity is the authenticated caller of a request.
type Identity struct {
	// Name is the user or token name; empty for anonymous callers.
	Name string
	// Subscriptions the caller may see; nil means every subscription, an
	// empty non-nil slice means none.
	Subscriptions []string
	// Repositories, when non-nil, further restricts reads to these
	// repositories: exact names, or "prefix/*" for every repository under
	// prefix/ (a token scoped to a few repositories). nil means no
	// restriction beyond Subscriptions.
	Repositories []string
	// Roles answers what the caller may change (see Can). nil means no
	// role restriction: the caller may do everything in the subscriptions
	// it sees (access.Open, authentication off). Authenticated identities
	// always carry one.
	Roles Roles
}

// Roles answers role questions about one caller.
type Roles interface {
	// Allows reports whether the caller may perform a on target in
	// subscription sub. target is a repository pattern: "*" for the
	// subscription as a whole, "team/*" for registry team, "team/app" for
	// one repository.
	Allows(sub, target string, a Action) bool
}

// Can reports whether the identity may perform a on target (a repository
// pattern, see [Roles]) of subscription sub: it must see the subscription,
// and its Roles, when set, must allow it. A nil Identity can do nothing.
func (id *Identity) Can(sub, target string, a Action) bool {
	if !id.InSubscription(sub) {
		return false
	}
	return id.Roles == nil || id.Roles.Allows(sub, target, a)
}

// AllSubscriptions reports whether the identity may see every subscription.
func (id *Identity) AllSubscriptions() bool { return id != nil && id.Subscriptions == nil }

// InSubscription reports whether the identity may see subscription sub.
// A nil Identity sees nothing.
func (id *Identity) InSubscription(sub string) bool {
	if id == nil {
		return false
	}
	return id.Subscriptions == nil || slices.Contains(id.Subscriptions, sub)
}

// CanReadRepository reports whether the repository restriction (if any)
// admits repo. It does not look at subscriptions; see CanRead.
func (id *Identity) CanReadRepository(repo string) bool {
	if id == nil {
		return false
	}
	if id.Repositories == nil {
		return true
	}
	for _, p := range id.Repositories {
		if prefix, ok := strings.CutSuffix(p, "/*"); ok {
			if strings.HasPrefix(repo, prefix+"/") {
				return true
			}
			continue
		}
		if p == repo {
			return true
		}
	}
	return false
}

// CanRead reports whether the identity may read repository repo, which
// belongs to subscription sub. Listings (catalog, candidates for automatic
// blob mounts) are filtered with it.
func (id *Identity) CanRead(sub, repo string) bool {
	return id.InSubscription(sub) && id.CanReadRepository(repo)
}

type identityKey struct{}

// WithIdentity returns a context carrying id.
func WithIdentity(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// FromContext returns the identity stored by WithIdentity, or nil.
func FromContext(ctx context.Context) *Identity {
	id, _ := ctx.Value(identityKey{}).(*Identity)
	return id
}
