package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/audit"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// table lists every operation; the OpenAPI document describes each (a
// test checks both ways).
func (h *Handler) table() []route {
	return []route{
		newRoute("GET", "/api/v1/openapi.json", h.openapi),
		newRoute("GET", "/api/v1/subscriptions", h.listSubscriptions),
		newRoute("GET", "/api/v1/subscriptions/{subscription}", h.getSubscription),
		newRoute("PUT", "/api/v1/subscriptions/{subscription}/plan", h.putSubscriptionPlan),
		newRoute("POST", "/api/v1/subscriptions/{subscription}/rescan", h.rescanSubscription),
		newRoute("GET", "/api/v1/registries", h.listRegistries),
		newRoute("GET", "/api/v1/registries/{registry}", h.getRegistry),
		newRoute("PUT", "/api/v1/registries/{registry}/plan", h.putRegistryPlan),
		newRoute("POST", "/api/v1/registries/{registry}/rescan", h.rescanRegistry),
		newRoute("GET", "/api/v1/repositories", h.listRepositories),
		newRoute("GET", "/api/v1/repositories/{name}", h.getRepository),
		newRoute("GET", "/api/v1/repositories/{name}/images", h.listManifests),
		newRoute("POST", "/api/v1/repositories/{name}/rescan", h.rescanRepository),
		newRoute("GET", "/api/v1/repositories/{name}/manifests/{digest}", h.getManifest),
		newRoute("GET", "/api/v1/repositories/{name}/manifests/{digest}/report", h.getReport),
		newRoute("GET", "/api/v1/repositories/{name}/manifests/{digest}/sbom", h.getSBOM),
		newRoute("POST", "/api/v1/repositories/{name}/manifests/{digest}/rescan", h.rescanManifest),
		newRoute("GET", "/api/v1/images", h.listImages),
		newRoute("GET", "/api/v1/findings", h.listFindings),
		newRoute("GET", "/api/v1/findings/changes", h.listFindingChanges),
		newRoute("GET", "/api/v1/assessments", h.listAssessments),
		newRoute("GET", "/api/v1/usage", h.getUsage),
		newRoute("GET", "/api/v1/exemptions", h.listExemptions),
		newRoute("POST", "/api/v1/exemptions", h.createExemption),
		newRoute("GET", "/api/v1/exemptions/{id}", h.getExemption),
		newRoute("DELETE", "/api/v1/exemptions/{id}", h.deleteExemption),
		newRoute("GET", "/api/v1/db", h.getDB),
		newRoute("GET", "/api/v1/scans", h.getScans),
		newRoute("GET", "/api/v1/registries/{registry}/policy", h.getPolicy),
		newRoute("PUT", "/api/v1/registries/{registry}/policy", h.putPolicy),
		newRoute("GET", "/api/v1/registries/{registry}/breakglass", h.listBreakGlass),
		newRoute("POST", "/api/v1/registries/{registry}/breakglass", h.startBreakGlass),
		newRoute("DELETE", "/api/v1/registries/{registry}/breakglass", h.endBreakGlass),
		newRoute("GET", "/api/v1/audit", h.getAudit),
	}
}

func (h *Handler) openapi(w http.ResponseWriter, _ *http.Request, _ *call) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(h.spec)
	return err
}

// subscriptions returns the subscriptions the caller sees, for store
// filters: nil for all.
func subscriptions(id *access.Identity) []string {
	if id.AllSubscriptions() {
		return nil
	}
	if id.Subscriptions == nil {
		return []string{}
	}
	return id.Subscriptions
}

// narrow applies ?subscription= to the caller's subscriptions.
func narrow(id *access.Identity, sub string) []string {
	if sub == "" {
		return subscriptions(id)
	}
	if !id.InSubscription(sub) {
		return []string{}
	}
	return []string{sub}
}

// --- subscriptions and plans

