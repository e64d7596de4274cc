package querytables

import (
	"context"
	"errors"
	"strings"

	"github.com/drydock/drydock/internal/kql"
	"github.com/drydock/drydock/internal/projection"
)

// resourceColumns are the columns of securityresources, as the provider's
// resource graph has them.
var resourceColumns = []kql.Column{
	col("id", kql.TypeString), col("name", kql.TypeString), col("type", kql.TypeString), col("tenantId", kql.TypeString),
	col("subscriptionId", kql.TypeString), col("resourceGroup", kql.TypeString), col("properties", kql.TypeDynamic),
}

// The type column is lower-cased, as in the provider's resource graph
// (queries compare it with "microsoft.security/assessments/subassessments").
var (
	typeAssessment    = strings.ToLower(projection.TypeAssessment)
	typeSubAssessment = strings.ToLower(projection.TypeSubAssessment)
)

// resourceBatch is how many sub-assessments one fill renders.
const resourceBatch = 256

// resources reads securityresources: the registries' assessments, then
// every sub-assessment, exactly as the provider API renders them. Filters
// on type, subscriptionId, resourceGroup and id narrow what is rendered.
func (t *Tables) resources(ctx context.Context, sc projection.Scope, f filters) (kql.RowIter, error) {
	cfg := t.p.Config()
	if !f.matches("resourceGroup", cfg.ResourceGroup) || !f.matches("tenantId", cfg.TenantID) {
		return empty(), nil
	}
	var keys []string
	key := ""
	if id, ok := f.exact["id"]; ok || f.fold["id"] != "" {
		if !ok {
			id = f.fold["id"]
		}
		p, ok := projection.ParseResourceID(id)
		if !ok || p.Registry == "" {
			return empty(), nil
		}
		f.fold["subscriptionId"], sc.Registry, key = p.SubscriptionID, p.Registry, p.Key
	}
	sc, ok, err := t.narrow(ctx, sc, f)
	if err != nil || !ok {
		return empty(), err
	}
	if key != "" {
		keys = []string{key}
	}
	wantAssessments := f.matches("type", typeAssessment)
	wantSubs := f.matches("type", typeSubAssessment)
	var pending []kql.Row
	if wantAssessments {
		as, err := t.p.Assessments(ctx, sc, key)
		if err != nil {
			return nil, err
		}
		for _, r := range as {
			row, err := resourceRow(r, typeAssessment)
			if err != nil {
				return nil, err
			}
			pending = append(pending, row)
		}
	}
	var pos projection.Position
	done := !wantSubs
	return &batchIter{fill: func(ctx context.Context) ([]kql.Row, bool, error) {
		rows := pending
		pending = nil
		if done {
			return rows, true, nil
		}
		n := 0
		err := t.p.EachSubAssessment(ctx, sc, keys, pos, func(r projection.Resource, next projection.Position) error {
			if n == resourceBatch {
				return projection.ErrStop
			}
			row, err := resourceRow(r, typeSubAssessment)
			if err != nil {
				return err
			}
			rows, pos, n = append(rows, row), next, n+1
			return nil
		})
		if err != nil && !errors.Is(err, projection.ErrStop) {
			return nil, false, err
		}
		done = n < resourceBatch
		return rows, done, nil
	}}, nil
}

// resourceRow is a resource as a row; properties is its REST JSON.
func resourceRow(r projection.Resource, typ string) (kql.Row, error) {
	props, err := dynamicOf(r.Properties)
	if err != nil {
		return nil, err
	}
	return kql.Row{str(r.ID), str(r.Name), str(typ), str(r.TenantID), str(r.SubscriptionID), str(r.ResourceGroup), props}, nil
}
