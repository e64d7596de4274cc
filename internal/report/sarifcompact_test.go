package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/drydock/drydock/internal/finding"
)

func TestCompactSARIF(t *testing.T) {
	in := `{"version":"2.1.0","runs":[{"addresses":[],"properties":{},"results":[],` +
		`"tool":{"driver":{"name":"x","rules":[{"id":"CVE-1","defaultConfiguration":{"rank":-1,"level":"error"}}]}},` +
		`"artifacts":[{"length":-1,"location":{"index":-1,"uri":"a"}},{}],` +
		`"invocations":[{"exitCode":-1,"executionSuccessful":true,"toolExecutionNotifications":[]}]}]}`
	out, err := compactSARIF([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(strings.Fields(string(out)), "")
	// Defaults go; "results" stays although empty, as does an empty array
	// element; -1 stays where it is not a default (exitCode); key order is
	// kept.
	want := `{"version":"2.1.0","runs":[{"results":[],` +
		`"tool":{"driver":{"name":"x","rules":[{"id":"CVE-1","defaultConfiguration":{"level":"error"}}]}},` +
		`"artifacts":[{"location":{"uri":"a"}},{}],` +
		`"invocations":[{"exitCode":-1,"executionSuccessful":true}]}]}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	for _, bad := range []string{``, `{"runs":[}`, `{"a":1} {"b":2}`, `{"a":1`} {
		if _, err := compactSARIF([]byte(bad)); err == nil {
			t.Errorf("compactSARIF(%q): no error", bad)
		}
	}
}

// The written log has none of the defaults go-sarif fills in, and
// everything else go-sarif wrote.
func TestSARIFWithoutDefaults(t *testing.T) {
	defaults := regexp.MustCompile(`"(\w+)": (-1|\[\]|\{\})`)
	allFormats(t, "sarif", func(t *testing.T, r *finding.Report, out []byte) {
		for _, m := range defaults.FindAllStringSubmatch(string(out), -1) {
			if m[1] != "results" {
				t.Errorf("default written out: %s", m[0])
			}
		}
		var full bytes.Buffer
		if err := buildSARIF(r, "0.1.0").PrettyWrite(&full); err != nil {
			t.Fatal(err)
		}
		var want, got any
		if err := json.Unmarshal(full.Bytes(), &want); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		sameButDefaults(t, "$", want, got)
	})
}

// sameButDefaults reports where got differs from want other than by
// leaving out a property whose value is a SARIF default.
func sameButDefaults(t *testing.T, at string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: got %T, want an object", at, got)
			return
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				if !isDefault(k, wv) {
					t.Errorf("%s.%s = %v left out", at, k, wv)
				}
				continue
			}
			sameButDefaults(t, at+"."+k, wv, gv)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				t.Errorf("%s.%s added", at, k)
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			t.Errorf("%s: got %v, want %d elements", at, got, len(w))
			return
		}
		for i := range w {
			sameButDefaults(t, fmt.Sprintf("%s[%d]", at, i), w[i], g[i])
		}
	default:
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s: got %v, want %v", at, got, want)
		}
	}
}

func isDefault(key string, v any) bool {
	switch v := v.(type) {
	case []any:
		return len(v) == 0 && key != "results"
	case map[string]any:
		return len(v) == 0
	case float64:
		return v == -1 && sarifMinusOne[key]
	}
	return false
}
