package sqlmeta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/drydock/drydock/internal/store"
)

var (
	_ store.Webhooks      = (*Store)(nil)
	_ store.WebhookOutbox = (*Store)(nil)
)

// Webhook queries (see webhook_plan_test.go for their plans).
const (
	webhookCols       = `SELECT id, subscription_id, url, secret, events, registry, active, created_by, created_at, updated_at FROM webhooks `
	qWebhookByID      = webhookCols + `WHERE id = ?`
	qWebhooksOf       = webhookCols + `WHERE subscription_id = ? ORDER BY id`
	qWebhooksAll      = webhookCols + `ORDER BY subscription_id, id`
	qActiveWebhooksOf = webhookCols + `WHERE subscription_id = ? AND active = 1 ORDER BY id`

	deliveryCols = `SELECT seq, id, webhook_id, subscription_id, event_id, event_type, state, attempts, next_attempt_at,
		created_at, updated_at, last_status, last_error, last_latency, redelivery_of FROM webhook_deliveries `
	qDeliveriesOf    = deliveryCols + `WHERE webhook_id = ? AND seq < ? ORDER BY seq DESC` + limitQ
	qDeliveryByID    = deliveryCols + `WHERE id = ? AND webhook_id = ?`
	qAttemptsOf      = `SELECT n, at, status, latency, error, response FROM webhook_attempts WHERE delivery_seq = ? ORDER BY n`
	qUndispatched    = `SELECT id, subscription_id, type, payload, created_at FROM events WHERE delivered_at IS NULL ORDER BY id` + limitQ
	qDueWebhooks     = `SELECT id FROM webhooks WHERE next_due_at <= ? AND active = 1 AND lease_until <= ? ORDER BY next_due_at` + limitQ
	qNextDue         = `SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE webhook_id = ? AND state = 'pending'`
	qDueDeliveriesOf = `SELECT d.seq, d.id, d.webhook_id, d.subscription_id, d.event_id, d.event_type, d.state, d.attempts,
		d.next_attempt_at, d.created_at, d.updated_at, d.last_status, d.last_error, d.last_latency, d.redelivery_of,
		e.subscription_id, e.type, e.payload, e.created_at
		FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.webhook_id = ? AND d.state = 'pending' AND d.next_attempt_at <= ? ORDER BY d.seq` + limitQ
	qPrunableEvents = `SELECT id, delivered_at FROM events WHERE delivered_at IS NOT NULL AND delivered_at < ?
		AND (delivered_at > ? OR (delivered_at = ? AND id > ?)) ORDER BY delivered_at, id` + limitQ
	qEventKept = `SELECT 1 FROM webhook_deliveries WHERE event_id = ? AND (state = 'pending' OR created_at >= ?)` + limitQ
)

// noneDue is webhooks.next_due_at of a webhook without pending deliveries.
const noneDue = 1<<63 - 1

// Limits of what is stored per attempt.
const (
	maxStoredError    = 1024
	maxStoredResponse = 2048
)

func scanWebhook(row interface{ Scan(...any) error }) (store.Webhook, error) {
	var w store.Webhook
	var events string
	var active, created, updated int64
	if err := row.Scan(&w.ID, &w.SubscriptionID, &w.URL, &w.Secret, &events, &w.Registry, &active, &w.CreatedBy, &created, &updated); err != nil {
		return w, err
	}
	w.Events = splitEvents(events)
	w.Active = active != 0
	w.CreatedAt, w.UpdatedAt = fromNanos(created), fromNanos(updated)
	return w, nil
}

func splitEvents(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Fields(s)
}

func joinEvents(events []string) (string, error) {
	for _, e := range events {
		if e == "" || strings.ContainsAny(e, " \t\r\n") {
			return "", fmt.Errorf("invalid event type %q", e)
		}
	}
	return strings.Join(events, " "), nil
}

func activeInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// CreateWebhook stores w with a new id unless the subscription has max
// webhooks already.
func (s *Store) CreateWebhook(ctx context.Context, w store.Webhook, max int) (store.Webhook, error) {
	events, err := joinEvents(w.Events)
	if err != nil {
		return w, fmt.Errorf("sqlmeta: create webhook: %w", err)
	}
	w.ID = uuid.NewString()
	now := s.now().UTC()
	if w.CreatedAt.IsZero() {
		w.CreatedAt = now
	}
	w.UpdatedAt = w.CreatedAt
	err = s.write(ctx, func(tx *wtx) error {
		if ok, err := exists(ctx, tx, `SELECT 1 FROM subscriptions WHERE id = ?`, w.SubscriptionID); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("%w: %q", store.ErrSubscriptionUnknown, w.SubscriptionID)
		}
		var n int
		if err := queryRow(ctx, tx, `SELECT COUNT(*) FROM webhooks WHERE subscription_id = ?`, w.SubscriptionID).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return fmt.Errorf("%w: subscription %q has %d", store.ErrWebhookLimit, w.SubscriptionID, n)
		}
		_, err := exec(ctx, tx, `INSERT INTO webhooks (id, subscription_id, url, secret, events, registry, active, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, w.ID, w.SubscriptionID, w.URL, w.Secret, events, w.Registry,
			activeInt(w.Active), w.CreatedBy, nanos(w.CreatedAt), nanos(w.UpdatedAt))
		return err
	})
	if err != nil {
		return store.Webhook{}, fmt.Errorf("sqlmeta: create webhook: %w", err)
	}
	w.CreatedAt, w.UpdatedAt = fromNanos(nanos(w.CreatedAt)), fromNanos(nanos(w.UpdatedAt))
	w.Events = splitEvents(events)
	return w, nil
}

// GetWebhook returns a webhook or ErrWebhookUnknown.
func (s *Store) GetWebhook(ctx context.Context, id string) (store.Webhook, error) {
	w, err := getWebhook(ctx, s.rq, id)
	if err != nil {
		return w, fmt.Errorf("sqlmeta: get webhook: %w", err)
	}
	return w, nil
}

func getWebhook(ctx context.Context, q querier, id string) (store.Webhook, error) {
	w, err := scanWebhook(queryRow(ctx, q, qWebhookByID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return w, fmt.Errorf("%w: %q", store.ErrWebhookUnknown, id)
	}
	return w, err
}

// ListWebhooks returns the webhooks of subscriptions (nil: all).
func (s *Store) ListWebhooks(ctx context.Context, subscriptions []string) ([]store.Webhook, error) {
	out := []store.Webhook{}
	list := func(q string, args ...any) error {
		rows, err := query(ctx, s.rq, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			w, err := scanWebhook(rows)
			if err != nil {
				return err
			}
			out = append(out, w)
		}
		return rows.Err()
	}
	if subscriptions == nil {
		if err := list(qWebhooksAll); err != nil {
			return nil, fmt.Errorf("sqlmeta: list webhooks: %w", err)
		}
		return out, nil
	}
	// Ordered by subscription like the unrestricted listing.
	subs := slices.Compact(slices.Sorted(slices.Values(subscriptions)))
	for _, sub := range subs {
		if err := list(qWebhooksOf, sub); err != nil {
			return nil, fmt.Errorf("sqlmeta: list webhooks of %q: %w", sub, err)
		}
	}
	return out, nil
}

// UpdateWebhook applies u to webhook id.
func (s *Store) UpdateWebhook(ctx context.Context, id string, u store.WebhookUpdate) (store.Webhook, error) {
	var w store.Webhook
	err := s.write(ctx, func(tx *wtx) error {
		var err error
		if w, err = getWebhook(ctx, tx, id); err != nil {
			return err
		}
		if u.URL != nil {
			w.URL = *u.URL
		}
		if u.Events != nil {
			w.Events = *u.Events
		}
		if u.Registry != nil {
			w.Registry = *u.Registry
		}
		if u.Active != nil {
			w.Active = *u.Active
		}
		at := u.At
		if at.IsZero() {
			at = s.now()
		}
		w.UpdatedAt = fromNanos(nanos(at))
		events, err := joinEvents(w.Events)
		if err != nil {
			return err
		}
		w.Events = splitEvents(events)
		_, err = exec(ctx, tx, `UPDATE webhooks SET url = ?, events = ?, registry = ?, active = ?, updated_at = ? WHERE id = ?`,
			w.URL, events, w.Registry, activeInt(w.Active), nanos(w.UpdatedAt), id)
		return err
	})
	if err != nil {
		return store.Webhook{}, fmt.Errorf("sqlmeta: update webhook: %w", err)
	}
	return w, nil
}

// DeleteWebhook deletes a webhook with its deliveries and attempts.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx *wtx) error {
		if _, err := getWebhook(ctx, tx, id); err != nil {
			return err
		}
		if _, err := exec(ctx, tx, `DELETE FROM webhook_attempts WHERE delivery_seq IN
			(SELECT seq FROM webhook_deliveries WHERE webhook_id = ?)`, id); err != nil {
			return err
		}
		if _, err := exec(ctx, tx, `DELETE FROM webhook_deliveries WHERE webhook_id = ?`, id); err != nil {
			return err
		}
		_, err := exec(ctx, tx, `DELETE FROM webhooks WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: delete webhook: %w", err)
	}
	return nil
}

