package sqlmeta

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// Hot read queries, each one index probe or range scan (see plan_test.go).
const (
	manifestCols      = `SELECT m.repository_id, m.digest, m.media_type, m.artifact_type, m.size, m.content, m.pushed_at FROM manifests m `
	qManifestByDigest = manifestCols + `WHERE m.repository_id = ? AND m.digest = ?`
	qManifestByTag    = manifestCols + `JOIN tags t ON t.manifest_id = m.id WHERE t.repository_id = ? AND t.name = ?`
	qListTags         = `SELECT name FROM tags WHERE repository_id = ? AND name > ? ORDER BY name`
	qReferrers        = `SELECT digest, media_type, artifact_type, size, annotations FROM manifests WHERE repository_id = ? AND subject_digest = ?`
)

// Reference kinds in manifest_references.
const (
	refBlob     = "blob"
	refManifest = "manifest"
)

// GetManifest returns the manifest that ref (a tag or a digest) names in
// repository repoID.
func (s *Store) GetManifest(ctx context.Context, repoID int64, ref string) (store.ManifestRecord, error) {
	var row *sql.Row
	if oci.IsDigestReference(ref) {
		row = queryRow(ctx, s.rq, qManifestByDigest, repoID, ref)
	} else {
		row = queryRow(ctx, s.rq, qManifestByTag, repoID, ref)
	}
	var rec store.ManifestRecord
	var digest string
	var pushed int64
	err := row.Scan(&rec.RepositoryID, &digest, &rec.MediaType, &rec.ArtifactType, &rec.Size, &rec.Content, &pushed)
	if errors.Is(err, sql.ErrNoRows) {
		return rec, fmt.Errorf("sqlmeta: get manifest %q: %w", ref, store.ErrManifestUnknown)
	}
	if err != nil {
		return rec, fmt.Errorf("sqlmeta: get manifest %q: %w", ref, err)
	}
	rec.Digest = oci.Digest(digest)
	rec.PushedAt = fromNanos(pushed)
	return rec, nil
}

// manifestRefs lists the distinct references of m by kind.
func manifestRefs(m *oci.Manifest) (blobs, children []oci.Digest) {
	seen := map[oci.Digest]bool{}
	for _, d := range m.BlobReferences() {
		if !seen[d.Digest] {
			seen[d.Digest] = true
			blobs = append(blobs, d.Digest)
		}
	}
	seen = map[oci.Digest]bool{}
	for _, d := range m.Manifests {
		if !seen[d.Digest] {
			seen[d.Digest] = true
			children = append(children, d.Digest)
		}
	}
	return blobs, children
}

// imageEvent is the payload of an image.pushed or image.deleted event.
type imageEvent struct {
	Repository     string `json:"repository"`
	Digest         string `json:"digest"`
	MediaType      string `json:"mediaType"`
	Tag            string `json:"tag,omitempty"`
	SubscriptionID string `json:"subscriptionId"`
}

// Event types written to the outbox.
const (
	EventImagePushed  = "image.pushed"
	EventImageDeleted = "image.deleted"
)

func addEvent(ctx context.Context, tx *wtx, typ string, ev imageEvent, now time.Time) error {
	payload, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_, err = exec(ctx, tx, `INSERT INTO events (subscription_id, type, payload, created_at) VALUES (?, ?, ?, ?)`,
		ev.SubscriptionID, typ, string(payload), nanos(now))
	return err
}

