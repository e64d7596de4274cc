package api

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/audit"
	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// exemptionJSON is an exemption rule as the API shows and takes it.
type exemptionJSON struct {
	ID             string     `json:"id,omitempty"`
	SubscriptionID string     `json:"subscription"`
	Scope          string     `json:"scope"`
	Registry       string     `json:"registry,omitempty"`
	Repository     string     `json:"repository,omitempty"`
	Digest         string     `json:"digest,omitempty"`
	Package        string     `json:"package,omitempty"`
	AdvisoryID     string     `json:"advisoryId,omitempty"`
	MaxSeverity    string     `json:"severityAtOrBelow,omitempty"`
	NoFix          bool       `json:"noFixAvailable,omitempty"`
	Reason         string     `json:"reason"`
	Author         string     `json:"author,omitempty"`
	CreatedAt      *time.Time `json:"createdAt,omitempty"`
	ExpiresAt      *time.Time `json:"expiresAt,omitempty"`
	Expired        bool       `json:"expired"`
}

func (h *Handler) exemptionOf(e store.Exemption) exemptionJSON {
	j := exemptionJSON{ID: e.ID, SubscriptionID: e.SubscriptionID, Scope: e.Scope, Registry: e.Registry, Repository: e.Repository,
		Digest: string(e.Digest), Package: e.Package, AdvisoryID: e.AdvisoryID, NoFix: e.NoFix, Reason: e.Reason, Author: e.Author,
		CreatedAt: timePtr(e.CreatedAt), ExpiresAt: timePtr(e.ExpiresAt)}
	if e.MaxSeverity >= 0 {
		j.MaxSeverity = finding.Severity(e.MaxSeverity).String()
	}
	j.Expired = !e.ExpiresAt.IsZero() && !h.now().Before(e.ExpiresAt)
	return j
}

func (h *Handler) listExemptions(w http.ResponseWriter, r *http.Request, c *call) error {
	es, err := h.d.Store.ListExemptions(r.Context(), narrow(c.id, c.query.Get("subscription")))
	if err != nil {
		return err
	}
	out := []exemptionJSON{}
	for _, e := range es {
		out = append(out, h.exemptionOf(e))
	}
	return writeJSON(w, http.StatusOK, page[exemptionJSON]{Items: out})
}

func (h *Handler) visibleExemption(r *http.Request, c *call) (store.Exemption, error) {
	e, err := h.d.Store.GetExemption(r.Context(), c.params["id"])
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrExemptionUnknown) || (err == nil && !c.id.InSubscription(e.SubscriptionID)) {
		return store.Exemption{}, fmt.Errorf("%w: exemption %q", errNotFound, c.params["id"])
	}
	return e, err
}

func (h *Handler) getExemption(w http.ResponseWriter, r *http.Request, c *call) error {
	e, err := h.visibleExemption(r, c)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h.exemptionOf(e))
}

