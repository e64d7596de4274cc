package sqlmeta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/drydock/drydock/internal/store"
)

var (
	_ store.Identities = (*Store)(nil)
	_ store.AuditLog   = (*Store)(nil)
)

const userCols = `id, name, kind, password_hash, admin, disabled, tokens_after, created_at, updated_at`

func scanUser(sc interface{ Scan(...any) error }) (store.User, error) {
	var u store.User
	var admin, disabled, after, created, updated int64
	err := sc.Scan(&u.ID, &u.Name, &u.Kind, &u.PasswordHash, &admin, &disabled, &after, &created, &updated)
	u.Admin, u.Disabled = admin != 0, disabled != 0
	u.TokensAfter, u.CreatedAt, u.UpdatedAt = optTime(after), fromNanos(created), fromNanos(updated)
	return u, err
}

// optTime maps 0 to the zero time.
func optTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return fromNanos(n)
}

// optNanos maps the zero time to 0.
func optNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return nanos(t)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// CreateUser stores a new user.
func (s *Store) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	if u.Name == "" {
		return store.User{}, errors.New("sqlmeta: create user: empty name")
	}
	now := s.now()
	err := s.write(ctx, func(tx *wtx) error {
		err := queryRow(ctx, tx, `INSERT INTO users (name, kind, password_hash, admin, disabled, tokens_after, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id`,
			u.Name, u.Kind, u.PasswordHash, boolInt(u.Admin), boolInt(u.Disabled), optNanos(u.TokensAfter), nanos(now), nanos(now)).Scan(&u.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("user %q: %w", u.Name, store.ErrAlreadyExists)
		}
		return err
	})
	if err != nil {
		return store.User{}, fmt.Errorf("sqlmeta: create user: %w", err)
	}
	u.CreatedAt, u.UpdatedAt = fromNanos(nanos(now)), fromNanos(nanos(now))
	return u, nil
}

