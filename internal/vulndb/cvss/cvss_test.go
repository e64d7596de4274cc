package cvss

import (
	"errors"
	"testing"
)

// Scores published by NVD / the FIRST calculators for these vectors. The
// NVD CVE API test in feed/nvd checks every vector of the real NVD data too.
func TestParse(t *testing.T) {
	tests := []struct {
		vector  string
		version string
		score   float64
		rating  Rating
	}{
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "4.0", 9.3, Critical},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", "4.0", 10, Critical},
		{"CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "4.0", 8.5, High},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", "4.0", 0, None},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "3.1", 9.8, Critical},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "3.1", 10, Critical},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", "3.1", 6.5, Medium},
		{"CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", "3.0", 8.1, High},
		{"AV:N/AC:L/Au:N/C:P/I:P/A:P", "2.0", 7.5, High},
		{"(AV:N/AC:M/Au:N/C:N/I:P/A:N)", "2.0", 4.3, Medium},
		{"CVSS:2.0/AV:L/AC:L/Au:N/C:P/I:N/A:N", "2.0", 2.1, Low},
	}
	for _, tc := range tests {
		t.Run(tc.vector, func(t *testing.T) {
			s, err := Parse(tc.vector)
			if err != nil {
				t.Fatal(err)
			}
			if s.Version != tc.version || s.Base != tc.score {
				t.Errorf("got v%s %.1f, want v%s %.1f", s.Version, s.Base, tc.version, tc.score)
			}
			if r := RatingOf(s.Version, s.Base); r != tc.rating {
				t.Errorf("rating %s, want %s", r, tc.rating)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, v := range []string{"", "CVSS:3.1/AV:N", "CVSS:5.0/AV:N", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "high", "AV:N/AC:L"} {
		if _, err := Parse(v); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) error = %v, want ErrInvalid", v, err)
		}
	}
}

func TestRatingBoundaries(t *testing.T) {
	tests := []struct {
		version string
		score   float64
		want    Rating
	}{
		{"3.1", 0, None}, {"3.1", 0.1, Low}, {"3.1", 3.9, Low}, {"3.1", 4, Medium}, {"3.1", 6.9, Medium},
		{"3.1", 7, High}, {"3.1", 8.9, High}, {"3.1", 9, Critical}, {"4.0", 9.3, Critical},
		{"2.0", 0, Low}, {"2.0", 3.9, Low}, {"2.0", 4, Medium}, {"2.0", 7, High}, {"2.0", 10, High},
	}
	for _, tc := range tests {
		if got := RatingOf(tc.version, tc.score); got != tc.want {
			t.Errorf("RatingOf(%s, %.1f) = %s, want %s", tc.version, tc.score, got, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
	f.Add("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
	f.Add("AV:N/AC:L/Au:N/C:P/I:P/A:P")
	f.Fuzz(func(t *testing.T, v string) {
		s, err := Parse(v)
		if err == nil && !(s.Base >= 0 && s.Base <= 10) {
			t.Fatalf("Parse(%q) score %v out of range", v, s.Base)
		}
	})
}
