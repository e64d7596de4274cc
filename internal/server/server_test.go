package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func newTestServer(t *testing.T, reg http.Handler, ready func(context.Context) error) *Server {
	t.Helper()
	s, err := New(Config{ShutdownTimeout: 5 * time.Second, ReadHeaderTimeout: time.Second},
		Deps{Registry: reg, Ready: ready, Metrics: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoutes(t *testing.T) {
	var notReady atomic.Bool
	reg := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/panic") {
			panic("boom")
		}
		w.Write([]byte("registry:" + r.URL.Path))
	})
	s := newTestServer(t, reg, func(context.Context) error {
		if notReady.Load() {
			return errors.New("db down")
		}
		return nil
	})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	get := func(path string) (int, string, http.Header) {
		t.Helper()
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	tests := []struct {
		name     string
		path     string
		notReady bool
		code     int
		body     string
	}{
		{name: "registry", path: "/v2/a/b/manifests/latest", code: 200, body: "registry:/v2/a/b/manifests/latest"},
		{name: "healthz", path: "/healthz", code: 200, body: "ok"},
		{name: "readyz", path: "/readyz", code: 200, body: "ready"},
		{name: "readyz down", path: "/readyz", notReady: true, code: 503, body: "db down"},
		{name: "panic becomes 500", path: "/v2/x/panic", code: 500, body: "internal error"},
		{name: "metrics", path: "/metrics", code: 200, body: `drydock_http_requests_total{code="500",interface="registry",method="GET"} 1`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			notReady.Store(tc.notReady)
			code, body, h := get(tc.path)
			if code != tc.code || !strings.Contains(body, tc.body) {
				t.Errorf("GET %s = %d %q, want %d containing %q", tc.path, code, body, tc.code, tc.body)
			}
			if h.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
		})
	}
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	started := make(chan struct{})
	reg := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		w.Write([]byte("done"))
	})
	s := newTestServer(t, reg, func(context.Context) error { return nil })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	result := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/v2/slow")
		if err != nil {
			result <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		result <- string(b)
	}()
	<-started
	cancel()
	if got := <-result; got != "done" {
		t.Errorf("in-flight request got %q, want done", got)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve returned %v", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Error("server still accepting after shutdown")
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := New(Config{}, Deps{}); err == nil {
		t.Error("New without deps succeeded")
	}
}
