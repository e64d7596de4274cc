package sqlmeta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// EnsureSubscription creates subscription id (named name) if absent and
// returns it; an existing subscription keeps its name.
func (s *Store) EnsureSubscription(ctx context.Context, id, name string) (store.Subscription, error) {
	if id == "" {
		return store.Subscription{}, errors.New("sqlmeta: ensure subscription: empty id")
	}
	var sub store.Subscription
	err := s.write(ctx, func(tx *wtx) error {
		if _, err := exec(ctx, tx, `INSERT INTO subscriptions (id, name, created_at) VALUES (?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, id, name, nanos(s.now())); err != nil {
			return err
		}
		var err error
		sub, err = getSubscription(ctx, tx, id)
		return err
	})
	if err != nil {
		return store.Subscription{}, fmt.Errorf("sqlmeta: ensure subscription %q: %w", id, err)
	}
	return sub, nil
}

func getSubscription(ctx context.Context, q querier, id string) (store.Subscription, error) {
	var sub store.Subscription
	var created int64
	err := queryRow(ctx, q, `SELECT id, name, created_at FROM subscriptions WHERE id = ?`, id).
		Scan(&sub.ID, &sub.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return sub, fmt.Errorf("%w: %q", store.ErrSubscriptionUnknown, id)
	}
	sub.CreatedAt = fromNanos(created)
	return sub, err
}

// ListSubscriptions returns every subscription ordered by id.
func (s *Store) ListSubscriptions(ctx context.Context) ([]store.Subscription, error) {
	rows, err := query(ctx, s.rq, `SELECT id, name, created_at FROM subscriptions ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: list subscriptions: %w", err)
	}
	defer rows.Close()
	var out []store.Subscription
	for rows.Next() {
		var sub store.Subscription
		var created int64
		if err := rows.Scan(&sub.ID, &sub.Name, &created); err != nil {
			return nil, fmt.Errorf("sqlmeta: list subscriptions: %w", err)
		}
		sub.CreatedAt = fromNanos(created)
		out = append(out, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: list subscriptions: %w", err)
	}
	return out, nil
}

// validateRegistryName checks that name can be the first path element of a
// repository name.
func validateRegistryName(name string) error {
	if strings.Contains(name, "/") {
		return fmt.Errorf("%w: registry name %q must be a single path element", oci.ErrInvalidName, name)
	}
	return oci.ValidateName(name)
}

// CreateRegistry creates registry name of type typ in a subscription.
func (s *Store) CreateRegistry(ctx context.Context, subscriptionID, name, typ string) (store.Registry, error) {
	if err := validateRegistryName(name); err != nil {
		return store.Registry{}, fmt.Errorf("sqlmeta: create registry: %w", err)
	}
	if typ != store.RegistryTypeStandard && typ != store.RegistryTypeExternal {
		return store.Registry{}, fmt.Errorf("sqlmeta: create registry %q: unknown type %q", name, typ)
	}
	var reg store.Registry
	err := s.write(ctx, func(tx *wtx) error {
		if _, err := getSubscription(ctx, tx, subscriptionID); err != nil {
			return err
		}
		id, ok, err := insertRegistry(ctx, tx, subscriptionID, name, typ, s.now())
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("registry %q: %w", name, store.ErrAlreadyExists)
		}
		reg, err = getRegistryBy(ctx, tx, "g.id = ?", id)
		return err
	})
	if err != nil {
		return store.Registry{}, fmt.Errorf("sqlmeta: create registry %q: %w", name, err)
	}
	return reg, nil
}

// insertRegistry inserts a registry unless the name is taken; ok reports
// whether this call created it.
func insertRegistry(ctx context.Context, tx *wtx, subscriptionID, name, typ string, now time.Time) (id int64, ok bool, err error) {
	err = queryRow(ctx, tx, `INSERT INTO registries (name, subscription_id, type, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO NOTHING RETURNING id`, name, subscriptionID, typ, nanos(now)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

func getRegistryBy(ctx context.Context, q querier, where string, arg any) (store.Registry, error) {
	var reg store.Registry
	var created int64
	err := queryRow(ctx, q, `SELECT g.id, g.name, g.type, g.subscription_id, g.created_at FROM registries g WHERE `+where, arg).
		Scan(&reg.ID, &reg.Name, &reg.Type, &reg.SubscriptionID, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return reg, fmt.Errorf("%w: %v", store.ErrRegistryUnknown, arg)
	}
	reg.CreatedAt = fromNanos(created)
	return reg, err
}

// GetRegistry returns a registry by name, or ErrRegistryUnknown.
func (s *Store) GetRegistry(ctx context.Context, name string) (store.Registry, error) {
	reg, err := getRegistryBy(ctx, s.rq, "g.name = ?", name)
	if err != nil {
		return reg, fmt.Errorf("sqlmeta: get registry %q: %w", name, err)
	}
	return reg, nil
}

// ListRegistries lists the registries of a subscription ("" for all) in name
// order.
func (s *Store) ListRegistries(ctx context.Context, subscriptionID string) ([]store.Registry, error) {
	q := `SELECT id, name, type, subscription_id, created_at FROM registries`
	var args []any
	if subscriptionID != "" {
		q += ` WHERE subscription_id = ?`
		args = append(args, subscriptionID)
	}
	rows, err := query(ctx, s.rq, q+` ORDER BY name`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: list registries: %w", err)
	}
	defer rows.Close()
	var out []store.Registry
	for rows.Next() {
		var reg store.Registry
		var created int64
		if err := rows.Scan(&reg.ID, &reg.Name, &reg.Type, &reg.SubscriptionID, &created); err != nil {
			return nil, fmt.Errorf("sqlmeta: list registries: %w", err)
		}
		reg.CreatedAt = fromNanos(created)
		out = append(out, reg)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: list registries: %w", err)
	}
	return out, nil
}
