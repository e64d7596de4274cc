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

// Collector queries: candidates are read in age order from
// gc_candidates_age; every liveness check is an index probe (see
// plan_test.go).
const (
	qCandidates = `SELECT repository_id, digest, created_at FROM gc_candidates
		WHERE kind = ? AND created_at < ?
		  AND (created_at > ? OR (created_at = ? AND (repository_id > ? OR (repository_id = ? AND digest > ?))))
		ORDER BY created_at, repository_id, digest`
	// qManifestLive: tagged, a child of another manifest of the repository,
	// or a referrer whose subject is in the repository.
	qManifestLive = `SELECT 1 FROM tags WHERE manifest_id = ?
		UNION ALL SELECT 1 FROM manifest_references WHERE digest = ? AND repository_id = ? AND kind = 'manifest'
		UNION ALL SELECT 1 FROM manifests WHERE repository_id = ? AND digest = ?
		LIMIT 1`
	qLinkUsed       = `SELECT 1 FROM manifest_references WHERE digest = ? AND repository_id = ? AND kind = 'blob'`
	qBlobReferenced = `SELECT 1 FROM repository_blobs WHERE digest = ?
		UNION ALL SELECT 1 FROM manifest_references WHERE digest = ? AND kind = 'blob'
		LIMIT 1`
)

// Kinds of gc_candidates rows.
const (
	candManifest = "manifest" // (repository, digest): a manifest that may have lost its last tag, parent or subject
	candLink     = "link"     // (repository, digest): a link that may no longer be referenced
	candBlob     = "blob"     // (0, digest): a blob that may have lost its last link
)

// upsertCandidate is the tail of every candidate insert: re-marking keeps
// the later of the two times, so an object is collected at the earliest a
// grace period after it last became unreferenced.
const upsertCandidate = ` ON CONFLICT (kind, repository_id, digest) DO UPDATE SET created_at =
	CASE WHEN excluded.created_at > gc_candidates.created_at THEN excluded.created_at ELSE gc_candidates.created_at END`

// addCandidate marks an object for the collector to re-examine, as having
// become unreferenced at since. A candidate is a hint, never a verdict: the
// collector re-checks liveness in the transaction that deletes. User actions
// mark with the current time; the collector marks what its own deletions
// free with the age of the candidate it deleted, so one run collects a
// whole chain (untagged manifest, its links, their blobs) instead of one
// level per grace period.
func addCandidate(ctx context.Context, tx *wtx, kind string, repoID int64, d oci.Digest, since time.Time) error {
	_, err := exec(ctx, tx, `INSERT INTO gc_candidates (kind, repository_id, digest, created_at) VALUES (?, ?, ?, ?)`+upsertCandidate,
		kind, repoID, string(d), nanos(since))
	if err != nil {
		return fmt.Errorf("mark %s candidate %s: %w", kind, d, err)
	}
	return nil
}

func dropCandidate(ctx context.Context, tx *wtx, kind string, repoID int64, d string) error {
	_, err := exec(ctx, tx, `DELETE FROM gc_candidates WHERE kind = ? AND repository_id = ? AND digest = ?`, kind, repoID, d)
	return err
}

// candidate is one gc_candidates row.
type candidate struct {
	repoID  int64
	digest  string
	created int64
}

