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

var _ store.ScanQueue = (*Store)(nil)

// Scan queue queries. The claim is one UPDATE whose subquery picks the
// next job from the scan_jobs_claim index (state, priority DESC, id); it
// re-checks the state in the outer WHERE, so that on PostgreSQL the
// subquery can take FOR UPDATE SKIP LOCKED and two workers never get the
// same job.
const (
	qClaimJob = `UPDATE scan_jobs SET state = 'running', worker = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
		WHERE id = (SELECT id FROM scan_jobs WHERE state = 'queued' AND run_after <= ? ORDER BY priority DESC, id LIMIT 1)
		  AND state = 'queued'
		RETURNING id, subscription_id, repository_id, digest, reason, priority, attempts, created_at`
	qDueJob = `SELECT 1 FROM scan_jobs WHERE state = 'queued' AND run_after <= ? LIMIT 1`
	// qJobTarget reads the repository, registry and effective plan of a job.
	qJobTarget = `SELECT r.name, g.id, g.name, g.type,
			COALESCE((SELECT p.enabled FROM scan_plans p WHERE p.subscription_id = r.subscription_id AND p.registry_id = g.id),
			         (SELECT p.enabled FROM scan_plans p WHERE p.subscription_id = r.subscription_id AND p.registry_id = 0),
			         ?)
		FROM repositories r JOIN registries g ON g.id = r.registry_id WHERE r.id = ?`
	qRequeueJobs = `UPDATE scan_jobs SET state = 'queued', worker = '', lease_until = 0, updated_at = ?
		WHERE state = 'running' AND (lease_until < ? OR worker = ? OR substr(worker, 1, ?) = ?)`
)