func scanDelivery(row interface{ Scan(...any) error }, extra ...any) (store.WebhookDelivery, error) {
	var d store.WebhookDelivery
	var next, created, updated, latency int64
	dest := append([]any{&d.Seq, &d.ID, &d.WebhookID, &d.SubscriptionID, &d.EventID, &d.EventType, &d.State, &d.Attempts,
		&next, &created, &updated, &d.LastStatus, &d.LastError, &latency, &d.RedeliveryOf}, extra...)
	if err := row.Scan(dest...); err != nil {
		return d, err
	}
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromNanos(next), fromNanos(created), fromNanos(updated)
	d.LastLatency = time.Duration(latency)
	return d, nil
}

// ListDeliveries returns up to n deliveries of a webhook with seq below
// before (0: newest), newest first.
func (s *Store) ListDeliveries(ctx context.Context, webhookID string, before int64, n int) ([]store.WebhookDelivery, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := query(ctx, s.rq, qDeliveriesOf, webhookID, before, limitArg(n))
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: list deliveries: %w", err)
	}
	defer rows.Close()
	out := []store.WebhookDelivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlmeta: list deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: list deliveries: %w", err)
	}
	return out, nil
}

// GetDelivery returns a delivery of a webhook with its attempts.
func (s *Store) GetDelivery(ctx context.Context, webhookID, deliveryID string) (store.WebhookDelivery, []store.DeliveryAttempt, error) {
	d, err := scanDelivery(queryRow(ctx, s.rq, qDeliveryByID, deliveryID, webhookID))
	if errors.Is(err, sql.ErrNoRows) {
		return d, nil, fmt.Errorf("sqlmeta: get delivery: %w: %q", store.ErrDeliveryUnknown, deliveryID)
	}
	if err != nil {
		return d, nil, fmt.Errorf("sqlmeta: get delivery: %w", err)
	}
	rows, err := query(ctx, s.rq, qAttemptsOf, d.Seq)
	if err != nil {
		return d, nil, fmt.Errorf("sqlmeta: get delivery attempts: %w", err)
	}
	defer rows.Close()
	attempts := []store.DeliveryAttempt{}
	for rows.Next() {
		var a store.DeliveryAttempt
		var at, latency int64
		if err := rows.Scan(&a.N, &at, &a.Status, &latency, &a.Error, &a.Response); err != nil {
			return d, nil, fmt.Errorf("sqlmeta: get delivery attempts: %w", err)
		}
		a.At, a.Latency = fromNanos(at), time.Duration(latency)
		attempts = append(attempts, a)
	}
	if err := rows.Err(); err != nil {
		return d, nil, fmt.Errorf("sqlmeta: get delivery attempts: %w", err)
	}
	return d, attempts, nil
}

// insertDelivery queues a pending delivery due at at and moves the
// webhook's next_due_at to at if that is earlier.
func insertDelivery(ctx context.Context, tx *wtx, webhookID, subscriptionID string, eventID int64, eventType string, at time.Time, redeliveryOf string) (store.WebhookDelivery, error) {
	d, err := insertDeliveryRow(ctx, tx, webhookID, subscriptionID, eventID, eventType, at, redeliveryOf)
	if err != nil {
		return d, err
	}
	return d, lowerNextDue(ctx, tx, webhookID, at)
}

func lowerNextDue(ctx context.Context, tx *wtx, webhookID string, at time.Time) error {
	_, err := exec(ctx, tx, `UPDATE webhooks SET next_due_at = ? WHERE id = ? AND next_due_at > ?`, nanos(at), webhookID, nanos(at))
	return err
}

