package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/drydock/drydock/internal/audit"
	"github.com/drydock/drydock/internal/config"
	"github.com/drydock/drydock/internal/console"
	"github.com/drydock/drydock/internal/gc"
	"github.com/drydock/drydock/internal/pipeline/objects"
	"github.com/drydock/drydock/internal/policy"
	"github.com/drydock/drydock/internal/registry"
	"github.com/drydock/drydock/internal/server"
	"github.com/drydock/drydock/internal/store/fs"
	"github.com/drydock/drydock/internal/store/sqlmeta"
	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/vulndb/live"
	"github.com/drydock/drydock/internal/webhook"
)

func newServeCmd(g *globals) *cobra.Command {
	var configFile, addr string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the registry, scanner and APIs in one process",
		Long: `Run drydock: the OCI registry on /v2/, health on /healthz and /readyz,
metrics on /metrics. Everything lives under --data (blobs on the local
filesystem, metadata in SQLite). Settings come from --config FILE and
DRYDOCK_* environment variables; flags win.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(configFile, os.LookupEnv)
			if err != nil {
				return usageError{err}
			}
			if cmd.Flags().Changed("data") || os.Getenv("DRYDOCK_DATA") != "" {
				cfg.Data = g.dataDir
			}
			if addr != "" {
				cfg.Server.Addr = addr
			}
			if err := cfg.Validate(); err != nil {
				return usageError{err}
			}
			return serve(cmd.Context(), cfg, g.stderr)
		},
	}
	cmd.Flags().StringVar(&configFile, "config", os.Getenv("DRYDOCK_CONFIG"), "YAML configuration file (env DRYDOCK_CONFIG)")
	cmd.Flags().StringVar(&addr, "addr", "", "listen address (default 127.0.0.1:5000, env DRYDOCK_ADDR)")
	return cmd
}

func newLogger(cfg config.Log, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.Level)) // validated by config
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serve wires the components together and runs them until ctx ends.
func serve(ctx context.Context, cfg config.Config, logw io.Writer) error {
	log := newLogger(cfg.Log, logw)
	if err := os.MkdirAll(cfg.Data, 0o750); err != nil {
		return fmt.Errorf("serve: create data directory: %w", err)
	}
	blobs, err := fs.Open(fs.Config{Root: filepath.Join(cfg.Data, "storage"), Sync: cfg.Storage.Sync})
	if err != nil {
		return err
	}
	meta, err := sqlmeta.Open(ctx, sqlmeta.Config{Path: filepath.Join(cfg.Data, "meta.db"), Synchronous: synchronous(cfg.Storage.Sync)}, log)
	if err != nil {
		return err
	}
	defer meta.Close()
	if cfg.Registry.AutoCreateRegistries {
		if _, err := meta.EnsureSubscription(ctx, cfg.Registry.DefaultSubscription, cfg.Registry.DefaultSubscription); err != nil {
			return err
		}
	}
	authz, gate, err := serveAuth(ctx, cfg, meta, log, logw)
	if err != nil {
		return err
	}
	metrics := prometheus.NewRegistry()
	rec := audit.New(meta, log)
	pol, err := policy.New(policy.Config{MaxBreakGlass: cfg.Policy.MaxBreakGlass.D(), CacheTTL: cfg.Policy.CacheTTL.D()},
		policy.Deps{Store: meta, Audit: rec, Logger: log})
	if err != nil {
		return err
	}
	reg, err := registry.New(registry.Config{
		MaxManifestSize:      int64(cfg.Registry.MaxManifestSize),
		MaxBlobSize:          int64(cfg.Registry.MaxBlobSize),
		UploadExpiry:         cfg.Registry.UploadExpiry.D(),
		AutoCreateRegistries: cfg.Registry.AutoCreateRegistries,
		DefaultSubscription:  cfg.Registry.DefaultSubscription,
		AutoMount:            cfg.Registry.AutoMount,
	}, registry.Deps{Meta: meta, Blobs: blobs, Auth: authz, Logger: log, Metrics: metrics, PullPolicy: pol})
	if err != nil {
		return err
	}
	hookCfg := webhook.Config{
		Workers:             cfg.Webhooks.Workers,
		Timeout:             cfg.Webhooks.Timeout.D(),
		ConnectTimeout:      cfg.Webhooks.ConnectTimeout.D(),
		MaxAttempts:         cfg.Webhooks.MaxAttempts,
		BackoffBase:         cfg.Webhooks.BackoffBase.D(),
		BackoffMax:          cfg.Webhooks.BackoffMax.D(),
		PollInterval:        cfg.Webhooks.PollInterval.D(),
		Retention:           cfg.Webhooks.Retention.D(),
		AllowPrivateTargets: cfg.Webhooks.AllowPrivateTargets,
	}
	relay, err := webhook.NewRelay(hookCfg, webhook.RelayDeps{Store: meta, Logger: log, Metrics: metrics})
	if err != nil {
		return err
	}
	hooks, err := webhook.NewHandler(hookCfg, webhook.HandlerDeps{Store: meta, Auth: authz, Logger: log})
	if err != nil {
		return err
	}
	objs, err := objects.Open(filepath.Join(cfg.Data, "scan"), cfg.Storage.Sync)
	if err != nil {
		return err
	}
	collector, err := gc.New(gc.Config{
		Interval:       cfg.GC.Interval.D(),
		GracePeriod:    cfg.GC.GracePeriod.D(),
		DeleteUntagged: cfg.GC.DeleteUntagged,
	}, meta, blobs, log, gc.WithCache(objs, meta))
	if err != nil {
		return err
	}
	advisories, err := live.New(live.Config{Dir: vulndb.Dir(cfg.Data), AutoUpdate: cfg.VulnDB.AutoUpdate,
		UpdateInterval: cfg.VulnDB.UpdateInterval.D(), RetryInterval: cfg.VulnDB.RetryInterval.D(), Sources: cfg.VulnDB.Sources}, log)
	if err != nil {
		return err
	}
	pipe, apiHandler, err := servePipeline(cfg, meta, blobs, advisories, authz, log, metrics, objs, pol, rec)
	if err != nil {
		return err
	}
	fleet, err := serveFleet(cfg, meta, pipe, advisories, authz, log)
	if err != nil {
		return err
	}
	con, err := console.New(console.Deps{Store: meta, Advisories: advisories, Auth: authz, Logger: log})
	if err != nil {
		return err
	}
	srv, err := server.New(server.Config{
		TLSCert:           cfg.Server.TLSCert,
		TLSKey:            cfg.Server.TLSKey,
		ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout.D(),
		IdleTimeout:       cfg.Server.IdleTimeout.D(),
		ShutdownTimeout:   cfg.Server.ShutdownTimeout.D(),
		OpenMetrics:       cfg.Auth.OpenMetrics,
	}, server.Deps{Registry: reg, Ready: meta.Ping, Metrics: metrics, Logger: log,
		Webhooks: hooks, WebhookPatterns: webhook.Patterns, Guard: guardOf(gate), API: apiHandler,
		Provider: fleet.provider, ProviderPatterns: fleet.providerPatterns, Query: fleet.query,
		Console: con, ConsolePatterns: console.Patterns})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("serve: listen: %w", err)
	}
	scheme := "http"
	if cfg.Server.TLSCert != "" {
		scheme = "https"
	}
	log.Info("drydock listening", "url", scheme+"://"+ln.Addr().String(), "data", cfg.Data)

	bgctx, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { reg.Run(bgctx) })
	wg.Go(func() { relay.Run(bgctx) })
	wg.Go(func() { advisories.Run(bgctx) }) // loads, follows and updates the advisory database
	wg.Go(func() { pipe.Run(bgctx) })       // scan workers and re-evaluations
	if cfg.GC.Interval > 0 {
		wg.Go(func() { collector.Run(bgctx, 0) })
	}
	err = srv.Serve(ctx, ln)
	// Background loops stop after the last request finished, so a final
	// flush (e.g. of pull times) sees every request.
	stopBG()
	wg.Wait()
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	log.Info("drydock stopped")
	return nil
}

// synchronous maps storage.sync to SQLite's durability level: FULL survives
// power loss, NORMAL (WAL) survives process crashes.
func synchronous(sync bool) sqlmeta.Synchronous {
	if sync {
		return sqlmeta.SyncFull
	}
	return sqlmeta.SyncNormal
}
