// Command pipeline measures drydock's scan pipeline through a real
// `drydock serve`: push-to-verdict latency, sustained scans per minute and
// the re-evaluation of stored images after an advisory database update.
// bench/pipeline/run.sh builds drydock and runs it; see there.
package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

var (
	drydock   = flag.String("drydock", "bench/out/bin/drydock", "drydock binary")
	testdata  = flag.String("testdata", "../shared/testdata", "shared test data")
	out       = flag.String("out", "bench/out/pipeline", "work directory (data directory, results)")
	latencyN  = flag.Int("latency", 40, "pushes measured per image kind (Alpine, Debian)")
	bgPushers = flag.Int("background", 2, "pushers of distinct small images running during the latency measure")
	fleetN    = flag.Int("fleet", 10000, "distinct small images pushed, scanned, then re-evaluated")
	pushers   = flag.Int("pushers", 4, "concurrent pushers for the fleet")
)

func main() {
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("bench/pipeline: ")
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

// result is one figure.
type result struct {
	Name  string  `json:"name"`
	Unit  string  `json:"unit"`
	Value float64 `json:"value"`
	Note  string  `json:"note,omitempty"`
}

func run() error {
	ctx := context.Background()
	data := filepath.Join(*out, "data")
	os.RemoveAll(data)
	if err := os.MkdirAll(data, 0o755); err != nil {
		return err
	}
	if err := dbImport(data, filepath.Join(*testdata, "vulndb", "alpine-secdb")); err != nil {
		return err
	}
	srv, err := start(data)
	if err != nil {
		return err
	}
	defer srv.stop()
	var results []result

	// 1. Push-to-verdict latency of the Alpine and Debian test images while
	// background pushes run.
	alpine := files{"lib/apk/db/installed": "manifests/alpine/3.4.6/installed", "etc/os-release": "manifests/alpine/3.4.6/os-release"}
	debian := files{"var/lib/dpkg/status": "manifests/debian/bookworm-minbase/status",
		"etc/os-release": "manifests/debian/bookworm-minbase/os-release", "etc/debian_version": "manifests/debian/bookworm-minbase/debian_version"}
	small := files{"lib/apk/db/installed": "manifests/alpine/3.20.3/installed", "etc/os-release": "manifests/alpine/3.20.3/os-release"}
	bgCtx, stopBG := context.WithCancel(ctx)
	defer stopBG()
	var bgCount atomic.Int64
	var bgWG sync.WaitGroup
	for w := range *bgPushers {
		bgWG.Go(func() {
			for i := 0; bgCtx.Err() == nil; i++ {
				if _, err := srv.push(bgCtx, fmt.Sprintf("bg/w%d", w), fmt.Sprintf("v%d", i), small, true); err == nil {
					bgCount.Add(1)
				}
			}
		})
	}
	for _, kind := range []struct {
		name  string
		files files
	}{{"alpine 3.4.6", alpine}, {"debian bookworm", debian}} {
		var lat []time.Duration
		status := ""
		for i := range *latencyN {
			d, err := srv.push(ctx, "lat/"+strings.Fields(kind.name)[0], fmt.Sprintf("v%d", i), kind.files, true)
			if err != nil {
				return err
			}
			pushed := time.Now()
			st, err := srv.waitVerdict(ctx, "lat/"+strings.Fields(kind.name)[0], d, 30*time.Second)
			if err != nil {
				return err
			}
			lat = append(lat, time.Since(pushed))
			status = st
		}
		p50, p99 := percentile(lat, 50), percentile(lat, 99)
		log.Printf("%s: push-to-verdict p50 %s p99 %s (%d pushes, last status %s)", kind.name, p50, p99, len(lat), status)
		results = append(results,
			result{"push-to-verdict p50, " + kind.name, "ms", ms(p50), fmt.Sprintf("%d pushes, %s, with %d background pushers", len(lat), status, *bgPushers)},
			result{"push-to-verdict p99, " + kind.name, "ms", ms(p99), ""})
	}
	stopBG()
	bgWG.Wait()
	log.Printf("background pushes during the latency measure: %d", bgCount.Load())

	// 2. Sustained scans: a stream of distinct small images.
	if err := srv.waitIdle(ctx, 5*time.Minute); err != nil {
		return err
	}
	base, err := srv.countImages(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	var next atomic.Int64
	var mu sync.Mutex
	var digests []string
	var wg sync.WaitGroup
	var pushErr atomic.Value
	for w := range *pushers {
		wg.Go(func() {
			for {
				i := int(next.Add(1))
				if i > *fleetN {
					return
				}
				d, err := srv.push(ctx, fmt.Sprintf("fleet/r%03d", i%500), fmt.Sprintf("w%d-%d", w, i), small, true)
				if err != nil {
					pushErr.Store(err)
					return
				}
				mu.Lock()
				digests = append(digests, d)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err, _ := pushErr.Load().(error); err != nil {
		return err
	}
	pushedIn := time.Since(start)
	if err := srv.waitImages(ctx, base+*fleetN, 30*time.Minute); err != nil {
		return err
	}
	scannedIn := time.Since(start)
	perMin := float64(*fleetN) / scannedIn.Minutes()
	log.Printf("fleet: %d images pushed in %s, all scanned after %s: %.0f images/min", *fleetN, pushedIn.Round(time.Millisecond), scannedIn.Round(time.Millisecond), perMin)
	results = append(results, result{"distinct small images scanned per minute (push and scan, sustained)", "images/min", perMin,
		fmt.Sprintf("%d images, %d pushers; all pushed after %s, all scanned after %s", *fleetN, *pushers, pushedIn.Round(time.Second), scannedIn.Round(time.Second))})

	// 3. Re-evaluation after database updates: one that changes nothing
	// for these images, one that makes every one of them unhealthy.
	total, err := srv.countImages(ctx)
	if err != nil {
		return err
	}
	for _, upd := range []struct {
		name, id, eco string
	}{
		{"unchanged (advisory for another release)", "DRYDOCK-BENCH-0001", "Alpine:v3.19"},
		{"every image changed (advisory for their busybox)", "DRYDOCK-BENCH-0002", "Alpine:v3.20"},
	} {
		dir := filepath.Join(*out, "osv-"+upd.id)
		os.MkdirAll(dir, 0o755)
		rec := fmt.Sprintf(`{"schema_version":"1.6.0","id":%q,"modified":"2026-08-01T00:00:00Z","summary":"benchmark advisory",
"affected":[{"package":{"ecosystem":%q,"name":"busybox"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"9.9.9-r0"}]}]}],
"database_specific":{"severity":"HIGH"}}`, upd.id, upd.eco)
		if err := os.WriteFile(filepath.Join(dir, upd.id+".json"), []byte(rec), 0o644); err != nil {
			return err
		}
		before, err := srv.dbVersion(ctx)
		if err != nil {
			return err
		}
		if err := dbImport(data, dir); err != nil {
			return err
		}
		dur, n, changed, err := srv.waitReeval(ctx, before, 10*time.Minute)
		if err != nil {
			return err
		}
		log.Printf("re-evaluation, %s: %d images (%d changed) in %s", upd.name, n, changed, dur)
		results = append(results, result{"re-evaluation after a database update, " + upd.name, "s", dur.Seconds(),
			fmt.Sprintf("%d stored images re-matched, %d changed (%d images in all)", n, changed, total)})
	}
	rss, _ := srv.rss()
	results = append(results, result{"server peak RSS", "MiB", rss, ""})
	b, _ := json.MarshalIndent(results, "", "  ")
	if err := os.WriteFile(filepath.Join(*out, "results.json"), b, 0o644); err != nil {
		return err
	}
	var md strings.Builder
	md.WriteString("| figure | unit | value | note |\n| --- | --- | ---: | --- |\n")
	for _, r := range results {
		fmt.Fprintf(&md, "| %s | %s | %.1f | %s |\n", r.Name, r.Unit, r.Value, r.Note)
	}
	fmt.Print(md.String())
	return os.WriteFile(filepath.Join(*out, "results.md"), []byte(md.String()), 0o644)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))]
}

func dbImport(data, path string) error {
	cmd := exec.Command(*drydock, "db", "import", "--data", data, path)
	b, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("db import %s: %w\n%s", path, err, b)
	}
	return nil
}

// server is a running drydock serve.
type server struct {
	addr string
	cmd  *exec.Cmd
	http *http.Client
}

func start(data string) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	logf, err := os.Create(filepath.Join(*out, "drydock.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(*drydock, "serve", "--addr", addr, "--data", data)
	// Authentication off: the figures are the pipeline's, not the cost of
	// checking a password on every request of the benchmark client.
	cmd.Env = append(os.Environ(), "DRYDOCK_AUTH_ENABLED=false", "DRYDOCK_LOG_LEVEL=warn")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{addr: addr, cmd: cmd, http: &http.Client{Timeout: 30 * time.Second}}
	for i := 0; i < 300; i++ {
		if resp, err := s.http.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	return nil, fmt.Errorf("drydock did not become ready")
}

func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
	}
}

// rss returns the server's peak resident set size in MiB.
func (s *server) rss() (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:")), "%f", &kb)
			return kb / 1024, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM")
}

type files map[string]string

// image builds a one-layer image of files (from the shared test data)
// plus, when distinct, a small file of random bytes.
func image(fs files, distinct bool) (v1.Image, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(fs))
	for n := range fs {
		names = append(names, n)
	}
	slices.Sort(names)
	add := func(name string, b []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg,
			ModTime: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			return err
		}
		_, err := tw.Write(b)
		return err
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(*testdata, fs[n]))
		if err != nil {
			return nil, err
		}
		if err := add(n, b); err != nil {
			return nil, err
		}
	}
	tb := buf.Bytes()
	tw.Close()
	base, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(tb)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	layers := []v1.Layer{base}
	if distinct {
		var rb bytes.Buffer
		tw := tar.NewWriter(&rb)
		r := make([]byte, 256)
		rand.Read(r)
		tw.WriteHeader(&tar.Header{Name: "app/id-" + hex.EncodeToString(r[:8]), Mode: 0o644, Size: int64(len(r)), Typeflag: tar.TypeReg})
		tw.Write(r)
		tw.Close()
		top := rb.Bytes()
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(top)), nil },
			tarball.WithMediaType(types.OCILayer))
		if err != nil {
			return nil, err
		}
		layers = append(layers, l)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.AppendLayers(img, layers...)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	return mutate.ConfigFile(img, cf)
}

