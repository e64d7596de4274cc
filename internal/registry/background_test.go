package registry

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// recordingMeta passes through to a real store and remembers RecordPulls
// batches; fail makes RecordPulls fail.
type recordingMeta struct {
	store.Meta
	mu    sync.Mutex
	calls [][]store.Pull
	fail  error
}

func (m *recordingMeta) RecordPulls(ctx context.Context, pulls []store.Pull) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.calls = append(m.calls, pulls)
	return m.Meta.RecordPulls(ctx, pulls)
}

func (m *recordingMeta) batches() [][]store.Pull {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([][]store.Pull(nil), m.calls...)
}

type pullSummary struct {
	Repo   int64
	Digest oci.Digest
}

func summarize(pulls []store.Pull) []pullSummary {
	var out []pullSummary
	for _, p := range pulls {
		out = append(out, pullSummary{p.RepositoryID, p.Digest})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Digest < out[j].Digest })
	return out
}

func TestPullsAreBatched(t *testing.T) {
	rec := &recordingMeta{}
	e := newEnv(t, withMeta(func(m store.Meta) store.Meta { rec.Meta = m; return rec }))
	a, b := newImage(t, 1, nil), newImage(t, 1, nil)
	e.pushImage("p/app", "a", a)
	e.pushImage("p/app", "b", b)
	repo, err := e.meta.ResolveRepository(t.Context(), "p/app", store.ResolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		e.do("GET", "/v2/p/app/manifests/a", nil, nil)
		e.do("GET", "/v2/p/app/manifests/"+b.digest.String(), nil, nil)
	}
	e.do("HEAD", "/v2/p/app/manifests/a", nil, nil) // HEAD is not a pull
	if got := rec.batches(); len(got) != 0 {
		t.Fatalf("pulls written before a flush: %v", got)
	}
	if err := e.reg.FlushPulls(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := summarize([]store.Pull{{RepositoryID: repo.ID, Digest: a.digest}, {RepositoryID: repo.ID, Digest: b.digest}})
	got := rec.batches()
	if len(got) != 1 {
		t.Fatalf("%d RecordPulls calls, want 1", len(got))
	}
	if diff := cmp.Diff(want, summarize(got[0])); diff != "" {
		t.Errorf("pulls (-want +got):\n%s", diff)
	}
	// Nothing new: no write.
	if err := e.reg.FlushPulls(t.Context()); err != nil || len(rec.batches()) != 1 {
		t.Fatalf("empty flush wrote: %v", err)
	}
	// A failed flush keeps the pulls for the next one.
	e.do("GET", "/v2/p/app/manifests/a", nil, nil)
	rec.mu.Lock()
	rec.fail = errors.New("database is locked")
	rec.mu.Unlock()
	if err := e.reg.FlushPulls(t.Context()); err == nil {
		t.Fatal("flush error not reported")
	}
	rec.mu.Lock()
	rec.fail = nil
	rec.mu.Unlock()
	if err := e.reg.FlushPulls(t.Context()); err != nil {
		t.Fatal(err)
	}
	got = rec.batches()
	if len(got) != 2 || len(got[1]) != 1 || got[1][0].Digest != a.digest {
		t.Errorf("retried pulls: %v", got)
	}
}

func TestRunFlushesAndStops(t *testing.T) {
	rec := &recordingMeta{}
	e := newEnv(t,
		withMeta(func(m store.Meta) store.Meta { rec.Meta = m; return rec }),
		withConfig(func(c *Config) { c.PullFlushInterval = 20 * time.Millisecond }))
	im := newImage(t, 1, nil)
	e.pushImage("p/run", "v1", im)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.reg.Run(ctx) }()

	e.do("GET", "/v2/p/run/manifests/v1", nil, nil)
	deadline := time.Now().Add(5 * time.Second)
	for len(rec.batches()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if len(rec.batches()) == 0 {
		t.Fatal("Run did not flush within 5s")
	}
	// A pull just before shutdown is flushed on the way out.
	e.do("GET", "/v2/p/run/manifests/"+im.digest.String(), nil, nil)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
	total := 0
	for _, b := range rec.batches() {
		total += len(b)
	}
	if total < 2 {
		t.Errorf("%d pulls flushed, want 2", total)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	e := newEnv(t, func(_ *Config, d *Deps) { d.Metrics = reg })
	e.pushBlob("met/a", []byte("12345"))
	e.do("GET", "/v2/met/a/blobs/"+oci.Digest("sha256:5994471abb01112afcc18159f6cc74b4f511b99806da59b3caf5a9c173cacfc5").String(), nil, nil)
	e.do("BREW", "/v2/", nil, nil)
	want := `
# HELP drydock_registry_blob_bytes_received_total Blob bytes received in uploads.
# TYPE drydock_registry_blob_bytes_received_total counter
drydock_registry_blob_bytes_received_total 5
# HELP drydock_registry_blob_bytes_sent_total Blob bytes sent to clients.
# TYPE drydock_registry_blob_bytes_sent_total counter
drydock_registry_blob_bytes_sent_total 5
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"drydock_registry_blob_bytes_received_total", "drydock_registry_blob_bytes_sent_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(reg, "drydock_registry_requests_total"); n != 3 {
		t.Errorf("%d request series, want 3 (POST upload, GET blob, OTHER base)", n)
	}
	// Registering twice is an error from New, not a panic.
	if _, err := New(DefaultConfig(), Deps{Meta: e.meta, Blobs: e.blobs, Auth: e.reg.auth, Metrics: reg}); err == nil {
		t.Error("second registration accepted")
	}
}
