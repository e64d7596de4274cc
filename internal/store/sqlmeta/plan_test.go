package sqlmeta

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// TestQueryPlans checks that the hot queries are index probes or range scans:
// no full scan of a table or index, no sort. At 100k repositories and 10M
// manifests anything else is a regression, whatever a small test database
// times.
func TestQueryPlans(t *testing.T) {
	s, err := Open(t.Context(), Config{Path: filepath.Join(t.TempDir(), "meta.db")}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tests := []struct {
		name  string
		query string
		args  []any
	}{
		{"catalog", qListRepositories + " LIMIT 100", []any{""}},
		{"catalog of a subscription", qListRepositoriesIn + " LIMIT 100", []any{"s", ""}},
		{"repository by name", selectRepository + "r.name = ?", []any{"a/b"}},
		{"tags", qListTags + " LIMIT 100", []any{1, ""}},
		{"manifest by digest", qManifestByDigest, []any{1, "sha256:x"}},
		{"manifest by tag", qManifestByTag, []any{1, "latest"}},
		{"referrers", qReferrers + " AND artifact_type = ? ORDER BY digest", []any{1, "sha256:x", "t"}},
		{"stat linked blob", qStatLinked, []any{1, "sha256:x"}},
		{"blob holders", qBlobHolders + " LIMIT 10", []any{"sha256:x", "s"}},
		{"mountable", qMountable, []any{1, "a/b", "sha256:x"}},
		{"gc candidates", qCandidates + " LIMIT 100", []any{"link", 1, 0, 0, 0, 0, ""}},
		{"manifest live", qManifestLive, []any{1, "sha256:x", 1, 1, "sha256:y"}},
		{"link used", qLinkUsed, []any{"sha256:x", 1}},
		{"blob referenced", qBlobReferenced, []any{"sha256:x", "sha256:x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+rebind(tc.query), tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, notused int
				var detail string
				if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			for _, step := range plan {
				if (strings.HasPrefix(step, "SCAN ") && !strings.HasPrefix(step, "SCAN CONSTANT")) || strings.Contains(step, "TEMP B-TREE") {
					t.Errorf("plan step %q is a full scan or a sort; plan:\n  %s", step, strings.Join(plan, "\n  "))
				}
			}
		})
	}
}