// PutManifest commits a manifest, its references, the optional tag and, when
// new to the repository, a scan job and an image.pushed event, in one write
// transaction.
func (s *Store) PutManifest(ctx context.Context, repo store.Repository, p store.ManifestPut) (store.PutResult, error) {
	if p.Manifest == nil {
		return store.PutResult{}, fmt.Errorf("sqlmeta: put manifest %s: ManifestPut.Manifest is nil", p.Digest)
	}
	if _, err := oci.ParseDigest(string(p.Digest)); err != nil {
		return store.PutResult{}, fmt.Errorf("sqlmeta: put manifest: %w", err)
	}
	if p.Tag != "" {
		if err := oci.ValidateTag(p.Tag); err != nil {
			return store.PutResult{}, fmt.Errorf("sqlmeta: put manifest: %w", err)
		}
	}
	m := p.Manifest
	blobRefs, children := manifestRefs(m)
	var res store.PutResult
	err := s.write(ctx, func(tx *wtx) error {
		// The repository row is re-read inside the transaction: its name and
		// subscription go into the event, and a stale Repository must not
		// write into a repository that no longer exists.
		dbRepo, err := getRepository(ctx, tx, "r.id = ?", repo.ID)
		if err != nil {
			return err
		}
		if p.RequireRefs {
			for _, d := range blobRefs {
				ok, err := exists(ctx, tx, `SELECT 1 FROM repository_blobs WHERE repository_id = ? AND digest = ?`, repo.ID, string(d))
				if err != nil {
					return err
				}
				if !ok {
					return &store.MissingReferenceError{Digest: d}
				}
			}
			for _, d := range children {
				ok, err := exists(ctx, tx, `SELECT 1 FROM manifests WHERE repository_id = ? AND digest = ?`, repo.ID, string(d))
				if err != nil {
					return err
				}
				if !ok {
					return &store.MissingReferenceError{Digest: d, Manifest: true}
				}
			}
		}
		now := s.now()
		var id int64
		err = queryRow(ctx, tx, `SELECT id FROM manifests WHERE repository_id = ? AND digest = ?`, repo.ID, string(p.Digest)).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			id, err = s.insertManifest(ctx, tx, dbRepo, p, blobRefs, children, now)
			if err != nil {
				return err
			}
			res.Created = true
		case err != nil:
			return err
		}
		if p.Tag != "" {
			if err := setTag(ctx, tx, repo.ID, p.Tag, id, now); err != nil {
				return err
			}
		} else {
			// Untagged from birth: a candidate for DeleteUntagged collection.
			// Pushed again by digest (say, as the child of an index about to
			// follow): its grace period starts again.
			if err := addCandidate(ctx, tx, candManifest, repo.ID, p.Digest, now); err != nil {
				return err
			}
		}
		if res.Created {
			return addEvent(ctx, tx, EventImagePushed, imageEvent{
				Repository: dbRepo.Name, Digest: string(p.Digest), MediaType: m.MediaType,
				Tag: p.Tag, SubscriptionID: dbRepo.SubscriptionID,
			}, now)
		}
		return nil
	})
	if err != nil {
		var mre *store.MissingReferenceError
		if errors.As(err, &mre) {
			return store.PutResult{}, err
		}
		return store.PutResult{}, fmt.Errorf("sqlmeta: put manifest %s: %w", p.Digest, err)
	}
	return res, nil
}