type subscriptionJSON struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	CreatedAt time.Time         `json:"createdAt"`
	Plan      planJSON          `json:"plan"`
	Images    map[string]int    `json:"images"`
	Registry  map[string]string `json:"assessments"`
}

type planJSON struct {
	// Scanning is the subscription's switch; null means the default.
	Scanning   *bool           `json:"scanning"`
	Effective  bool            `json:"effective"`
	Registries map[string]bool `json:"registries"`
}

func (h *Handler) subscriptionOf(ctx context.Context, sub store.Subscription) (subscriptionJSON, error) {
	j := subscriptionJSON{ID: sub.ID, Name: sub.Name, CreatedAt: sub.CreatedAt.UTC(), Registry: map[string]string{}}
	plan, err := h.d.Store.GetPlan(ctx, sub.ID)
	if err != nil {
		return j, err
	}
	j.Plan = planJSON{Scanning: plan.Enabled, Effective: plan.Enabled == nil || *plan.Enabled, Registries: plan.Registries}
	if j.Images, err = h.d.Store.CountImages(ctx, []string{sub.ID}); err != nil {
		return j, err
	}
	as, err := h.d.Store.Assessments(ctx, []string{sub.ID})
	if err != nil {
		return j, err
	}
	for _, a := range as {
		j.Registry[a.Registry] = a.Status
	}
	return j, nil
}

func (h *Handler) visibleSubscription(ctx context.Context, id *access.Identity, name string) (store.Subscription, error) {
	if !id.InSubscription(name) {
		return store.Subscription{}, fmt.Errorf("%w: subscription %q", errNotFound, name)
	}
	subs, err := h.d.Store.ListSubscriptions(ctx)
	if err != nil {
		return store.Subscription{}, err
	}
	for _, s := range subs {
		if s.ID == name {
			return s, nil
		}
	}
	return store.Subscription{}, fmt.Errorf("%w: subscription %q", errNotFound, name)
}

func (h *Handler) listSubscriptions(w http.ResponseWriter, r *http.Request, c *call) error {
	subs, err := h.d.Store.ListSubscriptions(r.Context())
	if err != nil {
		return err
	}
	out := []subscriptionJSON{}
	for _, s := range subs {
		if !c.id.InSubscription(s.ID) {
			continue
		}
		j, err := h.subscriptionOf(r.Context(), s)
		if err != nil {
			return err
		}
		out = append(out, j)
	}
	return writeJSON(w, http.StatusOK, page[subscriptionJSON]{Items: out})
}

func (h *Handler) getSubscription(w http.ResponseWriter, r *http.Request, c *call) error {
	sub, err := h.visibleSubscription(r.Context(), c.id, c.params["subscription"])
	if err != nil {
		return err
	}
	j, err := h.subscriptionOf(r.Context(), sub)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, j)
}

// planRequest switches scanning: true, false, or null (remove the
// setting).
type planRequest struct {
	Scanning *bool `json:"scanning"`
}

type planResponse struct {
	Scanning *bool `json:"scanning"`
	// Queued counts the images queued for scanning by switching it on.
	Queued int `json:"queued"`
}

// planDetail is the audit detail of a plan switch.
func planDetail(scanning *bool, queued int) map[string]string {
	v := "default"
	if scanning != nil {
		v = strconv.FormatBool(*scanning)
	}
	return map[string]string{"scanning": v, "queued": strconv.Itoa(queued)}
}

func (h *Handler) putSubscriptionPlan(w http.ResponseWriter, r *http.Request, c *call) error {
	sub, err := h.visibleSubscription(r.Context(), c.id, c.params["subscription"])
	if err != nil {
		return err
	}
	if err := h.allow(r, c, sub.ID, wholeSubscription, access.ActionAdmin, audit.PlanChange); err != nil {
		return err
	}
	var req planRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	n, err := h.d.Scans.SetPlan(r.Context(), sub.ID, "", req.Scanning)
	if err != nil {
		return err
	}
	h.record(r, c, audit.PlanChange, sub.ID, sub.ID, audit.OK, planDetail(req.Scanning, n))
	return writeJSON(w, http.StatusOK, planResponse{Scanning: req.Scanning, Queued: n})
}

