// Command registry-bench measures drydock's registry side by side with the
// CNCF Distribution registry, in the same run, on loopback. It is started by
// bench/registry/run.sh, which builds both servers; see that script for the
// figures measured and how to read them.
//
// Both servers are started on free 127.0.0.1 ports with fresh data
// directories; every figure is taken for one server and then the other
// (alternating per repetition), so a change in machine load during the run
// affects both alike. Only one server is under load at any moment. Nothing here is a pass/fail test: the
// program prints a table, writes JSON and Markdown results, and exits 0
// unless a measurement could not be made at all (a server that fails to
// start, or answers a request wrongly).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// options are the command-line settings.
type options struct {
	drydockBin      string
	distributionBin string
	outDir          string
	bigLayers       int
	bigLayerMB      int
	bigReps         int
	smallImages     int
	rpsRequests     int
	rpsWorkers      int
	catalogRepos    int
	catalogReps     int
	pushJobs        int
	only            string
	keepData        bool
}

func main() {
	var o options
	flag.StringVar(&o.drydockBin, "drydock", "bench/out/bin/drydock", "drydock binary")
	flag.StringVar(&o.distributionBin, "distribution", "bench/out/bin/registry", "CNCF Distribution registry binary")
	flag.StringVar(&o.outDir, "out", "bench/out", "directory for data directories and results")
	flag.IntVar(&o.bigLayers, "big-layers", 5, "layers in the big image")
	flag.IntVar(&o.bigLayerMB, "big-layer-mb", 100, "size of each big layer in MiB")
	flag.IntVar(&o.bigReps, "big-reps", 5, "big image push/pull repetitions (median reported)")
	flag.IntVar(&o.smallImages, "small-images", 50, "small images pushed and pulled (median reported)")
	flag.IntVar(&o.rpsRequests, "rps-requests", 20000, "requests per requests/s figure")
	flag.IntVar(&o.rpsWorkers, "rps-workers", 16, "concurrent clients for requests/s figures")
	flag.IntVar(&o.catalogRepos, "catalog-repos", 10000, "repositories created for the _catalog figure")
	flag.IntVar(&o.catalogReps, "catalog-reps", 10, "_catalog listings timed (median reported)")
	flag.IntVar(&o.pushJobs, "jobs", 4, "concurrent blob transfers per image push/pull (crane's default is 4)")
	flag.StringVar(&o.only, "only", "", "measure only this server (drydock or distribution)")
	flag.BoolVar(&o.keepData, "keep-data", false, "keep the servers' data directories")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signalContext()
	defer stop()
	if err := run(ctx, o, log); err != nil {
		fmt.Fprintln(os.Stderr, "registry-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, log *slog.Logger) error {
	if err := os.MkdirAll(o.outDir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", o.outDir, err)
	}
	servers := []serverSpec{
		{name: "drydock", start: func(ctx context.Context, addr, data string) (*process, error) {
			return startProcess(ctx, o.drydockBin, []string{"serve", "--addr", addr, "--data", data}, addr, "/readyz", data)
		}},
		{name: "distribution", start: func(ctx context.Context, addr, data string) (*process, error) {
			cfg, err := writeDistributionConfig(data, addr)
			if err != nil {
				return nil, err
			}
			return startProcess(ctx, o.distributionBin, []string{"serve", cfg}, addr, "/v2/", data)
		}},
	}
	res := &results{Started: time.Now().UTC(), Options: o.describe()}
	var chosen []serverSpec
	for _, s := range servers {
		if o.only == "" || o.only == s.name {
			chosen = append(chosen, s)
		}
	}
	if len(chosen) == 0 {
		return fmt.Errorf("-only %q names no server (drydock or distribution)", o.only)
	}
	figs, err := measure(ctx, o, chosen, log)
	if err != nil {
		return err
	}
	for i, s := range chosen {
		res.Servers = append(res.Servers, serverResult{Name: s.name, Figures: figs[i]})
	}
	res.Finished = time.Now().UTC()
	table := res.table()
	fmt.Print(table)
	stamp := res.Started.Format("20060102T150405Z")
	jb, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	for name, b := range map[string][]byte{
		"results-" + stamp + ".json": jb,
		"results-" + stamp + ".md":   []byte(table),
		"results-latest.md":          []byte(table),
		"results-latest.json":        jb,
	} {
		if err := os.WriteFile(filepath.Join(o.outDir, name), b, 0o644); err != nil {
			return fmt.Errorf("write results: %w", err)
		}
	}
	return nil
}

// serverSpec names a server and how to start it.
type serverSpec struct {
	name  string
	start func(ctx context.Context, addr, dataDir string) (*process, error)
}

// running is one started server under measurement.
type running struct {
	name string
	proc *process
	c    *client
	figs map[string]float64
}

// measure starts every server on a fresh data directory and takes each
// figure for all of them before moving to the next, alternating servers
// within each repetition, so that a change in machine load during the run
// touches both alike. The 500 MB pushes come first so that each process's
// peak RSS (VmHWM) read right after them is its peak while pushing.
func measure(ctx context.Context, o options, specs []serverSpec, log *slog.Logger) ([]map[string]float64, error) {
	var rs []*running
	defer func() {
		for _, r := range rs {
			r.proc.stop(log)
		}
	}()
	for _, s := range specs {
		data := filepath.Join(o.outDir, "data-"+s.name)
		if err := os.RemoveAll(data); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(data, 0o755); err != nil {
			return nil, err
		}
		if !o.keepData {
			defer os.RemoveAll(data)
		}
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		p, err := s.start(ctx, addr, data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		rs = append(rs, &running{name: s.name, proc: p, c: newClient(addr, o.pushJobs), figs: map[string]float64{}})
		log.Info("started", "server", s.name, "addr", addr, "log", p.log)
	}

	// Big image: push and pull, fresh random content each repetition.
	push := make([][]float64, len(rs))
	pull := make([][]float64, len(rs))
	for rep := 0; rep < o.bigReps; rep++ {
		img, err := newBigImage(o.bigLayers, o.bigLayerMB<<20, uint64(rep+1))
		if err != nil {
			return nil, err
		}
		repo := fmt.Sprintf("bench/big%d", rep)
		for i, r := range rs {
			// Flush earlier writes so that no server pays for another's
			// (or an earlier repetition's) dirty pages.
			syscall.Sync()
			d, err := r.c.pushImage(ctx, repo, "v1", img)
			if err != nil {
				return nil, fmt.Errorf("%s: push big image: %w", r.name, err)
			}
			push[i] = append(push[i], d.Seconds())
		}
		for i, r := range rs {
			d, err := r.c.pullImage(ctx, repo, "v1", img, rep == 0)
			if err != nil {
				return nil, fmt.Errorf("%s: pull big image: %w", r.name, err)
			}
			pull[i] = append(pull[i], d.Seconds())
			log.Info("big image", "server", r.name, "rep", rep, "push_s", push[i][rep], "pull_s", pull[i][rep])
		}
	}
	size := float64(o.bigLayers*o.bigLayerMB) / 1024 // GiB
	for i, r := range rs {
		var err error
		if r.figs[figPeakRSS], err = r.proc.peakRSSMiB(); err != nil {
			return nil, err
		}
		r.figs[figBigPush] = median(push[i])
		r.figs[figBigPull] = median(pull[i])
		r.figs[figBigPushGBs] = size / median(push[i])
		r.figs[figBigPullGBs] = size / median(pull[i])
	}

	// Small images.
	spush := make([][]float64, len(rs))
	spull := make([][]float64, len(rs))
	for n := 0; n < o.smallImages; n++ {
		img, err := newSmallImage(uint64(1000 + n))
		if err != nil {
			return nil, err
		}
		tag := fmt.Sprintf("v%d", n)
		for i, r := range rs {
			d, err := r.c.pushImage(ctx, "bench/small", tag, img)
			if err != nil {
				return nil, fmt.Errorf("%s: push small image: %w", r.name, err)
			}
			spush[i] = append(spush[i], float64(d.Microseconds())/1000)
			d, err = r.c.pullImage(ctx, "bench/small", tag, img, n == 0)
			if err != nil {
				return nil, fmt.Errorf("%s: pull small image: %w", r.name, err)
			}
			spull[i] = append(spull[i], float64(d.Microseconds())/1000)
		}
	}
	for i, r := range rs {
		r.figs[figSmallPush] = median(spush[i])
		r.figs[figSmallPull] = median(spull[i])
	}

	// Requests per second on the small repository (one tag per small image).
	for _, l := range []struct{ fig, method, path string }{
		{figHeadRPS, "HEAD", "/v2/bench/small/manifests/v0"},
		{figGetRPS, "GET", "/v2/bench/small/manifests/v0"},
		{figTagsRPS, "GET", "/v2/bench/small/tags/list"},
	} {
		for _, r := range rs {
			v, err := r.c.loadTest(ctx, l.method, l.path, o.rpsRequests, o.rpsWorkers)
			if err != nil {
				return nil, fmt.Errorf("%s: %s %s: %w", r.name, l.method, l.path, err)
			}
			r.figs[l.fig] = v
			log.Info("requests/s", "server", r.name, "request", l.method+" "+l.path, "rps", v)
		}
	}

	// _catalog with many repositories.
	for _, r := range rs {
		created, err := r.c.createRepos(ctx, o.catalogRepos, o.rpsWorkers)
		if err != nil {
			return nil, fmt.Errorf("%s: create repositories: %w", r.name, err)
		}
		r.figs[figRepoCreate] = created
	}
	for _, r := range rs {
		first, med, n, err := r.c.catalog(ctx, o.catalogRepos, o.catalogReps)
		if err != nil {
			return nil, fmt.Errorf("%s: _catalog: %w", r.name, err)
		}
		r.figs[figCatalogFirst] = first
		r.figs[figCatalog] = med
		log.Info("_catalog", "server", r.name, "repositories", n, "first_ms", first, "median_ms", med)
		if r.figs[figRSSEnd], err = r.proc.peakRSSMiB(); err != nil {
			return nil, err
		}
	}
	out := make([]map[string]float64, len(rs))
	for i, r := range rs {
		out[i] = r.figs
	}
	return out, nil
}

// process is a running server.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
	log    string
}

func startProcess(ctx context.Context, bin string, args []string, addr, readyPath, dataDir string) (*process, error) {
	logPath := filepath.Join(filepath.Dir(dataDir), filepath.Base(dataDir)+".log")
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	// Distribution runs open, so drydock does too (authentication costs are
	// measured by bench/load); no advisory feeds are fetched. drydock still
	// queues a scan of every manifest pushed, as in production.
	cmd.Env = append(os.Environ(), "DRYDOCK_AUTH_ENABLED=false", "DRYDOCK_VULNDB_AUTOUPDATE=false")
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{}), log: logPath}
	go func() {
		_ = cmd.Wait()
		lf.Close()
		close(p.exited)
	}()
	c := newClient(addr, 1)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return nil, fmt.Errorf("%s exited during start; see %s", bin, logPath)
		case <-ctx.Done():
			p.stop(nil)
			return nil, ctx.Err()
		default:
		}
		if st, err := c.status(ctx, "GET", readyPath); err == nil && st == 200 {
			return p, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.stop(nil)
	return nil, fmt.Errorf("%s not ready on %s within 60s; see %s", bin, addr, logPath)
}

