package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/audit"
	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/store"
)

// Policies is the pull policy service as the API drives it
// (internal/policy.Policies).
type Policies interface {
	// Get returns a registry's policy (Off when it has none).
	Get(ctx context.Context, registry string) (store.PullPolicy, error)
	// Set stores a policy (Off removes it) and applies it.
	Set(ctx context.Context, p store.PullPolicy) (store.PullPolicy, error)
	// StartBreakGlass starts an override lasting d from now.
	StartBreakGlass(ctx context.Context, b store.BreakGlass, d time.Duration) (store.BreakGlass, error)
	// EndBreakGlass ends a registry's overrides in force and counts them.
	EndBreakGlass(ctx context.Context, registry, by string) (int, error)
	// BreakGlassHistory lists a registry's overrides, newest first.
	BreakGlassHistory(ctx context.Context, registry string, limit int) ([]store.BreakGlass, error)
	// MaxBreakGlass is the longest override allowed.
	MaxBreakGlass() time.Duration
}

// policyJSON is a registry's pull policy.
type policyJSON struct {
	Registry       string `json:"registry"`
	SubscriptionID string `json:"subscriptionId"`
	// Enabled is false when the policy blocks nothing.
	Enabled bool `json:"enabled"`
	// BlockSeverity refuses images with an active finding at or above it;
	// null: findings are not judged.
	BlockSeverity  *string          `json:"blockSeverity"`
	BlockUnscanned bool             `json:"blockUnscanned"`
	BlockUnchecked bool             `json:"blockUnchecked"`
	UpdatedAt      *time.Time       `json:"updatedAt,omitempty"`
	UpdatedBy      string           `json:"updatedBy,omitempty"`
	BreakGlass     []breakGlassJSON `json:"breakGlass"` // overrides in force
}

// policyRequest sets a policy; {} (or every field empty) switches it off.
type policyRequest struct {
	BlockSeverity  *string `json:"blockSeverity"`
	BlockUnscanned bool    `json:"blockUnscanned"`
	BlockUnchecked bool    `json:"blockUnchecked"`
}

type breakGlassJSON struct {
	ID             string     `json:"id"`
	Registry       string     `json:"registry"`
	SubscriptionID string     `json:"subscriptionId"`
	Actor          string     `json:"actor"`
	Reason         string     `json:"reason"`
	CreatedAt      time.Time  `json:"createdAt"`
	ExpiresAt      time.Time  `json:"expiresAt"`
	EndedAt        *time.Time `json:"endedAt,omitempty"`
	EndedBy        string     `json:"endedBy,omitempty"`
	Active         bool       `json:"active"`
}

type breakGlassRequest struct {
	Reason   string `json:"reason"`
	Duration string `json:"duration"`
}

func (h *Handler) breakGlassOf(b store.BreakGlass) breakGlassJSON {
	return breakGlassJSON{ID: b.ID, Registry: b.Registry, SubscriptionID: b.SubscriptionID, Actor: b.Actor, Reason: b.Reason,
		CreatedAt: b.CreatedAt.UTC(), ExpiresAt: b.ExpiresAt.UTC(), EndedAt: timePtr(b.EndedAt), EndedBy: b.EndedBy,
		Active: b.ActiveAt(h.now())}
}

// policyRegistry resolves {registry} for the policy routes.
func (h *Handler) policyRegistry(r *http.Request, c *call) (store.Registry, error) {
	if h.d.Policies == nil {
		return store.Registry{}, fmt.Errorf("%w: pull policies are not available on this server", errNotFound)
	}
	return h.visibleRegistry(r.Context(), c.id, c.params["registry"])
}

func (h *Handler) policyOf(ctx context.Context, g store.Registry) (policyJSON, error) {
	p, err := h.d.Policies.Get(ctx, g.Name)
	if err != nil {
		return policyJSON{}, err
	}
	j := policyJSON{Registry: g.Name, SubscriptionID: g.SubscriptionID, Enabled: !p.Off(), BlockUnscanned: p.BlockUnscanned,
		BlockUnchecked: p.BlockUnchecked,
		UpdatedAt:      timePtr(p.UpdatedAt), UpdatedBy: p.UpdatedBy, BreakGlass: []breakGlassJSON{}}
	if p.BlockSeverity >= 0 {
		s := finding.Severity(p.BlockSeverity).String()
		j.BlockSeverity = &s
	}
	bs, err := h.d.Policies.BreakGlassHistory(ctx, g.Name, 20)
	if err != nil {
		return policyJSON{}, err
	}
	for _, b := range bs {
		if b.ActiveAt(h.now()) {
			j.BreakGlass = append(j.BreakGlass, h.breakGlassOf(b))
		}
	}
	return j, nil
}

func (h *Handler) getPolicy(w http.ResponseWriter, r *http.Request, c *call) error {
	g, err := h.policyRegistry(r, c)
	if err != nil {
		return err
	}
	j, err := h.policyOf(r.Context(), g)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, j)
}