// insertManifest writes the manifest row, its references and its scan job.
func (s *Store) insertManifest(ctx context.Context, tx *wtx, repo store.Repository, p store.ManifestPut,
	blobRefs, children []oci.Digest, now time.Time) (int64, error) {
	m := p.Manifest
	var annotations, subject, config sql.NullString
	if len(m.Annotations) > 0 {
		b, err := json.Marshal(m.Annotations)
		if err != nil {
			return 0, err
		}
		annotations = sql.NullString{String: string(b), Valid: true}
	}
	if m.Subject != nil {
		subject = sql.NullString{String: string(m.Subject.Digest), Valid: true}
	}
	if m.Config != nil {
		config = sql.NullString{String: string(m.Config.Digest), Valid: true}
	}
	var id int64
	err := queryRow(ctx, tx, `INSERT INTO manifests (repository_id, digest, media_type, artifact_type, size, content,
			annotations, subject_digest, config_digest, pushed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		repo.ID, string(p.Digest), m.MediaType, m.ArtifactType, int64(len(p.Content)), p.Content,
		annotations, subject, config, nanos(now)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert: %w", err)
	}
	for _, refs := range []struct {
		kind string
		ds   []oci.Digest
	}{{refBlob, blobRefs}, {refManifest, children}} {
		for _, d := range refs.ds {
			if _, err := exec(ctx, tx, `INSERT INTO manifest_references (manifest_id, repository_id, digest, kind)
				VALUES (?, ?, ?, ?)`, id, repo.ID, string(d), refs.kind); err != nil {
				return 0, fmt.Errorf("insert reference: %w", err)
			}
		}
	}
	if _, err := exec(ctx, tx, `INSERT INTO scan_jobs (subscription_id, repository_id, digest, reason, priority, state,
			attempts, run_after, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`,
		repo.SubscriptionID, repo.ID, string(p.Digest), ScanReasonPush, ScanPriorityPush, ScanStateQueued,
		nanos(now), nanos(now), nanos(now)); err != nil {
		return 0, fmt.Errorf("insert scan job: %w", err)
	}
	return id, nil
}

// setTag points tag at manifest id; the manifest it pointed at before becomes
// a collection candidate.
func setTag(ctx context.Context, tx *wtx, repoID int64, tag string, id int64, now time.Time) error {
	var oldID int64
	var oldDigest string
	err := queryRow(ctx, tx, `SELECT t.manifest_id, m.digest FROM tags t JOIN manifests m ON m.id = t.manifest_id
		WHERE t.repository_id = ? AND t.name = ?`, repoID, tag).Scan(&oldID, &oldDigest)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	case oldID == id:
		return nil
	default:
		if err := addCandidate(ctx, tx, candManifest, repoID, oci.Digest(oldDigest), now); err != nil {
			return err
		}
	}
	_, err = exec(ctx, tx, `INSERT INTO tags (repository_id, name, manifest_id, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (repository_id, name) DO UPDATE SET manifest_id = excluded.manifest_id, updated_at = excluded.updated_at`,
		repoID, tag, id, nanos(now))
	return err
}

// DeleteManifest deletes manifest d of repository repoID with its tags,
// references and queued scan jobs, and records an image.deleted event.
func (s *Store) DeleteManifest(ctx context.Context, repoID int64, d oci.Digest) error {
	err := s.write(ctx, func(tx *wtx) error {
		repo, err := getRepository(ctx, tx, "r.id = ?", repoID)
		if err != nil {
			return err
		}
		var id int64
		var mediaType string
		err = queryRow(ctx, tx, `SELECT id, media_type FROM manifests WHERE repository_id = ? AND digest = ?`,
			repoID, string(d)).Scan(&id, &mediaType)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrManifestUnknown
		}
		if err != nil {
			return err
		}
		if err := deleteManifestRow(ctx, tx, repoID, id, d, s.now()); err != nil {
			return err
		}
		return addEvent(ctx, tx, EventImageDeleted, imageEvent{
			Repository: repo.Name, Digest: string(d), MediaType: mediaType, SubscriptionID: repo.SubscriptionID,
		}, s.now())
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: delete manifest %s: %w", d, err)
	}
	return nil
}

// deleteManifestRow removes manifest id (digest d) and what hangs off it,
// and marks what may have become garbage, as of since: the links of its
// blobs, its children and its referrers.
func deleteManifestRow(ctx context.Context, tx *wtx, repoID, id int64, d oci.Digest, since time.Time) error {
	nowN := nanos(since)
	stmts := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO gc_candidates (kind, repository_id, digest, created_at)
			SELECT CASE kind WHEN 'blob' THEN 'link' ELSE 'manifest' END, repository_id, digest, CAST(? AS BIGINT)
			FROM manifest_references WHERE manifest_id = ?` + upsertCandidate, []any{nowN, id}},
		{`INSERT INTO gc_candidates (kind, repository_id, digest, created_at)
			SELECT 'manifest', repository_id, digest, CAST(? AS BIGINT) FROM manifests WHERE repository_id = ? AND subject_digest = ?` + upsertCandidate, []any{nowN, repoID, string(d)}},
		{`DELETE FROM tags WHERE manifest_id = ?`, []any{id}},
		{`DELETE FROM manifest_references WHERE manifest_id = ?`, []any{id}},
		{`DELETE FROM scan_jobs WHERE repository_id = ? AND digest = ? AND state = ?`, []any{repoID, string(d), ScanStateQueued}},
		{`DELETE FROM gc_candidates WHERE kind = 'manifest' AND repository_id = ? AND digest = ?`, []any{repoID, string(d)}},
		{`DELETE FROM manifests WHERE id = ?`, []any{id}},
	}
	for _, st := range stmts {
		if _, err := exec(ctx, tx, st.q, st.args...); err != nil {
			return err
		}
	}
	// Its scan results and findings go in the same transaction (pipeline_results.go).
	return deleteImageResults(ctx, tx, repoID, d, since)
}

// DeleteTag removes tag from repository repoID; the manifest it named becomes
// a collection candidate.
func (s *Store) DeleteTag(ctx context.Context, repoID int64, tag string) error {
	err := s.write(ctx, func(tx *wtx) error {
		var digest string
		err := queryRow(ctx, tx, `SELECT m.digest FROM tags t JOIN manifests m ON m.id = t.manifest_id
			WHERE t.repository_id = ? AND t.name = ?`, repoID, tag).Scan(&digest)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrTagUnknown
		}
		if err != nil {
			return err
		}
		if _, err := exec(ctx, tx, `DELETE FROM tags WHERE repository_id = ? AND name = ?`, repoID, tag); err != nil {
			return err
		}
		return addCandidate(ctx, tx, candManifest, repoID, oci.Digest(digest), s.now())
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: delete tag %q: %w", tag, err)
	}
	return nil
}

// ListTags returns up to n tags (n < 0: all) of repository repoID in lexical
// order strictly after last: one range scan of the tags primary key.
func (s *Store) ListTags(ctx context.Context, repoID int64, last string, n int) ([]string, error) {
	if n == 0 {
		return []string{}, nil
	}
	tags, err := s.listNames(ctx, qListTags+limitQ, repoID, last, limitArg(n))
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: list tags: %w", err)
	}
	return tags, nil
}

