package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/store"
)

// TestDeliverySigned checks one delivery end to end: envelope, headers and
// a signature that verifies with the webhook's secret (and with nothing
// else).
func TestDeliverySigned(t *testing.T) {
	s := openStore(t)
	clock := newClock()
	rc := newReceiver(t, nil)
	hook := s.addHook(t, store.Webhook{URL: rc.URL + "/hook"})
	evID := s.addEvent(t, "s1", EventImagePushed, map[string]string{"repository": "team/app", "digest": "sha256:abc", "tag": "v1"})
	r := newTestRelay(t, s, clock, Config{})
	if n := run(t, r); n != 1 {
		t.Fatalf("attempts = %d, want 1", n)
	}
	got := rc.requests()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(got))
	}
	req := got[0]
	want := Envelope{ID: strconv.FormatInt(evID, 10), Type: EventImagePushed, Subscription: "s1", CreatedAt: t0,
		Data: []byte(`{"digest":"sha256:abc","repository":"team/app","tag":"v1"}`)}
	if diff := cmp.Diff(want, req.Env); diff != "" {
		t.Errorf("envelope (-want +got):\n%s", diff)
	}
	for k, v := range map[string]string{
		"Content-Type": "application/json", HeaderEvent: EventImagePushed,
		HeaderTimestamp: strconv.FormatInt(t0.Unix(), 10), "User-Agent": userAgent,
	} {
		if got := req.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	ts, sig := req.Header.Get(HeaderTimestamp), req.Header.Get(HeaderSignature)
	if err := Verify(hook.Secret, ts, sig, req.Body, t0.Add(time.Minute), 5*time.Minute); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
	if err := Verify("another-secret-entirely", ts, sig, req.Body, t0, 0); err == nil {
		t.Error("signature verifies with another secret")
	}
	ds, err := s.ListDeliveries(t.Context(), hook.ID, 0, 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries %v, %v", ds, err)
	}
	d := ds[0]
	if d.State != store.DeliveryDelivered || d.Attempts != 1 || d.LastStatus != 200 || d.ID != req.Header.Get(HeaderDelivery) {
		t.Errorf("delivery after success: %+v (header id %s)", d, req.Header.Get(HeaderDelivery))
	}
	if n := run(t, r); n != 0 || len(rc.requests()) != 1 {
		t.Errorf("a delivered event was sent again (%d attempts)", n)
	}
}