func (h *Handler) putPolicy(w http.ResponseWriter, r *http.Request, c *call) error {
	g, err := h.policyRegistry(r, c)
	if err != nil {
		return err
	}
	if err := h.allow(r, c, g.SubscriptionID, registryTarget(g.Name), access.ActionAdmin, audit.PolicyChange); err != nil {
		return err
	}
	var req policyRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	p := store.PullPolicy{Registry: g.Name, BlockSeverity: store.NoSeverityRule, BlockUnscanned: req.BlockUnscanned,
		BlockUnchecked: req.BlockUnchecked, UpdatedBy: actorOf(c)}
	if req.BlockSeverity != nil && *req.BlockSeverity != "" {
		s, err := finding.ParseSeverity(*req.BlockSeverity)
		if err != nil {
			return fmt.Errorf("%w: blockSeverity %q: want Critical, High, Medium, Low or Unknown", errInvalid, *req.BlockSeverity)
		}
		p.BlockSeverity = int(s)
	}
	if !p.Off() && g.Type != store.RegistryTypeStandard {
		return fmt.Errorf("%w: registry %s is of type %s, which is never scanned: a pull policy would refuse everything or nothing", errConflict, g.Name, g.Type)
	}
	if _, err := h.d.Policies.Set(r.Context(), p); err != nil {
		return err
	}
	detail := map[string]string{"blockUnscanned": strconv.FormatBool(p.BlockUnscanned), "blockUnchecked": strconv.FormatBool(p.BlockUnchecked),
		"blockSeverity": "none"}
	if p.BlockSeverity >= 0 {
		detail["blockSeverity"] = finding.Severity(p.BlockSeverity).String()
	}
	h.record(r, c, audit.PolicyChange, g.Name, g.SubscriptionID, audit.OK, detail)
	j, err := h.policyOf(r.Context(), g)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, j)
}

func (h *Handler) listBreakGlass(w http.ResponseWriter, r *http.Request, c *call) error {
	g, err := h.policyRegistry(r, c)
	if err != nil {
		return err
	}
	limit, err := limitOf(c.query)
	if err != nil {
		return err
	}
	bs, err := h.d.Policies.BreakGlassHistory(r.Context(), g.Name, limit)
	if err != nil {
		return err
	}
	out := []breakGlassJSON{}
	for _, b := range bs {
		out = append(out, h.breakGlassOf(b))
	}
	return writeJSON(w, http.StatusOK, page[breakGlassJSON]{Items: out})
}

func (h *Handler) startBreakGlass(w http.ResponseWriter, r *http.Request, c *call) error {
	g, err := h.policyRegistry(r, c)
	if err != nil {
		return err
	}
	if err := h.allow(r, c, g.SubscriptionID, registryTarget(g.Name), access.ActionPush, audit.BreakGlassStart); err != nil {
		return err
	}
	var req breakGlassRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	reason := strings.TrimSpace(req.Reason)
	if reason == "" || len(reason) > maxReason {
		return fmt.Errorf("%w: reason is required (at most %d bytes)", errInvalid, maxReason)
	}
	maxD := h.d.Policies.MaxBreakGlass()
	d, err := time.ParseDuration(req.Duration)
	if err != nil || d <= 0 || d > maxD {
		return fmt.Errorf("%w: duration %q: want a Go duration such as \"30m\", at most %s (policy.maxBreakGlass)", errInvalid, req.Duration, maxD)
	}
	p, err := h.d.Policies.Get(r.Context(), g.Name)
	if err != nil {
		return err
	}
	if p.Off() {
		return fmt.Errorf("%w: registry %s has no pull policy to override", errConflict, g.Name)
	}
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		return err
	}
	b, err := h.d.Policies.StartBreakGlass(r.Context(), store.BreakGlass{ID: "bg-" + hex.EncodeToString(id), Registry: g.Name,
		Actor: actorOf(c), Reason: reason}, d)
	if err != nil {
		return err
	}
	h.record(r, c, audit.BreakGlassStart, g.Name, g.SubscriptionID, audit.OK, map[string]string{"breakGlass": b.ID, "reason": reason,
		"duration": d.String(), "expiresAt": b.ExpiresAt.UTC().Format(time.RFC3339)})
	return writeJSON(w, http.StatusCreated, h.breakGlassOf(b))
}

type endBreakGlassResponse struct {
	Ended int `json:"ended"`
}

func (h *Handler) endBreakGlass(w http.ResponseWriter, r *http.Request, c *call) error {
	g, err := h.policyRegistry(r, c)
	if err != nil {
		return err
	}
	if err := h.allow(r, c, g.SubscriptionID, registryTarget(g.Name), access.ActionPush, audit.BreakGlassEnd); err != nil {
		return err
	}
	n, err := h.d.Policies.EndBreakGlass(r.Context(), g.Name, actorOf(c))
	if err != nil {
		return err
	}
	h.record(r, c, audit.BreakGlassEnd, g.Name, g.SubscriptionID, audit.OK, map[string]string{"ended": strconv.Itoa(n)})
	return writeJSON(w, http.StatusOK, endBreakGlassResponse{Ended: n})
}

// actorOf names the caller in stored records.
func actorOf(c *call) string {
	if c.id.Name == "" {
		return "anonymous"
	}
	return c.id.Name
}