// ClaimScanJob leases the next due job to worker.
func (s *Store) ClaimScanJob(ctx context.Context, worker string, lease time.Duration, defaultEnabled bool) (store.ClaimedJob, bool, error) {
	if worker == "" || lease <= 0 {
		return store.ClaimedJob{}, false, errors.New("sqlmeta: claim scan job: worker and a positive lease are required")
	}
	var job store.ClaimedJob
	found := false
	err := s.write(ctx, func(tx *wtx) error {
		now := s.now()
		until := now.Add(lease)
		var digest string
		var created int64
		err := queryRow(ctx, tx, qClaimJob, worker, nanos(until), nanos(now), nanos(now)).Scan(
			&job.ID, &job.SubscriptionID, &job.RepositoryID, &digest, &job.Reason, &job.Priority, &job.Attempts, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		job.Digest = oci.Digest(digest)
		job.CreatedAt = fromNanos(created)
		job.State = store.JobRunning
		job.LeaseUntil = until
		var enabled int64
		if err := queryRow(ctx, tx, qJobTarget, bit(defaultEnabled), job.RepositoryID).Scan(
			&job.Repository, &job.RegistryID, &job.Registry, &job.RegistryType, &enabled); err != nil {
			return fmt.Errorf("job %d: repository %d: %w", job.ID, job.RepositoryID, err)
		}
		job.ScanningEnabled = enabled != 0
		return nil
	})
	if err != nil {
		return store.ClaimedJob{}, false, fmt.Errorf("sqlmeta: claim scan job: %w", err)
	}
	return job, found, nil
}

// HasDueScanJobs reports whether a queued job is due, from the read pool.
func (s *Store) HasDueScanJobs(ctx context.Context) (bool, error) {
	ok, err := exists(ctx, s.rq, qDueJob, nanos(s.now()))
	if err != nil {
		return false, fmt.Errorf("sqlmeta: due scan jobs: %w", err)
	}
	return ok, nil
}

// PendingScanJob reports whether a manifest has a queued or running job.
func (s *Store) PendingScanJob(ctx context.Context, repoID int64, d oci.Digest) (bool, error) {
	ok, err := exists(ctx, s.rq, `SELECT 1 FROM scan_jobs WHERE digest = ? AND repository_id = ? AND state IN ('queued', 'running') LIMIT 1`,
		string(d), repoID)
	if err != nil {
		return false, fmt.Errorf("sqlmeta: pending scan job %s: %w", d, err)
	}
	return ok, nil
}

// updateJob runs one UPDATE on a running job held by worker and fails with
// ErrNotFound when the job is not (or no longer) the worker's.
func (s *Store) updateJob(ctx context.Context, op string, id int64, worker, set string, args ...any) error {
	err := s.write(ctx, func(tx *wtx) error {
		res, err := exec(ctx, tx, `UPDATE scan_jobs SET `+set+` WHERE id = ? AND worker = ? AND state = 'running'`,
			append(args, id, worker)...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("job %d is not running under worker %q: %w", id, worker, store.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: %s: %w", op, err)
	}
	return nil
}

// ExtendScanLease renews the lease of a running job.
func (s *Store) ExtendScanLease(ctx context.Context, id int64, worker string, lease time.Duration) error {
	now := s.now()
	return s.updateJob(ctx, "extend scan lease", id, worker, `lease_until = ?, updated_at = ?`, nanos(now.Add(lease)), nanos(now))
}

// FinishScanJob ends a running job.
func (s *Store) FinishScanJob(ctx context.Context, id int64, worker, state, note string) error {
	switch state {
	case store.JobDone, store.JobFailed, store.JobSkipped:
	default:
		return fmt.Errorf("sqlmeta: finish scan job %d: state %q is not final", id, state)
	}
	return s.updateJob(ctx, "finish scan job", id, worker, `state = ?, last_error = ?, lease_until = 0, updated_at = ?`,
		state, note, nanos(s.now()))
}

// RetryScanJob queues a running job again, due at runAfter.
func (s *Store) RetryScanJob(ctx context.Context, id int64, worker string, runAfter time.Time, lastErr string) error {
	return s.updateJob(ctx, "retry scan job", id, worker,
		`state = 'queued', worker = '', lease_until = 0, run_after = ?, last_error = ?, updated_at = ?`,
		nanos(runAfter), lastErr, nanos(s.now()))
}

// RequeueScanJobs queues again the jobs of dead workers: expired leases,
// and the jobs of worker and of its sub-workers ("worker/N").
func (s *Store) RequeueScanJobs(ctx context.Context, worker string) (int, error) {
	now := nanos(s.now())
	n, err := s.writeCount(ctx, qRequeueJobs, now, now, worker, len(worker)+1, worker+"/")
	if err != nil {
		return 0, fmt.Errorf("sqlmeta: requeue scan jobs: %w", err)
	}
	return n, nil
}

// EnqueueScans queues one job per manifest of scope that has none queued.
func (s *Store) EnqueueScans(ctx context.Context, scope store.ScanScope, reason string, priority int) (int, error) {
	if scope.SubscriptionID == "" {
		return 0, errors.New("sqlmeta: enqueue scans: a subscription is required")
	}
	q := `INSERT INTO scan_jobs (subscription_id, repository_id, digest, reason, priority, state, attempts, run_after, created_at, updated_at)
		SELECT r.subscription_id, m.repository_id, m.digest, CAST(? AS TEXT), CAST(? AS BIGINT), 'queued', 0,
			CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT)
		FROM manifests m JOIN repositories r ON r.id = m.repository_id JOIN registries g ON g.id = r.registry_id
		WHERE r.subscription_id = ? AND g.type = 'standard'
		  AND NOT EXISTS (SELECT 1 FROM scan_jobs j WHERE j.digest = m.digest AND j.repository_id = m.repository_id AND j.state = 'queued')`
	now := nanos(s.now())
	args := []any{reason, priority, now, now, now, scope.SubscriptionID}
	if scope.Registry != "" {
		q += ` AND g.name = ?`
		args = append(args, scope.Registry)
	}
	if scope.Repository != "" {
		q += ` AND r.name = ?`
		args = append(args, scope.Repository)
	}
	if scope.Digest != "" {
		q += ` AND m.digest = ?`
		args = append(args, string(scope.Digest))
	}
	if !scope.Since.IsZero() {
		q += ` AND (m.pushed_at >= ? OR m.last_pulled_at >= ?)`
		args = append(args, nanos(scope.Since), nanos(scope.Since))
	}
	n, err := s.writeCount(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("sqlmeta: enqueue scans: %w", err)
	}
	return n, nil
}

// EnqueueFailedScans implements [store.ScanQueue].
func (s *Store) EnqueueFailedScans(ctx context.Context, reason string, priority int) (int, error) {
	// The job is for the manifest that was pushed: a failed platform's
	// index, when it has one (its job scans every platform again; the
	// layer cache replays the ones that did not fail).
	q := `INSERT INTO scan_jobs (subscription_id, repository_id, digest, reason, priority, state, attempts, run_after, created_at, updated_at)
		SELECT DISTINCT r.subscription_id, m.repository_id, m.digest, CAST(? AS TEXT), CAST(? AS BIGINT), 'queued', 0,
			CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT)
		FROM images i
		JOIN manifests m ON m.repository_id = i.repository_id
			AND m.digest = CASE WHEN i.parent_digest <> '' THEN i.parent_digest ELSE i.digest END
		JOIN repositories r ON r.id = m.repository_id JOIN registries g ON g.id = r.registry_id
		WHERE i.status = ? AND g.type = 'standard'
		  AND NOT EXISTS (SELECT 1 FROM scan_jobs j WHERE j.digest = m.digest AND j.repository_id = m.repository_id AND j.state = 'queued')`
	now := nanos(s.now())
	n, err := s.writeCount(ctx, q, reason, priority, now, now, now, store.StatusFailed)
	if err != nil {
		return 0, fmt.Errorf("sqlmeta: enqueue failed scans: %w", err)
	}
	return n, nil
}

// bit stores a bool as 0 or 1.
func bit(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
