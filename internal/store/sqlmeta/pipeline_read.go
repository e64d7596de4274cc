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

var (
	_ store.ScanReader = (*Store)(nil)
	_ store.Plans      = (*Store)(nil)
)

// inClause returns "col IN (?, ...)" for values; ok is false for an empty
// non-nil list (nothing can match) and the clause is empty for nil (no
// restriction).
func inClause(col string, values []string) (clause string, args []any, ok bool) {
	if values == nil {
		return "", nil, true
	}
	if len(values) == 0 {
		return "", nil, false
	}
	clause = col + " IN (?" + strings.Repeat(", ?", len(values)-1) + ")"
	for _, v := range values {
		args = append(args, v)
	}
	return clause, args, true
}

// where accumulates the conditions of a query.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// scoped starts the WHERE clause of a listing: rows after afterID (by
// idCol) in the caller's subscriptions (subCol), narrowed to a registry, a
// repository and an image digest where set. ok is false when the
// subscriptions select nothing.
func scoped(idCol, subCol string, subs []string, afterID int64, registry, repository string, digest oci.Digest) (w where, ok bool) {
	in, inArgs, ok := inClause(subCol, subs)
	if !ok {
		return w, false
	}
	w.add(idCol+" > ?", afterID)
	if in != "" {
		w.add(in, inArgs...)
	}
	if registry != "" {
		w.add("g.name = ?", registry)
	}
	if repository != "" {
		w.add("r.name = ?", repository)
	}
	if digest != "" {
		w.add("i.digest = ?", string(digest))
	}
	return w, true
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

const selectImage = `SELECT i.id, i.subscription_id, g.name, i.repository_id, r.name, i.digest, i.parent_digest, i.platform,
		i.status, i.reason, i.scan_state, i.os_family, i.os_version, i.os_eol, i.inventory, i.packages, i.unchecked,
		i.critical, i.high, i.medium, i.low, i.unknown, i.exempted, i.db_version, i.attempts,
		i.queued_at, i.started_at, i.scanned_at, i.first_scanned_at, COALESCE(m.pushed_at, 0), COALESCE(m.last_pulled_at, 0)
	FROM images i JOIN repositories r ON r.id = i.repository_id JOIN registries g ON g.id = i.registry_id
	LEFT JOIN manifests m ON m.repository_id = i.repository_id AND m.digest = i.digest`

func scanImage(rows interface{ Scan(...any) error }) (store.ImageRecord, error) {
	var im store.ImageRecord
	var digest, parent string
	var eol int64
	var queued, started, scanned, first, pushed, pulled int64
	err := rows.Scan(&im.ID, &im.SubscriptionID, &im.Registry, &im.RepositoryID, &im.Repository, &digest, &parent, &im.Platform,
		&im.Status, &im.Reason, &im.ScanState, &im.OSFamily, &im.OSVersion, &eol, &im.Inventory, &im.Packages, &im.Unchecked,
		&im.Summary.Critical, &im.Summary.High, &im.Summary.Medium, &im.Summary.Low, &im.Summary.Unknown, &im.Summary.Exempted,
		&im.DBVersion, &im.Attempts, &queued, &started, &scanned, &first, &pushed, &pulled)
	if err != nil {
		return im, err
	}
	im.Digest, im.ParentDigest, im.OSEOL = oci.Digest(digest), oci.Digest(parent), eol != 0
	im.QueuedAt, im.StartedAt, im.PushedAt = fromNanos(queued), fromNanos(started), fromNanos(pushed)
	im.ScannedAt, im.FirstScannedAt, im.LastPulledAt = whenSet(scanned), whenSet(first), whenSet(pulled)
	return im, nil
}

// whenSet is fromNanos with 0 meaning "never" (the zero time).
func whenSet(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return fromNanos(n)
}

// GetImage returns one image.
func (s *Store) GetImage(ctx context.Context, repoID int64, d oci.Digest) (store.ImageRecord, error) {
	im, err := scanImage(queryRow(ctx, s.rq, selectImage+` WHERE i.repository_id = ? AND i.digest = ?`, repoID, string(d)))
	if errors.Is(err, sql.ErrNoRows) {
		return im, fmt.Errorf("sqlmeta: image %s: %w", d, store.ErrNotFound)
	}
	if err != nil {
		return im, fmt.Errorf("sqlmeta: image %s: %w", d, err)
	}
	return im, nil
}

// ListImages returns images in id order.
func (s *Store) ListImages(ctx context.Context, f store.ImageFilter) ([]store.ImageRecord, error) {
	w, ok := scoped("i.id", "i.subscription_id", f.Subscriptions, f.AfterID, f.Registry, f.Repository, f.Digest)
	if !ok || f.Limit == 0 {
		return []store.ImageRecord{}, nil
	}
	if f.Status != "" {
		w.add("i.status = ?", f.Status)
	}
	rows, err := query(ctx, s.rq, selectImage+w.String()+` ORDER BY i.id`+limitQ, append(w.args, limitArg(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: list images: %w", err)
	}
	defer rows.Close()
	out := []store.ImageRecord{}
	for rows.Next() {
		im, err := scanImage(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlmeta: list images: %w", err)
		}
		out = append(out, im)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: list images: %w", err)
	}
	return out, nil
}

// ManifestStates returns manifests of a repository with their scan state.
func (s *Store) ManifestStates(ctx context.Context, repoID int64, d oci.Digest, after string, limit int) ([]store.ManifestState, error) {
	repo, err := getRepository(ctx, s.rq, "r.id = ?", repoID)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: manifest states: %w", err)
	}
	var typ string
	if err := queryRow(ctx, s.rq, `SELECT type FROM registries WHERE id = ?`, repo.RegistryID).Scan(&typ); err != nil {
		return nil, fmt.Errorf("sqlmeta: manifest states: %w", err)
	}
	// An index's content names which of its children are attestations.
	q := `SELECT m.id, m.digest, m.media_type, m.artifact_type, m.pushed_at, COALESCE(m.last_pulled_at, 0),
			CASE WHEN m.media_type IN (?, ?) THEN m.content END,
			COALESCE((SELECT j.state FROM scan_jobs j WHERE j.digest = m.digest AND j.repository_id = m.repository_id ORDER BY j.id DESC LIMIT 1), ''),
			COALESCE((SELECT j.last_error FROM scan_jobs j WHERE j.digest = m.digest AND j.repository_id = m.repository_id ORDER BY j.id DESC LIMIT 1), '')
		FROM manifests m WHERE m.repository_id = ?`
	args := []any{oci.MediaTypeImageIndex, oci.MediaTypeDockerList, repoID}
	if d != "" {
		q += ` AND m.digest = ?`
		args = append(args, string(d))
	} else {
		q += ` AND m.digest > ?`
		args = append(args, after)
	}
	rows, err := query(ctx, s.rq, q+` ORDER BY m.digest`+limitQ, append(args, limitArg(limit))...)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: manifest states: %w", err)
	}
	var out []store.ManifestState
	var ids []int64
	var contents [][]byte
	for rows.Next() {
		ms := store.ManifestState{RepositoryID: repo.ID, Repository: repo.Name, Registry: repo.Registry,
			RegistryType: typ, SubscriptionID: repo.SubscriptionID, Tags: []string{}, Images: []store.ImageRecord{}}
		var id, pushed, pulled int64
		var digest string
		var content []byte
		if err := rows.Scan(&id, &digest, &ms.MediaType, &ms.ArtifactType, &pushed, &pulled, &content, &ms.Job, &ms.JobNote); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlmeta: manifest states: %w", err)
		}
		ms.Digest, ms.Index = oci.Digest(digest), oci.IsIndexMediaType(ms.MediaType)
		ms.PushedAt, ms.LastPulledAt = fromNanos(pushed), whenSet(pulled)
		out = append(out, ms)
		ids = append(ids, id)
		contents = append(contents, content)
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("sqlmeta: manifest states: %w", err)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: manifest states: %w", err)
	}
	for i := range out {
		ms := &out[i]
		tags, err := s.listNames(ctx, `SELECT name FROM tags WHERE manifest_id = ? ORDER BY name`, ids[i])
		if err != nil {
			return nil, fmt.Errorf("sqlmeta: manifest states: %w", err)
		}
		ms.Tags = tags
		q := selectImage + ` WHERE i.repository_id = ? AND i.digest = ?`
		args := []any{repoID, string(ms.Digest)}
		if ms.Index {
			q = selectImage + ` JOIN manifest_references mr ON mr.repository_id = i.repository_id AND mr.digest = i.digest
				WHERE mr.manifest_id = ? AND mr.kind = 'manifest' ORDER BY i.platform`
			args = []any{ids[i]}
		}
		imgs, err := s.images(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("sqlmeta: manifest states: %w", err)
		}
		if ms.Index {
			imgs = withoutAttestations(imgs, ms.MediaType, contents[i])
		}
		ms.Images = imgs
	}
	if out == nil {
		out = []store.ManifestState{}
	}
	return out, nil
}

