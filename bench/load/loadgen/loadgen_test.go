package loadgen

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseChallenge(t *testing.T) {
	tests := []struct {
		name, in, scheme string
		params           map[string]string
	}{
		{"drydock", `Bearer realm="http://127.0.0.1:5000/auth/token",service="drydock",scope="repository:a/b:pull"`, "Bearer",
			map[string]string{"realm": "http://127.0.0.1:5000/auth/token", "service": "drydock", "scope": "repository:a/b:pull"}},
		{"spaces and token values", `bearer  realm = "r" , service=s`, "bearer", map[string]string{"realm": "r", "service": "s"}},
		{"escaped quote and comma", `Bearer realm="a\"b,c",error="x"`, "Bearer", map[string]string{"realm": `a"b,c`, "error": "x"}},
		{"basic", `Basic realm="drydock"`, "Basic", map[string]string{"realm": "drydock"}},
		{"unterminated", `Bearer realm="abc`, "Bearer", map[string]string{"realm": "abc"}},
		{"empty", ``, "", map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			scheme, params := parseChallenge(tc.in)
			if scheme != tc.scheme {
				t.Errorf("scheme %q, want %q", scheme, tc.scheme)
			}
			if diff := cmp.Diff(tc.params, params); diff != "" {
				t.Errorf("params (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGoroutines(t *testing.T) {
	metrics := "# HELP go_goroutines Number of goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines 137\ngo_threads 9\n"
	if n, err := goroutines([]byte(metrics)); err != nil || n != 137 {
		t.Errorf("goroutines = %d, %v; want 137", n, err)
	}
	if _, err := goroutines([]byte("go_threads 9\n")); err == nil {
		t.Error("no error without go_goroutines")
	}
}

func TestDrift(t *testing.T) {
	var series []Sample
	for s := 0; s <= 300; s += 10 {
		g := 100
		if s >= 240 {
			g = 200 // grows in the last minute
		}
		series = append(series, Sample{At: time.Duration(s) * time.Second, Goroutines: g})
	}
	d := drift(series, time.Minute, 5*time.Minute, 0.25, 20, func(s Sample) float64 { return float64(s.Goroutines) })
	want := Drift{First: 100, Last: 200, Max: 200, Base: 100, Final: 200, Limit: 145, BaseN: 6, FinalN: 7}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("drift (-want +got):\n%s", diff)
	}
	if d.OK() {
		t.Error("a doubled count passed the check")
	}
	steady := drift(series[:24], time.Minute, 5*time.Minute, 0.25, 20, func(s Sample) float64 { return float64(s.Goroutines) })
	if steady.FinalN != 0 || steady.OK() {
		t.Errorf("a series without samples in the last window passed: %+v", steady)
	}
}

func TestReportCheck(t *testing.T) {
	ok := Drift{Base: 100, Final: 110, Limit: 145, BaseN: 6, FinalN: 6, First: 1}
	r := &Report{Ops: 10, RSS: ok, Goroutines: ok}
	if err := r.Check(); err != nil {
		t.Errorf("Check of a clean run: %v", err)
	}
	r.Errors, r.FirstErrors = 1, []string{"client 3 push: status 500"}
	if err := r.Check(); err == nil {
		t.Error("Check passed a run with an error")
	}
}
