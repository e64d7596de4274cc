package sqlmeta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

var _ store.Exemptions = (*Store)(nil)

const exemptionCols = `id, subscription_id, scope, registry, repository, digest, package, advisory_id, max_severity, no_fix,
	reason, author, created_at, expires_at`

func scanExemption(row interface{ Scan(...any) error }) (store.Exemption, error) {
	var e store.Exemption
	var digest string
	var noFix, created, expires int64
	err := row.Scan(&e.ID, &e.SubscriptionID, &e.Scope, &e.Registry, &e.Repository, &digest, &e.Package, &e.AdvisoryID,
		&e.MaxSeverity, &noFix, &e.Reason, &e.Author, &created, &expires)
	e.Digest, e.NoFix, e.CreatedAt, e.ExpiresAt = oci.Digest(digest), noFix != 0, fromNanos(created), whenSet(expires)
	return e, err
}

// markStale asks for the re-evaluation of a subscription's images.
func markStale(ctx context.Context, tx *wtx, sub string) error {
	_, err := exec(ctx, tx, `UPDATE images SET stale = 1 WHERE subscription_id = ? AND inventory <> ''`, sub)
	return err
}

// CreateExemption stores an exemption.
func (s *Store) CreateExemption(ctx context.Context, e store.Exemption) error {
	var expires int64
	if !e.ExpiresAt.IsZero() {
		expires = nanos(e.ExpiresAt)
	}
	err := s.write(ctx, func(tx *wtx) error {
		if _, err := getSubscription(ctx, tx, e.SubscriptionID); err != nil {
			return err
		}
		if _, err := exec(ctx, tx, `INSERT INTO exemptions (`+exemptionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, e.SubscriptionID, e.Scope, e.Registry, e.Repository, string(e.Digest), e.Package, e.AdvisoryID, e.MaxSeverity,
			bit(e.NoFix), e.Reason, e.Author, nanos(e.CreatedAt), expires); err != nil {
			if isUnique(err) {
				return fmt.Errorf("exemption %s: %w", e.ID, store.ErrAlreadyExists)
			}
			return err
		}
		return markStale(ctx, tx, e.SubscriptionID)
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: create exemption: %w", err)
	}
	return nil
}

// ListExemptions lists exemptions in creation order.
func (s *Store) ListExemptions(ctx context.Context, subscriptions []string) ([]store.Exemption, error) {
	in, args, ok := inClause("subscription_id", subscriptions)
	out := []store.Exemption{}
	if !ok {
		return out, nil
	}
	var w where
	if in != "" {
		w.add(in, args...)
	}
	rows, err := query(ctx, s.rq, `SELECT `+exemptionCols+` FROM exemptions`+w.String()+` ORDER BY created_at, id`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: list exemptions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanExemption(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlmeta: list exemptions: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: list exemptions: %w", err)
	}
	return out, nil
}

// GetExemption returns one exemption.
func (s *Store) GetExemption(ctx context.Context, id string) (store.Exemption, error) {
	e, err := scanExemption(queryRow(ctx, s.rq, `SELECT `+exemptionCols+` FROM exemptions WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("sqlmeta: exemption %q: %w", id, store.ErrExemptionUnknown)
	}
	if err != nil {
		return e, fmt.Errorf("sqlmeta: exemption %q: %w", id, err)
	}
	return e, nil
}

// DeleteExemption removes an exemption.
func (s *Store) DeleteExemption(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx *wtx) error {
		var sub string
		err := queryRow(ctx, tx, `SELECT subscription_id FROM exemptions WHERE id = ?`, id).Scan(&sub)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrExemptionUnknown
		}
		if err != nil {
			return err
		}
		if _, err := exec(ctx, tx, `DELETE FROM exemptions WHERE id = ?`, id); err != nil {
			return err
		}
		return markStale(ctx, tx, sub)
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: delete exemption %q: %w", id, err)
	}
	return nil
}

// ExpireExemptions marks the subscriptions whose exemptions expired.
func (s *Store) ExpireExemptions(ctx context.Context, after, until time.Time) (time.Time, error) {
	var next time.Time
	err := s.write(ctx, func(tx *wtx) error {
		rows, err := query(ctx, tx, `SELECT DISTINCT subscription_id FROM exemptions WHERE expires_at > ? AND expires_at <= ?`,
			nanos(after), nanos(until))
		if err != nil {
			return err
		}
		var subs []string
		for rows.Next() {
			var sub string
			if err := rows.Scan(&sub); err != nil {
				rows.Close()
				return err
			}
			subs = append(subs, sub)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, sub := range subs {
			if err := markStale(ctx, tx, sub); err != nil {
				return err
			}
		}
		var n sql.NullInt64
		if err := queryRow(ctx, tx, `SELECT MIN(expires_at) FROM exemptions WHERE expires_at > ?`, nanos(until)).Scan(&n); err != nil {
			return err
		}
		if n.Valid {
			next = fromNanos(n.Int64)
		}
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlmeta: expire exemptions: %w", err)
	}
	return next, nil
}
