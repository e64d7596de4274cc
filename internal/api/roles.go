package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/audit"
	"github.com/drydock/drydock/internal/store"
)

// Roles on writes. Every state-changing operation names what it acts on
// (a target: "*" for a whole subscription, "reg/*" for a registry, a
// repository name) and the action it needs; access.Identity.Can answers
// with the caller's roles (internal/identity: reader pulls, contributor
// also pushes and deletes, owner also administers; a registry role counts
// for its registry, a token's scopes must cover the target):
//
//	contributor (push): rescans, exemptions, break-glass overrides
//	owner (admin):      plans, pull policies, the audit log
//
// A caller that does not see the subscription gets 404 as for anything
// else it cannot see; one that sees it without the role gets 403, and the
// refusal is audited.

// Targets.
const wholeSubscription = "*"

func registryTarget(reg string) string { return reg + "/*" }

// roleFor names the least role that holds action a.
func roleFor(a access.Action) string {
	if a == access.ActionAdmin {
		return "owner"
	}
	return "contributor or owner"
}

// allow checks that the caller of c may perform a on target of
// subscription sub; auditAction, when set, is what a refusal is audited
// as.
func (h *Handler) allow(r *http.Request, c *call, sub, target string, a access.Action, auditAction string) error {
	if !c.id.InSubscription(sub) {
		return fmt.Errorf("%w: subscription %q", errNotFound, sub)
	}
	var err error
	switch {
	case (target == wholeSubscription || strings.HasSuffix(target, "/*")) && c.id.Repositories != nil:
		err = fmt.Errorf("%w: a credential restricted to repositories cannot change subscription or registry settings", errForbidden)
	case !c.id.Can(sub, target, a):
		where := "subscription " + sub
		if target != wholeSubscription {
			where = strings.TrimSuffix(target, "/*") + " (subscription " + sub + ")"
		}
		err = fmt.Errorf("%w: this needs the %s role in %s", errForbidden, roleFor(a), where)
	}
	if err != nil && auditAction != "" {
		what := strings.TrimSuffix(target, "/*")
		if target == wholeSubscription {
			what = sub
		}
		h.record(r, c, auditAction, what, sub, audit.Denied, map[string]string{"reason": err.Error()})
	}
	return err
}

// record writes an audit event for the caller of c.
func (h *Handler) record(r *http.Request, c *call, action, target, sub, outcome string, detail map[string]string) {
	actor := c.id.Name
	if actor == "" {
		actor = "anonymous"
	}
	h.audit.Record(r.Context(), audit.Event{Actor: actor, Action: action, Target: target, Subscription: sub,
		Remote: audit.Remote(r), Outcome: outcome, Detail: detail})
}

// exemptionTarget is what an exemption acts on, for role checks: its
// registry, its repository (or the registry of a repository pattern whose
// first segment is literal), else the whole subscription.
func exemptionTarget(e store.Exemption) string {
	switch e.Scope {
	case store.ExemptScopeRegistry:
		return registryTarget(e.Registry)
	case store.ExemptScopeRepository:
		reg, rest, _ := strings.Cut(e.Repository, "/")
		switch {
		case reg == "" || strings.ContainsAny(reg, `*?[\`):
			return wholeSubscription
		case rest != "" && !strings.ContainsAny(rest, `*?[\`):
			return e.Repository
		}
		return registryTarget(reg)
	}
	return wholeSubscription
}