// withoutAttestations leaves out of an index's child images those that the
// index (content, of media type mt) lists as attestation manifests: they
// were pushed, so scanned, as manifests of their own, but they are no
// platform of the index (drydock scan leaves them out too).
func withoutAttestations(imgs []store.ImageRecord, mt string, content []byte) []store.ImageRecord {
	m, err := oci.ParseManifest(mt, content)
	if err != nil {
		return imgs // accepted when pushed; nothing to go by otherwise
	}
	att := map[oci.Digest]bool{}
	for _, d := range m.Manifests {
		if oci.IsAttestation(d) {
			att[d.Digest] = true
		}
	}
	if len(att) == 0 {
		return imgs
	}
	out := imgs[:0]
	for _, im := range imgs {
		if !att[im.Digest] {
			out = append(out, im)
		}
	}
	return out
}

func (s *Store) images(ctx context.Context, q string, args ...any) ([]store.ImageRecord, error) {
	rows, err := query(ctx, s.rq, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []store.ImageRecord{}
	for rows.Next() {
		im, err := scanImage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, im)
	}
	return out, rows.Err()
}

// ListFindings returns findings in id order.
func (s *Store) ListFindings(ctx context.Context, f store.FindingFilter) ([]store.FindingRow, error) {
	w, ok := scoped("f.id", "f.subscription_id", f.Subscriptions, f.AfterID, f.Registry, f.Repository, f.Digest)
	if !ok || f.Limit == 0 {
		return []store.FindingRow{}, nil
	}
	if len(f.Severities) > 0 {
		args := make([]any, len(f.Severities))
		for i, v := range f.Severities {
			args[i] = v
		}
		w.add("f.severity IN (?"+strings.Repeat(", ?", len(f.Severities)-1)+")", args...)
	}
	if f.AdvisoryID != "" {
		w.add("f.advisory_id = ?", f.AdvisoryID)
	}
	if f.Package != "" {
		w.add("f.package_name = ?", f.Package)
	}
	if f.FixAvailable != nil {
		if *f.FixAvailable {
			w.add("f.fix_status = 'FixAvailable' AND f.fixed_version <> ''")
		} else {
			w.add("NOT (f.fix_status = 'FixAvailable' AND f.fixed_version <> '')")
		}
	}
	if f.Exempted != nil {
		w.add("f.exempted = ?", bit(*f.Exempted))
	}
	q := `SELECT f.id, f.advisory_id, f.package_type, f.package_name, f.package_version, f.package_arch, f.package_path, f.purl, f.severity,
			f.fixed_version, f.fix_status, f.title, f.layer, f.exempted, f.exemption_id, f.first_seen_at,
			f.subscription_id, g.name, r.name, i.digest, i.platform
		FROM findings f JOIN images i ON i.id = f.image_id JOIN repositories r ON r.id = f.repository_id
		JOIN registries g ON g.id = f.registry_id` + w.String() + ` ORDER BY f.id` + limitQ
	rows, err := query(ctx, s.rq, q, append(w.args, limitArg(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: list findings: %w", err)
	}
	defer rows.Close()
	out := []store.FindingRow{}
	for rows.Next() {
		var r store.FindingRow
		var exempted, first int64
		var digest string
		if err := rows.Scan(&r.ID, &r.AdvisoryID, &r.PackageType, &r.PackageName, &r.PackageVersion, &r.PackageArch, &r.PackagePath, &r.PURL,
			&r.Severity, &r.FixedVersion, &r.FixStatus, &r.Title, &r.Layer, &exempted, &r.ExemptionID, &first,
			&r.SubscriptionID, &r.Registry, &r.Repository, &digest, &r.Platform); err != nil {
			return nil, fmt.Errorf("sqlmeta: list findings: %w", err)
		}
		r.Exempted, r.FirstSeenAt, r.Digest = exempted != 0, fromNanos(first), oci.Digest(digest)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: list findings: %w", err)
	}
	return out, nil
}

// FindingChanges returns recorded finding changes.
func (s *Store) FindingChanges(ctx context.Context, subscriptions []string, repository string, afterID int64, limit int) ([]store.FindingChange, error) {
	in, inArgs, ok := inClause("c.subscription_id", subscriptions)
	if !ok || limit == 0 {
		return []store.FindingChange{}, nil
	}
	var w where
	w.add("c.id > ?", afterID)
	if in != "" {
		w.add(in, inArgs...)
	}
	if repository != "" {
		w.add("r.name = ?", repository)
	}
	rows, err := query(ctx, s.rq, `SELECT c.id, c.subscription_id, r.name, c.digest, c.change, c.advisory_id, c.package_type,
			c.package_name, c.package_version, c.package_arch, c.severity, c.db_version, c.at
		FROM finding_changes c JOIN repositories r ON r.id = c.repository_id`+w.String()+` ORDER BY c.id`+limitQ,
		append(w.args, limitArg(limit))...)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: finding changes: %w", err)
	}
	defer rows.Close()
	out := []store.FindingChange{}
	for rows.Next() {
		var c store.FindingChange
		var digest string
		var at int64
		if err := rows.Scan(&c.ID, &c.SubscriptionID, &c.Repository, &digest, &c.Change, &c.AdvisoryID, &c.PackageType,
			&c.PackageName, &c.PackageVersion, &c.PackageArch, &c.Severity, &c.DBVersion, &at); err != nil {
			return nil, fmt.Errorf("sqlmeta: finding changes: %w", err)
		}
		c.Digest, c.At = oci.Digest(digest), fromNanos(at)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: finding changes: %w", err)
	}
	return out, nil
}

// Usage counts billable scans per subscription, registry and day.
func (s *Store) Usage(ctx context.Context, f store.UsageFilter) ([]store.UsageRow, error) {
	in, inArgs, ok := inClause("u.subscription_id", f.Subscriptions)
	if !ok {
		return []store.UsageRow{}, nil
	}
	var w where
	if in != "" {
		w.add(in, inArgs...)
	}
	if f.Registry != "" {
		w.add("g.name = ?", f.Registry)
	}
	if f.From != "" {
		w.add("u.day >= ?", f.From)
	}
	if f.To != "" {
		w.add("u.day <= ?", f.To)
	}
	rows, err := query(ctx, s.rq, `SELECT u.subscription_id, g.name, u.day, COUNT(*)
		FROM usage_records u JOIN registries g ON g.id = u.registry_id`+w.String()+`
		GROUP BY u.subscription_id, g.name, u.day ORDER BY u.subscription_id, u.day, g.name`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: usage: %w", err)
	}
	defer rows.Close()
	out := []store.UsageRow{}
	for rows.Next() {
		var u store.UsageRow
		if err := rows.Scan(&u.SubscriptionID, &u.Registry, &u.Day, &u.Images); err != nil {
			return nil, fmt.Errorf("sqlmeta: usage: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: usage: %w", err)
	}
	return out, nil
}

// Assessments returns the assessment of every registry of subscriptions.
func (s *Store) Assessments(ctx context.Context, subscriptions []string) ([]store.Assessment, error) {
	in, inArgs, ok := inClause("g.subscription_id", subscriptions)
	if !ok {
		return []store.Assessment{}, nil
	}
	var w where
	if in != "" {
		w.add(in, inArgs...)
	}
	rows, err := query(ctx, s.rq, `SELECT g.subscription_id, g.name, g.type, COALESCE(a.status, ''), COALESCE(a.changed_at, 0),
			(SELECT COUNT(*) FROM images i WHERE i.registry_id = g.id AND i.status = 'healthy'),
			(SELECT COUNT(*) FROM images i WHERE i.registry_id = g.id AND i.status = 'unhealthy'),
			(SELECT COUNT(*) FROM images i WHERE i.registry_id = g.id)
		FROM registries g LEFT JOIN registry_assessments a ON a.registry_id = g.id`+w.String()+` ORDER BY g.name`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: assessments: %w", err)
	}
	defer rows.Close()
	out := []store.Assessment{}
	for rows.Next() {
		var a store.Assessment
		var changed int64
		var all int
		if err := rows.Scan(&a.SubscriptionID, &a.Registry, &a.RegistryType, &a.Status, &changed, &a.Healthy, &a.Unhealthy, &all); err != nil {
			return nil, fmt.Errorf("sqlmeta: assessments: %w", err)
		}
		if a.Status == "" {
			a.Status = store.AssessmentNotApplicable
		}
		a.ChangedAt, a.Other = whenSet(changed), all-a.Healthy-a.Unhealthy
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: assessments: %w", err)
	}
	return out, nil
}

// CountImages counts images by status.
func (s *Store) CountImages(ctx context.Context, subscriptions []string) (map[string]int, error) {
	in, inArgs, ok := inClause("subscription_id", subscriptions)
	out := map[string]int{}
	if !ok {
		return out, nil
	}
	var w where
	if in != "" {
		w.add(in, inArgs...)
	}
	rows, err := query(ctx, s.rq, `SELECT status, COUNT(*) FROM images`+w.String()+` GROUP BY status`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: count images: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("sqlmeta: count images: %w", err)
		}
		out[st] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: count images: %w", err)
	}
	return out, nil
}

// GetPlan returns the plan of a subscription.
func (s *Store) GetPlan(ctx context.Context, subscriptionID string) (store.Plan, error) {
	p := store.Plan{SubscriptionID: subscriptionID, Registries: map[string]bool{}}
	if _, err := getSubscription(ctx, s.rq, subscriptionID); err != nil {
		return p, fmt.Errorf("sqlmeta: plan: %w", err)
	}
	rows, err := query(ctx, s.rq, `SELECT p.registry_id, COALESCE(g.name, ''), p.enabled FROM scan_plans p
		LEFT JOIN registries g ON g.id = p.registry_id WHERE p.subscription_id = ?`, subscriptionID)
	if err != nil {
		return p, fmt.Errorf("sqlmeta: plan: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var regID, enabled int64
		var name string
		if err := rows.Scan(&regID, &name, &enabled); err != nil {
			return p, fmt.Errorf("sqlmeta: plan: %w", err)
		}
		if regID == 0 {
			on := enabled != 0
			p.Enabled = &on
		} else {
			p.Registries[name] = enabled != 0
		}
	}
	if err := rows.Err(); err != nil {
		return p, fmt.Errorf("sqlmeta: plan: %w", err)
	}
	return p, nil
}

// SetPlan sets or clears a scanning switch.
func (s *Store) SetPlan(ctx context.Context, subscriptionID, registry string, enabled *bool) error {
	err := s.write(ctx, func(tx *wtx) error {
		if _, err := getSubscription(ctx, tx, subscriptionID); err != nil {
			return err
		}
		var regID int64
		if registry != "" {
			reg, err := getRegistryBy(ctx, tx, "g.name = ?", registry)
			if err != nil {
				return err
			}
			if reg.SubscriptionID != subscriptionID {
				return fmt.Errorf("%w: %q", store.ErrRegistryUnknown, registry)
			}
			regID = reg.ID
		}
		if enabled == nil {
			_, err := exec(ctx, tx, `DELETE FROM scan_plans WHERE subscription_id = ? AND registry_id = ?`, subscriptionID, regID)
			return err
		}
		_, err := exec(ctx, tx, `INSERT INTO scan_plans (subscription_id, registry_id, enabled, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (subscription_id, registry_id) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at`,
			subscriptionID, regID, bit(*enabled), nanos(s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlmeta: set plan of %s: %w", subscriptionID, err)
	}
	return nil
}
