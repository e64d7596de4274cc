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

// Blob queries (see plan_test.go).
const (
	qStatLinked = `SELECT b.size, b.created_at FROM repository_blobs rb
		JOIN blobs b ON b.digest = rb.digest WHERE rb.repository_id = ? AND rb.digest = ?`
	qBlobHolders = `SELECT r.name FROM repository_blobs rb JOIN repositories r ON r.id = rb.repository_id
		WHERE rb.digest = ? AND rb.subscription_id = ? ORDER BY rb.repository_id`
	qMountable = `SELECT 1 FROM repository_blobs src
		JOIN repositories sr ON sr.id = src.repository_id
		JOIN repositories dr ON dr.id = ? AND dr.subscription_id = sr.subscription_id
		WHERE sr.name = ? AND src.digest = ?`
)

// StatBlob returns blob d as linked into repository repoID.
func (s *Store) StatBlob(ctx context.Context, repoID int64, d oci.Digest) (store.BlobInfo, error) {
	info, err := statLinked(ctx, s.rq, repoID, d)
	if err != nil {
		return info, fmt.Errorf("sqlmeta: stat blob %s: %w", d, err)
	}
	return info, nil
}

func statLinked(ctx context.Context, q querier, repoID int64, d oci.Digest) (store.BlobInfo, error) {
	info := store.BlobInfo{Digest: d}
	var created int64
	err := queryRow(ctx, q, qStatLinked, repoID, string(d)).
		Scan(&info.Size, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return info, store.ErrBlobUnknown
	}
	info.ModTime = fromNanos(created)
	return info, err
}

// linkBlob links d into repository repoID (taking the subscription from the
// repository row, not from the caller) and marks the link as a collection
// candidate: a link no manifest comes to reference is pruned after the grace
// period.
func linkBlob(ctx context.Context, tx *wtx, repoID int64, d oci.Digest, now time.Time) error {
	res, err := exec(ctx, tx, `INSERT INTO repository_blobs (repository_id, digest, subscription_id, created_at)
		SELECT id, CAST(? AS TEXT), subscription_id, CAST(? AS BIGINT) FROM repositories WHERE id = ?
		ON CONFLICT (repository_id, digest) DO NOTHING`, string(d), nanos(now), repoID)
	if err != nil {
		return fmt.Errorf("link: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("link: %w", err)
	} else if n == 0 {
		// Either already linked or no such repository.
		ok, err := exists(ctx, tx, `SELECT 1 FROM repositories WHERE id = ?`, repoID)
		if err != nil {
			return fmt.Errorf("link: %w", err)
		}
		if !ok {
			return fmt.Errorf("link: %w: id %d", store.ErrRepositoryUnknown, repoID)
		}
	}
	return addCandidate(ctx, tx, candLink, repoID, d, now)
}

// CommitBlob runs commit (which moves the verified bytes into place) inside a
// write transaction that then records the blob and links it into repo. The
// transaction holds the metadata lock on d throughout, so the collector's
// DeleteBlobIfUnreferenced for d runs entirely before or entirely after.
// commit must be quick (a rename): it runs under the store's write lock.
func (s *Store) CommitBlob(ctx context.Context, repo store.Repository, d oci.Digest, commit func() (store.BlobInfo, error)) (store.BlobInfo, error) {
	var info store.BlobInfo
	err := s.write(ctx, func(tx *wtx) error {
		if err := lockDigest(ctx, tx, d); err != nil {
			return err
		}
		var err error
		info, err = commit()
		if err != nil {
			return err
		}
		if info.Digest != d {
			return fmt.Errorf("commit stored %q, want %q", info.Digest, d)
		}
		now := s.now()
		if _, err := exec(ctx, tx, `INSERT INTO blobs (digest, size, created_at) VALUES (?, ?, ?)
			ON CONFLICT (digest) DO NOTHING`, string(d), info.Size, nanos(now)); err != nil {
			return err
		}
		if err := linkBlob(ctx, tx, repo.ID, d, now); err != nil {
			return err
		}
		info, err = statLinked(ctx, tx, repo.ID, d)
		return err
	})
	if err != nil {
		return store.BlobInfo{}, fmt.Errorf("sqlmeta: commit blob %s: %w", d, err)
	}
	return info, nil
}

// MountBlob links d into repo from repository from, which must belong to the
// same subscription and hold d.
func (s *Store) MountBlob(ctx context.Context, repo store.Repository, d oci.Digest, from string) (store.BlobInfo, error) {
	var info store.BlobInfo
	err := s.write(ctx, func(tx *wtx) error {
		ok, err := exists(ctx, tx, qMountable, repo.ID, from, string(d))
		if err != nil {
			return err
		}
		if !ok {
			return store.ErrBlobUnknown
		}
		if err := linkBlob(ctx, tx, repo.ID, d, s.now()); err != nil {
			return err
		}
		info, err = statLinked(ctx, tx, repo.ID, d)
		return err
	})
	if err != nil {
		return store.BlobInfo{}, fmt.Errorf("sqlmeta: mount blob %s from %q: %w", d, from, err)
	}
	return info, nil
}

// BlobHolders returns up to limit repositories of subscriptionID that hold d,
// in repository creation order.
func (s *Store) BlobHolders(ctx context.Context, subscriptionID string, d oci.Digest, limit int) ([]string, error) {
	if limit == 0 {
		return []string{}, nil
	}
	names, err := s.listNames(ctx, qBlobHolders+limitQ, string(d), subscriptionID, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: blob holders %s: %w", d, err)
	}
	return names, nil
}

// UnlinkBlob removes d from repository repoID; ErrBlobUnknown if it was not
// linked. The bytes stay until the collector finds the blob unlinked and
// unreferenced by any manifest.
func (s *Store) UnlinkBlob(ctx context.Context, repoID int64, d oci.Digest) error {
	err := s.write(ctx, func(tx *wtx) error {
		res, err := exec(ctx, tx, `DELETE FROM repository_blobs WHERE repository_id = ? AND digest = ?`, repoID, string(d))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.ErrBlobUnknown
		}
		return addCandidate(ctx, tx, candBlob, 0, d, s.now())
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: unlink blob %s: %w", d, err)
	}
	return nil
}