// TestRetryBackoff fails twice, then succeeds: attempts happen exactly
// when the backoff says (fake clock, jitter fixed), with the same delivery
// id and body, and the log keeps every attempt.
func TestRetryBackoff(t *testing.T) {
	s := openStore(t)
	clock := newClock()
	rc := newReceiver(t, func(n int, w http.ResponseWriter) {
		if n <= 2 {
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, "try later")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	hook := s.addHook(t, store.Webhook{URL: rc.URL})
	s.addEvent(t, "s1", EventScanCompleted, map[string]string{"repository": "team/app"})
	r := newTestRelay(t, s, clock, Config{BackoffBase: 10 * time.Second, BackoffMax: time.Hour})
	// Rand 0.5: delay n = 0.75 * min(max, base * 2^(n-1)).
	steps := []struct {
		advance  time.Duration
		attempts int
		total    int
	}{
		{0, 1, 1},                      // first attempt at once: 500
		{7 * time.Second, 0, 1},        // retry due at +7.5s
		{500 * time.Millisecond, 1, 2}, // +7.5s: 500 again
		{14 * time.Second, 0, 2},       // next due 15s later
		{time.Second, 1, 3},            // +15s: 204
		{24 * time.Hour, 0, 3},         // nothing more
	}
	for i, st := range steps {
		clock.Advance(st.advance)
		if n := run(t, r); n != st.attempts {
			t.Fatalf("step %d (+%s): %d attempts, want %d", i, st.advance, n, st.attempts)
		}
		if got := len(rc.requests()); got != st.total {
			t.Fatalf("step %d: receiver has %d requests, want %d", i, got, st.total)
		}
	}
	got := rc.requests()
	for _, g := range got[1:] {
		if g.Header.Get(HeaderDelivery) != got[0].Header.Get(HeaderDelivery) || string(g.Body) != string(got[0].Body) {
			t.Errorf("retry differs from the first attempt: %s %s", g.Header.Get(HeaderDelivery), g.Body)
		}
		if err := Verify(hook.Secret, g.Header.Get(HeaderTimestamp), g.Header.Get(HeaderSignature), g.Body, time.Time{}, 0); err != nil {
			t.Errorf("retry signature: %v", err)
		}
	}
	ds, _ := s.ListDeliveries(t.Context(), hook.ID, 0, 10)
	d, attempts, err := s.GetDelivery(t.Context(), hook.ID, ds[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != store.DeliveryDelivered || d.Attempts != 3 || d.LastStatus != 204 || d.LastError != "" {
		t.Errorf("delivery %+v", d)
	}
	type att struct {
		N      int
		At     time.Time
		Status int
		Error  string
		Resp   string
	}
	var gotAtt []att
	for _, a := range attempts {
		gotAtt = append(gotAtt, att{a.N, a.At, a.Status, a.Error, a.Response})
	}
	want := []att{
		{1, t0, 500, "HTTP 500 Internal Server Error", "try later"},
		{2, t0.Add(7500 * time.Millisecond), 500, "HTTP 500 Internal Server Error", "try later"},
		{3, t0.Add(22500 * time.Millisecond), 204, "", ""},
	}
	if diff := cmp.Diff(want, gotAtt); diff != "" {
		t.Errorf("attempt log (-want +got):\n%s", diff)
	}
}

// TestFailAfterMaxAttempts: a receiver that always fails gets exactly
// MaxAttempts requests, then the delivery is failed and left alone.
func TestFailAfterMaxAttempts(t *testing.T) {
	s := openStore(t)
	clock := newClock()
	rc := newReceiver(t, func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) })
	hook := s.addHook(t, store.Webhook{URL: rc.URL})
	s.addEvent(t, "s1", EventScanFailed, map[string]string{"repository": "team/app"})
	r := newTestRelay(t, s, clock, Config{MaxAttempts: 3, BackoffBase: time.Second, BackoffMax: 4 * time.Second})
	for range 20 {
		run(t, r)
		clock.Advance(5 * time.Second)
	}
	if got := len(rc.requests()); got != 3 {
		t.Fatalf("receiver got %d requests, want MaxAttempts = 3", got)
	}
	ds, _ := s.ListDeliveries(t.Context(), hook.ID, 0, 10)
	if len(ds) != 1 || ds[0].State != store.DeliveryFailed || ds[0].Attempts != 3 || ds[0].LastStatus != 503 {
		t.Fatalf("deliveries %+v, want one failed after 3 attempts", ds)
	}
	// A redelivery of the failed delivery is a new delivery of the same
	// event, attempted afresh.
	re, err := s.Redeliver(t.Context(), hook.ID, ds[0].ID, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	run(t, r)
	got := rc.requests()
	if len(got) != 4 || got[3].Header.Get(HeaderDelivery) != re.ID || got[3].Env.ID != got[0].Env.ID {
		t.Fatalf("redelivery: %d requests, last delivery id %q (want %q), envelope id %q (want %q)",
			len(got), got[len(got)-1].Header.Get(HeaderDelivery), re.ID, got[len(got)-1].Env.ID, got[0].Env.ID)
	}
}

// TestRetryAfter: a receiver's Retry-After beyond the backoff is honoured.
func TestRetryAfter(t *testing.T) {
	s := openStore(t)
	clock := newClock()
	rc := newReceiver(t, func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	s.addHook(t, store.Webhook{URL: rc.URL})
	s.addEvent(t, "s1", EventImagePushed, map[string]string{"repository": "a/b"})
	r := newTestRelay(t, s, clock, Config{BackoffBase: time.Second})
	run(t, r)
	clock.Advance(119 * time.Second)
	if n := run(t, r); n != 0 {
		t.Fatalf("retried %d times before Retry-After", n)
	}
	clock.Advance(time.Second)
	if n := run(t, r); n != 1 {
		t.Fatalf("no retry after Retry-After")
	}
}

// TestFilters routes events by type and registry.
func TestFilters(t *testing.T) {
	s := openStore(t)
	clock := newClock()
	type hookCase struct {
		name     string
		events   []string
		registry string
		sub      string
	}
	cases := []hookCase{
		{name: "all", sub: "s1"},
		{name: "pushed only", events: []string{EventImagePushed}, sub: "s1"},
		{name: "findings of team", events: []string{EventFindingNew, EventFindingResolved}, registry: "team", sub: "s1"},
		{name: "registry ops", registry: "ops", sub: "s1"},
		{name: "other tenant", sub: "s2"},
	}
	receivers := map[string]*receiver{}
	for _, c := range cases {
		rc := newReceiver(t, nil)
		receivers[c.name] = rc
		s.addHook(t, store.Webhook{URL: rc.URL, Events: c.events, Registry: c.registry, SubscriptionID: c.sub})
	}
	paused := newReceiver(t, nil)
	ph := s.addHook(t, store.Webhook{URL: paused.URL})
	off := false
	if _, err := s.UpdateWebhook(t.Context(), ph.ID, store.WebhookUpdate{Active: &off}); err != nil {
		t.Fatal(err)
	}
	events := []struct {
		typ     string
		payload map[string]string
	}{
		{EventImagePushed, map[string]string{"repository": "team/app"}},               // 1
		{EventFindingNew, map[string]string{"repository": "team/app", "id": "CVE-1"}}, // 2
		{EventFindingNew, map[string]string{"repository": "ops/tool", "id": "CVE-2"}}, // 3
		{EventAssessmentChanged, map[string]string{"registry": "ops"}},                // 4
		{EventScanFailed, map[string]string{"repository": "teamx/app"}},               // 5
		{EventFindingResolved, map[string]string{"registry": "team"}},                 // 6
		{EventImageDeleted, nil}, // 7: no registry
	}
	ids := map[string]string{}
	for i, e := range events {
		ids[strconv.FormatInt(s.addEvent(t, "s1", e.typ, e.payload), 10)] = strconv.Itoa(i + 1)
	}
	s.addEvent(t, "s2", EventImagePushed, map[string]string{"repository": "theirs/app"})
	run(t, newTestRelay(t, s, clock, Config{}))
	want := map[string][]string{
		"all":              {"1", "2", "3", "4", "5", "6", "7"},
		"pushed only":      {"1"},
		"findings of team": {"2", "6"},
		"registry ops":     {"3", "4"},
		"other tenant":     {"s2"},
	}
	for name, rc := range receivers {
		var got []string
		for _, r := range rc.requests() {
			if r.Env.Subscription == "s2" {
				got = append(got, "s2")
				continue
			}
			got = append(got, ids[r.Env.ID])
		}
		if diff := cmp.Diff(want[name], got); diff != "" {
			t.Errorf("%s received (-want +got):\n%s", name, diff)
		}
	}
	if n := len(paused.requests()); n != 0 {
		t.Errorf("paused webhook received %d events", n)
	}
}

// TestOrderPerWebhook runs the relay with several workers on many events
// for two webhooks: each receives every event once, in event order, one
// request at a time.
func TestOrderPerWebhook(t *testing.T) {
	s := openStore(t)
	var hooks []*receiver
	var overlap atomic.Bool
	for range 2 {
		var inflight atomic.Int32
		rc := newReceiver(t, func(_ int, w http.ResponseWriter) {
			if inflight.Add(1) > 1 {
				overlap.Store(true)
			}
			time.Sleep(time.Millisecond)
			inflight.Add(-1)
			w.WriteHeader(http.StatusOK)
		})
		hooks = append(hooks, rc)
		s.addHook(t, store.Webhook{URL: rc.URL})
	}
	const n = 60
	var want []string
	for i := range n {
		want = append(want, strconv.FormatInt(s.addEvent(t, "s1", EventImagePushed, map[string]int{"i": i}), 10))
	}
	r, err := NewRelay(Config{Workers: 4, PollInterval: 10 * time.Millisecond, PerClaim: 7, BatchSize: 9, AllowPrivateTargets: true},
		RelayDeps{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && (len(hooks[0].requests()) < n || len(hooks[1].requests()) < n) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	for i, rc := range hooks {
		var got []string
		for _, r := range rc.requests() {
			got = append(got, r.Env.ID)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("webhook %d received (-want +got):\n%s", i, diff)
		}
	}
	if overlap.Load() {
		t.Error("a webhook had two requests in flight at once")
	}
}

// TestInternalTargetsRefused: without AllowPrivateTargets the relay does
// not connect to loopback, even when the URL got into the store.
func TestInternalTargetsRefused(t *testing.T) {
	s := openStore(t)
	rc := newReceiver(t, nil)
	hook := s.addHook(t, store.Webhook{URL: rc.URL})
	s.addEvent(t, "s1", EventImagePushed, map[string]string{"repository": "a/b"})
	r, err := NewRelay(Config{}, RelayDeps{Store: s, Logger: slog.New(slog.DiscardHandler), Now: newClock().Now})
	if err != nil {
		t.Fatal(err)
	}
	run(t, r)
	if n := len(rc.requests()); n != 0 {
		t.Fatalf("loopback receiver got %d requests", n)
	}
	ds, _ := s.ListDeliveries(t.Context(), hook.ID, 0, 1)
	if len(ds) != 1 || ds[0].LastStatus != 0 || !strings.Contains(ds[0].LastError, ErrForbiddenTarget.Error()) || ds[0].State != store.DeliveryPending {
		t.Fatalf("delivery %+v, want a pending retry with the guard's error", ds)
	}
}

// TestRedirectNotFollowed: a 3xx is a failed attempt, and the redirect
// target is never contacted.
func TestRedirectNotFollowed(t *testing.T) {
	s := openStore(t)
	target := newReceiver(t, nil)
	rc := newReceiver(t, func(_ int, w http.ResponseWriter) {
		w.Header().Set("Location", target.URL)
		w.WriteHeader(http.StatusFound)
	})
	hook := s.addHook(t, store.Webhook{URL: rc.URL})
	s.addEvent(t, "s1", EventImagePushed, map[string]string{"repository": "a/b"})
	run(t, newTestRelay(t, s, newClock(), Config{}))
	ds, _ := s.ListDeliveries(t.Context(), hook.ID, 0, 1)
	if len(target.requests()) != 0 || len(ds) != 1 || ds[0].LastStatus != 302 || ds[0].State != store.DeliveryPending {
		t.Fatalf("redirect: target got %d, delivery %+v", len(target.requests()), ds)
	}
}

// TestCrashBeforeRecord: a relay that claimed and sent but died before
// recording leaves the delivery to the next relay once its lease ends; the
// receiver sees the same delivery id twice (at-least-once).
func TestCrashBeforeRecord(t *testing.T) {
	s := openStore(t)
	clock := newClock()
	rc := newReceiver(t, nil)
	s.addHook(t, store.Webhook{URL: rc.URL})
	s.addEvent(t, "s1", EventImagePushed, map[string]string{"repository": "a/b"})
	dead := newTestRelay(t, s, clock, Config{Timeout: 2 * time.Second})
	if _, err := dead.Dispatch(t.Context()); err != nil {
		t.Fatal(err)
	}
	cs, err := s.ClaimDeliveries(t.Context(), dead.owner, clock.Now(), dead.cfg.lease(), 1, 10)
	if err != nil || len(cs) != 1 {
		t.Fatalf("claim %v, %v", cs, err)
	}
	var lat time.Duration
	if _, _, _, err := dead.send(t.Context(), cs[0].Tasks[0], clock.Now(), &lat); err != nil {
		t.Fatal(err)
	}
	// ...and the process dies here.
	next := newTestRelay(t, s, clock, Config{Timeout: 2 * time.Second})
	if n := run(t, next); n != 0 {
		t.Fatalf("another relay sent during the dead one's lease (%d)", n)
	}
	clock.Advance(dead.cfg.lease())
	if n := run(t, next); n != 1 {
		t.Fatalf("after the lease: %d attempts, want 1", n)
	}
	got := rc.requests()
	if len(got) != 2 || got[0].Header.Get(HeaderDelivery) != got[1].Header.Get(HeaderDelivery) {
		t.Fatalf("want the same delivery twice, got %d requests", len(got))
	}
}

// TestPrune: the relay deletes history older than Retention.
func TestPrune(t *testing.T) {
	s := openStore(t)
	clock := newClock()
	rc := newReceiver(t, nil)
	hook := s.addHook(t, store.Webhook{URL: rc.URL})
	for range 3 {
		s.addEvent(t, "s1", EventImagePushed, map[string]string{"repository": "a/b"})
	}
	r := newTestRelay(t, s, clock, Config{Retention: 24 * time.Hour})
	run(t, r)
	clock.Advance(23 * time.Hour)
	s.addEvent(t, "s1", EventImagePushed, map[string]string{"repository": "a/b"})
	run(t, r)
	clock.Advance(2 * time.Hour)
	n, err := r.Prune(t.Context())
	if err != nil || n != 3 {
		t.Fatalf("Prune = %d, %v; want the 3 old events", n, err)
	}
	ds, _ := s.ListDeliveries(t.Context(), hook.ID, 0, 10)
	if len(ds) != 1 {
		t.Fatalf("%d deliveries left, want 1", len(ds))
	}
	left, err := s.CountEvents(t.Context(), "")
	if err != nil || left != 1 {
		t.Fatalf("%d events left, %v", left, err)
	}
}

func TestBackoff(t *testing.T) {
	b := func(r float64) Backoff {
		return Backoff{Base: 10 * time.Second, Max: time.Minute, Rand: func() float64 { return r }}
	}
	tests := []struct {
		name string
		rand float64
		n    int
		want time.Duration
	}{
		{"first, low jitter", 0, 1, 5 * time.Second},
		{"first, high jitter", 0.999999, 1, 10 * time.Second},
		{"second", 0, 2, 10 * time.Second},
		{"third", 0.5, 3, 30 * time.Second},
		{"capped", 0, 10, 30 * time.Second},
		{"capped high", 0.999999, 60, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := b(tt.rand).Delay(tt.n).Round(time.Millisecond)
			if got != tt.want {
				t.Errorf("Delay(%d) = %s, want %s", tt.n, got, tt.want)
			}
		})
	}
	// Without a fixed source the delays stay within their bounds and grow.
	var prevMax time.Duration
	for n := 1; n <= 5; n++ {
		d := Backoff{Base: time.Second, Max: time.Hour}.Delay(n)
		lo, hi := time.Second<<(n-1)/2, time.Second<<(n-1)
		if d < lo || d > hi || hi < prevMax {
			t.Errorf("Delay(%d) = %s, want within [%s, %s]", n, d, lo, hi)
		}
		prevMax = hi
	}
}