func (h *Handler) deleteExemption(w http.ResponseWriter, r *http.Request, c *call) error {
	e, err := h.visibleExemption(r, c)
	if err != nil {
		return err
	}
	if err := h.allow(r, c, e.SubscriptionID, exemptionTarget(e), access.ActionPush, audit.ExemptionDelete); err != nil {
		return err
	}
	if err := h.d.Store.DeleteExemption(r.Context(), e.ID); err != nil {
		return err
	}
	h.d.Scans.ExemptionsChanged(e.SubscriptionID)
	h.record(r, c, audit.ExemptionDelete, e.ID, e.SubscriptionID, audit.OK, exemptionDetail(e))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// exemptionDetail is the audit detail of an exemption: its rule.
func exemptionDetail(e store.Exemption) map[string]string {
	d := map[string]string{"scope": e.Scope, "reason": e.Reason}
	for k, v := range map[string]string{"registry": e.Registry, "repository": e.Repository, "digest": string(e.Digest),
		"package": e.Package, "advisoryId": e.AdvisoryID} {
		if v != "" {
			d[k] = v
		}
	}
	if e.MaxSeverity >= 0 {
		d["severityAtOrBelow"] = finding.Severity(e.MaxSeverity).String()
	}
	if e.NoFix {
		d["noFixAvailable"] = "true"
	}
	if !e.ExpiresAt.IsZero() {
		d["expiresAt"] = e.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return d
}

// maxReason bounds an exemption's reason.
const maxReason = 2000

func (h *Handler) createExemption(w http.ResponseWriter, r *http.Request, c *call) error {
	var req exemptionJSON
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.ID != "" || req.Author != "" || req.CreatedAt != nil || req.Expired {
		return fmt.Errorf("%w: id, author, createdAt and expired are set by the server", errInvalid)
	}
	if req.SubscriptionID == "" {
		subs := h.visibleSubscriptionIDs(r.Context(), c)
		if len(subs) != 1 {
			return fmt.Errorf("%w: subscription is required", errInvalid)
		}
		req.SubscriptionID = subs[0]
	}
	if _, err := h.visibleSubscription(r.Context(), c.id, req.SubscriptionID); err != nil {
		return err
	}
	e, err := h.validExemption(r, req)
	if err != nil {
		return err
	}
	if err := h.allow(r, c, e.SubscriptionID, exemptionTarget(e), access.ActionPush, audit.ExemptionCreate); err != nil {
		return err
	}
	e.Author = c.id.Name
	if e.Author == "" {
		e.Author = "anonymous"
	}
	if err := h.d.Store.CreateExemption(r.Context(), e); err != nil {
		return err
	}
	h.d.Scans.ExemptionsChanged(e.SubscriptionID)
	h.record(r, c, audit.ExemptionCreate, e.ID, e.SubscriptionID, audit.OK, exemptionDetail(e))
	return writeJSON(w, http.StatusCreated, h.exemptionOf(e))
}

// validExemption checks a requested rule: one scope with its field, one
// match, a reason, an expiry in the future.
func (h *Handler) validExemption(r *http.Request, req exemptionJSON) (store.Exemption, error) {
	bad := func(format string, args ...any) (store.Exemption, error) {
		return store.Exemption{}, fmt.Errorf("%w: "+format, append([]any{errInvalid}, args...)...)
	}
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return store.Exemption{}, err
	}
	e := store.Exemption{ID: "ex-" + hex.EncodeToString(b), SubscriptionID: req.SubscriptionID, Scope: req.Scope,
		MaxSeverity: -1, Reason: strings.TrimSpace(req.Reason), CreatedAt: h.now().UTC()}
	fields := map[string]string{"registry": req.Registry, "repository": req.Repository, "digest": req.Digest, "package": req.Package}
	want := map[string]string{store.ExemptScopeRegistry: "registry", store.ExemptScopeRepository: "repository",
		store.ExemptScopeImage: "digest", store.ExemptScopePackage: "package", store.ExemptScopeSubscription: ""}
	field, ok := want[req.Scope]
	if !ok {
		return bad("scope %q: want subscription, registry, repository, image or package", req.Scope)
	}
	for f, v := range fields {
		if v != "" && f != field {
			return bad("%s is not used by scope %s", f, req.Scope)
		}
		if v == "" && f == field {
			return bad("scope %s needs %s", req.Scope, f)
		}
	}
	switch req.Scope {
	case store.ExemptScopeRegistry:
		g, err := h.d.Store.GetRegistry(r.Context(), req.Registry)
		if err != nil || g.SubscriptionID != req.SubscriptionID {
			return bad("registry %q is not in subscription %s", req.Registry, req.SubscriptionID)
		}
		e.Registry = req.Registry
	case store.ExemptScopeRepository:
		if _, err := path.Match(req.Repository, ""); err != nil {
			return bad("repository pattern %q: %v", req.Repository, err)
		}
		e.Repository = req.Repository
	case store.ExemptScopeImage:
		d, err := oci.ParseDigest(req.Digest)
		if err != nil {
			return bad("%v", err)
		}
		e.Digest = d
	case store.ExemptScopePackage:
		e.Package = req.Package
	}
	matches := 0
	if req.AdvisoryID != "" {
		matches++
		e.AdvisoryID = req.AdvisoryID
	}
	if req.MaxSeverity != "" {
		matches++
		s, err := finding.ParseSeverity(req.MaxSeverity)
		if err != nil {
			return bad("severityAtOrBelow %q: want Critical, High, Medium, Low or Unknown", req.MaxSeverity)
		}
		e.MaxSeverity = int(s)
	}
	if req.NoFix {
		matches++
		e.NoFix = true
	}
	if matches != 1 {
		return bad("give exactly one of advisoryId, severityAtOrBelow and noFixAvailable")
	}
	if e.Reason == "" || len(e.Reason) > maxReason {
		return bad("reason is required (at most %d bytes)", maxReason)
	}
	if req.ExpiresAt != nil {
		if !req.ExpiresAt.After(h.now()) {
			return bad("expiresAt %s is not in the future", req.ExpiresAt.Format(time.RFC3339))
		}
		e.ExpiresAt = req.ExpiresAt.UTC()
	}
	return e, nil
}
