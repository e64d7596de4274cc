package sqlmeta

import (
	"strings"
	"testing"
)

// TestPipelineQueryPlans: the scan pipeline's hot queries are index probes
// or range scans (no full scan, no sort) whatever the fleet's size.
func TestPipelineQueryPlans(t *testing.T) {
	tests := []struct {
		name  string
		query string
		args  []any
	}{
		{"claim", strings.Replace(qClaimJob, "RETURNING id, subscription_id, repository_id, digest, reason, priority, attempts, created_at", "", 1),
			[]any{"w", 1, 1, 1}},
		{"due job", qDueJob, []any{1}},
		{"requeue", qRequeueJobs, []any{1, 1, "w", 2, "w/"}},
		{"job target", qJobTarget, []any{1, 1}},
		{"image by digest", selectImage + ` WHERE i.repository_id = ? AND i.digest = ?`, []any{1, "sha256:x"}},
		{"images of a subscription", selectImage + ` WHERE i.id > ? AND i.subscription_id IN (?) ORDER BY i.id LIMIT 100`, []any{0, "s"}},
		{"findings of an image", `SELECT id FROM findings WHERE image_id = ?`, []any{1}},
		{"assessment", `SELECT 1 FROM images WHERE registry_id = ? AND status = 'unhealthy' LIMIT 1`, []any{1}},
		{"pending job", `SELECT 1 FROM scan_jobs WHERE digest = ? AND repository_id = ? AND state IN ('queued', 'running') LIMIT 1`, []any{"d", 1}},
		{"findings of a subscription", `SELECT f.id FROM findings f WHERE f.id > ? AND f.subscription_id IN (?) ORDER BY f.id LIMIT 100`, []any{0, "s"}},
		{"findings by advisory", `SELECT f.id FROM findings f WHERE f.id > ? AND f.subscription_id IN (?) AND f.advisory_id = ? ORDER BY f.id LIMIT 100`, []any{0, "s", "CVE-1"}},
		{"usage of a subscription", `SELECT u.day, COUNT(*) FROM usage_records u WHERE u.subscription_id IN (?) AND u.day >= ? GROUP BY u.subscription_id, u.day`, []any{"s", "2026-01-01"}},
	}
	var cases []planCase
	for _, tc := range tests {
		cases = append(cases, planCase{name: tc.name, query: tc.query, args: tc.args})
	}
	checkPlans(t, cases)
}