// push pushes a new image and returns its digest once the registry has
// acknowledged the manifest.
func (s *server) push(ctx context.Context, repo, tag string, fs files, distinct bool) (string, error) {
	img, err := image(fs, distinct)
	if err != nil {
		return "", err
	}
	ref, err := name.NewTag(s.addr+"/"+repo+":"+tag, name.Insecure)
	if err != nil {
		return "", err
	}
	if err := remote.Write(ref, img, remote.WithContext(ctx)); err != nil {
		return "", err
	}
	d, err := img.Digest()
	return d.String(), err
}

func (s *server) get(ctx context.Context, path string, v any) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+s.addr+path, nil)
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return json.Unmarshal(b, v)
}

var final = map[string]bool{"healthy": true, "unhealthy": true, "notApplicable": true, "failed": true, "pending": true}

// waitVerdict polls the API until the manifest has a final status.
func (s *server) waitVerdict(ctx context.Context, repo, digest string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var m struct{ Status string }
		if err := s.get(ctx, "/api/v1/repositories/"+repo+"/manifests/"+digest, &m); err == nil && final[m.Status] {
			return m.Status, nil
		}
		time.Sleep(2 * time.Millisecond)
	}
	return "", fmt.Errorf("%s@%s: no verdict within %s", repo, digest, timeout)
}

