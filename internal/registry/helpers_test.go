package registry

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/store/fs"
	"github.com/drydock/drydock/internal/store/sqlmeta"
)

// env is a registry on real stores in a temp dir behind an httptest server.
type env struct {
	t     testing.TB
	dir   string
	srv   *httptest.Server
	reg   *Registry
	meta  store.Meta
	blobs *fs.Store
	clock *clock
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type envOpt func(*Config, *Deps)

func withConfig(f func(*Config)) envOpt { return func(c *Config, _ *Deps) { f(c) } }
func withAuth(a access.Authorizer) envOpt {
	return func(_ *Config, d *Deps) { d.Auth = a }
}
func withMeta(wrap func(store.Meta) store.Meta) envOpt {
	return func(_ *Config, d *Deps) { d.Meta = wrap(d.Meta) }
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("REGISTRY_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newEnv(t testing.TB, opts ...envOpt) *env {
	t.Helper()
	dir := t.TempDir()
	return newEnvAt(t, dir, opts...)
}

// newEnvAt opens stores under dir (reopening what a previous env left).
func newEnvAt(t testing.TB, dir string, opts ...envOpt) *env {
	t.Helper()
	ctx := t.Context()
	blobs, err := fs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatalf("fs.New: %v", err)
	}
	meta, err := sqlmeta.Open(ctx, sqlmeta.Config{Path: filepath.Join(dir, "meta.db")}, testLogger(t))
	if err != nil {
		t.Fatalf("sqlmeta.Open: %v", err)
	}
	t.Cleanup(func() { meta.Close() })
	if _, err := meta.EnsureSubscription(ctx, "default", "default"); err != nil {
		t.Fatalf("EnsureSubscription: %v", err)
	}
	clk := &clock{now: time.Now()}
	cfg := DefaultConfig()
	deps := Deps{Meta: meta, Blobs: blobs, Auth: access.Open(), Logger: testLogger(t), Now: clk.Now}
	for _, o := range opts {
		o(&cfg, &deps)
	}
	reg, err := New(cfg, deps)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(reg)
	t.Cleanup(srv.Close)
	return &env{t: t, dir: dir, srv: srv, reg: reg, meta: deps.Meta, blobs: blobs, clock: clk}
}

// resp is a response with its body read.
type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

// hdr builds headers from "Key", "value" pairs.
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// do sends a request; path may be absolute ("/v2/...") or a full URL.
func (e *env) do(method, path string, body []byte, h http.Header) resp {
	e.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = e.srv.URL + path
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, u, rd)
	if err != nil {
		e.t.Fatalf("new request: %v", err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if cl := h.Get("Content-Length"); cl != "" {
		var n int64
		if _, err := fmtSscan(cl, &n); err == nil {
			req.ContentLength = n
		}
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp{Status: res.StatusCode, Header: res.Header, Body: b}
}

// errCode returns the first OCI error code of a response body.
func errCode(t *testing.T, r resp) string {
	t.Helper()
	var env envelope
	if err := json.Unmarshal(r.Body, &env); err != nil || len(env.Errors) == 0 {
		return ""
	}
	return env.Errors[0].Code
}

func randBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// pushBlob uploads b monolithically into repo and returns its digest.
func (e *env) pushBlob(repo string, b []byte) oci.Digest {
	e.t.Helper()
	d := digest.SHA256.FromBytes(b)
	r := e.do("POST", "/v2/"+repo+"/blobs/uploads/?digest="+d.String(), b, hdr("Content-Type", "application/octet-stream"))
	if r.Status != http.StatusCreated {
		e.t.Fatalf("push blob to %s: status %d: %s", repo, r.Status, r.Body)
	}
	return d
}

// image builds an OCI image manifest over fresh random config and layers.
type image struct {
	config   []byte
	layers   [][]byte
	manifest []byte
	digest   oci.Digest
}

func newImage(t testing.TB, nLayers int, extra map[string]any) image {
	t.Helper()
	im := image{config: []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"x":"` +
		digest.FromBytes(randBytes(t, 16)).Encoded() + `"}`)}
	var layers []map[string]any
	for range nLayers {
		l := randBytes(t, 1000+len(im.layers)*10)
		im.layers = append(im.layers, l)
		layers = append(layers, map[string]any{"mediaType": oci.MediaTypeLayerGzip, "digest": digest.FromBytes(l), "size": len(l)})
	}
	m := map[string]any{
		"schemaVersion": 2,
		"mediaType":     oci.MediaTypeImageManifest,
		"config":        map[string]any{"mediaType": oci.MediaTypeImageConfig, "digest": digest.FromBytes(im.config), "size": len(im.config)},
		"layers":        layers,
	}
	if layers == nil {
		m["layers"] = []any{}
	}
	for k, v := range extra {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	im.manifest = b
	im.digest = digest.FromBytes(b)
	return im
}

// pushImageBlobs uploads the config and layers of im.
func (e *env) pushImageBlobs(repo string, im image) {
	e.t.Helper()
	e.pushBlob(repo, im.config)
	for _, l := range im.layers {
		e.pushBlob(repo, l)
	}
}

// pushManifest PUTs a manifest and fails the test unless it is created.
func (e *env) pushManifest(repo, ref, mediaType string, body []byte) resp {
	e.t.Helper()
	r := e.do("PUT", "/v2/"+repo+"/manifests/"+ref, body, hdr("Content-Type", mediaType))
	if r.Status != http.StatusCreated {
		e.t.Fatalf("push manifest %s:%s: status %d: %s", repo, ref, r.Status, r.Body)
	}
	return r
}

func (e *env) pushImage(repo, tag string, im image) {
	e.t.Helper()
	e.pushImageBlobs(repo, im)
	e.pushManifest(repo, tag, oci.MediaTypeImageManifest, im.manifest)
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fmtSscan(s string, n *int64) (int, error) { return fmt.Sscan(s, n) }
