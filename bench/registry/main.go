// Command registry-bench measures drydock's registry side by side with the
// CNCF Distribution registry, in the same run, on loopback. It is started by
// bench/registry/run.sh, which builds both servers; see that script for the
// figures measured and how to read them.
//
// Each server is started on a free 127.0.0.1 port with a fresh data
// directory, measured, and stopped before the next one starts, so the two
// never compete for the machine. Nothing here is a pass/fail test: the
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
	flag.IntVar(&o.bigReps, "big-reps", 3, "big image push/pull repetitions (median reported)")
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
	for _, s := range servers {
		if o.only != "" && o.only != s.name {
			continue
		}
		log.Info("measuring", "server", s.name)
		figs, err := measureServer(ctx, o, s, log)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		res.Servers = append(res.Servers, serverResult{Name: s.name, Figures: figs})
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

// measureServer starts one server on a fresh data directory and takes every
// figure. The 500 MB pushes come first so that the process's peak RSS
// (VmHWM) read right after them is the peak while pushing.
func measureServer(ctx context.Context, o options, s serverSpec, log *slog.Logger) (map[string]float64, error) {
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
		return nil, err
	}
	defer p.stop(log)
	c := newClient(addr, o.pushJobs)
	figs := map[string]float64{}

	// Big image: push and pull, fresh random content each repetition.
	var pushS, pullS []float64
	for rep := 0; rep < o.bigReps; rep++ {
		img, err := newBigImage(o.bigLayers, o.bigLayerMB<<20, uint64(rep+1))
		if err != nil {
			return nil, err
		}
		repo := fmt.Sprintf("bench/big%d", rep)
		d, err := c.pushImage(ctx, repo, "v1", img)
		if err != nil {
			return nil, fmt.Errorf("push big image: %w", err)
		}
		pushS = append(pushS, d.Seconds())
		if rep == o.bigReps-1 {
			if figs[figPeakRSS], err = p.peakRSSMiB(); err != nil {
				return nil, err
			}
		}
		d, err = c.pullImage(ctx, repo, "v1", img, rep == 0)
		if err != nil {
			return nil, fmt.Errorf("pull big image: %w", err)
		}
		pullS = append(pullS, d.Seconds())
		log.Info("big image", "server", s.name, "rep", rep, "push_s", pushS[rep], "pull_s", pullS[rep])
	}
	size := float64(o.bigLayers*o.bigLayerMB) / 1024 // GiB
	figs[figBigPush] = median(pushS)
	figs[figBigPull] = median(pullS)
	figs[figBigPushGBs] = size / median(pushS)
	figs[figBigPullGBs] = size / median(pullS)

	// Small images.
	var spush, spull []float64
	for i := 0; i < o.smallImages; i++ {
		img, err := newSmallImage(uint64(1000 + i))
		if err != nil {
			return nil, err
		}
		d, err := c.pushImage(ctx, "bench/small", fmt.Sprintf("v%d", i), img)
		if err != nil {
			return nil, fmt.Errorf("push small image: %w", err)
		}
		spush = append(spush, float64(d.Microseconds())/1000)
		d, err = c.pullImage(ctx, "bench/small", fmt.Sprintf("v%d", i), img, i == 0)
		if err != nil {
			return nil, fmt.Errorf("pull small image: %w", err)
		}
		spull = append(spull, float64(d.Microseconds())/1000)
	}
	figs[figSmallPush] = median(spush)
	figs[figSmallPull] = median(spull)

	// Requests per second on the small repository (50 tags).
	rps := []struct {
		fig, method, path string
	}{
		{figHeadRPS, "HEAD", "/v2/bench/small/manifests/v0"},
		{figGetRPS, "GET", "/v2/bench/small/manifests/v0"},
		{figTagsRPS, "GET", "/v2/bench/small/tags/list"},
	}
	for _, r := range rps {
		v, err := c.loadTest(ctx, r.method, r.path, o.rpsRequests, o.rpsWorkers)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", r.method, r.path, err)
		}
		figs[r.fig] = v
		log.Info("requests/s", "server", s.name, "request", r.method+" "+r.path, "rps", v)
	}

	// _catalog with many repositories.
	created, err := c.createRepos(ctx, o.catalogRepos, o.rpsWorkers)
	if err != nil {
		return nil, fmt.Errorf("create repositories: %w", err)
	}
	figs[figRepoCreate] = created
	first, med, n, err := c.catalog(ctx, o.catalogRepos, o.catalogReps)
	if err != nil {
		return nil, fmt.Errorf("_catalog: %w", err)
	}
	figs[figCatalogFirst] = first
	figs[figCatalog] = med
	log.Info("_catalog", "server", s.name, "repositories", n, "first_ms", first, "median_ms", med)
	if figs[figRSSEnd], err = p.peakRSSMiB(); err != nil {
		return nil, err
	}
	return figs, nil
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