// countImages counts images with a final status.
func (s *server) countImages(ctx context.Context) (int, error) {
	var st struct{ Images map[string]int }
	if err := s.get(ctx, "/api/v1/scans", &st); err != nil {
		return 0, err
	}
	n := 0
	for k, v := range st.Images {
		if final[k] {
			n += v
		}
	}
	return n, nil
}

// waitImages waits until at least n images have a final status.
func (s *server) waitImages(ctx context.Context, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		got, err := s.countImages(ctx)
		if err == nil && got >= n {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("fewer than %d images scanned within %s", n, timeout)
}

// waitIdle waits until no scan job is queued or running.
func (s *server) waitIdle(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var st struct{ Jobs map[string]int }
		if err := s.get(ctx, "/api/v1/scans", &st); err == nil && st.Jobs["queued"]+st.Jobs["running"] == 0 {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("scan queue not idle within %s", timeout)
}

func (s *server) dbVersion(ctx context.Context) (string, error) {
	var db struct{ Version string }
	return db.Version, s.get(ctx, "/api/v1/db", &db)
}

// waitReeval waits for the re-evaluation against a version other than
// before to end and returns its duration as the server measured it.
func (s *server) waitReeval(ctx context.Context, before string, timeout time.Duration) (time.Duration, int, int, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var db struct {
			Version      string
			Reevaluation struct {
				Running            bool
				DBVersion          string
				Evaluated, Changed int
				StartedAt, EndedAt time.Time
			}
		}
		if err := s.get(ctx, "/api/v1/db", &db); err == nil {
			r := db.Reevaluation
			if db.Version != before && r.DBVersion == db.Version && !r.Running && !r.EndedAt.IsZero() {
				return r.EndedAt.Sub(r.StartedAt).Round(time.Millisecond), r.Evaluated, r.Changed, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return 0, 0, 0, fmt.Errorf("no re-evaluation ended within %s", timeout)
}
