package sqlmeta

import (
	"context"
	"fmt"
	"time"
)

// Event is one row of the transactional outbox: written in the same
// transaction as the change it reports, delivered later by a relay.
type Event struct {
	ID             int64
	SubscriptionID string
	Type           string // EventImagePushed, EventImageDeleted
	Payload        []byte // JSON: {repository, digest, mediaType, tag, subscriptionId}
	CreatedAt      time.Time
}

// PendingEvents returns up to limit undelivered events, oldest first.
func (s *Store) PendingEvents(ctx context.Context, limit int) ([]Event, error) {
	rows, err := query(ctx, s.rq, `SELECT id, subscription_id, type, payload, created_at FROM events
		WHERE delivered_at IS NULL ORDER BY id`+limitQ, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: pending events: %w", err)
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var e Event
		var payload string
		var created int64
		if err := rows.Scan(&e.ID, &e.SubscriptionID, &e.Type, &payload, &created); err != nil {
			return nil, fmt.Errorf("sqlmeta: pending events: %w", err)
		}
		e.Payload = []byte(payload)
		e.CreatedAt = fromNanos(created)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: pending events: %w", err)
	}
	return out, nil
}

// MarkEventsDelivered records that events ids were delivered, in one write
// transaction.
func (s *Store) MarkEventsDelivered(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	now := nanos(s.now())
	err := s.write(ctx, func(tx *wtx) error {
		for _, id := range ids {
			if _, err := exec(ctx, tx, `UPDATE events SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL`, now, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: mark %d events delivered: %w", len(ids), err)
	}
	return nil
}

// CountEvents returns the number of recorded events of type typ ("" = all),
// delivered or not.
func (s *Store) CountEvents(ctx context.Context, typ string) (int64, error) {
	q := `SELECT COUNT(*) FROM events`
	var args []any
	if typ != "" {
		q += ` WHERE type = ?`
		args = append(args, typ)
	}
	var n int64
	if err := queryRow(ctx, s.rq, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlmeta: count events: %w", err)
	}
	return n, nil
}
