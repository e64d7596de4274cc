package sqlmeta_test

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/store/sqlmeta"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newWebhook(t *testing.T, s *sqlmeta.Store, sub string, events ...string) store.Webhook {
	t.Helper()
	if _, err := s.EnsureSubscription(t.Context(), sub, sub); err != nil {
		t.Fatal(err)
	}
	w, err := s.CreateWebhook(t.Context(), store.Webhook{
		SubscriptionID: sub, URL: "http://127.0.0.1:1/hook", Secret: "s3cret-s3cret-s3cret", Events: events,
		Active: true, CreatedBy: "tester", CreatedAt: t0,
	}, 10)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// routeAll delivers every event to every active webhook it is offered.
func routeAll(_ store.OutboxEvent, hooks []store.Webhook) []string {
	var ids []string
	for _, h := range hooks {
		ids = append(ids, h.ID)
	}
	return ids
}

func TestWebhookCRUD(t *testing.T) {
	s := openTest(t, sqlmeta.Config{})
	ctx := t.Context()
	if _, err := s.CreateWebhook(ctx, store.Webhook{SubscriptionID: "nope", URL: "http://x", Secret: "x"}, 10); !errors.Is(err, store.ErrSubscriptionUnknown) {
		t.Fatalf("create in unknown subscription: %v, want ErrSubscriptionUnknown", err)
	}
	a := newWebhook(t, s, "s1", "image.pushed", "scan.failed")
	b := newWebhook(t, s, "s2")
	got, err := s.GetWebhook(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("GetWebhook (-created +got):\n%s", diff)
	}
	if got.Secret != "s3cret-s3cret-s3cret" || !got.Active || got.CreatedBy != "tester" || !got.CreatedAt.Equal(t0) {
		t.Errorf("stored webhook %+v", got)
	}
	for _, tc := range []struct {
		name string
		subs []string
		want []string
	}{
		{"all", nil, []string{a.ID, b.ID}},
		{"one", []string{"s2"}, []string{b.ID}},
		{"duplicates and unknown", []string{"s2", "zz", "s1", "s2"}, []string{a.ID, b.ID}},
		{"none", []string{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws, err := s.ListWebhooks(ctx, tc.subs)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, w := range ws {
				ids = append(ids, w.ID)
			}
			if diff := cmp.Diff(tc.want, ids); diff != "" {
				t.Errorf("ListWebhooks(%v) (-want +got):\n%s", tc.subs, diff)
			}
		})
	}
	off, url, events := false, "https://example.com/h", []string{"finding.new"}
	up, err := s.UpdateWebhook(ctx, a.ID, store.WebhookUpdate{Active: &off, URL: &url, Events: &events, At: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if up.Active || up.URL != url || !cmp.Equal(up.Events, events) || !up.UpdatedAt.Equal(t0.Add(time.Hour)) || up.Registry != "" {
		t.Errorf("updated webhook %+v", up)
	}
	if got, _ := s.GetWebhook(ctx, a.ID); !cmp.Equal(got, up) {
		t.Errorf("stored after update %+v, want %+v", got, up)
	}
	all := []string{}
	if up, err = s.UpdateWebhook(ctx, a.ID, store.WebhookUpdate{Events: &all}); err != nil || up.Events != nil {
		t.Errorf("events reset to all: %+v, %v", up.Events, err)
	}
	if err := s.DeleteWebhook(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		s.DeleteWebhook(ctx, a.ID),
		func() error { _, err := s.GetWebhook(ctx, a.ID); return err }(),
		func() error { _, err := s.UpdateWebhook(ctx, a.ID, store.WebhookUpdate{Active: &off}); return err }(),
	} {
		if !errors.Is(err, store.ErrWebhookUnknown) {
			t.Errorf("after delete: %v, want ErrWebhookUnknown", err)
		}
	}
}

func TestWebhookLimit(t *testing.T) {
	s := openTest(t, sqlmeta.Config{})
	newWebhook(t, s, "s1")
	newWebhook(t, s, "s1")
	_, err := s.CreateWebhook(t.Context(), store.Webhook{SubscriptionID: "s1", URL: "http://x", Secret: "x"}, 2)
	if !errors.Is(err, store.ErrWebhookLimit) {
		t.Fatalf("third webhook with max 2: %v, want ErrWebhookLimit", err)
	}
}

// TestDispatchClaimRecord walks an event through the outbox: dispatched
// once into one delivery per routed webhook, claimed under a lease,
// recorded, retried and listed.
func TestDispatchClaimRecord(t *testing.T) {
	s := openTest(t, sqlmeta.Config{})
	ctx := t.Context()
	h1 := newWebhook(t, s, "s1")
	h2 := newWebhook(t, s, "s1")
	pushImage(t, s, "team/app", "v1") // subscription s1: one image.pushed event
	var offered [][]string
	n, err := s.DispatchEvents(ctx, t0, 100, func(e store.OutboxEvent, hs []store.Webhook) []string {
		var ids []string
		for _, h := range hs {
			ids = append(ids, h.ID)
		}
		offered = append(offered, ids)
		if e.Type != sqlmeta.EventImagePushed || e.SubscriptionID != "s1" || len(e.Payload) == 0 {
			t.Errorf("routed event %+v", e)
		}
		return []string{h2.ID}
	})
	if err != nil || n != 1 {
		t.Fatalf("DispatchEvents = %d, %v; want 1 event", n, err)
	}
	if diff := cmp.Diff([][]string{{h1.ID, h2.ID}}, offered, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("webhooks offered to route (-want +got):\n%s", diff)
	}
	if n, err := s.DispatchEvents(ctx, t0, 100, routeAll); err != nil || n != 0 {
		t.Fatalf("second DispatchEvents = %d, %v; want nothing left", n, err)
	}
	if pending, err := s.PendingEvents(ctx, -1); err != nil || len(pending) != 0 {
		t.Fatalf("pending events after dispatch: %v, %v", pending, err)
	}

	// Nothing is due before its time; the claim leases the webhook.
	if cs, err := s.ClaimDeliveries(ctx, "a", t0.Add(-time.Second), time.Minute, 10, 10); err != nil || len(cs) != 0 {
		t.Fatalf("claim before due: %v, %v", cs, err)
	}
	cs, err := s.ClaimDeliveries(ctx, "a", t0, time.Minute, 10, 10)
	if err != nil || len(cs) != 1 || cs[0].WebhookID != h2.ID || len(cs[0].Tasks) != 1 {
		t.Fatalf("claim = %+v, %v; want one task for h2", cs, err)
	}
	task := cs[0].Tasks[0]
	if task.URL != h2.URL || task.Secret != h2.Secret || task.Event.Type != sqlmeta.EventImagePushed ||
		task.Delivery.State != store.DeliveryPending || task.Delivery.ID == "" || task.Event.ID != task.Delivery.EventID {
		t.Errorf("task %+v", task)
	}
	if cs, err := s.ClaimDeliveries(ctx, "b", t0.Add(30*time.Second), time.Minute, 10, 10); err != nil || len(cs) != 0 {
		t.Fatalf("second owner claimed a leased webhook: %+v, %v", cs, err)
	}
	// A failed attempt: pending again a minute later.
	fail := store.AttemptResult{
		Attempt:       store.DeliveryAttempt{N: 1, At: t0.Add(time.Second), Status: 500, Latency: 3 * time.Millisecond, Error: "HTTP 500", Response: "oops"},
		State:         store.DeliveryPending,
		NextAttemptAt: t0.Add(time.Minute),
		LeaseUntil:    t0.Add(2 * time.Minute),
	}
	if err := s.RecordAttempt(ctx, "a", task.Delivery.Seq, fail); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseWebhook(ctx, "a", h2.ID); err != nil {
		t.Fatal(err)
	}
	if cs, err := s.ClaimDeliveries(ctx, "b", t0.Add(59*time.Second), time.Minute, 10, 10); err != nil || len(cs) != 0 {
		t.Fatalf("claimed before the retry is due: %+v, %v", cs, err)
	}
	cs, err = s.ClaimDeliveries(ctx, "b", t0.Add(time.Minute), time.Minute, 10, 10)
	if err != nil || len(cs) != 1 || cs[0].Tasks[0].Delivery.Attempts != 1 || cs[0].Tasks[0].Delivery.ID != task.Delivery.ID {
		t.Fatalf("retry claim = %+v, %v", cs, err)
	}
	ok := store.AttemptResult{
		Attempt:    store.DeliveryAttempt{N: 2, At: t0.Add(time.Minute), Status: 204, Latency: time.Millisecond},
		State:      store.DeliveryDelivered,
		LeaseUntil: t0.Add(2 * time.Minute),
	}
	if err := s.RecordAttempt(ctx, "b", task.Delivery.Seq, ok); err != nil {
		t.Fatal(err)
	}
	d, attempts, err := s.GetDelivery(ctx, h2.ID, task.Delivery.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != store.DeliveryDelivered || d.Attempts != 2 || d.LastStatus != 204 || d.LastLatency != time.Millisecond {
		t.Errorf("delivery after success %+v", d)
	}
	wantAttempts := []store.DeliveryAttempt{fail.Attempt, ok.Attempt}
	if diff := cmp.Diff(wantAttempts, attempts); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	if _, _, err := s.GetDelivery(ctx, h1.ID, task.Delivery.ID); !errors.Is(err, store.ErrDeliveryUnknown) {
		t.Errorf("delivery read through another webhook: %v", err)
	}
	// The lease is released by a new owner's claim once expired, and the
	// finished delivery is not claimed again.
	if cs, err := s.ClaimDeliveries(ctx, "c", t0.Add(time.Hour), time.Minute, 10, 10); err != nil || len(cs) != 0 {
		t.Fatalf("claim after delivery: %+v, %v", cs, err)
	}

	// Redelivery: a new pending delivery of the same event.
	if _, err := s.Redeliver(ctx, h2.ID, "nope", t0); !errors.Is(err, store.ErrDeliveryUnknown) {
		t.Errorf("redeliver unknown: %v", err)
	}
	re, err := s.Redeliver(ctx, h2.ID, task.Delivery.ID, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if re.ID == task.Delivery.ID || re.RedeliveryOf != task.Delivery.ID || re.EventID != task.Event.ID || re.State != store.DeliveryPending {
		t.Errorf("redelivery %+v", re)
	}
	if _, err := s.Redeliver(ctx, h2.ID, re.ID, t0.Add(time.Hour)); !errors.Is(err, store.ErrDeliveryPending) {
		t.Errorf("redeliver a pending delivery: %v, want ErrDeliveryPending", err)
	}
	list, err := s.ListDeliveries(ctx, h2.ID, 0, 10)
	if err != nil || len(list) != 2 || list[0].ID != re.ID || list[1].ID != task.Delivery.ID {
		t.Fatalf("ListDeliveries = %+v, %v; want newest first", list, err)
	}
	if page, err := s.ListDeliveries(ctx, h2.ID, list[0].Seq, 10); err != nil || len(page) != 1 || page[0].ID != task.Delivery.ID {
		t.Fatalf("second page = %+v, %v", page, err)
	}
	// Ping: delivered to this webhook only, never dispatched to others.
	p, err := s.PingWebhook(ctx, h1.ID, "ping", []byte(`{"hello":"world"}`), t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.DispatchEvents(ctx, t0.Add(2*time.Hour), 100, routeAll); err != nil || n != 0 {
		t.Fatalf("ping event was dispatched again: %d, %v", n, err)
	}
	cs, err = s.ClaimDeliveries(ctx, "c", t0.Add(2*time.Hour), time.Minute, 10, 10)
	if err != nil || len(cs) != 2 {
		t.Fatalf("claims after ping and redelivery: %+v, %v", cs, err)
	}
	for _, c := range cs {
		if c.WebhookID == h1.ID && (c.Tasks[0].Delivery.ID != p.ID || string(c.Tasks[0].Event.Payload) != `{"hello":"world"}`) {
			t.Errorf("ping task %+v", c.Tasks[0])
		}
	}
	if err := s.DeleteWebhook(ctx, h2.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordAttempt(ctx, "c", re.Seq, ok); !errors.Is(err, store.ErrDeliveryUnknown) {
		t.Errorf("record attempt of a deleted webhook's delivery: %v", err)
	}
}

func TestDispatchSkipsInactiveAndOrders(t *testing.T) {
	s := openTest(t, sqlmeta.Config{})
	ctx := t.Context()
	on := newWebhook(t, s, "s1")
	paused := newWebhook(t, s, "s1")
	off := false
	if _, err := s.UpdateWebhook(ctx, paused.ID, store.WebhookUpdate{Active: &off}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		pushImage(t, s, "team/app"+string(rune('a'+i)), "v1")
	}
	// Small batches: order is kept across them.
	for {
		n, err := s.DispatchEvents(ctx, t0, 2, func(_ store.OutboxEvent, hs []store.Webhook) []string {
			if len(hs) != 1 || hs[0].ID != on.ID {
				t.Errorf("route offered %d webhooks, want only the active one", len(hs))
			}
			return routeAll(store.OutboxEvent{}, hs)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	cs, err := s.ClaimDeliveries(ctx, "a", t0, time.Minute, 10, 3)
	if err != nil || len(cs) != 1 || len(cs[0].Tasks) != 3 {
		t.Fatalf("claim = %+v, %v; want 3 of 5 tasks", cs, err)
	}
	var last int64
	for _, tk := range cs[0].Tasks {
		if tk.Event.ID <= last {
			t.Errorf("tasks out of event order: %d after %d", tk.Event.ID, last)
		}
		last = tk.Event.ID
	}
}

// TestClaimRace runs many claimers at once: a webhook is leased to one of
// them only.
func TestClaimRace(t *testing.T) {
	s := openTest(t, sqlmeta.Config{})
	ctx := t.Context()
	newWebhook(t, s, "s1")
	pushImage(t, s, "team/app", "v1")
	if _, err := s.DispatchEvents(ctx, t0, 10, routeAll); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	winners := 0
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			cs, err := s.ClaimDeliveries(ctx, string(rune('a'+i)), t0, time.Minute, 1, 1)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			winners += len(cs)
			mu.Unlock()
		})
	}
	wg.Wait()
	if winners != 1 {
		t.Fatalf("%d claimers got the webhook, want 1", winners)
	}
}

func TestPruneWebhookHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meta.db")
	s := openTest(t, sqlmeta.Config{Path: path})
	ctx := t.Context()
	h := newWebhook(t, s, "s1")
	for i := range 7 {
		pushImage(t, s, "team/app"+string(rune('a'+i)), "v1")
	}
	// Events 1-5 dispatched long ago, 6-7 recently.
	if n, err := s.DispatchEvents(ctx, t0, 5, routeAll); err != nil || n != 5 {
		t.Fatalf("dispatch old: %d, %v", n, err)
	}
	if n, err := s.DispatchEvents(ctx, t0.Add(48*time.Hour), 5, routeAll); err != nil || n != 2 {
		t.Fatalf("dispatch new: %d, %v", n, err)
	}
	cs, err := s.ClaimDeliveries(ctx, "a", t0.Add(48*time.Hour), time.Minute, 1, 100)
	if err != nil || len(cs) != 1 || len(cs[0].Tasks) != 7 {
		t.Fatalf("claim: %+v, %v", cs, err)
	}
	tasks := cs[0].Tasks
	// Old deliveries: 1 and 2 delivered, 3 failed, 4 still pending (retry),
	// 5 delivered but redelivered recently.
	record := func(i int, state string) {
		t.Helper()
		if err := s.RecordAttempt(ctx, "a", tasks[i].Delivery.Seq, store.AttemptResult{
			Attempt: store.DeliveryAttempt{N: 1, At: t0.Add(time.Minute), Status: 200},
			State:   state, NextAttemptAt: t0.Add(72 * time.Hour), LeaseUntil: t0.Add(48*time.Hour + time.Minute),
		}); err != nil {
			t.Fatal(err)
		}
	}
	record(0, store.DeliveryDelivered)
	record(1, store.DeliveryDelivered)
	record(2, store.DeliveryFailed)
	record(3, store.DeliveryPending)
	record(4, store.DeliveryDelivered)
	if _, err := s.Redeliver(ctx, h.ID, tasks[4].Delivery.ID, t0.Add(47*time.Hour)); err != nil {
		t.Fatal(err)
	}
	before := t0.Add(24 * time.Hour)
	n, err := s.PruneWebhookHistory(ctx, before, 2) // batches of 2 pass over the kept ones
	if err != nil || n != 3 {
		t.Fatalf("PruneWebhookHistory = %d, %v; want the 3 finished old events", n, err)
	}
	left, err := s.ListDeliveries(ctx, h.ID, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	var leftEvents []int64
	for _, d := range left {
		leftEvents = append(leftEvents, d.EventID)
	}
	want := []int64{tasks[4].Event.ID, tasks[6].Event.ID, tasks[5].Event.ID, tasks[4].Event.ID, tasks[3].Event.ID}
	if diff := cmp.Diff(want, leftEvents); diff != "" {
		t.Errorf("events of the deliveries left (-want +got):\n%s", diff)
	}
	if _, _, err := s.GetDelivery(ctx, h.ID, tasks[0].Delivery.ID); !errors.Is(err, store.ErrDeliveryUnknown) {
		t.Errorf("pruned delivery still readable: %v", err)
	}
	total, err := s.CountEvents(ctx, "")
	if err != nil || total != 4 {
		t.Errorf("events left %d, %v; want 4", total, err)
	}
	if n, err := s.PruneWebhookHistory(ctx, before, 2); err != nil || n != 0 {
		t.Errorf("second prune = %d, %v; want 0", n, err)
	}
}
