package webhook

import (
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/store/sqlmeta"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testStore is a real metadata store in a temporary file, plus a second
// connection that writes outbox rows the way other producers do.
type testStore struct {
	*sqlmeta.Store
	raw *sql.DB
}

func openStore(t *testing.T) *testStore {
	t.Helper()
	path := filepath.Join(t.TempDir(), "meta.db")
	s, err := sqlmeta.Open(t.Context(), sqlmeta.Config{Path: path}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		raw.Close()
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	for _, sub := range []string{"s1", "s2"} {
		if _, err := s.EnsureSubscription(t.Context(), sub, sub); err != nil {
			t.Fatal(err)
		}
	}
	return &testStore{Store: s, raw: raw}
}

// addEvent writes an outbox row as a producer's transaction does.
func (s *testStore) addEvent(t *testing.T, sub, typ string, payload any) int64 {
	t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	err = s.raw.QueryRowContext(t.Context(), `INSERT INTO events (subscription_id, type, payload, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		sub, typ, string(b), t0.UnixNano()).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (s *testStore) addHook(t *testing.T, w store.Webhook) store.Webhook {
	t.Helper()
	if w.Secret == "" {
		w.Secret = "0123456789abcdef-secret"
	}
	if w.SubscriptionID == "" {
		w.SubscriptionID = "s1"
	}
	w.Active = true
	h, err := s.CreateWebhook(t.Context(), w, 100)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// received is one request a receiver got.
type received struct {
	Header http.Header
	Body   []byte
	Env    Envelope
}

// receiver is an httptest server that records requests and answers with
// the status its respond function picks (200 when nil).
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []received
	respond func(n int, w http.ResponseWriter) // n: 1-based request number
}

func newReceiver(t *testing.T, respond func(n int, w http.ResponseWriter)) *receiver {
	t.Helper()
	rc := &receiver{respond: respond}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var env Envelope
		if err := json.Unmarshal(b, &env); err != nil {
			t.Errorf("receiver: body is not an envelope: %v: %s", err, b)
		}
		rc.mu.Lock()
		rc.got = append(rc.got, received{Header: r.Header.Clone(), Body: b, Env: env})
		n := len(rc.got)
		rc.mu.Unlock()
		if rc.respond != nil {
			rc.respond(n, w)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// newTestRelay builds a relay on the fake clock with jitter fixed at the
// middle of its range. Private targets are allowed: httptest listens on
// loopback.
func newTestRelay(t *testing.T, s store.WebhookOutbox, clock *fakeClock, cfg Config) *Relay {
	t.Helper()
	cfg.AllowPrivateTargets = true
	r, err := NewRelay(cfg, RelayDeps{Store: s, Logger: slog.New(slog.DiscardHandler), Now: clock.Now, Rand: func() float64 { return 0.5 }})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// run dispatches and delivers everything due now.
func run(t *testing.T, r *Relay) int {
	t.Helper()
	if _, err := r.Dispatch(t.Context()); err != nil {
		t.Fatal(err)
	}
	n, err := r.Deliver(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}
