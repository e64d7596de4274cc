//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// server is one running `drydock serve` process.
type server struct {
	t       testing.TB
	addr    string // 127.0.0.1:port
	dataDir string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has been waited for
	waitErr error
	starts  int
	env     []string // extra environment, e.g. DRYDOCK_GC_INTERVAL=1s
	logMax  int      // bytes of log tail dumpLog prints (0: 16 KiB)
}

const readyTimeout = 60 * time.Second

// startServer starts drydock on a free loopback port with dataDir (a new
// temporary directory when empty) and waits for /readyz. env adds DRYDOCK_*
// settings. The server is stopped with SIGTERM when the test ends.
func startServer(t testing.TB, dataDir string, env ...string) *server {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	s := &server{t: t, dataDir: dataDir, logPath: filepath.Join(t.TempDir(), "drydock.log"), env: env}
	s.start()
	liveServers.Store(s, true)
	t.Cleanup(func() {
		liveServers.Delete(s)
		if t.Failed() {
			s.dumpLog()
		}
		if s.running() {
			s.stop()
		}
	})
	return s
}

// liveServers holds every started server, so that a hung client can make
// the servers of its test print their goroutines (see quitServersOf).
var liveServers sync.Map // *server -> true

// quitServersOf sends SIGQUIT to the running servers started by t or by a
// test enclosing it, so that their logs show where they are stuck.
func quitServersOf(t testing.TB) {
	liveServers.Range(func(k, _ any) bool {
		s := k.(*server)
		if t.Name() == s.t.Name() || strings.HasPrefix(t.Name(), s.t.Name()+"/") {
			s.quit()
		}
		return true
	})
}

// url returns http://addr + path.
func (s *server) url(path string) string { return "http://" + s.addr + path }

func (s *server) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

func (s *server) start() {
	s.t.Helper()
	// A port found free may be taken before drydock binds it; retry then.
	// A restart tries the previous address first, like a real restart.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		addr := ""
		if attempt == 0 && s.addr != "" {
			addr = s.addr
		}
		if lastErr = s.startOnce(addr); lastErr == nil {
			return
		}
	}
	s.dumpLog()
	s.t.Fatalf("drydock did not become ready: %v", lastErr)
}

func (s *server) startOnce(addr string) error {
	if addr == "" {
		port, err := freePort()
		if err != nil {
			return err
		}
		addr = fmt.Sprintf("127.0.0.1:%d", port)
	}
	s.addr = addr
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	s.starts++
	fmt.Fprintf(logf, "\n--- start %d: %s drydock serve --addr %s --data %s\n", s.starts, strings.Join(s.env, " "), s.addr, s.dataDir)
	cmd := exec.Command(drydockBin, "serve", "--addr", s.addr, "--data", s.dataDir)
	cmd.Env = append(append(os.Environ(), serverAuthEnv()...), s.env...)
	registerServerCredentials(s.t, s.addr)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start drydock: %w", err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() {
		s.waitErr = cmd.Wait()
		logf.Close()
		close(s.exited)
	}()
	deadline := time.Now().Add(readyTimeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("drydock exited before ready: %v", s.waitErr)
		default:
		}
		resp, err := client.Get(s.url("/readyz"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.t.Logf("drydock ready on %s (data %s, start %d)", s.addr, s.dataDir, s.starts)
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.signal(syscall.SIGKILL)
	<-s.exited
	return fmt.Errorf("GET /readyz did not answer 200 within %s", readyTimeout)
}

func (s *server) signal(sig syscall.Signal) {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(sig)
	}
}

// stop sends SIGTERM and waits for a clean exit (status 0). A server that
// does not exit within 30 s is killed and the test fails.
func (s *server) stop() {
	s.t.Helper()
	if !s.running() {
		return
	}
	s.signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.signal(syscall.SIGKILL)
		<-s.exited
		s.t.Errorf("drydock did not exit within 30s of SIGTERM")
		return
	}
	if s.waitErr != nil {
		s.t.Errorf("drydock exited uncleanly after SIGTERM: %v", s.waitErr)
	}
}

// kill sends SIGKILL (kill -9) and waits for the process to be gone.
func (s *server) kill() {
	s.t.Helper()
	if !s.running() {
		return
	}
	s.signal(syscall.SIGKILL)
	<-s.exited
}

// restart starts the server again on the same data directory, on the same
// port when it is free. The previous process must have been stopped or
// killed.
func (s *server) restart() {
	s.t.Helper()
	if s.running() {
		s.t.Fatalf("restart: drydock is still running")
	}
	s.start()
}

// quit sends SIGQUIT, which makes the Go runtime print every goroutine's
// stack into the server log and exit: the way to see where a hung server
// is stuck. The next dumpLog shows the stacks.
func (s *server) quit() {
	s.t.Helper()
	if !s.running() {
		return
	}
	s.signal(syscall.SIGQUIT)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.signal(syscall.SIGKILL)
		<-s.exited
	}
	s.logMax = 256 << 10
}

// dumpLog prints the tail of the server log into the test log.
func (s *server) dumpLog() {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return
	}
	max := 16 << 10
	if s.logMax > 0 {
		max = s.logMax
	}
	if len(b) > max {
		b = append([]byte("...\n"), b[len(b)-max:]...)
	}
	s.t.Logf("drydock log (%s):\n%s", s.logPath, bytes.TrimSpace(b))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// runTool runs a command with a timeout and returns its stdout; the test
// fails with the command line, stdout and stderr when it exits non-zero.
func runTool(t testing.TB, env []string, name string, args ...string) []byte {
	t.Helper()
	out, err := runToolErr(t, env, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// runToolErr is runTool returning the error instead of failing.
func runToolErr(t testing.TB, env []string, name string, args ...string) ([]byte, error) {
	t.Helper()
	out, _, err := runToolStreams(t, env, name, args...)
	return out, err
}

// toolTimeout bounds every client tool run. A tool that runs out of time
// makes the test's servers dump their goroutines (quitServersOf).
const toolTimeout = 2 * time.Minute

// runToolStreams is runToolErr that also returns stderr.
func runToolStreams(t testing.TB, env []string, name string, args ...string) ([]byte, []byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, needTool(t, name), args...)
	cmd.Env = append(append(os.Environ(), clientEnv()...), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	line := name + " " + strings.Join(args, " ")
	if err != nil {
		var ee *exec.ExitError
		if ctx.Err() != nil {
			quitServersOf(t)
			err = fmt.Errorf("no answer within %s (drydock's goroutines are in its log): %w", toolTimeout, err)
		}
		if errors.As(err, &ee) || ctx.Err() != nil {
			return stdout.Bytes(), stderr.Bytes(), fmt.Errorf("%s: %w\nstdout:\n%s\nstderr:\n%s", line, err, trimOut(stdout.Bytes()), trimOut(stderr.Bytes()))
		}
		return nil, nil, fmt.Errorf("%s: %w", line, err)
	}
	t.Logf("ok (%s): %s", time.Since(start).Round(time.Millisecond), line)
	return stdout.Bytes(), stderr.Bytes(), nil
}

func trimOut(b []byte) string {
	const max = 8 << 10
	if len(b) > max {
		return string(b[:max]) + "\n...(truncated)"
	}
	return string(b)
}
