package sqlmeta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/drydock/drydock/internal/store"
)

// CreateUpload records that upload id belongs to repository repoID.
func (s *Store) CreateUpload(ctx context.Context, repoID int64, id string, started time.Time) error {
	if id == "" {
		return errors.New("sqlmeta: create upload: empty id")
	}
	err := s.write(ctx, func(tx *wtx) error {
		_, err := exec(ctx, tx, `INSERT INTO upload_sessions (id, repository_id, started_at) VALUES (?, ?, ?)`,
			id, repoID, nanos(started))
		if isUnique(err) {
			return store.ErrAlreadyExists
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: create upload %q: %w", id, err)
	}
	return nil
}

// GetUpload returns upload session id.
func (s *Store) GetUpload(ctx context.Context, id string) (store.UploadSession, error) {
	u := store.UploadSession{ID: id}
	var started int64
	err := queryRow(ctx, s.rq, `SELECT repository_id, started_at FROM upload_sessions WHERE id = ?`, id).
		Scan(&u.RepositoryID, &started)
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("sqlmeta: get upload %q: %w", id, store.ErrUploadUnknown)
	}
	if err != nil {
		return u, fmt.Errorf("sqlmeta: get upload %q: %w", id, err)
	}
	u.StartedAt = fromNanos(started)
	return u, nil
}

// DeleteUpload forgets upload session id; forgetting an unknown session is
// not an error (commit and cancel may race with expiry).
func (s *Store) DeleteUpload(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx *wtx) error {
		_, err := exec(ctx, tx, `DELETE FROM upload_sessions WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: delete upload %q: %w", id, err)
	}
	return nil
}

// ExpiredUploads returns up to limit ids of sessions started before t,
// oldest first.
func (s *Store) ExpiredUploads(ctx context.Context, before time.Time, limit int) ([]string, error) {
	if limit == 0 {
		return []string{}, nil
	}
	ids, err := s.listNames(ctx, `SELECT id FROM upload_sessions WHERE started_at < ? ORDER BY started_at`+limitQ, nanos(before), limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: expired uploads: %w", err)
	}
	return ids, nil
}