type rescanResponse struct {
	Queued int `json:"queued"`
}

func (h *Handler) rescanSubscription(w http.ResponseWriter, r *http.Request, c *call) error {
	sub, err := h.visibleSubscription(r.Context(), c.id, c.params["subscription"])
	if err != nil {
		return err
	}
	if err := h.allow(r, c, sub.ID, wholeSubscription, access.ActionPush, audit.Rescan); err != nil {
		return err
	}
	n, err := h.d.Scans.Rescan(r.Context(), store.ScanScope{SubscriptionID: sub.ID})
	if err != nil {
		return err
	}
	h.record(r, c, audit.Rescan, sub.ID, sub.ID, audit.OK, map[string]string{"queued": strconv.Itoa(n)})
	return writeJSON(w, http.StatusAccepted, rescanResponse{Queued: n})
}

// --- registries

type registryJSON struct {
	Name           string    `json:"name"`
	SubscriptionID string    `json:"subscriptionId"`
	Type           string    `json:"type"`
	Scanned        bool      `json:"scanned"` // the type is one scanning supports
	Plan           *bool     `json:"plan"`    // the registry's override; null: the subscription's applies
	Scanning       bool      `json:"scanning"`
	CreatedAt      time.Time `json:"createdAt"`
	Assessment     string    `json:"assessment"`
	Healthy        int       `json:"healthy"`
	Unhealthy      int       `json:"unhealthy"`
	Other          int       `json:"other"`
}

func (h *Handler) registriesOf(ctx context.Context, regs []store.Registry) ([]registryJSON, error) {
	out := []registryJSON{}
	plans := map[string]store.Plan{}
	assess := map[string]store.Assessment{}
	for _, g := range regs {
		if _, ok := plans[g.SubscriptionID]; !ok {
			p, err := h.d.Store.GetPlan(ctx, g.SubscriptionID)
			if err != nil {
				return nil, err
			}
			plans[g.SubscriptionID] = p
			as, err := h.d.Store.Assessments(ctx, []string{g.SubscriptionID})
			if err != nil {
				return nil, err
			}
			for _, a := range as {
				assess[a.Registry] = a
			}
		}
		p := plans[g.SubscriptionID]
		j := registryJSON{Name: g.Name, SubscriptionID: g.SubscriptionID, Type: g.Type, Scanned: g.Type == store.RegistryTypeStandard,
			CreatedAt: g.CreatedAt.UTC(), Scanning: p.Enabled == nil || *p.Enabled}
		if on, ok := p.Registries[g.Name]; ok {
			j.Plan, j.Scanning = &on, on
		}
		j.Scanning = j.Scanning && j.Scanned
		a := assess[g.Name]
		j.Assessment, j.Healthy, j.Unhealthy, j.Other = a.Status, a.Healthy, a.Unhealthy, a.Other
		if j.Assessment == "" {
			j.Assessment = store.AssessmentNotApplicable
		}
		out = append(out, j)
	}
	return out, nil
}

func (h *Handler) listRegistries(w http.ResponseWriter, r *http.Request, c *call) error {
	var regs []store.Registry
	for _, sub := range h.visibleSubscriptionIDs(r.Context(), c) {
		rs, err := h.d.Store.ListRegistries(r.Context(), sub)
		if err != nil {
			return err
		}
		regs = append(regs, rs...)
	}
	out, err := h.registriesOf(r.Context(), regs)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page[registryJSON]{Items: out})
}

