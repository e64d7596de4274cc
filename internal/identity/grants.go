package identity

import (
	"slices"
	"sort"
	"strings"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// RegistryGrant is a role in one registry.
type RegistryGrant struct {
	// Subscription the registry must belong to for the grant to apply.
	Subscription string
	Actions      Actions
}

// Grants is everything one caller may do. The zero value grants nothing.
type Grants struct {
	// Admin may do everything in every subscription.
	Admin bool
	// Subscriptions are subscription-wide roles.
	Subscriptions map[string]Actions
	// Registries are registry roles by registry name.
	Registries map[string]RegistryGrant
	// Scopes restrict the above when the caller signed in with a scoped
	// API token; nil means no restriction.
	Scopes []Scope
	// Anonymous callers may pull the repositories matching Public and
	// nothing else.
	Anonymous bool
	Public    []Pattern
}

// GrantsFor builds the grants of a user from its role bindings and, when it
// signed in with an API token, the token's scopes.
func GrantsFor(u store.User, roles []store.RoleBinding, scopes []Scope) Grants {
	g := Grants{Admin: u.Admin, Subscriptions: map[string]Actions{}, Registries: map[string]RegistryGrant{}, Scopes: scopes}
	for _, b := range roles {
		a := Role(b.Role).Actions()
		if b.Registry == "" {
			g.Subscriptions[b.SubscriptionID] |= a
			continue
		}
		rg := g.Registries[b.Registry]
		if rg.Subscription != "" && rg.Subscription != b.SubscriptionID {
			continue // a registry lives in one subscription; keep the first binding
		}
		g.Registries[b.Registry] = RegistryGrant{Subscription: b.SubscriptionID, Actions: rg.Actions | a}
	}
	return g
}

// AnonymousGrants are the grants of a caller without credentials.
func AnonymousGrants(public []Pattern) Grants {
	return Grants{Anonymous: true, Public: public}
}

// Allowed returns the actions permitted on repository repo, whose registry
// belongs to subscription sub (for a registry that does not exist yet: the
// subscription a push would create it in).
func (g Grants) Allowed(sub, repo string) Actions {
	if g.Anonymous {
		for _, p := range g.Public {
			if p.Match(repo) {
				return Pull
			}
		}
		return 0
	}
	var a Actions
	if g.Admin {
		a = AllActions
	} else {
		a = g.Subscriptions[sub]
		if rg, ok := g.Registries[oci.RegistryOf(repo)]; ok && rg.Subscription == sub {
			a |= rg.Actions
		}
	}
	if g.Scopes != nil {
		var s Actions
		for _, sc := range g.Scopes {
			if sc.Pattern.Match(repo) {
				s |= sc.Actions
			}
		}
		a &= s
	}
	return a
}

// InSubscription returns the actions permitted somewhere in subscription
// sub (any registry), for interfaces that act on a subscription as a whole
// rather than on one repository. Token scopes narrow it to the actions any
// scope grants.
func (g Grants) InSubscription(sub string) Actions {
	if g.Anonymous {
		return 0
	}
	var a Actions
	if g.Admin {
		a = AllActions
	} else {
		a = g.Subscriptions[sub]
		for _, rg := range g.Registries {
			if rg.Subscription == sub {
				a |= rg.Actions
			}
		}
	}
	if g.Scopes != nil {
		var s Actions
		for _, sc := range g.Scopes {
			s |= sc.Actions
		}
		a &= s
	}
	return a
}

// Any returns the union of actions the grants permit anywhere.
func (g Grants) Any() Actions {
	if g.Anonymous {
		if len(g.Public) > 0 {
			return Pull
		}
		return 0
	}
	var a Actions
	if g.Admin {
		a = AllActions
	}
	for _, x := range g.Subscriptions {
		a |= x
	}
	for _, rg := range g.Registries {
		a |= rg.Actions
	}
	if g.Scopes != nil {
		var s Actions
		for _, sc := range g.Scopes {
			s |= sc.Actions
		}
		a &= s
	}
	return a
}

// Allows implements access.Roles: whether the grants permit action a on
// target in subscription sub. target is "*" (the subscription as a whole:
// only subscription-wide roles count), "reg/*" (a registry: its registry
// role counts too) or a repository name. A token's scopes must cover the
// whole target: a token scoped to "team/app" cannot change registry team's
// settings.
func (g Grants) Allows(sub, target string, a access.Action) bool {
	bit := ActionOf(a)
	if bit == 0 || g.Anonymous || target == "" {
		return false
	}
	p := Pattern(target)
	var have Actions
	if g.Admin {
		have = AllActions
	} else {
		have = g.Subscriptions[sub]
		if p != "*" {
			if rg, ok := g.Registries[oci.RegistryOf(strings.TrimSuffix(target, "/*"))]; ok && rg.Subscription == sub {
				have |= rg.Actions
			}
		}
	}
	if g.Scopes != nil {
		var s Actions
		for _, sc := range g.Scopes {
			if sc.Pattern.covers(p) {
				s |= sc.Actions
			}
		}
		have &= s
	}
	return have.Has(bit)
}

// SingleSubscription returns the only subscription the caller has a role
// in, if there is exactly one (the registry creates registries on first
// push there).
func (g Grants) SingleSubscription() (string, bool) {
	subs := g.subscriptionList()
	if len(subs) == 1 && !g.Admin {
		return subs[0], true
	}
	return "", false
}

func (g Grants) subscriptionList() []string {
	seen := map[string]bool{}
	for s, a := range g.Subscriptions {
		if a != 0 {
			seen[s] = true
		}
	}
	for _, rg := range g.Registries {
		if rg.Actions != 0 {
			seen[rg.Subscription] = true
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Identity turns the grants into the access.Identity that listings filter
// with. registriesOf lists the registry names of a subscription; it is
// called only when a user has registry roles besides subscription-wide
// ones (to spell the latter out as patterns).
//
// For anonymous callers the identity sees subs (the subscriptions of the
// public repositories a request touches) restricted to Public.
func (g Grants) Identity(name string, subs []string, registriesOf func(sub string) ([]string, error)) (*access.Identity, error) {
	if g.Anonymous {
		return &access.Identity{Subscriptions: append([]string{}, subs...), Repositories: patternStrings(append([]Pattern{}, g.Public...)), Roles: g}, nil
	}
	id := &access.Identity{Name: name, Roles: g}
	var roleRepos []Pattern // nil: no restriction
	if !g.Admin {
		id.Subscriptions = g.subscriptionList()
		regOnly := false
		for _, s := range id.Subscriptions {
			if g.Subscriptions[s]&Pull == 0 {
				regOnly = true
			}
		}
		if regOnly {
			roleRepos = []Pattern{}
			for s, a := range g.Subscriptions {
				if a&Pull == 0 {
					continue
				}
				regs, err := registriesOf(s)
				if err != nil {
					return nil, err
				}
				for _, r := range regs {
					roleRepos = append(roleRepos, Pattern(r+"/*"))
				}
			}
			for r, rg := range g.Registries {
				if rg.Actions&Pull != 0 {
					roleRepos = append(roleRepos, Pattern(r+"/*"))
				}
			}
		}
	}
	var scopeRepos []Pattern
	if g.Scopes != nil {
		scopeRepos = []Pattern{}
		for _, sc := range g.Scopes {
			if sc.Actions&Pull != 0 {
				scopeRepos = append(scopeRepos, sc.Pattern)
			}
		}
	}
	if repos := IntersectPatterns(roleRepos, scopeRepos); repos != nil {
		slices.Sort(repos)
		id.Repositories = patternStrings(slices.Compact(repos))
	}
	return id, nil
}

// patternStrings converts a restriction to the strings access.Identity
// takes. access.Identity has no "every repository" pattern: a restriction
// holding "*" is no restriction (nil). The result is never nil otherwise.
func patternStrings(ps []Pattern) []string {
	if slices.Contains(ps, "*") {
		return nil
	}
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, string(p))
	}
	return out
}
