package sqlmeta

import (
	"testing"
)

// TestPolicyQueryPlans: the pull policy's per-pull lookup is a probe of the
// images unique index, and the break-glass reads are index range scans.
func TestPolicyQueryPlans(t *testing.T) {
	checkPlans(t, []planCase{
		{name: "image pull state", query: qImagePullState, args: []any{1, "sha256:x"}, wantIndex: "sqlite_autoindex_images_1"},
		{name: "break-glass of a registry", query: qBreakGlassOf, args: []any{1, 10}, wantIndex: "break_glass_registry"},
		{name: "active break-glass", query: qActiveBreakGlass, args: []any{1, 1, 1}, wantIndex: "break_glass_expires"},
	})
}