// GetUser returns a user by name.
func (s *Store) GetUser(ctx context.Context, name string) (store.User, error) {
	u, err := scanUser(queryRow(ctx, s.rq, `SELECT `+userCols+` FROM users WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("sqlmeta: get user %q: %w", name, store.ErrUserUnknown)
	}
	if err != nil {
		return u, fmt.Errorf("sqlmeta: get user %q: %w", name, err)
	}
	return u, nil
}

// GetUserByID returns a user by id.
func (s *Store) GetUserByID(ctx context.Context, id int64) (store.User, error) {
	u, err := scanUser(queryRow(ctx, s.rq, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("sqlmeta: get user %d: %w", id, store.ErrUserUnknown)
	}
	if err != nil {
		return u, fmt.Errorf("sqlmeta: get user %d: %w", id, err)
	}
	return u, nil
}

// ListUsers returns every user ordered by name.
func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	rows, err := query(ctx, s.rq, `SELECT `+userCols+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: list users: %w", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlmeta: list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: list users: %w", err)
	}
	return out, nil
}

// UpdateUser writes the mutable fields of u.
func (s *Store) UpdateUser(ctx context.Context, u store.User) error {
	err := s.write(ctx, func(tx *wtx) error {
		res, err := exec(ctx, tx, `UPDATE users SET password_hash = ?, admin = ?, disabled = ?, tokens_after = ?, updated_at = ? WHERE id = ?`,
			u.PasswordHash, boolInt(u.Admin), boolInt(u.Disabled), optNanos(u.TokensAfter), nanos(s.now()), u.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("%w: id %d", store.ErrUserUnknown, u.ID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: update user: %w", err)
	}
	return nil
}

// SetRole creates or replaces a role binding.
func (s *Store) SetRole(ctx context.Context, b store.RoleBinding) error {
	err := s.write(ctx, func(tx *wtx) error {
		if _, err := getSubscription(ctx, tx, b.SubscriptionID); err != nil {
			return err
		}
		ok, err := exists(ctx, tx, `SELECT 1 FROM users WHERE id = ?`, b.UserID)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: id %d", store.ErrUserUnknown, b.UserID)
		}
		_, err = exec(ctx, tx, `INSERT INTO role_bindings (user_id, subscription_id, registry, role, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (user_id, subscription_id, registry) DO UPDATE SET role = excluded.role`,
			b.UserID, b.SubscriptionID, b.Registry, b.Role, nanos(s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: set role: %w", err)
	}
	return nil
}

// RemoveRole deletes a role binding.
func (s *Store) RemoveRole(ctx context.Context, userID int64, subscriptionID, registry string) error {
	err := s.write(ctx, func(tx *wtx) error {
		_, err := exec(ctx, tx, `DELETE FROM role_bindings WHERE user_id = ? AND subscription_id = ? AND registry = ?`,
			userID, subscriptionID, registry)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: remove role: %w", err)
	}
	return nil
}

// Roles returns the bindings of a user.
func (s *Store) Roles(ctx context.Context, userID int64) ([]store.RoleBinding, error) {
	rows, err := query(ctx, s.rq, `SELECT user_id, subscription_id, registry, role, created_at FROM role_bindings
		WHERE user_id = ? ORDER BY subscription_id, registry`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: roles: %w", err)
	}
	defer rows.Close()
	var out []store.RoleBinding
	for rows.Next() {
		var b store.RoleBinding
		var created int64
		if err := rows.Scan(&b.UserID, &b.SubscriptionID, &b.Registry, &b.Role, &created); err != nil {
			return nil, fmt.Errorf("sqlmeta: roles: %w", err)
		}
		b.CreatedAt = fromNanos(created)
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: roles: %w", err)
	}
	return out, nil
}

const tokenCols = `id, user_id, description, secret_hash, scopes, created_at, expires_at, revoked_at`

func scanToken(sc interface{ Scan(...any) error }) (store.APIToken, error) {
	var t store.APIToken
	var created, expires, revoked int64
	err := sc.Scan(&t.ID, &t.UserID, &t.Description, &t.SecretHash, &t.Scopes, &created, &expires, &revoked)
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = fromNanos(created), optTime(expires), optTime(revoked)
	return t, err
}

// CreateToken stores an API token.
func (s *Store) CreateToken(ctx context.Context, t store.APIToken) error {
	if t.ID == "" || t.SecretHash == "" {
		return errors.New("sqlmeta: create token: empty id or secret hash")
	}
	created := t.CreatedAt
	if created.IsZero() {
		created = s.now()
	}
	err := s.write(ctx, func(tx *wtx) error {
		ok, err := exists(ctx, tx, `SELECT 1 FROM users WHERE id = ?`, t.UserID)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: id %d", store.ErrUserUnknown, t.UserID)
		}
		_, err = exec(ctx, tx, `INSERT INTO api_tokens (`+tokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.UserID, t.Description, t.SecretHash, t.Scopes, nanos(created), optNanos(t.ExpiresAt), optNanos(t.RevokedAt))
		if isUnique(err) {
			return fmt.Errorf("token %s: %w", t.ID, store.ErrAlreadyExists)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: create token: %w", err)
	}
	return nil
}

// TokenBySecretHash returns the token whose secret hashes to h.
func (s *Store) TokenBySecretHash(ctx context.Context, h string) (store.APIToken, error) {
	t, err := scanToken(queryRow(ctx, s.rq, `SELECT `+tokenCols+` FROM api_tokens WHERE secret_hash = ?`, h))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("sqlmeta: token: %w", store.ErrTokenUnknown)
	}
	if err != nil {
		return t, fmt.Errorf("sqlmeta: token: %w", err)
	}
	return t, nil
}

// GetToken returns a token by id.
func (s *Store) GetToken(ctx context.Context, id string) (store.APIToken, error) {
	t, err := scanToken(queryRow(ctx, s.rq, `SELECT `+tokenCols+` FROM api_tokens WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("sqlmeta: token %q: %w", id, store.ErrTokenUnknown)
	}
	if err != nil {
		return t, fmt.Errorf("sqlmeta: token %q: %w", id, err)
	}
	return t, nil
}

// ListTokens returns the tokens of a user (0: all), newest first.
func (s *Store) ListTokens(ctx context.Context, userID int64) ([]store.APIToken, error) {
	q := `SELECT ` + tokenCols + ` FROM api_tokens`
	var args []any
	if userID != 0 {
		q += ` WHERE user_id = ?`
		args = append(args, userID)
	}
	rows, err := query(ctx, s.rq, q+` ORDER BY created_at DESC, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: list tokens: %w", err)
	}
	defer rows.Close()
	var out []store.APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlmeta: list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken marks a token revoked.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	err := s.write(ctx, func(tx *wtx) error {
		ok, err := exists(ctx, tx, `SELECT 1 FROM api_tokens WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: %q", store.ErrTokenUnknown, id)
		}
		_, err = exec(ctx, tx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at = 0`, nanos(at), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: revoke token: %w", err)
	}
	return nil
}

// AddAnonymousPull opens a repository pattern to anonymous pull.
func (s *Store) AddAnonymousPull(ctx context.Context, pattern string) error {
	err := s.write(ctx, func(tx *wtx) error {
		_, err := exec(ctx, tx, `INSERT INTO anonymous_pull (pattern, created_at) VALUES (?, ?) ON CONFLICT (pattern) DO NOTHING`,
			pattern, nanos(s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: add anonymous pull: %w", err)
	}
	return nil
}

// RemoveAnonymousPull closes a pattern.
func (s *Store) RemoveAnonymousPull(ctx context.Context, pattern string) error {
	err := s.write(ctx, func(tx *wtx) error {
		_, err := exec(ctx, tx, `DELETE FROM anonymous_pull WHERE pattern = ?`, pattern)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: remove anonymous pull: %w", err)
	}
	return nil
}

// AnonymousPull lists the open patterns.
func (s *Store) AnonymousPull(ctx context.Context) ([]string, error) {
	rows, err := query(ctx, s.rq, `SELECT pattern FROM anonymous_pull ORDER BY pattern`)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: anonymous pull: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, fmt.Errorf("sqlmeta: anonymous pull: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: anonymous pull: %w", err)
	}
	return out, nil
}

// AppendAudit stores an audit event.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEvent) error {
	at := e.At
	if at.IsZero() {
		at = s.now()
	}
	err := s.write(ctx, func(tx *wtx) error {
		_, err := exec(ctx, tx, `INSERT INTO audit_log (at, actor, action, target, subscription_id, remote, outcome, detail)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, nanos(at), e.Actor, e.Action, e.Target, e.SubscriptionID, e.Remote, e.Outcome, e.Detail)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: append audit: %w", err)
	}
	return nil
}

// ListAudit returns events after id after, oldest first.
func (s *Store) ListAudit(ctx context.Context, after int64, limit int) ([]store.AuditEvent, error) {
	rows, err := query(ctx, s.rq, `SELECT id, at, actor, action, target, subscription_id, remote, outcome, detail
		FROM audit_log WHERE id > ? ORDER BY id`+limitQ, after, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: list audit: %w", err)
	}
	defer rows.Close()
	var out []store.AuditEvent
	for rows.Next() {
		var e store.AuditEvent
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.SubscriptionID, &e.Remote, &e.Outcome, &e.Detail); err != nil {
			return nil, fmt.Errorf("sqlmeta: list audit: %w", err)
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: list audit: %w", err)
	}
	return out, nil
}
