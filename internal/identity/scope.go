package identity

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/oci"
)

// ActionAdmin administers a subscription or registry: users, tokens,
// exemptions, plan. It is beyond the registry protocol's actions.
const ActionAdmin access.Action = "admin"

// Actions is a set of actions.
type Actions uint8

// The actions a role or scope can grant.
const (
	Pull Actions = 1 << iota
	Push
	Delete
	Admin
	AllActions = Pull | Push | Delete | Admin
)

var actionNames = []struct {
	bit  Actions
	name access.Action
}{{Pull, access.ActionPull}, {Push, access.ActionPush}, {Delete, access.ActionDelete}, {Admin, ActionAdmin}}

// ErrInvalidScope means a scope or action list cannot be parsed.
var ErrInvalidScope = errors.New("invalid scope")

// ActionOf returns the bit of a, or 0 when a is not one of pull, push,
// delete, admin.
func ActionOf(a access.Action) Actions {
	for _, n := range actionNames {
		if n.name == a {
			return n.bit
		}
	}
	return 0
}

// ParseActions parses "pull,push" (or "*" for every action). Unknown or
// empty actions are errors.
func ParseActions(s string) (Actions, error) {
	if s == "*" {
		return AllActions, nil
	}
	var a Actions
	for _, part := range strings.Split(s, ",") {
		bit := ActionOf(access.Action(part))
		if bit == 0 {
			return 0, fmt.Errorf("%w: unknown action %q (want pull, push, delete, admin or *)", ErrInvalidScope, part)
		}
		a |= bit
	}
	return a, nil
}

// Has reports whether every action of x is in a.
func (a Actions) Has(x Actions) bool { return a&x == x }

// List returns the actions in a fixed order.
func (a Actions) List() []access.Action {
	var out []access.Action
	for _, n := range actionNames {
		if a&n.bit != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// String is the comma-separated list ("pull,push").
func (a Actions) String() string {
	var parts []string
	for _, x := range a.List() {
		parts = append(parts, string(x))
	}
	return strings.Join(parts, ",")
}

// Role is a named set of actions.
type Role string

// Roles.
const (
	RoleOwner       Role = "owner"
	RoleContributor Role = "contributor"
	RoleReader      Role = "reader"
)

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleOwner, RoleContributor, RoleReader:
		return r, nil
	}
	return "", fmt.Errorf("identity: unknown role %q (want owner, contributor or reader)", s)
}

// Actions returns what the role grants (none for an unknown role).
func (r Role) Actions() Actions {
	switch r {
	case RoleOwner:
		return AllActions
	case RoleContributor:
		return Pull | Push | Delete
	case RoleReader:
		return Pull
	}
	return 0
}

// Pattern names repositories: an exact name ("team/app"), every repository
// under a prefix ("team/*"), or every repository ("*").
type Pattern string

// ParsePattern validates a pattern.
func ParsePattern(s string) (Pattern, error) {
	if s == "*" {
		return Pattern(s), nil
	}
	name, _ := strings.CutSuffix(s, "/*")
	if err := oci.ValidateName(name); err != nil {
		return "", fmt.Errorf("%w: repository pattern %q: %w", ErrInvalidScope, s, err)
	}
	return Pattern(s), nil
}

// prefix returns the prefix of a "prefix/*" pattern.
func (p Pattern) prefix() (string, bool) { return strings.CutSuffix(string(p), "/*") }

// Match reports whether repository repo matches p.
func (p Pattern) Match(repo string) bool {
	if p == "*" {
		return true
	}
	if prefix, ok := p.prefix(); ok {
		return strings.HasPrefix(repo, prefix+"/")
	}
	return string(p) == repo
}

// covers reports whether every repository q matches also matches p.
func (p Pattern) covers(q Pattern) bool {
	if p == "*" {
		return true
	}
	if q == "*" {
		return false
	}
	if qp, ok := q.prefix(); ok {
		pp, ok := p.prefix()
		return ok && (qp == pp || strings.HasPrefix(qp, pp+"/"))
	}
	return p.Match(string(q))
}

// Intersect returns the repositories both p and q match, as a pattern, and
// false when they match none in common.
func (p Pattern) Intersect(q Pattern) (Pattern, bool) {
	switch {
	case p.covers(q):
		return q, true
	case q.covers(p):
		return p, true
	}
	return "", false
}

