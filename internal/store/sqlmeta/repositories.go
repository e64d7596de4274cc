package sqlmeta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// Catalog queries: range scans of UNIQUE(name) and of
// repositories_subscription_name.
const (
	qListRepositories   = `SELECT name FROM repositories WHERE name > ? ORDER BY name`
	qListRepositoriesIn = `SELECT name FROM repositories WHERE subscription_id = ? AND name > ? ORDER BY name`
)

const selectRepository = `SELECT r.id, r.name, r.registry_id, g.name, r.subscription_id
	FROM repositories r JOIN registries g ON g.id = r.registry_id WHERE `

func getRepository(ctx context.Context, q querier, where string, arg any) (store.Repository, error) {
	var repo store.Repository
	err := queryRow(ctx, q, selectRepository+where, arg).
		Scan(&repo.ID, &repo.Name, &repo.RegistryID, &repo.Registry, &repo.SubscriptionID)
	if errors.Is(err, sql.ErrNoRows) {
		return repo, fmt.Errorf("%w: %v", store.ErrRepositoryUnknown, arg)
	}
	return repo, err
}

// ResolveRepository looks up repository name, creating it (and its registry)
// on first push when opts allow. Concurrent first pushes of the same name all
// get the same repository.
func (s *Store) ResolveRepository(ctx context.Context, name string, opts store.ResolveOptions) (store.Repository, error) {
	if err := oci.ValidateName(name); err != nil {
		return store.Repository{}, fmt.Errorf("sqlmeta: resolve repository: %w", err)
	}
	repo, err := getRepository(ctx, s.rq, "r.name = ?", name)
	if err == nil || !errors.Is(err, store.ErrRepositoryUnknown) || !opts.Create {
		if err != nil {
			return repo, fmt.Errorf("sqlmeta: resolve repository %q: %w", name, err)
		}
		return repo, nil
	}
	err = s.write(ctx, func(tx *wtx) error {
		regName := oci.RegistryOf(name)
		reg, err := getRegistryBy(ctx, tx, "g.name = ?", regName)
		if errors.Is(err, store.ErrRegistryUnknown) && opts.CreateRegistryIn != "" {
			if _, err := getSubscription(ctx, tx, opts.CreateRegistryIn); err != nil {
				return err
			}
			if _, _, err := insertRegistry(ctx, tx, opts.CreateRegistryIn, regName, store.RegistryTypeStandard, s.now()); err != nil {
				return err
			}
			reg, err = getRegistryBy(ctx, tx, "g.name = ?", regName)
		}
		if err != nil {
			return err
		}
		if _, err := exec(ctx, tx, `INSERT INTO repositories (name, registry_id, subscription_id, created_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
			name, reg.ID, reg.SubscriptionID, nanos(s.now())); err != nil {
			return err
		}
		repo, err = getRepository(ctx, tx, "r.name = ?", name)
		return err
	})
	if err != nil {
		return store.Repository{}, fmt.Errorf("sqlmeta: resolve repository %q: %w", name, err)
	}
	return repo, nil
}

// ListRepositories returns up to n repository names (n < 0: all) in lexical
// order strictly after last, restricted to subscriptions (nil: all). Each
// subscription is one range scan of (subscription_id, name); several are
// merged here, which costs at most n rows per subscription.
func (s *Store) ListRepositories(ctx context.Context, subscriptions []string, last string, n int) ([]string, error) {
	if n == 0 || (subscriptions != nil && len(subscriptions) == 0) {
		return []string{}, nil
	}
	var out []string
	if subscriptions == nil {
		names, err := s.listNames(ctx, qListRepositories+limitQ, last, limitArg(n))
		if err != nil {
			return nil, fmt.Errorf("sqlmeta: list repositories: %w", err)
		}
		return names, nil
	}
	seen := map[string]bool{}
	for _, sub := range subscriptions {
		if seen[sub] {
			continue
		}
		seen[sub] = true
		names, err := s.listNames(ctx, qListRepositoriesIn+limitQ, sub, last, limitArg(n))
		if err != nil {
			return nil, fmt.Errorf("sqlmeta: list repositories: %w", err)
		}
		out = append(out, names...)
	}
	if len(seen) > 1 {
		slices.Sort(out) // names are unique across subscriptions
		if n >= 0 && len(out) > n {
			out = out[:n]
		}
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

func (s *Store) listNames(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := query(ctx, s.rq, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