// insertDeliveryRow inserts a pending delivery row only.
func insertDeliveryRow(ctx context.Context, tx *wtx, webhookID, subscriptionID string, eventID int64, eventType string, at time.Time, redeliveryOf string) (store.WebhookDelivery, error) {
	d := store.WebhookDelivery{
		ID: uuid.NewString(), WebhookID: webhookID, SubscriptionID: subscriptionID, EventID: eventID,
		EventType: eventType, State: store.DeliveryPending, RedeliveryOf: redeliveryOf,
	}
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromNanos(nanos(at)), fromNanos(nanos(at)), fromNanos(nanos(at))
	err := queryRow(ctx, tx, `INSERT INTO webhook_deliveries (id, webhook_id, subscription_id, event_id, event_type, state,
		attempts, next_attempt_at, created_at, updated_at, redelivery_of) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?) RETURNING seq`,
		d.ID, webhookID, subscriptionID, eventID, eventType, nanos(at), nanos(at), nanos(at), redeliveryOf).Scan(&d.Seq)
	return d, err
}

// updateNextDue recomputes webhooks.next_due_at from the pending deliveries.
func updateNextDue(ctx context.Context, tx *wtx, webhookID string) error {
	var next sql.NullInt64
	if err := queryRow(ctx, tx, qNextDue, webhookID).Scan(&next); err != nil {
		return err
	}
	due := int64(noneDue)
	if next.Valid {
		due = next.Int64
	}
	_, err := exec(ctx, tx, `UPDATE webhooks SET next_due_at = ? WHERE id = ?`, due, webhookID)
	return err
}

// Redeliver queues a new delivery of the event of a finished delivery.
func (s *Store) Redeliver(ctx context.Context, webhookID, deliveryID string, at time.Time) (store.WebhookDelivery, error) {
	var out store.WebhookDelivery
	err := s.write(ctx, func(tx *wtx) error {
		orig, err := scanDelivery(queryRow(ctx, tx, qDeliveryByID, deliveryID, webhookID))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: %q", store.ErrDeliveryUnknown, deliveryID)
		}
		if err != nil {
			return err
		}
		if orig.State == store.DeliveryPending {
			return fmt.Errorf("%w: %q", store.ErrDeliveryPending, deliveryID)
		}
		out, err = insertDelivery(ctx, tx, webhookID, orig.SubscriptionID, orig.EventID, orig.EventType, at, orig.ID)
		return err
	})
	if err != nil {
		return out, fmt.Errorf("sqlmeta: redeliver: %w", err)
	}
	return out, nil
}

