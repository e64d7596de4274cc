package sqlmeta

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// TestPolicyQueryPlans: the pull policy's per-pull lookup is a probe of the
// images unique index, and the break-glass reads are index range scans.
func TestPolicyQueryPlans(t *testing.T) {
	s, err := Open(t.Context(), Config{Path: filepath.Join(t.TempDir(), "meta.db")}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tests := []struct {
		name, query, wantIndex string
		args                   []any
	}{
		{name: "image pull state", query: qImagePullState, args: []any{1, "sha256:x"}, wantIndex: "sqlite_autoindex_images_1"},
		{name: "break-glass of a registry", query: qBreakGlassOf, args: []any{1, 10}, wantIndex: "break_glass_registry"},
		{name: "active break-glass", query: qActiveBreakGlass, args: []any{1, 1, 1}, wantIndex: "break_glass_expires"},
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
			all := strings.Join(plan, "\n  ")
			for _, step := range plan {
				if (strings.HasPrefix(step, "SCAN ") && !strings.HasPrefix(step, "SCAN CONSTANT")) || strings.Contains(step, "TEMP B-TREE") {
					t.Errorf("plan step %q scans or sorts; plan:\n  %s", step, all)
				}
			}
			if !strings.Contains(all, tc.wantIndex) {
				t.Errorf("plan does not use %s:\n  %s", tc.wantIndex, all)
			}
		})
	}
}
