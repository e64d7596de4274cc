package querytables

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/kql"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/projection"
	"github.com/drydock/drydock/internal/store"
)

// Store is what the tables read besides the projection (store/sqlmeta
// implements it).
type Store interface {
	ListFindings(ctx context.Context, f store.FindingFilter) ([]store.FindingRow, error)
	Usage(ctx context.Context, f store.UsageFilter) ([]store.UsageRow, error)
}

// Deps are what the tables read.
type Deps struct {
	Projector *projection.Projector
	Store     Store
}

// Tables makes the query tables of one caller.
type Tables struct {
	p  *projection.Projector
	st Store
}

// New returns the table factory.
func New(d Deps) (*Tables, error) {
	if d.Projector == nil || d.Store == nil {
		return nil, errors.New("querytables: Projector and Store are required")
	}
	return &Tables{p: d.Projector, st: d.Store}, nil
}

// Names are the tables of every catalog.
var Names = []string{"securityresources", "images", "findings", "packages", "advisories", "usage"}

// Catalog returns the tables as identity id sees them: every row they
// produce is of a subscription (and repository) id may read, whatever the
// query. registryHost fills artifactDetails.registryHost when the
// projection has none configured.
func (t *Tables) Catalog(id *access.Identity, registryHost string) kql.Catalog {
	sc := projection.Scope{Identity: id, RegistryHost: registryHost}
	return kql.MapCatalog{
		"securityresources": &table{name: "securityresources", cols: resourceColumns, scan: func(ctx context.Context, f filters) (kql.RowIter, error) { return t.resources(ctx, sc, f) }},
		"images":            &table{name: "images", cols: imageColumns, scan: func(ctx context.Context, f filters) (kql.RowIter, error) { return t.images(ctx, sc, f) }},
		"findings":          &table{name: "findings", cols: findingColumns, scan: func(ctx context.Context, f filters) (kql.RowIter, error) { return t.findings(ctx, sc, f) }},
		"packages":          &table{name: "packages", cols: packageColumns, scan: func(ctx context.Context, f filters) (kql.RowIter, error) { return t.packages(ctx, sc, f) }},
		"advisories":        &table{name: "advisories", cols: advisoryColumns, scan: func(ctx context.Context, f filters) (kql.RowIter, error) { return t.advisories(ctx, sc, f) }},
		"usage":             &table{name: "usage", cols: usageColumns, scan: func(ctx context.Context, f filters) (kql.RowIter, error) { return t.usage(ctx, sc, f) }},
	}
}

// Schema returns the columns of every table, by name.
func Schema() map[string][]kql.Column {
	return map[string][]kql.Column{"securityresources": resourceColumns, "images": imageColumns, "findings": findingColumns,
		"packages": packageColumns, "advisories": advisoryColumns, "usage": usageColumns}
}

// table is one query table.
type table struct {
	name string
	cols []kql.Column
	scan func(ctx context.Context, f filters) (kql.RowIter, error)
}

var _ kql.Table = (*table)(nil)

func (t *table) Name() string          { return t.name }
func (t *table) Columns() []kql.Column { return slices.Clone(t.cols) }

// Scan implements kql.Table: the table's own reader, within the caller's
// scope, narrowed by the pushed-down filters it can use.
func (t *table) Scan(ctx context.Context, pd kql.Pushdown) (kql.RowIter, error) {
	f := readFilters(pd)
	if f.none {
		return empty(), nil
	}
	it, err := t.scan(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", t.name, err)
	}
	return it, nil
}

// narrow applies the pushed-down filters on the columns every table has
// (subscriptionId, subscription) and those the scope knows (registry,
// repository, digest). ok is false when no row can pass.
func (t *Tables) narrow(ctx context.Context, sc projection.Scope, f filters) (out projection.Scope, ok bool, err error) {
	if v, ok := f.str("subscription"); ok {
		sc.Subscription = v
	}
	if v, has := f.exact["subscriptionId"]; has || f.fold["subscriptionId"] != "" {
		if !has {
			v = f.fold["subscriptionId"]
		}
		subs, err := t.p.Subscriptions(ctx, sc.Identity)
		if err != nil {
			return sc, false, err
		}
		found := ""
		for _, s := range subs {
			if pid := projection.SubscriptionID(s.ID); pid == v || (!has && strings.EqualFold(pid, v)) {
				found = s.ID
			}
		}
		if found == "" || (sc.Subscription != "" && sc.Subscription != found) {
			return sc, false, nil
		}
		sc.Subscription = found
	}
	if v, ok := f.str("registry"); ok {
		sc.Registry = v
	}
	if v, ok := f.str("repository"); ok {
		sc.Repository = v
	}
	if v, ok := f.str("digest"); ok {
		sc.Digest = oci.Digest(v)
	}
	return sc, len(sc.Subscriptions()) != 0 || sc.Subscriptions() == nil, nil
}

// Value helpers: kql columns of type string never hold null; datetimes
// and numbers do when unknown.

func str(s string) kql.Value { return kql.String(s) }

func long(n int) kql.Value { return kql.Long(int64(n)) }

func when(t time.Time) kql.Value {
	if t.IsZero() {
		return kql.Null()
	}
	return kql.DateTime(t)
}

func strings_(ss []string) kql.Value {
	vs := make([]kql.Value, len(ss))
	for i, s := range ss {
		vs[i] = kql.String(s)
	}
	return kql.Array(vs...)
}

func col(name string, t kql.Type) kql.Column { return kql.Column{Name: name, Type: t} }
