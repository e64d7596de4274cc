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

var _ store.ScanResults = (*Store)(nil)

// Event types the scan pipeline writes to the outbox.
const (
	EventScanCompleted     = "scan.completed"
	EventScanFailed        = "scan.failed"
	EventFindingNew        = "finding.new"
	EventFindingResolved   = "finding.resolved"
	EventAssessmentChanged = "assessment.changed"
)

// imageColumns are the columns of a new images row, in insert order.
const qInsertImage = `INSERT INTO images (repository_id, registry_id, subscription_id, digest, parent_digest, platform,
		status, reason, scan_state, os_family, os_version, os_eol, inventory, packages,
		critical, high, medium, low, unknown, exempted, fingerprint, db_version, stale, attempts,
		queued_at, started_at, scanned_at, first_scanned_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, '', '', 0, '', 0, 0, 0, 0, 0, 0, 0, '', '', 0, 0, ?, ?, 0, 0)
	ON CONFLICT (repository_id, digest) DO NOTHING`

// MarkScanning records that a scan of ref started.
func (s *Store) MarkScanning(ctx context.Context, ref store.ImageRef, at time.Time) error {
	err := s.write(ctx, func(tx *wtx) error {
		repo, err := getRepository(ctx, tx, "r.id = ?", ref.RepositoryID)
		if err != nil {
			return err
		}
		if _, err := exec(ctx, tx, qInsertImage, repo.ID, repo.RegistryID, repo.SubscriptionID, string(ref.Digest),
			string(ref.ParentDigest), ref.Platform, store.StatusScanning, store.StatusScanning, nanos(at), nanos(at)); err != nil {
			return err
		}
		_, err = exec(ctx, tx, `UPDATE images SET scan_state = 'scanning', started_at = ?,
				platform = CASE WHEN platform = '' THEN ? ELSE platform END,
				parent_digest = CASE WHEN parent_digest = '' THEN ? ELSE parent_digest END
			WHERE repository_id = ? AND digest = ?`,
			nanos(at), ref.Platform, string(ref.ParentDigest), ref.RepositoryID, string(ref.Digest))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: mark scanning %s: %w", ref.Digest, err)
	}
	return nil
}

// ImageEvaluated reports whether the image has a final status evaluated at
// or after since.
func (s *Store) ImageEvaluated(ctx context.Context, repoID int64, d oci.Digest) (bool, error) {
	ok, err := exists(ctx, s.rq, `SELECT 1 FROM images WHERE repository_id = ? AND digest = ? AND scanned_at > 0
		AND (inventory <> '' OR status = 'notApplicable')`, repoID, string(d))
	if err != nil {
		return false, fmt.Errorf("sqlmeta: image evaluated %s: %w", d, err)
	}
	return ok, nil
}

// storedImage is the part of an images row SaveEvaluation compares.
type storedImage struct {
	id          int64
	status      string
	fingerprint string
	scannedAt   int64
	firstScan   int64
}

// SaveEvaluation writes one evaluation; see [store.ScanResults].
func (s *Store) SaveEvaluation(ctx context.Context, ev store.Evaluation) (store.EvaluationResult, error) {
	var res store.EvaluationResult
	err := s.write(ctx, func(tx *wtx) error {
		var err error
		res, err = s.saveEvaluation(ctx, tx, ev)
		return err
	})
	if err != nil {
		return store.EvaluationResult{}, fmt.Errorf("sqlmeta: save evaluation of %s: %w", ev.Image.Digest, err)
	}
	return res, nil
}

// SaveEvaluations writes several evaluations in one transaction (a batch
// of re-evaluations); evaluations of manifests deleted meanwhile, and
// re-matches of images evaluated since their Base, are skipped (their
// result has ImageID 0).
func (s *Store) SaveEvaluations(ctx context.Context, evs []store.Evaluation) ([]store.EvaluationResult, error) {
	out := make([]store.EvaluationResult, len(evs))
	err := s.write(ctx, func(tx *wtx) error {
		for i, ev := range evs {
			res, err := s.saveEvaluation(ctx, tx, ev)
			switch {
			case errors.Is(err, store.ErrManifestUnknown):
				// Nothing was written for it: the manifest check comes first.
			case err != nil:
				return fmt.Errorf("%s: %w", ev.Image.Digest, err)
			default:
				out[i] = res
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: save %d evaluations: %w", len(evs), err)
	}
	return out, nil
}

func (s *Store) saveEvaluation(ctx context.Context, tx *wtx, ev store.Evaluation) (store.EvaluationResult, error) {
	var res store.EvaluationResult
	ref := ev.Image
	repo, err := getRepository(ctx, tx, "r.id = ?", ref.RepositoryID)
	if err != nil {
		return res, err
	}
	ok, err := exists(ctx, tx, `SELECT 1 FROM manifests WHERE repository_id = ? AND digest = ?`, ref.RepositoryID, string(ref.Digest))
	if err != nil {
		return res, err
	}
	if !ok {
		// Deleted while it was scanned: its results went with it.
		return res, fmt.Errorf("%w: %s", store.ErrManifestUnknown, ref.Digest)
	}
	at := nanos(ev.At)
	if _, err := exec(ctx, tx, qInsertImage, repo.ID, repo.RegistryID, repo.SubscriptionID, string(ref.Digest),
		string(ref.ParentDigest), ref.Platform, ev.Status, "idle", at, at); err != nil {
		return res, err
	}
	var old storedImage
	if err := queryRow(ctx, tx, `SELECT id, status, fingerprint, scanned_at, first_scanned_at FROM images
		WHERE repository_id = ? AND digest = ?`, ref.RepositoryID, string(ref.Digest)).Scan(
		&old.id, &old.status, &old.fingerprint, &old.scannedAt, &old.firstScan); err != nil {
		return res, err
	}
	if !ev.Scan && !ev.Base.IsZero() && old.scannedAt != nanos(ev.Base) {
		return res, nil // superseded: the image was evaluated since (ImageID 0)
	}
	res.ImageID = old.id
	if old.scannedAt > 0 {
		res.PreviousStatus = old.status
	}
	first := old.firstScan
	if first == 0 {
		first = at
	}
	sum := ev.Summary
	if _, err := exec(ctx, tx, `UPDATE images SET status = ?, reason = ?, scan_state = 'idle', os_family = ?, os_version = ?,
			os_eol = ?, inventory = ?, packages = ?, unchecked = ?, critical = ?, high = ?, medium = ?, low = ?, unknown = ?, exempted = ?,
			fingerprint = ?, db_version = ?, stale = 0, attempts = ?, scanned_at = ?, first_scanned_at = ?,
			platform = CASE WHEN platform = '' THEN ? ELSE platform END,
			parent_digest = CASE WHEN parent_digest = '' THEN ? ELSE parent_digest END
		WHERE id = ?`,
		ev.Status, ev.Reason, ev.OSFamily, ev.OSVersion, bit(ev.OSEOL), ev.Inventory, ev.Packages, ev.Unchecked,
		sum.Critical, sum.High, sum.Medium, sum.Low, sum.Unknown, sum.Exempted,
		ev.Fingerprint, ev.DBVersion, ev.Attempts, at, first, ref.Platform, string(ref.ParentDigest), old.id); err != nil {
		return res, err
	}
	ctxEv := eventContext{
		SubscriptionID: repo.SubscriptionID, Registry: repo.Registry, Repository: repo.Name,
		Digest: string(ref.Digest), Platform: ref.Platform,
	}
	if old.fingerprint != ev.Fingerprint || old.scannedAt == 0 {
		if err := s.diffFindings(ctx, tx, repo, old, ev, ctxEv, &res); err != nil {
			return res, err
		}
	}
	if ev.Scan {
		if err := s.recordScan(ctx, tx, repo, ev, ctxEv, &res); err != nil {
			return res, err
		}
	}
	res.Assessment, res.AssessmentChanged, err = updateAssessment(ctx, tx, repo.RegistryID, repo.SubscriptionID, repo.Registry, ev.At)
	return res, err
}

// eventContext is the part every pipeline event payload shares.
type eventContext struct {
	SubscriptionID string `json:"subscriptionId"`
	Registry       string `json:"registry"`
	Repository     string `json:"repository"`
	Digest         string `json:"digest"`
	Platform       string `json:"platform,omitempty"`
}

// findingEvent is the payload of finding.new and finding.resolved.
type findingEvent struct {
	eventContext
	Finding   findingPayload `json:"finding"`
	DBVersion string         `json:"dbVersion"`
	At        time.Time      `json:"at"`
}

type findingPayload struct {
	ID           string         `json:"id"`
	Package      packagePayload `json:"package"`
	Severity     string         `json:"severity"`
	FixedVersion string         `json:"fixedVersion"`
	FixStatus    string         `json:"fixStatus"`
	Title        string         `json:"title,omitempty"`
	Exempted     bool           `json:"exempted"`
}

type packagePayload struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Type    string `json:"type"`
	Arch    string `json:"arch,omitempty"`
	PURL    string `json:"purl,omitempty"`
	Path    string `json:"path,omitempty"`
}

// scanEvent is the payload of scan.completed and scan.failed.
type scanEvent struct {
	eventContext
	Status   string         `json:"status"`
	Reason   string         `json:"reason,omitempty"`
	Summary  summaryPayload `json:"summary"`
	Packages int            `json:"packages"`
	// Unchecked counts packages no advisory data covers: a healthy
	// image with some was not fully checked.
	Unchecked int       `json:"unchecked,omitempty"`
	DBVersion string    `json:"dbVersion"`
	Attempts  int       `json:"attempts,omitempty"`
	ScannedAt time.Time `json:"scannedAt"`
}

type summaryPayload struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Unknown  int `json:"unknown"`
	Exempted int `json:"exempted"`
}

// assessmentEvent is the payload of assessment.changed.
type assessmentEvent struct {
	SubscriptionID string    `json:"subscriptionId"`
	Registry       string    `json:"registry"`
	Assessment     string    `json:"assessment"`
	Previous       string    `json:"previous"`
	At             time.Time `json:"at"`
}

// severityNames maps a severity rank to its name (finding.Severity).
var severityNames = [...]string{"Unknown", "Low", "Medium", "High", "Critical"}

func severityName(rank int) string {
	if rank < 0 || rank >= len(severityNames) {
		return severityNames[0]
	}
	return severityNames[rank]
}

func writeEvent(ctx context.Context, tx *wtx, sub, typ string, payload any, at time.Time) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	_, err = exec(ctx, tx, `INSERT INTO events (subscription_id, type, payload, created_at) VALUES (?, ?, ?, ?)`,
		sub, typ, string(b), nanos(at))
	return err
}

func findingOf(f *store.FindingRecord) findingPayload {
	return findingPayload{
		ID: f.AdvisoryID, Severity: severityName(f.Severity), FixedVersion: f.FixedVersion, FixStatus: f.FixStatus,
		Title: f.Title, Exempted: f.Exempted,
		Package: packagePayload{Name: f.PackageName, Version: f.PackageVersion, Type: f.PackageType, Arch: f.PackageArch,
			PURL: f.PURL, Path: f.PackagePath},
	}
}

// diffFindings replaces the stored findings of an image by ev.Findings,
// writing only the difference. A stored finding without an architecture
// (written before migration 0010) is the same finding as a new one of
// the same advisory and package location with one: its architecture is
// filled in, nothing appears or disappears.
func (s *Store) diffFindings(ctx context.Context, tx *wtx, repo store.Repository, old storedImage, ev store.Evaluation,
	ectx eventContext, res *store.EvaluationResult) error {
	rows, err := query(ctx, tx, `SELECT id, advisory_id, package_type, package_name, package_version, package_arch, package_path,
			severity, fixed_version, fix_status, title, layer, exempted, exemption_id, purl
		FROM findings WHERE image_id = ?`, old.id)
	if err != nil {
		return err
	}
	type stored struct {
		id int64
		f  store.FindingRecord
	}
	have := map[string]stored{}
	legacy := map[string]string{} // location key -> key of a stored finding without an architecture
	for rows.Next() {
		var st stored
		var exempted int64
		if err := rows.Scan(&st.id, &st.f.AdvisoryID, &st.f.PackageType, &st.f.PackageName, &st.f.PackageVersion,
			&st.f.PackageArch, &st.f.PackagePath, &st.f.Severity, &st.f.FixedVersion, &st.f.FixStatus, &st.f.Title, &st.f.Layer,
			&exempted, &st.f.ExemptionID, &st.f.PURL); err != nil {
			rows.Close()
			return err
		}
		st.f.Exempted = exempted != 0
		have[st.f.Key()] = st
		if st.f.PackageArch == "" {
			legacy[st.f.LocationKey()] = st.f.Key()
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	announce := old.scannedAt > 0 // first evaluations report through scan.completed
	for i := range ev.Findings {
		f := &ev.Findings[i]
		key := f.Key()
		st, ok := have[key]
		if !ok && f.PackageArch != "" {
			// The first of the packages that differ by architecture
			// alone takes over the stored finding they shared.
			if old, found := legacy[f.LocationKey()]; found {
				delete(legacy, f.LocationKey())
				key = old
				st, ok = have[key]
			}
		}
		if ok {
			delete(have, key)
			if st.f.PackageArch != f.PackageArch || st.f.Severity != f.Severity || st.f.FixedVersion != f.FixedVersion || st.f.FixStatus != f.FixStatus ||
				st.f.Title != f.Title || st.f.Layer != f.Layer || st.f.Exempted != f.Exempted ||
				st.f.ExemptionID != f.ExemptionID || st.f.PURL != f.PURL {
				if _, err := exec(ctx, tx, `UPDATE findings SET package_arch = ?, severity = ?, fixed_version = ?, fix_status = ?,
						title = ?, layer = ?, exempted = ?, exemption_id = ?, purl = ? WHERE id = ?`,
					f.PackageArch, f.Severity, f.FixedVersion, f.FixStatus, f.Title, f.Layer, bit(f.Exempted), f.ExemptionID,
					f.PURL, st.id); err != nil {
					return err
				}
			}
			continue
		}
		if _, err := exec(ctx, tx, `INSERT INTO findings (image_id, subscription_id, registry_id, repository_id, advisory_id,
				package_type, package_name, package_version, package_arch, package_path, purl, severity, fixed_version,
				fix_status, title, layer, exempted, exemption_id, first_seen_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			old.id, repo.SubscriptionID, repo.RegistryID, repo.ID, f.AdvisoryID, f.PackageType, f.PackageName,
			f.PackageVersion, f.PackageArch, f.PackagePath, f.PURL, f.Severity, f.FixedVersion, f.FixStatus, f.Title, f.Layer,
			bit(f.Exempted), f.ExemptionID, nanos(ev.At)); err != nil {
			return err
		}
		res.NewFindings++
		if err := recordChange(ctx, tx, repo, string(ev.Image.Digest), "new", f, ev.DBVersion, ev.At); err != nil {
			return err
		}
		if announce {
			if err := writeEvent(ctx, tx, repo.SubscriptionID, EventFindingNew, findingEvent{
				eventContext: ectx, Finding: findingOf(f), DBVersion: ev.DBVersion, At: ev.At}, ev.At); err != nil {
				return err
			}
		}
	}
	for _, st := range have {
		if _, err := exec(ctx, tx, `DELETE FROM findings WHERE id = ?`, st.id); err != nil {
			return err
		}
		res.Resolved++
		if err := recordChange(ctx, tx, repo, string(ev.Image.Digest), "resolved", &st.f, ev.DBVersion, ev.At); err != nil {
			return err
		}
		if err := writeEvent(ctx, tx, repo.SubscriptionID, EventFindingResolved, findingEvent{
			eventContext: ectx, Finding: findingOf(&st.f), DBVersion: ev.DBVersion, At: ev.At}, ev.At); err != nil {
			return err
		}
	}
	return nil
}

func recordChange(ctx context.Context, tx *wtx, repo store.Repository, digest, change string, f *store.FindingRecord, dbVersion string, at time.Time) error {
	_, err := exec(ctx, tx, `INSERT INTO finding_changes (subscription_id, repository_id, digest, change, advisory_id,
			package_type, package_name, package_version, package_arch, severity, db_version, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		repo.SubscriptionID, repo.ID, digest, change, f.AdvisoryID, f.PackageType, f.PackageName, f.PackageVersion,
		f.PackageArch, f.Severity, dbVersion, nanos(at))
	return err
}

// recordScan meters the first scan of a digest in the subscription and
// raises scan.completed or scan.failed.
func (s *Store) recordScan(ctx context.Context, tx *wtx, repo store.Repository, ev store.Evaluation, ectx eventContext, res *store.EvaluationResult) error {
	switch ev.Status {
	case store.StatusHealthy, store.StatusUnhealthy, store.StatusPending:
		r, err := exec(ctx, tx, `INSERT INTO usage_records (subscription_id, digest, registry_id, repository_id, day, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (subscription_id, digest) DO NOTHING`,
			repo.SubscriptionID, string(ev.Image.Digest), repo.RegistryID, repo.ID, ev.At.UTC().Format(time.DateOnly), nanos(ev.At))
		if err != nil {
			return err
		}
		n, err := r.RowsAffected()
		if err != nil {
			return err
		}
		res.Metered = n > 0
	}
	typ := EventScanCompleted
	if ev.Status == store.StatusFailed {
		typ = EventScanFailed
	}
	sum := ev.Summary
	return writeEvent(ctx, tx, repo.SubscriptionID, typ, scanEvent{
		eventContext: ectx, Status: ev.Status, Reason: ev.Reason, DBVersion: ev.DBVersion, Attempts: ev.Attempts, ScannedAt: ev.At,
		Packages: ev.Packages, Unchecked: ev.Unchecked,
		Summary: summaryPayload{Critical: sum.Critical, High: sum.High, Medium: sum.Medium, Low: sum.Low, Unknown: sum.Unknown, Exempted: sum.Exempted},
	}, ev.At)
}

// assessmentOf computes a registry's assessment from its images: two
// probes of images_registry_status.
func assessmentOf(ctx context.Context, q querier, registryID int64) (string, error) {
	unhealthy, err := exists(ctx, q, `SELECT 1 FROM images WHERE registry_id = ? AND status = 'unhealthy' LIMIT 1`, registryID)
	if err != nil || unhealthy {
		return store.AssessmentUnhealthy, err
	}
	healthy, err := exists(ctx, q, `SELECT 1 FROM images WHERE registry_id = ? AND status = 'healthy' LIMIT 1`, registryID)
	if err != nil {
		return "", err
	}
	if healthy {
		return store.AssessmentHealthy, nil
	}
	return store.AssessmentNotApplicable, nil
}

// updateAssessment recomputes a registry's assessment and raises
// assessment.changed when it moved. A registry without a recorded
// assessment was NotApplicable.
func updateAssessment(ctx context.Context, tx *wtx, registryID int64, sub, registry string, at time.Time) (string, bool, error) {
	now, err := assessmentOf(ctx, tx, registryID)
	if err != nil {
		return "", false, err
	}
	prev := store.AssessmentNotApplicable
	err = queryRow(ctx, tx, `SELECT status FROM registry_assessments WHERE registry_id = ?`, registryID).Scan(&prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", false, err
	}
	if errors.Is(err, sql.ErrNoRows) || prev != now {
		if _, err := exec(ctx, tx, `INSERT INTO registry_assessments (registry_id, subscription_id, status, changed_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (registry_id) DO UPDATE SET status = excluded.status, changed_at = excluded.changed_at`,
			registryID, sub, now, nanos(at)); err != nil {
			return "", false, err
		}
	}
	if prev == now {
		return now, false, nil
	}
	return now, true, writeEvent(ctx, tx, sub, EventAssessmentChanged, assessmentEvent{
		SubscriptionID: sub, Registry: registry, Assessment: now, Previous: prev, At: at}, at)
}

// deleteImageResults removes the scan results and findings of manifest d
// of repository repoID, inside the transaction that deletes the manifest,
// and updates the registry's assessment.
func deleteImageResults(ctx context.Context, tx *wtx, repoID int64, d oci.Digest, at time.Time) error {
	var id int64
	err := queryRow(ctx, tx, `SELECT id FROM images WHERE repository_id = ? AND digest = ?`, repoID, string(d)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := exec(ctx, tx, `DELETE FROM findings WHERE image_id = ?`, id); err != nil {
		return err
	}
	if _, err := exec(ctx, tx, `DELETE FROM images WHERE id = ?`, id); err != nil {
		return err
	}
	repo, err := getRepository(ctx, tx, "r.id = ?", repoID)
	if err != nil {
		return err
	}
	_, _, err = updateAssessment(ctx, tx, repo.RegistryID, repo.SubscriptionID, repo.Registry, at)
	return err
}

// TouchEvaluations records unchanged re-evaluations.
func (s *Store) TouchEvaluations(ctx context.Context, ids []int64, dbVersion string, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.write(ctx, func(tx *wtx) error {
		for _, id := range ids {
			if _, err := exec(ctx, tx, `UPDATE images SET db_version = ?, scanned_at = ?, stale = 0 WHERE id = ?`,
				dbVersion, nanos(at), id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: touch %d evaluations: %w", len(ids), err)
	}
	return nil
}

const qDueEvaluations = `SELECT i.id, i.repository_id, i.digest, i.parent_digest, i.platform, r.name, g.name, i.subscription_id,
		i.status, i.inventory, i.fingerprint, i.scanned_at
	FROM images i JOIN repositories r ON r.id = i.repository_id JOIN registries g ON g.id = i.registry_id
	WHERE i.id > ? AND i.inventory <> '' AND (i.db_version <> ? OR i.stale = 1)
	ORDER BY i.id`

// DueEvaluations returns images due for re-evaluation after afterID.
func (s *Store) DueEvaluations(ctx context.Context, dbVersion string, afterID int64, limit int) ([]store.EvalTarget, error) {
	rows, err := query(ctx, s.rq, qDueEvaluations+limitQ, afterID, dbVersion, limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: due evaluations: %w", err)
	}
	defer rows.Close()
	var out []store.EvalTarget
	for rows.Next() {
		var t store.EvalTarget
		var digest, parent string
		var scanned int64
		if err := rows.Scan(&t.ImageID, &t.Ref.RepositoryID, &digest, &parent, &t.Ref.Platform, &t.Repository, &t.Registry,
			&t.SubscriptionID, &t.Status, &t.Inventory, &t.Fingerprint, &scanned); err != nil {
			return nil, fmt.Errorf("sqlmeta: due evaluations: %w", err)
		}
		t.Ref.Digest, t.Ref.ParentDigest = oci.Digest(digest), oci.Digest(parent)
		t.ScannedAt = fromNanos(scanned)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: due evaluations: %w", err)
	}
	return out, nil
}

// CountDueEvaluations counts the images due for re-evaluation.
func (s *Store) CountDueEvaluations(ctx context.Context, dbVersion string) (int64, error) {
	var n int64
	err := queryRow(ctx, s.rq, `SELECT COUNT(*) FROM images WHERE inventory <> '' AND (db_version <> ? OR stale = 1)`, dbVersion).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlmeta: count due evaluations: %w", err)
	}
	return n, nil
}

// MarkStale asks for the re-evaluation of a subscription's images.
func (s *Store) MarkStale(ctx context.Context, subscriptionID string) (int, error) {
	q := `UPDATE images SET stale = 1 WHERE inventory <> ''`
	var args []any
	if subscriptionID != "" {
		q += ` AND subscription_id = ?`
		args = append(args, subscriptionID)
	}
	n, err := s.writeCount(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("sqlmeta: mark stale: %w", err)
	}
	return n, nil
}
