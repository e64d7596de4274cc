package sqlmeta

import (
	"context"
	"fmt"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// Scan job values written by PutManifest.
const (
	ScanReasonPush   = "push"
	ScanPriorityPush = 100
	ScanStateQueued  = "queued"
)

// ListScanJobs returns the jobs of manifest d in repository repoID (0: any
// repository), newest first.
func (s *Store) ListScanJobs(ctx context.Context, repoID int64, d oci.Digest) ([]store.ScanJob, error) {
	q := `SELECT j.id, j.subscription_id, j.repository_id, r.name, j.digest, j.reason, j.priority, j.state,
			j.attempts, j.created_at
		FROM scan_jobs j JOIN repositories r ON r.id = j.repository_id WHERE j.digest = ?`
	args := []any{string(d)}
	if repoID != 0 {
		q += ` AND j.repository_id = ?`
		args = append(args, repoID)
	}
	rows, err := query(ctx, s.rq, q+` ORDER BY j.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: list scan jobs %s: %w", d, err)
	}
	defer rows.Close()
	out := []store.ScanJob{}
	for rows.Next() {
		var j store.ScanJob
		var digest string
		var created int64
		if err := rows.Scan(&j.ID, &j.SubscriptionID, &j.RepositoryID, &j.Repository, &digest, &j.Reason,
			&j.Priority, &j.State, &j.Attempts, &created); err != nil {
			return nil, fmt.Errorf("sqlmeta: list scan jobs %s: %w", d, err)
		}
		j.Digest = oci.Digest(digest)
		j.CreatedAt = fromNanos(created)
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: list scan jobs %s: %w", d, err)
	}
	return out, nil
}

// CountScanJobs returns the number of jobs in state ("" = all).
func (s *Store) CountScanJobs(ctx context.Context, state string) (int64, error) {
	q := `SELECT COUNT(*) FROM scan_jobs`
	var args []any
	if state != "" {
		q += ` WHERE state = ?`
		args = append(args, state)
	}
	var n int64
	if err := queryRow(ctx, s.rq, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlmeta: count scan jobs: %w", err)
	}
	return n, nil
}
