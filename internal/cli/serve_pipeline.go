package cli

import (
	"log/slog"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/api"
	"github.com/drydock/drydock/internal/audit"
	"github.com/drydock/drydock/internal/config"
	"github.com/drydock/drydock/internal/pipeline"
	"github.com/drydock/drydock/internal/pipeline/objects"
	"github.com/drydock/drydock/internal/policy"
	"github.com/drydock/drydock/internal/querytables"
	"github.com/drydock/drydock/internal/scan/layer"
	"github.com/drydock/drydock/internal/scan/match"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/store/sqlmeta"
	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/webhook"
)

// liveDB is the advisory database service (vulndb/live.Manager): the
// current version, and a callback on each new one.
type liveDB interface {
	DB() *vulndb.DB
	OnChange(func(*vulndb.DB))
}

// servePipeline builds the scan pipeline (workers, re-evaluation) and the
// /api/v1 handler. The pipeline re-matches stored images whenever the
// advisory database changes.
func servePipeline(cfg config.Config, meta *sqlmeta.Store, blobs store.Blobs, advisories liveDB,
	authz access.Authorizer, log *slog.Logger, metrics *prometheus.Registry, objs objects.Store, pol *policy.Policies, rec audit.Recorder) (*pipeline.Pipeline, *api.Handler, error) {
	sc := cfg.Scan
	reeval := sc.ReevaluateInterval.D()
	if reeval == 0 {
		reeval = -1 // off
	}
	pipe, err := pipeline.New(pipeline.Config{
		Workers: sc.Workers, TimeBudget: sc.TimeBudget.D(), MaxAttempts: sc.MaxAttempts,
		Backoff: sc.Backoff.D(), MaxBackoff: sc.MaxBackoff.D(), Lease: sc.Lease.D(), Poll: sc.Poll.D(),
		WorkerName: sc.WorkerName, DisabledByDefault: !sc.EnabledByDefault, PlanWindow: sc.PlanWindow.D(), Reevaluate: reeval,
		AttachSBOM: sc.AttachSBOM, ToolVersion: toolVersion(), Limits: scanLimits(sc.Limits), GoScan: match.GoScan(sc.GoScan),
	}, pipeline.Deps{Queue: meta, Results: meta, Manifests: meta, Blobs: blobs, Objects: objs, Advisories: advisories,
		Plans: meta, Artifacts: meta, Exemptions: meta, Logger: log, Metrics: metrics})
	if err != nil {
		return nil, nil, err
	}
	advisories.OnChange(func(*vulndb.DB) { pipe.DBChanged() })
	h, err := api.New(api.Deps{Store: meta, Scans: pipe, Advisories: advisories, Auth: authz, Logger: log,
		ExternalRoutes: append(slices.Clone(webhook.Patterns), querytables.QueryPattern), ToolVersion: toolVersion(),
		ExternalRoles: externalRoles(), Policies: pol, Audit: rec, AuditLog: meta})
	if err != nil {
		return nil, nil, err
	}
	return pipe, h, nil
}

// externalRoles are the least roles of the writes other handlers serve
// under /api/v1/, for the OpenAPI document: webhooks need owner, the fleet
// query only reads.
func externalRoles() map[string]string {
	roles := map[string]string{querytables.QueryPattern: "reader"}
	for _, p := range webhook.Patterns {
		if !strings.HasPrefix(p, "GET ") {
			roles[p] = "owner"
		}
	}
	return roles
}

// scanLimits turns the configured limits into the layer reader's (the
// other fields keep the reader's defaults).
func scanLimits(l config.ScanLimits) layer.Config {
	return layer.Config{MaxLayerBytes: int64(l.MaxLayerBytes), MaxEntries: int64(l.MaxEntries),
		MaxFileBytes: int64(l.MaxFileBytes), MaxRatio: int64(l.MaxRatio)}
}
