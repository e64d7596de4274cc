package finding

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSeverity(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Severity
		err  error
	}{
		{name: "capitalised", in: "Critical", want: Critical},
		{name: "upper", in: "HIGH", want: High},
		{name: "lower", in: "medium", want: Medium},
		{name: "github moderate", in: "MODERATE", want: Medium},
		{name: "red hat important", in: "Important", want: High},
		{name: "debian negligible", in: "negligible", want: Low},
		{name: "low with spaces", in: " low ", want: Low},
		{name: "unknown", in: "UNKNOWN", want: Unknown},
		{name: "empty", in: "", want: Unknown},
		{name: "garbage", in: "severe", want: Unknown, err: ErrInvalidSeverity},
		{name: "cvss score is not a name", in: "7.5", want: Unknown, err: ErrInvalidSeverity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSeverity(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParseSeverity(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			if got != tt.want {
				t.Errorf("ParseSeverity(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestSeverityOrder(t *testing.T) {
	got := Severities()
	want := []Severity{Critical, High, Medium, Low, Unknown}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Severities() (-want +got):\n%s", diff)
	}
	for i := 1; i < len(got); i++ {
		if !(got[i-1] > got[i]) {
			t.Errorf("%v should rank above %v", got[i-1], got[i])
		}
	}
}

func TestSeverityJSON(t *testing.T) {
	type doc struct {
		S []Severity `json:"s"`
	}
	in := doc{S: []Severity{Critical, High, Medium, Low, Unknown, Severity(42)}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"s":["Critical","High","Medium","Low","Unknown","Unknown"]}`; string(b) != want {
		t.Errorf("Marshal = %s, want %s", b, want)
	}
	var out doc
	if err := json.Unmarshal([]byte(`{"s":["critical","HIGH","Moderate","Low","Unknown"]}`), &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Severity{Critical, High, Medium, Low, Unknown}, out.S); diff != "" {
		t.Errorf("Unmarshal (-want +got):\n%s", diff)
	}
	if err := json.Unmarshal([]byte(`{"s":["bad"]}`), &out); !errors.Is(err, ErrInvalidSeverity) {
		t.Errorf("Unmarshal bad severity error = %v, want ErrInvalidSeverity", err)
	}
}

func TestSeverityFromScore(t *testing.T) {
	tests := []struct {
		score float64
		want  Severity
	}{
		{0, Unknown}, {0.1, Low}, {3.9, Low}, {4.0, Medium}, {6.9, Medium},
		{7.0, High}, {8.9, High}, {9.0, Critical}, {10, Critical}, {10.1, Unknown}, {-1, Unknown},
	}
	for _, tt := range tests {
		if got := SeverityFromScore(tt.score); got != tt.want {
			t.Errorf("SeverityFromScore(%v) = %v, want %v", tt.score, got, tt.want)
		}
	}
}

func TestFixStatusJSON(t *testing.T) {
	for _, s := range []FixStatus{FixAvailable, NoFixAvailable, WontFix, FixStatusUnknown} {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back FixStatus
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back != s {
			t.Errorf("round trip of %v gave %v (json %s)", s, back, b)
		}
	}
	if b, _ := json.Marshal(FixStatusUnknown); string(b) != `"Unknown"` {
		t.Errorf("zero FixStatus marshals as %s, want \"Unknown\"", b)
	}
	var s FixStatus
	if err := json.Unmarshal([]byte(`"fixavailable"`), &s); !errors.Is(err, ErrInvalidFixStatus) {
		t.Errorf("lower-case fix status error = %v, want ErrInvalidFixStatus", err)
	}
}
