// Command load runs issue 7's robustness-under-load check against a real
// `drydock serve` it starts: 50 concurrent clients, signed in through the
// registry token flow, push and pull for 5 minutes while the server's RSS,
// goroutines and scan queue are sampled (package bench/load/loadgen).
// bench/load/run.sh builds drydock and runs it; see there.
//
// It writes results.md and results.json into -out and exits 1 when any
// operation failed or memory or goroutines drifted (loadgen.Report.Check).
package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/drydock/drydock/bench/load/loadgen"
)

var (
	drydock  = flag.String("drydock", "bench/out/bin/drydock", "drydock binary")
	testdata = flag.String("testdata", "../shared/testdata", "shared test data (the Alpine secdb and the base layer's files)")
	out      = flag.String("out", "bench/out/load", "work directory (data directory, server log, results)")
	clients  = flag.Int("clients", 50, "concurrent clients")
	duration = flag.Duration("duration", 5*time.Minute, "how long the clients push and pull")
	every    = flag.Duration("sample", 5*time.Second, "sampling period of RSS, goroutines and scan queue")
	seed     = flag.Uint64("seed", 1, "seed of the clients' choices")
	rssTol   = flag.Float64("rss-tolerance", 0.25, "allowed growth of the last window's mean RSS over the second window's (plus 16 MiB)")
	goTol    = flag.Float64("goroutine-tolerance", 0.25, "allowed growth of the last window's mean goroutines over the second window's (plus 20)")
)

func main() {
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("bench/load: ")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	data := filepath.Join(*out, "data")
	if err := os.RemoveAll(data); err != nil {
		return err
	}
	if err := os.MkdirAll(data, 0o755); err != nil {
		return err
	}
	if b, err := exec.Command(*drydock, "db", "import", "--data", data, filepath.Join(*testdata, "vulndb", "alpine-secdb")).CombinedOutput(); err != nil {
		return fmt.Errorf("db import: %w\n%s", err, b)
	}
	layer, err := baseLayer()
	if err != nil {
		return err
	}
	pw := make([]byte, 16)
	if _, err := rand.Read(pw); err != nil {
		return err
	}
	password := hex.EncodeToString(pw)
	srv, err := start(data, password)
	if err != nil {
		return err
	}
	defer srv.stop()

	rep, err := loadgen.Run(ctx, loadgen.Config{
		Server: "http://" + srv.addr, User: "admin", Password: password, PID: srv.cmd.Process.Pid,
		Clients: *clients, Duration: *duration, SampleEvery: *every, BaseLayer: layer, Seed: *seed,
		RSSTolerance: *rssTol, GoroutineTolerance: *goTol,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		return err
	}
	md := rep.Markdown()
	fmt.Print(md)
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := errors.Join(
		os.WriteFile(filepath.Join(*out, "results.md"), []byte(md), 0o644),
		os.WriteFile(filepath.Join(*out, "results.json"), js, 0o644),
	); err != nil {
		return err
	}
	if err := rep.Check(); err != nil {
		return fmt.Errorf("load check failed: %w", err)
	}
	return nil
}

// baseLayer is a layer with Alpine 3.4.6's package database and release
// file: every image scans to its 20 CVEs.
func baseLayer() ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct{ name, src string }{
		{"etc/os-release", "manifests/alpine/3.4.6/os-release"},
		{"lib/apk/db/installed", "manifests/alpine/3.4.6/installed"},
	} {
		b, err := os.ReadFile(filepath.Join(*testdata, f.src))
		if err != nil {
			return nil, err
		}
		hdr := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg, ModTime: time.Date(2024, 9, 6, 0, 0, 0, 0, time.UTC)}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(b); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// server is a running drydock serve.
type server struct {
	addr string
	cmd  *exec.Cmd
	done chan struct{}
}

// start runs drydock serve on a free loopback port with authentication on
// (administrator admin with password) and waits until it is ready.
func start(data, password string) (*server, error) {
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
	cmd.Env = append(os.Environ(), "DRYDOCK_AUTH_ENABLED=true", "DRYDOCK_ADMIN_USER=admin", "DRYDOCK_ADMIN_PASSWORD="+password,
		"DRYDOCK_LOG_LEVEL=warn", "DRYDOCK_VULNDB_AUTOUPDATE=false")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	s := &server{addr: addr, cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); logf.Close(); close(s.done) }()
	hc := &http.Client{Timeout: 2 * time.Second}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-s.done:
			return nil, fmt.Errorf("drydock exited before it was ready; see %s", logf.Name())
		default:
		}
		if resp, err := hc.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
	}
	s.stop()
	return nil, errors.New("drydock did not become ready within 60 s")
}

// stop ends the server with SIGTERM (SIGKILL after 30 s).
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}
