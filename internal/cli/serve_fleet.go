package cli

import (
	"log/slog"
	"net/http"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/config"
	"github.com/drydock/drydock/internal/kql"
	"github.com/drydock/drydock/internal/projection"
	"github.com/drydock/drydock/internal/provider"
	"github.com/drydock/drydock/internal/querytables"
	"github.com/drydock/drydock/internal/store/sqlmeta"
)

// fleet are the handlers of fleet visibility: the provider-compatible API
// and the query API, both over one projection of the findings.
type fleet struct {
	provider         http.Handler
	providerPatterns []string
	query            http.Handler
}

// serveFleet builds the projection (reports rendered by the pipeline,
// cached per image evaluation and advisory database version), the
// provider API and the query API.
func serveFleet(cfg config.Config, meta *sqlmeta.Store, reports projection.Reports, advisories liveDB,
	authz access.Authorizer, log *slog.Logger) (fleet, error) {
	proj, tables, err := fleetTables(cfg, meta, reports, advisories, log)
	if err != nil {
		return fleet{}, err
	}
	prov, err := provider.New(provider.Config{PageSize: cfg.Provider.PageSize}, provider.Deps{Projector: proj, Auth: authz, Logger: log})
	if err != nil {
		return fleet{}, err
	}
	query := tables.Handler(authz, queryLimits(cfg.Query), log)
	return fleet{provider: prov, providerPatterns: provider.Patterns, query: query}, nil
}

// fleetTables builds the projection and the query tables over it; the
// server and `drydock query` on a data directory share them.
func fleetTables(cfg config.Config, meta *sqlmeta.Store, reports projection.Reports, advisories liveDB,
	log *slog.Logger) (*projection.Projector, *querytables.Tables, error) {
	pc := cfg.Provider
	proj, err := projection.New(projection.Config{TenantID: pc.TenantID, ResourceGroup: pc.ResourceGroup,
		RegistryHost: pc.RegistryHost, ScanningEnabledByDefault: cfg.Scan.EnabledByDefault},
		projection.Deps{Store: meta, Reports: reports, Details: projection.VulnDB(advisories.DB), Logger: log,
			DBVersion: func() string {
				if db := advisories.DB(); db != nil {
					return db.Version()
				}
				return ""
			}})
	if err != nil {
		return nil, nil, err
	}
	tables, err := querytables.New(querytables.Deps{Projector: proj, Store: meta})
	if err != nil {
		return nil, nil, err
	}
	return proj, tables, nil
}

func queryLimits(q config.Query) kql.Limits {
	return kql.Limits{Timeout: q.Timeout.D(), MaxRows: q.MaxRows, MaxMemory: int64(q.MaxMemory)}
}