// visibleSubscriptionIDs lists the subscriptions the caller sees (after
// ?subscription=).
func (h *Handler) visibleSubscriptionIDs(ctx context.Context, c *call) []string {
	subs, err := h.d.Store.ListSubscriptions(ctx)
	if err != nil {
		return nil
	}
	want := c.query.Get("subscription")
	var out []string
	for _, s := range subs {
		if c.id.InSubscription(s.ID) && (want == "" || want == s.ID) {
			out = append(out, s.ID)
		}
	}
	return out
}

func (h *Handler) visibleRegistry(ctx context.Context, id *access.Identity, name string) (store.Registry, error) {
	g, err := h.d.Store.GetRegistry(ctx, name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !id.InSubscription(g.SubscriptionID)) {
		return store.Registry{}, fmt.Errorf("%w: registry %q", errNotFound, name)
	}
	return g, err
}

func (h *Handler) getRegistry(w http.ResponseWriter, r *http.Request, c *call) error {
	g, err := h.visibleRegistry(r.Context(), c.id, c.params["registry"])
	if err != nil {
		return err
	}
	out, err := h.registriesOf(r.Context(), []store.Registry{g})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out[0])
}

func (h *Handler) putRegistryPlan(w http.ResponseWriter, r *http.Request, c *call) error {
	g, err := h.visibleRegistry(r.Context(), c.id, c.params["registry"])
	if err != nil {
		return err
	}
	if err := h.allow(r, c, g.SubscriptionID, registryTarget(g.Name), access.ActionAdmin, audit.PlanChange); err != nil {
		return err
	}
	var req planRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	n, err := h.d.Scans.SetPlan(r.Context(), g.SubscriptionID, g.Name, req.Scanning)
	if err != nil {
		return err
	}
	h.record(r, c, audit.PlanChange, g.Name, g.SubscriptionID, audit.OK, planDetail(req.Scanning, n))
	return writeJSON(w, http.StatusOK, planResponse{Scanning: req.Scanning, Queued: n})
}

func (h *Handler) rescanRegistry(w http.ResponseWriter, r *http.Request, c *call) error {
	g, err := h.visibleRegistry(r.Context(), c.id, c.params["registry"])
	if err != nil {
		return err
	}
	if err := h.allow(r, c, g.SubscriptionID, registryTarget(g.Name), access.ActionPush, audit.Rescan); err != nil {
		return err
	}
	if g.Type != store.RegistryTypeStandard {
		return fmt.Errorf("%w: registry %s is of type %s, which is not scanned", errConflict, g.Name, g.Type)
	}
	n, err := h.d.Scans.Rescan(r.Context(), store.ScanScope{SubscriptionID: g.SubscriptionID, Registry: g.Name})
	if err != nil {
		return err
	}
	h.record(r, c, audit.Rescan, g.Name, g.SubscriptionID, audit.OK, map[string]string{"queued": strconv.Itoa(n)})
	return writeJSON(w, http.StatusAccepted, rescanResponse{Queued: n})
}

// --- repositories and manifests

type repositoryJSON struct {
	Name           string `json:"name"`
	Registry       string `json:"registry"`
	SubscriptionID string `json:"subscriptionId"`
}

func (h *Handler) listRepositories(w http.ResponseWriter, r *http.Request, c *call) error {
	limit, err := limitOf(c.query)
	if err != nil {
		return err
	}
	last, err := position(c.query, "name")
	if err != nil {
		return err
	}
	subs := narrow(c.id, c.query.Get("subscription"))
	registry := c.query.Get("registry")
	out := []repositoryJSON{}
	next := ""
	for len(out) < limit {
		names, err := h.d.Store.ListRepositories(r.Context(), subs, last, limit)
		if err != nil {
			return err
		}
		for _, n := range names {
			last = n
			if registry != "" && oci.RegistryOf(n) != registry || !c.id.CanReadRepository(n) {
				continue
			}
			repo, err := h.d.Store.ResolveRepository(r.Context(), n, store.ResolveOptions{})
			if err != nil {
				return err
			}
			out = append(out, repositoryJSON{Name: n, Registry: repo.Registry, SubscriptionID: repo.SubscriptionID})
			if len(out) == limit {
				next = cursor("name", n)
				break
			}
		}
		if len(names) < limit {
			next = ""
			break
		}
	}
	return writeJSON(w, http.StatusOK, page[repositoryJSON]{Items: out, NextCursor: next})
}

