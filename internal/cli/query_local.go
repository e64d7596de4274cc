package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/config"
	"github.com/drydock/drydock/internal/kql"
	"github.com/drydock/drydock/internal/pipeline"
	"github.com/drydock/drydock/internal/pipeline/objects"
	"github.com/drydock/drydock/internal/scan/match"
	"github.com/drydock/drydock/internal/store/fs"
	"github.com/drydock/drydock/internal/store/sqlmeta"
	"github.com/drydock/drydock/internal/vulndb"
)

// staticDB is the advisory database as it is on disk when the command
// starts (a query does not follow later updates).
type staticDB struct{ db *vulndb.DB }

func (s staticDB) DB() *vulndb.DB          { return s.db }
func (staticDB) OnChange(func(*vulndb.DB)) {}

// runLocalQuery runs q over the tables of the data directory dataDir,
// without a server: the same projection and tables `drydock serve` builds.
// Whoever can read the data directory can read all of it, so the query
// sees every subscription. A running server may use the directory at the
// same time (SQLite WAL: readers do not block it).
func runLocalQuery(ctx context.Context, dataDir, q string) (*kql.Result, error) {
	cfg, err := config.Load("", os.LookupEnv)
	if err != nil {
		return nil, usageError{err}
	}
	cfg.Data = dataDir
	metaPath := filepath.Join(dataDir, "meta.db")
	if _, err := os.Stat(metaPath); err != nil {
		return nil, fmt.Errorf("no drydock data in %s (%w); pass --data DIR, or --server URL to ask a running server", dataDir, err)
	}
	log := slog.New(slog.DiscardHandler)
	meta, err := sqlmeta.Open(ctx, sqlmeta.Config{Path: metaPath}, log)
	if err != nil {
		return nil, err
	}
	defer meta.Close()
	blobs, err := fs.Open(fs.Config{Root: filepath.Join(dataDir, "storage")})
	if err != nil {
		return nil, err
	}
	objs, err := objects.OpenShared(filepath.Join(dataDir, "scan"))
	if err != nil {
		return nil, err
	}
	var adv staticDB
	switch db, err := vulndb.Open(vulndb.Dir(dataDir)); {
	case err == nil:
		defer db.Close()
		adv.db = db
	case !errors.Is(err, vulndb.ErrNoDatabase):
		return nil, fmt.Errorf("open the advisory database: %w", err)
	}
	pipe, err := pipeline.New(pipeline.Config{DisabledByDefault: !cfg.Scan.EnabledByDefault, GoScan: match.GoScan(cfg.Scan.GoScan)},
		pipeline.Deps{Queue: meta, Results: meta, Manifests: meta, Blobs: blobs, Objects: objs, Advisories: adv,
			Plans: meta, Exemptions: meta, Logger: log})
	if err != nil {
		return nil, err
	}
	_, tables, err := fleetTables(cfg, meta, pipe, adv, log)
	if err != nil {
		return nil, err
	}
	local := &access.Identity{Name: "local"} // nil Subscriptions: every subscription
	return kql.Run(ctx, q, tables.Catalog(local, cfg.Provider.RegistryHost), queryLimits(cfg.Query))
}