// candidatesAfter returns up to limit candidates of kind older than
// olderThan, in (created_at, repository_id, digest) order after cursor.
func candidatesAfter(ctx context.Context, tx *wtx, kind string, olderThan time.Time, after candidate, limit int) ([]candidate, error) {
	rows, err := query(ctx, tx, qCandidates+limitQ,
		kind, nanos(olderThan), after.created, after.created, after.repoID, after.repoID, after.digest, limitArg(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []candidate
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.repoID, &c.digest, &c.created); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// sweep examines the candidates of kind older than olderThan in write
// transactions of at most batch candidates each. visit decides, inside the
// transaction, what happens to one candidate and reports whether it counts
// towards want; sweep stops after want counted (want < 0: no bound) or when
// the candidates run out.
func (s *Store) sweep(ctx context.Context, kind string, olderThan time.Time, batch, want int,
	visit func(tx *wtx, c candidate) (bool, error)) (int, error) {
	if batch <= 0 {
		batch = 1000
	}
	counted := 0
	cursor := candidate{created: -1 << 63}
	for want < 0 || counted < want {
		var n int
		err := s.write(ctx, func(tx *wtx) error {
			cs, err := candidatesAfter(ctx, tx, kind, olderThan, cursor, batch)
			if err != nil {
				return err
			}
			n = len(cs)
			for _, c := range cs {
				cursor = c
				ok, err := visit(tx, c)
				if err != nil {
					return err
				}
				if ok {
					counted++
					if want >= 0 && counted >= want {
						break
					}
				}
			}
			return nil
		})
		if err != nil {
			return counted, err
		}
		if n < batch {
			break
		}
		if err := ctx.Err(); err != nil {
			return counted, err
		}
	}
	return counted, nil
}

// PruneUntaggedManifests deletes up to limit manifests that are untagged, are
// no child of another manifest of their repository, are no referrer of a
// subject manifest that still exists there, and were pushed (and last became
// unreferenced) before olderThan. Each goes with an image.deleted event.
func (s *Store) PruneUntaggedManifests(ctx context.Context, olderThan time.Time, limit int) (int, error) {
	if limit == 0 {
		return 0, nil
	}
	// Deleting an index or a subject marks its children and referrers with
	// the deleted candidate's age, behind the sweep's cursor: sweep again
	// until a pass deletes nothing.
	total := 0
	for limit < 0 || total < limit {
		want := -1
		if limit > 0 {
			want = limit - total
		}
		n, err := s.pruneUntaggedPass(ctx, olderThan, limit, want)
		total += n
		if err != nil {
			return total, fmt.Errorf("sqlmeta: prune untagged manifests: %w", err)
		}
		if n == 0 {
			break
		}
	}
	return total, nil
}

func (s *Store) pruneUntaggedPass(ctx context.Context, olderThan time.Time, batch, want int) (int, error) {
	return s.sweep(ctx, candManifest, olderThan, batch, want, func(tx *wtx, c candidate) (bool, error) {
		var id, pushed int64
		var mediaType string
		var subject sql.NullString
		err := queryRow(ctx, tx, `SELECT id, media_type, subject_digest, pushed_at FROM manifests WHERE repository_id = ? AND digest = ?`,
			c.repoID, c.digest).Scan(&id, &mediaType, &subject, &pushed)
		if errors.Is(err, sql.ErrNoRows) {
			return false, dropCandidate(ctx, tx, candManifest, c.repoID, c.digest)
		}
		if err != nil {
			return false, err
		}
		if pushed >= nanos(olderThan) {
			return false, nil // too young; examined again next time
		}
		live, err := exists(ctx, tx, qManifestLive, id, c.digest, c.repoID, c.repoID, subject.String)
		if err != nil {
			return false, err
		}
		if live {
			return false, dropCandidate(ctx, tx, candManifest, c.repoID, c.digest)
		}
		repo, err := getRepository(ctx, tx, "r.id = ?", c.repoID)
		if err != nil {
			return false, err
		}
		now := s.now()
		if err := deleteManifestRow(ctx, tx, c.repoID, id, oci.Digest(c.digest), fromNanos(c.created)); err != nil {
			return false, err
		}
		if err := addEvent(ctx, tx, EventImageDeleted, imageEvent{
			Repository: repo.Name, Digest: c.digest, MediaType: mediaType, SubscriptionID: repo.SubscriptionID,
		}, now); err != nil {
			return false, err
		}
		s.logger.DebugContext(ctx, "untagged manifest collected", "repo", repo.Name, "digest", c.digest)
		return true, nil
	})
}

// PruneBlobLinks removes up to limit links that no manifest of their
// repository references and that were created (and last became
// unreferenced) before olderThan. Each unlinked blob becomes a candidate for
// [Store.UnreferencedBlobs].
func (s *Store) PruneBlobLinks(ctx context.Context, olderThan time.Time, limit int) (int, error) {
	if limit == 0 {
		return 0, nil
	}
	n, err := s.sweep(ctx, candLink, olderThan, limit, limit, func(tx *wtx, c candidate) (bool, error) {
		var created int64
		err := queryRow(ctx, tx, `SELECT created_at FROM repository_blobs WHERE repository_id = ? AND digest = ?`,
			c.repoID, c.digest).Scan(&created)
		if errors.Is(err, sql.ErrNoRows) {
			// Already unlinked: the blob itself may be garbage now.
			if err := addCandidate(ctx, tx, candBlob, 0, oci.Digest(c.digest), fromNanos(c.created)); err != nil {
				return false, err
			}
			return false, dropCandidate(ctx, tx, candLink, c.repoID, c.digest)
		}
		if err != nil {
			return false, err
		}
		if created >= nanos(olderThan) {
			return false, nil
		}
		used, err := exists(ctx, tx, qLinkUsed, c.digest, c.repoID)
		if err != nil {
			return false, err
		}
		if used {
			return false, dropCandidate(ctx, tx, candLink, c.repoID, c.digest)
		}
		if _, err := exec(ctx, tx, `DELETE FROM repository_blobs WHERE repository_id = ? AND digest = ?`, c.repoID, c.digest); err != nil {
			return false, err
		}
		if err := addCandidate(ctx, tx, candBlob, 0, oci.Digest(c.digest), fromNanos(c.created)); err != nil {
			return false, err
		}
		return true, dropCandidate(ctx, tx, candLink, c.repoID, c.digest)
	})
	if err != nil {
		return n, fmt.Errorf("sqlmeta: prune blob links: %w", err)
	}
	return n, nil
}

// blobReferenced reports whether any repository links d or any manifest
// anywhere references it. Manifest references count even without a link
// (after UnlinkBlob, or a manifest put without RequireRefs) so that the bytes
// of a stored manifest are never collected.
func blobReferenced(ctx context.Context, q querier, d string) (bool, error) {
	return exists(ctx, q, qBlobReferenced, d, d)
}

// UnreferencedBlobs returns up to limit recorded blobs, created and last
// unlinked before olderThan, that no repository links and no manifest
// references. Candidates that turned out referenced are forgotten on the
// way (a new unlink marks them again), which is why this writes.
func (s *Store) UnreferencedBlobs(ctx context.Context, olderThan time.Time, limit int) ([]oci.Digest, error) {
	out := []oci.Digest{}
	if limit == 0 {
		return out, nil
	}
	_, err := s.sweep(ctx, candBlob, olderThan, limit, limit, func(tx *wtx, c candidate) (bool, error) {
		var created int64
		err := queryRow(ctx, tx, `SELECT created_at FROM blobs WHERE digest = ?`, c.digest).Scan(&created)
		if errors.Is(err, sql.ErrNoRows) {
			return false, dropCandidate(ctx, tx, candBlob, 0, c.digest)
		}
		if err != nil {
			return false, err
		}
		if created >= nanos(olderThan) {
			return false, nil
		}
		used, err := blobReferenced(ctx, tx, c.digest)
		if err != nil {
			return false, err
		}
		if used {
			return false, dropCandidate(ctx, tx, candBlob, 0, c.digest)
		}
		out = append(out, oci.Digest(c.digest))
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: unreferenced blobs: %w", err)
	}
	return out, nil
}

// DeleteBlobIfUnreferenced re-checks inside a write transaction, which holds
// the metadata lock on d, that d is unlinked, unreferenced and (when
// recorded) created before olderThan; if so it runs remove and forgets d in
// the same transaction. A digest with no record at all (bytes left by a crash
// between an upload's commit and its metadata) is unreferenced by
// definition. If remove fails nothing is forgotten.
func (s *Store) DeleteBlobIfUnreferenced(ctx context.Context, d oci.Digest, olderThan time.Time, remove func() error) (bool, error) {
	deleted := false
	err := s.write(ctx, func(tx *wtx) error {
		if err := lockDigest(ctx, tx, d); err != nil {
			return err
		}
		var created int64
		err := queryRow(ctx, tx, `SELECT created_at FROM blobs WHERE digest = ?`, string(d)).Scan(&created)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case created >= nanos(olderThan):
			return nil
		}
		used, err := blobReferenced(ctx, tx, string(d))
		if err != nil {
			return err
		}
		if used {
			return dropCandidate(ctx, tx, candBlob, 0, string(d))
		}
		if err := remove(); err != nil {
			return fmt.Errorf("remove bytes: %w", err)
		}
		for _, q := range []string{
			`DELETE FROM blobs WHERE digest = ?`,
			`DELETE FROM gc_candidates WHERE kind = 'blob' AND repository_id = 0 AND digest = ?`,
		} {
			if _, err := exec(ctx, tx, q, string(d)); err != nil {
				return err
			}
		}
		deleted = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("sqlmeta: delete blob %s: %w", d, err)
	}
	return deleted, nil
}

// KnownBlob reports whether d is recorded at all.
func (s *Store) KnownBlob(ctx context.Context, d oci.Digest) (bool, error) {
	ok, err := exists(ctx, s.rq, `SELECT 1 FROM blobs WHERE digest = ?`, string(d))
	if err != nil {
		return false, fmt.Errorf("sqlmeta: known blob %s: %w", d, err)
	}
	return ok, nil
}

var _ store.Collector = (*Store)(nil)
