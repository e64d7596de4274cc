package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Sample is one look at the server.
type Sample struct {
	At         time.Duration `json:"at"`         // since the clients started
	RSS        int64         `json:"rss"`        // bytes (0: not sampled)
	Goroutines int           `json:"goroutines"` // go_goroutines
	Queued     int64         `json:"queued"`     // scan jobs queued
	Done       int64         `json:"done"`       // scan jobs done
}

type sampler struct {
	cfg  *Config
	hc   *http.Client
	errs *errorLog
	mu   sync.Mutex
	s    []Sample
}

func newSampler(cfg *Config, errs *errorLog) *sampler {
	return &sampler{cfg: cfg, hc: &http.Client{Timeout: 30 * time.Second}, errs: errs}
}

// loop samples every SampleEvery until ctx ends.
func (s *sampler) loop(ctx context.Context, start time.Time) {
	t := time.NewTicker(s.cfg.SampleEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.sample(ctx, time.Since(start)); err != nil && ctx.Err() == nil {
				s.errs.add("sample", err)
			}
		}
	}
}

func (s *sampler) series() []Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sample(nil), s.s...)
}

// sample records the server's RSS, goroutines and scan queue.
func (s *sampler) sample(ctx context.Context, at time.Duration) error {
	smp := Sample{At: at}
	var err error
	if s.cfg.PID > 0 {
		if smp.RSS, err = rss(s.cfg.PID); err != nil {
			return err
		}
	}
	body, err := s.get(ctx, "/metrics")
	if err != nil {
		return err
	}
	if smp.Goroutines, err = goroutines(body); err != nil {
		return err
	}
	if body, err = s.get(ctx, "/api/v1/scans"); err != nil {
		return err
	}
	var scans struct {
		Jobs map[string]int64 `json:"jobs"`
	}
	if err := json.Unmarshal(body, &scans); err != nil {
		return fmt.Errorf("/api/v1/scans: %w", err)
	}
	smp.Queued, smp.Done = scans.Jobs["queued"], scans.Jobs["done"]
	s.mu.Lock()
	s.s = append(s.s, smp)
	s.mu.Unlock()
	return nil
}

func (s *sampler) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.Server+path, nil)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(s.cfg.User, s.cfg.Password)
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d: %.200s", path, resp.StatusCode, b)
	}
	return b, nil
}

// rss reads VmRSS of a process from /proc.
func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("server RSS: %w", err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v) // "12345 kB"
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return kb << 10, nil
				}
			}
			return 0, fmt.Errorf("server RSS: bad line %q", line)
		}
	}
	return 0, errors.New("server RSS: no VmRSS in /proc/PID/status")
}

// goroutines finds go_goroutines in a Prometheus text exposition.
func goroutines(metrics []byte) (int, error) {
	sc := bufio.NewScanner(bytes.NewReader(metrics))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return 0, fmt.Errorf("go_goroutines %q: %w", v, err)
			}
			return int(f), nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("/metrics: %w", err)
	}
	return 0, errors.New("/metrics has no go_goroutines")
}
