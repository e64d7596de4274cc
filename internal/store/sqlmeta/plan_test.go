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
	var cases []planCase
	for _, tc := range tests {
		cases = append(cases, planCase{name: tc.name, query: tc.query, args: tc.args})
	}
	checkPlans(t, cases)
}

// planCase is a query whose plan must probe indexes: no full scan of a
// table or index and no sort (unless allowSort), using wantIndex when set.
type planCase struct {
	name, query string
	args        []any
	wantIndex   string
	allowSort   bool
}

// checkPlans checks the EXPLAIN QUERY PLAN of each case on a fresh store.
func checkPlans(t *testing.T, cases []planCase) {
	t.Helper()
	s, err := Open(t.Context(), Config{Path: filepath.Join(t.TempDir(), "meta.db")}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range cases {
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
			all := strings.Join(plan, "\n  ")
			for _, step := range plan {
				if strings.HasPrefix(step, "SCAN ") && !strings.HasPrefix(step, "SCAN CONSTANT") {
					t.Errorf("plan step %q is a full scan; plan:\n  %s", step, all)
				}
				if strings.Contains(step, "TEMP B-TREE") && !tc.allowSort {
					t.Errorf("plan step %q sorts; plan:\n  %s", step, all)
				}
			}
			if tc.wantIndex != "" && !strings.Contains(all, tc.wantIndex) {
				t.Errorf("plan does not use %s:\n  %s", tc.wantIndex, all)
			}
		})
	}
}
