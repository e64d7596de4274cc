package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/store"
)

// auditEventJSON is one audit log event.
type auditEventJSON struct {
	ID             int64             `json:"id"`
	At             time.Time         `json:"at"`
	Actor          string            `json:"actor"`
	Action         string            `json:"action"`
	Target         string            `json:"target"`
	SubscriptionID string            `json:"subscriptionId,omitempty"`
	Remote         string            `json:"remote,omitempty"`
	Outcome        string            `json:"outcome"`
	Detail         map[string]string `json:"detail,omitempty"`
}

// getAudit lists the audit events of the subscriptions the caller owns,
// newest first. Installation administrators (and everyone when
// authentication is off) also see events of no subscription (sign-ins).
func (h *Handler) getAudit(w http.ResponseWriter, r *http.Request, c *call) error {
	if h.d.AuditLog == nil {
		return fmt.Errorf("%w: the audit log is not available on this server", errNotFound)
	}
	limit, err := limitOf(c.query)
	if err != nil {
		return err
	}
	before, err := idPosition(c.query)
	if err != nil {
		return err
	}
	f := store.AuditFilter{Action: c.query.Get("action"), BeforeID: before, Limit: limit}
	want := c.query.Get("subscription")
	if c.id.AllSubscriptions() && c.id.Can("", wholeSubscription, access.ActionAdmin) && c.id.Repositories == nil {
		if want != "" {
			f.Subscriptions = []string{want}
		}
	} else {
		f.Subscriptions = []string{}
		for _, sub := range h.visibleSubscriptionIDs(r.Context(), c) {
			if c.id.Repositories == nil && c.id.Can(sub, wholeSubscription, access.ActionAdmin) {
				f.Subscriptions = append(f.Subscriptions, sub)
			}
		}
		if len(f.Subscriptions) == 0 {
			if want != "" && !c.id.InSubscription(want) {
				return fmt.Errorf("%w: subscription %q", errNotFound, want)
			}
			return fmt.Errorf("%w: the audit log needs the owner role in a subscription", errForbidden)
		}
	}
	evs, err := h.d.AuditLog.QueryAudit(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]auditEventJSON, 0, len(evs))
	for _, e := range evs {
		j := auditEventJSON{ID: e.ID, At: e.At.UTC(), Actor: e.Actor, Action: e.Action, Target: e.Target,
			SubscriptionID: e.SubscriptionID, Remote: e.Remote, Outcome: e.Outcome}
		if e.Detail != "" {
			if err := json.Unmarshal([]byte(e.Detail), &j.Detail); err != nil {
				j.Detail = map[string]string{"raw": e.Detail}
			}
		}
		out = append(out, j)
	}
	next := ""
	if len(evs) == limit {
		next = cursor("id", strconv.FormatInt(evs[len(evs)-1].ID, 10))
	}
	return writeJSON(w, http.StatusOK, page[auditEventJSON]{Items: out, NextCursor: next})
}