// repository resolves {name} for the caller; errNoRepository when it
// names none the caller may read.
func (h *Handler) repository(ctx context.Context, c *call) (store.Repository, error) {
	name := c.params["name"]
	if err := oci.ValidateName(name); err != nil {
		return store.Repository{}, fmt.Errorf("%w: %q", errNoRepository, name)
	}
	repo, err := h.d.Store.ResolveRepository(ctx, name, store.ResolveOptions{})
	if errors.Is(err, store.ErrNotFound) || (err == nil && !c.id.CanRead(repo.SubscriptionID, repo.Name)) {
		return store.Repository{}, fmt.Errorf("%w: %q", errNoRepository, name)
	}
	return repo, err
}

func (h *Handler) getRepository(w http.ResponseWriter, r *http.Request, c *call) error {
	repo, err := h.repository(r.Context(), c)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, repositoryJSON{Name: repo.Name, Registry: repo.Registry, SubscriptionID: repo.SubscriptionID})
}

func (h *Handler) listManifests(w http.ResponseWriter, r *http.Request, c *call) error {
	repo, err := h.repository(r.Context(), c)
	if err != nil {
		return err
	}
	limit, err := limitOf(c.query)
	if err != nil {
		return err
	}
	after, err := position(c.query, "digest")
	if err != nil {
		return err
	}
	states, err := h.d.Store.ManifestStates(r.Context(), repo.ID, "", after, limit)
	if err != nil {
		return err
	}
	out := make([]manifestJSON, 0, len(states))
	for _, ms := range states {
		out = append(out, manifestOf(ms))
	}
	next := ""
	if len(states) == limit {
		next = cursor("digest", string(states[len(states)-1].Digest))
	}
	return writeJSON(w, http.StatusOK, page[manifestJSON]{Items: out, NextCursor: next})
}

// manifest returns the state of {name}@{digest}.
func (h *Handler) manifest(ctx context.Context, c *call) (store.ManifestState, error) {
	repo, err := h.repository(ctx, c)
	if err != nil {
		return store.ManifestState{}, err
	}
	d, err := oci.ParseDigest(c.params["digest"])
	if err != nil {
		return store.ManifestState{}, fmt.Errorf("%w: %v", errInvalid, err)
	}
	states, err := h.d.Store.ManifestStates(ctx, repo.ID, d, "", 1)
	if err != nil {
		return store.ManifestState{}, err
	}
	if len(states) == 0 {
		return store.ManifestState{}, fmt.Errorf("%w: manifest %s in %s", errNotFound, d, repo.Name)
	}
	return states[0], nil
}

func (h *Handler) getManifest(w http.ResponseWriter, r *http.Request, c *call) error {
	ms, err := h.manifest(r.Context(), c)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, manifestOf(ms))
}

func (h *Handler) rescanRepository(w http.ResponseWriter, r *http.Request, c *call) error {
	repo, err := h.repository(r.Context(), c)
	if err != nil {
		return err
	}
	if err := h.allow(r, c, repo.SubscriptionID, repo.Name, access.ActionPush, audit.Rescan); err != nil {
		return err
	}
	n, err := h.d.Scans.Rescan(r.Context(), store.ScanScope{SubscriptionID: repo.SubscriptionID, Repository: repo.Name})
	if err != nil {
		return err
	}
	h.record(r, c, audit.Rescan, repo.Name, repo.SubscriptionID, audit.OK, map[string]string{"queued": strconv.Itoa(n)})
	return writeJSON(w, http.StatusAccepted, rescanResponse{Queued: n})
}