// Referrers lists the manifests of repository repoID whose subject is d,
// ordered by digest, optionally only those of artifactType. The subject
// itself need not exist.
func (s *Store) Referrers(ctx context.Context, repoID int64, d oci.Digest, artifactType string) ([]store.Referrer, error) {
	q := qReferrers
	args := []any{repoID, string(d)}
	if artifactType != "" {
		q += ` AND artifact_type = ?`
		args = append(args, artifactType)
	}
	rows, err := query(ctx, s.rq, q+` ORDER BY digest`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: referrers %s: %w", d, err)
	}
	defer rows.Close()
	out := []store.Referrer{}
	for rows.Next() {
		var r store.Referrer
		var digest string
		var annotations sql.NullString
		if err := rows.Scan(&digest, &r.MediaType, &r.ArtifactType, &r.Size, &annotations); err != nil {
			return nil, fmt.Errorf("sqlmeta: referrers %s: %w", d, err)
		}
		r.Digest = oci.Digest(digest)
		if annotations.Valid {
			if err := json.Unmarshal([]byte(annotations.String), &r.Annotations); err != nil {
				return nil, fmt.Errorf("sqlmeta: referrers %s: annotations of %s: %w", d, digest, err)
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: referrers %s: %w", d, err)
	}
	return out, nil
}

// RecordPulls stores the latest pull time of each manifest in one write
// transaction. Pulls of manifests that no longer exist are ignored, and a
// time never moves backwards.
func (s *Store) RecordPulls(ctx context.Context, pulls []store.Pull) error {
	if len(pulls) == 0 {
		return nil
	}
	err := s.write(ctx, func(tx *wtx) error {
		for _, p := range pulls {
			at := nanos(p.At)
			if _, err := exec(ctx, tx, `UPDATE manifests SET last_pulled_at = ?
				WHERE repository_id = ? AND digest = ? AND (last_pulled_at IS NULL OR last_pulled_at < ?)`,
				at, p.RepositoryID, string(p.Digest), at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: record %d pulls: %w", len(pulls), err)
	}
	return nil
}

// LastPulled returns when manifest d of repository repoID was last pulled
// (zero if never).
func (s *Store) LastPulled(ctx context.Context, repoID int64, d oci.Digest) (time.Time, error) {
	var at sql.NullInt64
	err := queryRow(ctx, s.rq, `SELECT last_pulled_at FROM manifests WHERE repository_id = ? AND digest = ?`, repoID, string(d)).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("sqlmeta: last pulled %s: %w", d, store.ErrManifestUnknown)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlmeta: last pulled %s: %w", d, err)
	}
	if !at.Valid {
		return time.Time{}, nil
	}
	return fromNanos(at.Int64), nil
}