func (p *process) stop(log *slog.Logger) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		if log != nil {
			log.Warn("server killed after SIGTERM timeout", "log", p.log)
		}
	}
}

// peakRSSMiB reads VmHWM (peak resident set size) from /proc.
func (p *process) peakRSSMiB() (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("read peak RSS: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb float64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%f kB", &kb); err != nil {
				return 0, fmt.Errorf("parse VmHWM %q: %w", rest, err)
			}
			return kb / 1024, nil
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

func writeDistributionConfig(dataDir, addr string) (string, error) {
	// Logging is turned down and the access log off, so Distribution does
	// not pay for per-request logs: a conservative setting for drydock.
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
catalog:
  maxentries: 10000
`, filepath.Join(dataDir, "storage"), addr)
	p := filepath.Join(dataDir, "config.yml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		return "", fmt.Errorf("write distribution config: %w", err)
	}
	return p, nil
}

func (o options) describe() map[string]any {
	return map[string]any{
		"bigImage":     fmt.Sprintf("%d layers x %d MiB random (uncompressed tar layers)", o.bigLayers, o.bigLayerMB),
		"bigReps":      o.bigReps,
		"smallImages":  o.smallImages,
		"rpsRequests":  o.rpsRequests,
		"rpsWorkers":   o.rpsWorkers,
		"catalogRepos": o.catalogRepos,
		"jobs":         o.pushJobs,
	}
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}
