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

var (
	_ store.PullPolicies = (*Store)(nil)
	_ store.AuditQuery   = (*Store)(nil)
)

const pullPolicySelect = `SELECT p.registry_id, g.name, p.subscription_id, p.block_severity, p.block_unscanned, p.block_unchecked, p.updated_at, p.updated_by
	FROM pull_policies p JOIN registries g ON g.id = p.registry_id`

func scanPullPolicy(row interface{ Scan(...any) error }) (store.PullPolicy, error) {
	var p store.PullPolicy
	var unscanned, unchecked, updated int64
	err := row.Scan(&p.RegistryID, &p.Registry, &p.SubscriptionID, &p.BlockSeverity, &unscanned, &unchecked, &updated, &p.UpdatedBy)
	p.BlockUnscanned, p.BlockUnchecked, p.UpdatedAt = unscanned != 0, unchecked != 0, fromNanos(updated)
	return p, err
}

// SetPullPolicy stores (or, when p is Off, removes) a registry's policy.
func (s *Store) SetPullPolicy(ctx context.Context, p store.PullPolicy) (store.PullPolicy, error) {
	if p.BlockSeverity < store.NoSeverityRule || p.BlockSeverity > 4 {
		return p, fmt.Errorf("sqlmeta: set pull policy: severity rank %d out of range", p.BlockSeverity)
	}
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = s.now()
	}
	err := s.write(ctx, func(tx *wtx) error {
		reg, err := getRegistryBy(ctx, tx, "g.name = ?", p.Registry)
		if err != nil {
			return err
		}
		p.RegistryID, p.SubscriptionID = reg.ID, reg.SubscriptionID
		if _, err := exec(ctx, tx, `DELETE FROM pull_policies WHERE registry_id = ?`, reg.ID); err != nil {
			return err
		}
		if p.Off() {
			return nil
		}
		_, err = exec(ctx, tx, `INSERT INTO pull_policies (registry_id, subscription_id, block_severity, block_unscanned, block_unchecked, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, reg.ID, reg.SubscriptionID, p.BlockSeverity, bit(p.BlockUnscanned), bit(p.BlockUnchecked), nanos(p.UpdatedAt), p.UpdatedBy)
		return err
	})
	if err != nil {
		return p, fmt.Errorf("sqlmeta: set pull policy of %q: %w", p.Registry, err)
	}
	p.UpdatedAt = p.UpdatedAt.UTC()
	return p, nil
}

// GetPullPolicy returns a registry's policy.
func (s *Store) GetPullPolicy(ctx context.Context, registry string) (store.PullPolicy, error) {
	reg, err := getRegistryBy(ctx, s.rq, "g.name = ?", registry)
	if err != nil {
		return store.PullPolicy{}, fmt.Errorf("sqlmeta: get pull policy of %q: %w", registry, err)
	}
	p, err := scanPullPolicy(queryRow(ctx, s.rq, pullPolicySelect+` WHERE p.registry_id = ?`, reg.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return store.PullPolicy{Registry: registry, RegistryID: reg.ID, SubscriptionID: reg.SubscriptionID, BlockSeverity: store.NoSeverityRule},
			fmt.Errorf("sqlmeta: registry %q: %w", registry, store.ErrPullPolicyUnknown)
	}
	if err != nil {
		return p, fmt.Errorf("sqlmeta: get pull policy of %q: %w", registry, err)
	}
	return p, nil
}

// ListPullPolicies returns every stored policy.
func (s *Store) ListPullPolicies(ctx context.Context) ([]store.PullPolicy, error) {
	rows, err := query(ctx, s.rq, pullPolicySelect+` ORDER BY p.registry_id`)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: list pull policies: %w", err)
	}
	defer rows.Close()
	out := []store.PullPolicy{}
	for rows.Next() {
		p, err := scanPullPolicy(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlmeta: list pull policies: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: list pull policies: %w", err)
	}
	return out, nil
}

const breakGlassSelect = `SELECT b.id, b.registry_id, g.name, b.subscription_id, b.actor, b.reason, b.created_at, b.expires_at,
		b.ended_at, b.ended_by
	FROM break_glass b JOIN registries g ON g.id = b.registry_id`

func scanBreakGlass(row interface{ Scan(...any) error }) (store.BreakGlass, error) {
	var b store.BreakGlass
	var created, expires, ended int64
	err := row.Scan(&b.ID, &b.RegistryID, &b.Registry, &b.SubscriptionID, &b.Actor, &b.Reason, &created, &expires, &ended, &b.EndedBy)
	b.CreatedAt, b.ExpiresAt, b.EndedAt = fromNanos(created), fromNanos(expires), whenSet(ended)
	return b, err
}

// CreateBreakGlass stores an override.
func (s *Store) CreateBreakGlass(ctx context.Context, b store.BreakGlass) (store.BreakGlass, error) {
	if b.ID == "" || !b.ExpiresAt.After(b.CreatedAt) {
		return b, fmt.Errorf("sqlmeta: create break-glass: want an id and an expiry after the start")
	}
	err := s.write(ctx, func(tx *wtx) error {
		reg, err := getRegistryBy(ctx, tx, "g.name = ?", b.Registry)
		if err != nil {
			return err
		}
		b.RegistryID, b.SubscriptionID = reg.ID, reg.SubscriptionID
		_, err = exec(ctx, tx, `INSERT INTO break_glass (id, registry_id, subscription_id, actor, reason, created_at, expires_at, ended_at, ended_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, 0, '')`, b.ID, reg.ID, reg.SubscriptionID, b.Actor, b.Reason, nanos(b.CreatedAt), nanos(b.ExpiresAt))
		if isUnique(err) {
			return fmt.Errorf("break-glass %s: %w", b.ID, store.ErrAlreadyExists)
		}
		return err
	})
	if err != nil {
		return b, fmt.Errorf("sqlmeta: create break-glass for %q: %w", b.Registry, err)
	}
	b.CreatedAt, b.ExpiresAt = b.CreatedAt.UTC(), b.ExpiresAt.UTC()
	return b, nil
}

// EndBreakGlass ends the overrides of a registry in force at at.
func (s *Store) EndBreakGlass(ctx context.Context, registry, by string, at time.Time) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *wtx) error {
		reg, err := getRegistryBy(ctx, tx, "g.name = ?", registry)
		if err != nil {
			return err
		}
		res, err := exec(ctx, tx, `UPDATE break_glass SET ended_at = ?, ended_by = ?
			WHERE registry_id = ? AND ended_at = 0 AND expires_at > ? AND created_at <= ?`, nanos(at), by, reg.ID, nanos(at), nanos(at))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlmeta: end break-glass of %q: %w", registry, err)
	}
	return int(n), nil
}

// ListBreakGlass returns a registry's overrides, newest first.
func (s *Store) ListBreakGlass(ctx context.Context, registry string, limit int) ([]store.BreakGlass, error) {
	reg, err := getRegistryBy(ctx, s.rq, "g.name = ?", registry)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: list break-glass of %q: %w", registry, err)
	}
	return s.breakGlass(ctx, qBreakGlassOf, reg.ID, limitArg(limit))
}

const (
	qBreakGlassOf     = breakGlassSelect + ` WHERE b.registry_id = ? ORDER BY b.created_at DESC` + limitQ
	qActiveBreakGlass = breakGlassSelect + ` WHERE b.expires_at > ? AND b.created_at <= ? AND (b.ended_at = 0 OR b.ended_at > ?)`
)

// ActiveBreakGlass returns the overrides in force at at, in no particular
// order.
func (s *Store) ActiveBreakGlass(ctx context.Context, at time.Time) ([]store.BreakGlass, error) {
	return s.breakGlass(ctx, qActiveBreakGlass, nanos(at), nanos(at), nanos(at))
}

func (s *Store) breakGlass(ctx context.Context, q string, args ...any) ([]store.BreakGlass, error) {
	rows, err := query(ctx, s.rq, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: break-glass: %w", err)
	}
	defer rows.Close()
	out := []store.BreakGlass{}
	for rows.Next() {
		b, err := scanBreakGlass(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlmeta: break-glass: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: break-glass: %w", err)
	}
	return out, nil
}

const qImagePullState = `SELECT status, reason, scanned_at, critical, high, medium, low, unknown, exempted, packages, unchecked
	FROM images WHERE repository_id = ? AND digest = ?`

// ImagePullState returns an image's verdict: one lookup of the images
// table's (repository_id, digest) unique index.
func (s *Store) ImagePullState(ctx context.Context, repoID int64, d oci.Digest) (store.PullState, bool, error) {
	var st store.PullState
	var scanned int64
	sm := &st.Summary
	err := queryRow(ctx, s.rq, qImagePullState, repoID, string(d)).
		Scan(&st.Status, &st.Reason, &scanned, &sm.Critical, &sm.High, &sm.Medium, &sm.Low, &sm.Unknown, &sm.Exempted, &st.Packages, &st.Unchecked)
	if errors.Is(err, sql.ErrNoRows) {
		return st, false, nil
	}
	if err != nil {
		return st, false, fmt.Errorf("sqlmeta: image pull state %s: %w", d, err)
	}
	st.ScannedAt = whenSet(scanned)
	return st, true, nil
}

// QueryAudit returns the audit events f selects, newest first.
func (s *Store) QueryAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEvent, error) {
	in, args, ok := inClause("subscription_id", f.Subscriptions)
	out := []store.AuditEvent{}
	if !ok {
		return out, nil
	}
	var w where
	if in != "" {
		w.add(in, args...)
	}
	if f.Action != "" {
		w.add(`(action = ? OR (action > ? AND action < ?))`, f.Action, f.Action+".", f.Action+"/")
	}
	if f.BeforeID > 0 {
		w.add(`id < ?`, f.BeforeID)
	}
	rows, err := query(ctx, s.rq, `SELECT id, at, actor, action, target, subscription_id, remote, outcome, detail FROM audit_log`+
		w.String()+` ORDER BY id DESC`+limitQ, append(w.args, limitArg(max(f.Limit, 1)))...)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: query audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e store.AuditEvent
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.SubscriptionID, &e.Remote, &e.Outcome, &e.Detail); err != nil {
			return nil, fmt.Errorf("sqlmeta: query audit: %w", err)
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: query audit: %w", err)
	}
	return out, nil
}
