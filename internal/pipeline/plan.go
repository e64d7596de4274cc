package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/drydock/drydock/internal/store"
)

// SetPlan switches scanning for a subscription (registry "") or one of its
// registries (enabled nil removes the setting). Switching on queues, as
// bulk work, the images pushed or pulled within the plan window that
// scanning covers now; it returns how many were queued.
func (p *Pipeline) SetPlan(ctx context.Context, subscriptionID, registry string, enabled *bool) (int, error) {
	if p.d.Plans == nil {
		return 0, errors.New("pipeline: no plan store")
	}
	if err := p.d.Plans.SetPlan(ctx, subscriptionID, registry, enabled); err != nil {
		return 0, err
	}
	on, err := p.enabled(ctx, subscriptionID, registry)
	if err != nil || !on {
		return 0, err
	}
	n, err := p.d.Queue.EnqueueScans(ctx, store.ScanScope{SubscriptionID: subscriptionID, Registry: registry,
		Since: p.now().Add(-p.cfg.PlanWindow)}, store.ReasonPlan, store.PriorityBulk)
	if err != nil {
		return 0, fmt.Errorf("pipeline: queue scans after switching on %s: %w", subscriptionID, err)
	}
	p.log.InfoContext(ctx, "scanning switched on", "subscription", subscriptionID, "registry", registry, "queued", n)
	return n, nil
}

// enabled reports the effective plan of a subscription (registry "") or a
// registry. Jobs of registries whose override is off are skipped by the
// workers, so queueing a whole subscription is safe.
func (p *Pipeline) enabled(ctx context.Context, subscriptionID, registry string) (bool, error) {
	plan, err := p.d.Plans.GetPlan(ctx, subscriptionID)
	if err != nil {
		return false, err
	}
	if registry != "" {
		if on, ok := plan.Registries[registry]; ok {
			return on, nil
		}
	}
	if plan.Enabled != nil {
		return *plan.Enabled, nil
	}
	return !p.cfg.DisabledByDefault, nil
}