// IntersectPatterns intersects two restrictions, nil meaning "no
// restriction" and an empty non-nil slice "nothing".
func IntersectPatterns(a, b []Pattern) []Pattern {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	out := []Pattern{}
	for _, p := range a {
		for _, q := range b {
			if r, ok := p.Intersect(q); ok && !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// Scope is one grant of an API token: actions on the repositories matching
// a pattern.
type Scope struct {
	Pattern Pattern
	Actions Actions
}

// String renders the scope as "repository:<pattern>:<actions>".
func (s Scope) String() string { return "repository:" + string(s.Pattern) + ":" + s.Actions.String() }

// ParseScope parses "repository:<pattern>:<actions>", for example
// "repository:team/*:pull,push" or "repository:*:pull". A registry is
// written as its pattern "<registry>/*".
func ParseScope(s string) (Scope, error) {
	typ, rest, ok := strings.Cut(s, ":")
	i := strings.LastIndexByte(rest, ':')
	if !ok || i < 0 {
		return Scope{}, fmt.Errorf("%w: %q is not repository:<pattern>:<actions>", ErrInvalidScope, s)
	}
	if typ != "repository" {
		return Scope{}, fmt.Errorf("%w: %q: resource type %q, want repository", ErrInvalidScope, s, typ)
	}
	p, err := ParsePattern(rest[:i])
	if err != nil {
		return Scope{}, err
	}
	a, err := ParseActions(rest[i+1:])
	if err != nil {
		return Scope{}, fmt.Errorf("%q: %w", s, err)
	}
	return Scope{Pattern: p, Actions: a}, nil
}

// ParseScopes parses a space-separated scope list ("" is no scope: nil).
func ParseScopes(s string) ([]Scope, error) {
	var out []Scope
	for _, f := range strings.Fields(s) {
		sc, err := ParseScope(f)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

// FormatScopes is the inverse of ParseScopes.
func FormatScopes(scopes []Scope) string {
	parts := make([]string, len(scopes))
	for i, s := range scopes {
		parts[i] = s.String()
	}
	return strings.Join(parts, " ")
}

// RequestScope is one scope of a Docker registry token request
// ("repository:team/app:pull,push", "registry:catalog:*").
type RequestScope struct {
	// Type is "repository" or "registry". A resource class
	// ("repository(plugin)") is dropped.
	Type string
	// Name is a repository name (validated) or "catalog".
	Name string
	// Actions are as requested; unknown ones are kept (and never granted).
	Actions []string
}

// ParseRequestScope parses one scope of a token request. As in the Docker
// token specification the name is everything between the first and the
// last colon.
func ParseRequestScope(s string) (RequestScope, error) {
	typ, rest, ok := strings.Cut(s, ":")
	i := strings.LastIndexByte(rest, ':')
	if !ok || i < 0 || len(s) > 1024 {
		return RequestScope{}, fmt.Errorf("%w: %.100q is not type:name:actions", ErrInvalidScope, s)
	}
	if j := strings.IndexByte(typ, '('); j > 0 && strings.HasSuffix(typ, ")") {
		typ = typ[:j]
	}
	rs := RequestScope{Type: typ, Name: rest[:i]}
	for _, a := range strings.Split(rest[i+1:], ",") {
		if a != "" && !slices.Contains(rs.Actions, a) {
			rs.Actions = append(rs.Actions, a)
		}
	}
	switch typ {
	case "repository":
		if err := oci.ValidateName(rs.Name); err != nil {
			return RequestScope{}, fmt.Errorf("%w: %.100q: %w", ErrInvalidScope, s, err)
		}
	case "registry":
		if rs.Name != "catalog" {
			return RequestScope{}, fmt.Errorf("%w: %.100q: only registry:catalog:* is known", ErrInvalidScope, s)
		}
	default:
		return RequestScope{}, fmt.Errorf("%w: %.100q: unknown resource type %q", ErrInvalidScope, s, typ)
	}
	return rs, nil
}

// String renders the scope as a client sends it.
func (r RequestScope) String() string {
	return r.Type + ":" + r.Name + ":" + strings.Join(r.Actions, ",")
}
