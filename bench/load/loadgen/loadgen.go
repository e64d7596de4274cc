package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Config configures a [Run].
type Config struct {
	// Server is the base URL of the running drydock, e.g.
	// http://127.0.0.1:5000.
	Server string
	// User and Password sign the clients in (Basic at the token endpoint,
	// and for /metrics and /api/v1/scans).
	User, Password string
	// PID is the server's process id, for its resident set size; 0 skips
	// RSS sampling.
	PID int
	// Clients is the number of concurrent clients (default 50).
	Clients int
	// Duration is how long the clients work (default 5 minutes).
	Duration time.Duration
	// SampleEvery is the sampling period (default 5 s).
	SampleEvery time.Duration
	// BaseLayer is the layer every image shares (an uncompressed tar),
	// pushed once to BaseRepo before the run. Required.
	BaseLayer []byte
	// Registry is the first path element of every repository used
	// (default "load"); clients push to <Registry>/cNN, the base image is
	// <Registry>/base.
	Registry string
	// Seed makes the choice of operations reproducible (0: 1).
	Seed uint64
	// RSSTolerance and GoroutineTolerance bound the drift of the last
	// window's mean over the second window's (default 0.25 and 0.25, plus
	// 16 MiB and 20 goroutines of slack for small figures).
	RSSTolerance, GoroutineTolerance float64
	// Logger receives progress lines (nil: none).
	Logger *slog.Logger
}

func (c *Config) defaults() error {
	if c.Server == "" {
		return errors.New("loadgen: no server URL")
	}
	c.Server = strings.TrimRight(c.Server, "/")
	if len(c.BaseLayer) == 0 {
		return errors.New("loadgen: no base layer")
	}
	if c.Clients <= 0 {
		c.Clients = 50
	}
	if c.Duration <= 0 {
		c.Duration = 5 * time.Minute
	}
	if c.SampleEvery <= 0 {
		c.SampleEvery = 5 * time.Second
	}
	if c.Registry == "" {
		c.Registry = "load"
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.RSSTolerance <= 0 {
		c.RSSTolerance = 0.25
	}
	if c.GoroutineTolerance <= 0 {
		c.GoroutineTolerance = 0.25
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// maxErrors is how many error messages a report keeps.
const maxErrors = 20

// errorLog counts errors and keeps the first messages.
type errorLog struct {
	mu    sync.Mutex
	n     int64
	first []string
}

func (l *errorLog) add(op string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	if len(l.first) < maxErrors {
		l.first = append(l.first, op+": "+err.Error())
	}
}

// Run pushes the base image, runs cfg.Clients clients for cfg.Duration
// while sampling the server, and returns the report. It returns an error
// only when the run could not start (no server, no token); errors of the
// clients are counted in the report (see [Report.Check]).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	errs := &errorLog{}
	base, err := pushBase(ctx, &cfg)
	if err != nil {
		return nil, err
	}
	log.InfoContext(ctx, "base image pushed", "repo", base.repo, "digest", base.digest)

	smp := newSampler(&cfg, errs)
	if err := smp.sample(ctx, 0); err != nil {
		return nil, fmt.Errorf("loadgen: first sample: %w", err)
	}
	start := time.Now()
	runCtx, stop := context.WithDeadline(ctx, start.Add(cfg.Duration))
	defer stop()
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		smp.loop(runCtx, start)
	}()

	clients := make([]*client, cfg.Clients)
	var wg sync.WaitGroup
	for i := range clients {
		clients[i] = newClient(&cfg, i, base, errs)
		wg.Go(func() { clients[i].run(runCtx) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	<-sampled
	// A last sample once the clients have stopped.
	if err := smp.sample(ctx, time.Since(start)); err != nil {
		errs.add("sample", err)
	}
	rep := newReport(&cfg, elapsed, clients, smp.series(), errs)
	log.InfoContext(ctx, "load run done", "ops", rep.Ops, "errors", rep.Errors, "elapsed", elapsed.Round(time.Millisecond))
	return rep, nil
}

// httpClient is one client's connection pool: like a separate process,
// each client keeps its own connections.
func httpClient() *http.Client {
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true,
		},
	}
}

// drain reads and closes a response body so that the connection is reused.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
}
