package layer_test

import (
	"errors"
	"testing"
	"time"

	"github.com/drydock/drydock/internal/scan/layer"
)

// TestNamed: a layer's error names the layer once, with its digest when
// it has one; the cause stays reachable.
func TestNamed(t *testing.T) {
	lim := &layer.LimitError{Limit: layer.LimitTime, Max: int64(300 * time.Millisecond), Layer: 2}
	tests := []struct {
		err  error
		want string
	}{
		{layer.Named(2, "sha256:ab", lim), "layer 2 (sha256:ab): limit exceeded: still reading layers after 300ms (Timeout)"},
		{layer.Named(2, "", lim), "layer 2: limit exceeded: still reading layers after 300ms (Timeout)"},
		{layer.Named(1, "sha256:ab", errors.New("layer 10: other")), "layer 1 (sha256:ab): layer 10: other"},
		{&layer.LimitError{Limit: layer.LimitTime, Max: int64(time.Second), Layer: -1}, "limit exceeded: still reading layers after 1s (Timeout)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
	if err := layer.Named(2, "sha256:ab", lim); !errors.Is(err, layer.ErrLimit) {
		t.Errorf("%v does not wrap ErrLimit", err)
	}
}