// PingWebhook records an already dispatched event for the webhook's
// subscription and queues its delivery to this webhook only.
func (s *Store) PingWebhook(ctx context.Context, webhookID, typ string, payload []byte, at time.Time) (store.WebhookDelivery, error) {
	var out store.WebhookDelivery
	err := s.write(ctx, func(tx *wtx) error {
		w, err := getWebhook(ctx, tx, webhookID)
		if err != nil {
			return err
		}
		var eventID int64
		if err := queryRow(ctx, tx, `INSERT INTO events (subscription_id, type, payload, created_at, delivered_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, w.SubscriptionID, typ, string(payload), nanos(at), nanos(at)).Scan(&eventID); err != nil {
			return err
		}
		out, err = insertDelivery(ctx, tx, webhookID, w.SubscriptionID, eventID, typ, at, "")
		return err
	})
	if err != nil {
		return out, fmt.Errorf("sqlmeta: ping webhook: %w", err)
	}
	return out, nil
}

// DispatchEvents turns up to limit undispatched events into deliveries, in
// one transaction.
func (s *Store) DispatchEvents(ctx context.Context, at time.Time, limit int, route func(store.OutboxEvent, []store.Webhook) []string) (int, error) {
	if limit <= 0 {
		return 0, fmt.Errorf("sqlmeta: dispatch events: limit %d must be positive", limit)
	}
	n := 0
	err := s.write(ctx, func(tx *wtx) error {
		n = 0
		events, err := undispatched(ctx, tx, limit)
		if err != nil {
			return err
		}
		hooks := map[string][]store.Webhook{}
		routed := map[string]bool{}
		for _, e := range events {
			res, err := exec(ctx, tx, `UPDATE events SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL`, nanos(at), e.ID)
			if err != nil {
				return err
			}
			if k, err := res.RowsAffected(); err != nil {
				return err
			} else if k == 0 {
				continue // another relay dispatched it
			}
			n++
			hs, ok := hooks[e.SubscriptionID]
			if !ok {
				if hs, err = activeWebhooks(ctx, tx, e.SubscriptionID); err != nil {
					return err
				}
				hooks[e.SubscriptionID] = hs
			}
			if len(hs) == 0 {
				continue
			}
			for _, id := range route(e, hs) {
				if _, err := insertDeliveryRow(ctx, tx, id, e.SubscriptionID, e.ID, e.Type, at, ""); err != nil {
					return err
				}
				routed[id] = true
			}
		}
		// Every delivery of this transaction is due at at: one update per
		// webhook, not per delivery.
		for id := range routed {
			if err := lowerNextDue(ctx, tx, id, at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqlmeta: dispatch events: %w", err)
	}
	return n, nil
}

func undispatched(ctx context.Context, q querier, limit int) ([]store.OutboxEvent, error) {
	rows, err := query(ctx, q, qUndispatched, limitArg(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.OutboxEvent
	for rows.Next() {
		var e store.OutboxEvent
		var payload string
		var created int64
		if err := rows.Scan(&e.ID, &e.SubscriptionID, &e.Type, &payload, &created); err != nil {
			return nil, err
		}
		e.Payload, e.CreatedAt = []byte(payload), fromNanos(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

func activeWebhooks(ctx context.Context, q querier, sub string) ([]store.Webhook, error) {
	rows, err := query(ctx, q, qActiveWebhooksOf, sub)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// ClaimDeliveries leases webhooks with due deliveries and returns them.
func (s *Store) ClaimDeliveries(ctx context.Context, owner string, at time.Time, lease time.Duration, hooks, perHook int) ([]store.WebhookClaim, error) {
	if owner == "" || lease <= 0 || hooks <= 0 || perHook <= 0 {
		return nil, fmt.Errorf("sqlmeta: claim deliveries: need an owner and a positive lease, hooks and perHook")
	}
	// The candidates are read on the read pool first: when nothing is due,
	// which is most of the time, polling takes no write lock.
	ids, err := dueWebhooks(ctx, s.rq, at, hooks)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: claim deliveries: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var claims []store.WebhookClaim
	err = s.write(ctx, func(tx *wtx) error {
		claims = nil
		for _, id := range ids {
			// The lease is a conditional update: of two relays racing for
			// a webhook exactly one changes the row.
			res, err := exec(ctx, tx, `UPDATE webhooks SET lease_owner = ?, lease_until = ? WHERE id = ? AND active = 1 AND lease_until <= ?`,
				owner, nanos(at.Add(lease)), id, nanos(at))
			if err != nil {
				return err
			}
			if k, err := res.RowsAffected(); err != nil {
				return err
			} else if k == 0 {
				continue
			}
			w, err := getWebhook(ctx, tx, id)
			if err != nil {
				return err
			}
			tasks, err := dueDeliveries(ctx, tx, w, at, perHook)
			if err != nil {
				return err
			}
			if len(tasks) == 0 {
				if _, err := exec(ctx, tx, `UPDATE webhooks SET lease_owner = '', lease_until = 0 WHERE id = ?`, id); err != nil {
					return err
				}
				continue
			}
			claims = append(claims, store.WebhookClaim{WebhookID: id, Tasks: tasks})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: claim deliveries: %w", err)
	}
	return claims, nil
}

func dueWebhooks(ctx context.Context, q querier, at time.Time, limit int) ([]string, error) {
	rows, err := query(ctx, q, qDueWebhooks, nanos(at), nanos(at), limitArg(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func dueDeliveries(ctx context.Context, q querier, w store.Webhook, at time.Time, limit int) ([]store.DeliveryTask, error) {
	rows, err := query(ctx, q, qDueDeliveriesOf, w.ID, nanos(at), limitArg(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.DeliveryTask
	for rows.Next() {
		t := store.DeliveryTask{URL: w.URL, Secret: w.Secret}
		var payload string
		var created int64
		d, err := scanDelivery(rows, &t.Event.SubscriptionID, &t.Event.Type, &payload, &created)
		if err != nil {
			return nil, err
		}
		t.Delivery = d
		t.Event.ID, t.Event.Payload, t.Event.CreatedAt = d.EventID, []byte(payload), fromNanos(created)
		out = append(out, t)
	}
	return out, rows.Err()
}

// RecordAttempt stores one attempt of delivery seq and extends the lease.
func (s *Store) RecordAttempt(ctx context.Context, owner string, seq int64, r store.AttemptResult) error {
	switch r.State {
	case store.DeliveryPending, store.DeliveryDelivered, store.DeliveryFailed:
	default:
		return fmt.Errorf("sqlmeta: record attempt: unknown state %q", r.State)
	}
	a := r.Attempt
	errText, resp := truncate(a.Error, maxStoredError), truncate(a.Response, maxStoredResponse)
	err := s.write(ctx, func(tx *wtx) error {
		var webhookID string
		err := queryRow(ctx, tx, `SELECT webhook_id FROM webhook_deliveries WHERE seq = ?`, seq).Scan(&webhookID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: seq %d", store.ErrDeliveryUnknown, seq) // deleted with its webhook meanwhile
		}
		if err != nil {
			return err
		}
		if _, err := exec(ctx, tx, `INSERT INTO webhook_attempts (delivery_seq, n, at, status, latency, error, response)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (delivery_seq, n) DO NOTHING`,
			seq, a.N, nanos(a.At), a.Status, int64(a.Latency), errText, resp); err != nil {
			return err
		}
		if _, err := exec(ctx, tx, `UPDATE webhook_deliveries SET state = ?, attempts = ?, next_attempt_at = ?, updated_at = ?,
			last_status = ?, last_error = ?, last_latency = ? WHERE seq = ?`,
			r.State, a.N, nanos(r.NextAttemptAt), nanos(a.At), a.Status, errText, int64(a.Latency), seq); err != nil {
			return err
		}
		if err := updateNextDue(ctx, tx, webhookID); err != nil {
			return err
		}
		_, err = exec(ctx, tx, `UPDATE webhooks SET lease_until = ? WHERE id = ? AND lease_owner = ?`,
			nanos(r.LeaseUntil), webhookID, owner)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: record attempt: %w", err)
	}
	return nil
}

// ReleaseWebhook ends owner's lease on a webhook.
func (s *Store) ReleaseWebhook(ctx context.Context, owner, webhookID string) error {
	err := s.write(ctx, func(tx *wtx) error {
		_, err := exec(ctx, tx, `UPDATE webhooks SET lease_owner = '', lease_until = 0 WHERE id = ? AND lease_owner = ?`, webhookID, owner)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: release webhook: %w", err)
	}
	return nil
}

// PruneWebhookHistory deletes events dispatched before before with their
// finished deliveries and attempts, limit events per write transaction.
func (s *Store) PruneWebhookHistory(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, fmt.Errorf("sqlmeta: prune webhook history: limit %d must be positive", limit)
	}
	total := 0
	// Keyset cursor over (delivered_at, id): events that must stay are
	// passed over, not read again by the next batch.
	var curAt, curID int64 = -1, 0
	for {
		read, deleted := 0, 0
		err := s.write(ctx, func(tx *wtx) error {
			read, deleted = 0, 0
			rows, err := query(ctx, tx, qPrunableEvents, nanos(before), curAt, curAt, curID, limitArg(limit))
			if err != nil {
				return err
			}
			type key struct{ id, at int64 }
			var keys []key
			for rows.Next() {
				var k key
				if err := rows.Scan(&k.id, &k.at); err != nil {
					rows.Close()
					return err
				}
				keys = append(keys, k)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			read = len(keys)
			for _, k := range keys {
				curAt, curID = k.at, k.id
				kept, err := exists(ctx, tx, qEventKept, k.id, nanos(before), int64(1))
				if err != nil {
					return err
				}
				if kept {
					continue
				}
				if _, err := exec(ctx, tx, `DELETE FROM webhook_attempts WHERE delivery_seq IN
					(SELECT seq FROM webhook_deliveries WHERE event_id = ?)`, k.id); err != nil {
					return err
				}
				if _, err := exec(ctx, tx, `DELETE FROM webhook_deliveries WHERE event_id = ?`, k.id); err != nil {
					return err
				}
				if _, err := exec(ctx, tx, `DELETE FROM events WHERE id = ?`, k.id); err != nil {
					return err
				}
				deleted++
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("sqlmeta: prune webhook history: %w", err)
		}
		total += deleted
		if read < limit {
			return total, nil
		}
	}
}

// truncate cuts s to at most max bytes on a UTF-8 boundary.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