func (h *Handler) rescanManifest(w http.ResponseWriter, r *http.Request, c *call) error {
	ms, err := h.manifest(r.Context(), c)
	if err != nil {
		return err
	}
	if err := h.allow(r, c, ms.SubscriptionID, ms.Repository, access.ActionPush, audit.Rescan); err != nil {
		return err
	}
	if ms.RegistryType != store.RegistryTypeStandard {
		return fmt.Errorf("%w: registry %s is of type %s, which is not scanned", errConflict, ms.Registry, ms.RegistryType)
	}
	n, err := h.d.Scans.Rescan(r.Context(), store.ScanScope{SubscriptionID: ms.SubscriptionID, Repository: ms.Repository, Digest: ms.Digest})
	if err != nil {
		return err
	}
	h.record(r, c, audit.Rescan, ms.Repository+"@"+string(ms.Digest), ms.SubscriptionID, audit.OK, map[string]string{"queued": strconv.Itoa(n)})
	return writeJSON(w, http.StatusAccepted, rescanResponse{Queued: n})
}

// --- fleet listings

func (h *Handler) listImages(w http.ResponseWriter, r *http.Request, c *call) error {
	limit, err := limitOf(c.query)
	if err != nil {
		return err
	}
	after, err := idPosition(c.query)
	if err != nil {
		return err
	}
	f := store.ImageFilter{Subscriptions: narrow(c.id, c.query.Get("subscription")), Registry: c.query.Get("registry"),
		Repository: c.query.Get("repository"), Status: c.query.Get("status"), AfterID: after, Limit: limit}
	if v := c.query.Get("status"); v != "" && statusRank[v] == 0 && v != store.StatusNotScanned {
		return fmt.Errorf("%w: status %q", errInvalid, v)
	}
	ims, err := h.d.Store.ListImages(r.Context(), f)
	if err != nil {
		return err
	}
	out := []imageJSON{}
	for _, im := range ims {
		if c.id.CanReadRepository(im.Repository) {
			out = append(out, imageOf(im))
		}
	}
	next := ""
	if len(ims) == limit {
		next = cursor("id", strconv.FormatInt(ims[len(ims)-1].ID, 10))
	}
	return writeJSON(w, http.StatusOK, page[imageJSON]{Items: out, NextCursor: next})
}

type assessmentJSON struct {
	SubscriptionID string     `json:"subscriptionId"`
	Registry       string     `json:"registry"`
	RegistryType   string     `json:"registryType"`
	Assessment     string     `json:"assessment"`
	Recommendation string     `json:"recommendation"`
	ChangedAt      *time.Time `json:"changedAt,omitempty"`
	Healthy        int        `json:"healthy"`
	Unhealthy      int        `json:"unhealthy"`
	Other          int        `json:"other"`
}

// Recommendation is the assessment's name.
const Recommendation = "Container registry images should have vulnerability findings resolved"

func (h *Handler) listAssessments(w http.ResponseWriter, r *http.Request, c *call) error {
	as, err := h.d.Store.Assessments(r.Context(), narrow(c.id, c.query.Get("subscription")))
	if err != nil {
		return err
	}
	out := []assessmentJSON{}
	for _, a := range as {
		out = append(out, assessmentJSON{SubscriptionID: a.SubscriptionID, Registry: a.Registry, RegistryType: a.RegistryType,
			Assessment: a.Status, Recommendation: Recommendation, ChangedAt: timePtr(a.ChangedAt), Healthy: a.Healthy,
			Unhealthy: a.Unhealthy, Other: a.Other})
	}
	slices.SortFunc(out, func(a, b assessmentJSON) int {
		if a.SubscriptionID != b.SubscriptionID {
			return compare(a.SubscriptionID, b.SubscriptionID)
		}
		return compare(a.Registry, b.Registry)
	})
	return writeJSON(w, http.StatusOK, page[assessmentJSON]{Items: out})
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
