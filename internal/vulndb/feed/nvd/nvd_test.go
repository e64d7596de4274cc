package nvd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/vulndb/cvss"
	"github.com/drydock/drydock/internal/vulndb/feed"
)

func parseAll(t *testing.T) map[string]*feed.NVD {
	t.Helper()
	files, err := filepath.Glob("testdata/CVE-*.json")
	if err != nil || len(files) != 23 {
		t.Fatalf("want 23 files, got %d (%v)", len(files), err)
	}
	out := map[string]*feed.NVD{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !(Parser{}).Sniff(f, data[:min(4096, len(data))]) {
			t.Errorf("Sniff(%s) = false", f)
		}
		err = Parser{}.Parse(t.Context(), f, bytes.NewReader(data), func(r feed.Record) error {
			if r.NVD == nil {
				t.Errorf("%s: unexpected record %+v", f, r)
				return nil
			}
			out[r.NVD.CVE] = r.NVD
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	return out
}

// TestScoresMatchNVD checks the CVSS calculator against every score NVD
// published in the real data.
func TestScoresMatchNVD(t *testing.T) {
	recs := parseAll(t)
	if len(recs) != 23 {
		t.Fatalf("got %d CVEs, want 23", len(recs))
	}
	n := 0
	for id, r := range recs {
		for _, c := range r.CVSS {
			s, err := cvss.Parse(c.Vector)
			if err != nil {
				t.Errorf("%s: %v", id, err)
				continue
			}
			n++
			if s.Base != c.Score || s.Version != c.Version {
				t.Errorf("%s %s: computed v%s %.1f, NVD published v%s %.1f", id, c.Vector, s.Version, s.Base, c.Version, c.Score)
			}
		}
	}
	if n != 38 {
		t.Errorf("checked %d assessments, want 38 (counted with jq)", n)
	}
}

func TestRecord(t *testing.T) {
	r := parseAll(t)["CVE-2024-3094"]
	want := &feed.NVD{
		CVE:       "CVE-2024-3094",
		Published: time.Date(2024, 3, 29, 17, 15, 21, 150e6, time.UTC),
		Modified:  time.Date(2026, 6, 17, 7, 43, 17, 830e6, time.UTC),
		Status:    "Modified",
		CVSS: []feed.CVSS{
			{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", Score: 10, Source: "secalert@redhat.com"},
			{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", Score: 10, Source: "nvd@nist.gov", Primary: true},
		},
		CWEs: []string{"CWE-506"},
	}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	old := parseAll(t)["CVE-2014-1424"]
	if len(old.CVSS) != 1 || old.CVSS[0].Version != "2.0" || !old.CVSS[0].Primary {
		t.Errorf("CVE-2014-1424 CVSS = %+v, want one primary v2.0", old.CVSS)
	}
}

func TestMalformed(t *testing.T) {
	doc := `{"format":"NVD_CVE","vulnerabilities":[
		{"cve":{"id":"CVE-2024-0001","published":"2024-01-01T00:00:00.000","metrics":{"cvssMetricV31":[{"source":"x","type":"Primary","cvssData":{"version":"3.1","vectorString":"CVSS:3.1/AV:N","baseScore":9.8}}]}}},
		{"cve":{"id":"NOT-A-CVE"}},
		{"cve":{"id":"CVE-2024-0002","published":"soon"}},
		{"cve":{"id":"CVE-2024-0003","metrics":{"cvssMetricV2":[{"cvssData":{"version":"2.0","vectorString":"AV:N/AC:L/Au:N/C:P/I:P/A:P","baseScore":75}}]}}},
		{"cve":"text"},
		{"cve":{"id":"CVE-2024-0004","lastModified":"2024-02-01T00:00:00"}}
	]}`
	var bad []string
	var good []string
	err := Parser{}.Parse(t.Context(), "x.json", strings.NewReader(doc), func(r feed.Record) error {
		if r.Bad != nil {
			bad = append(bad, r.Bad.Record)
		} else {
			good = append(good, r.NVD.CVE)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"CVE-2024-0001", "NOT-A-CVE", "CVE-2024-0002", "CVE-2024-0003", "vulnerabilities[4]"}, bad); diff != "" {
		t.Errorf("bad (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"CVE-2024-0004"}, good); diff != "" {
		t.Errorf("good (-want +got):\n%s", diff)
	}
	for _, doc := range []string{`[]`, `{"format":"NVD_CVE"}`, `{"vulnerabilities":{}}`, `{"vulnerabilities":[{"cve":{}},`} {
		if err := (Parser{}).Parse(t.Context(), "x.json", strings.NewReader(doc), func(feed.Record) error { return nil }); err == nil {
			t.Errorf("Parse(%s) = nil, want an error", doc)
		}
	}
}

func FuzzParse(f *testing.F) {
	b, err := os.ReadFile("testdata/CVE-2016-1585.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"vulnerabilities":[{"cve":{"id":"CVE-2024-0004"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = Parser{}.Parse(t.Context(), "f.json", bytes.NewReader(data), func(r feed.Record) error {
			if r.NVD != nil {
				for _, c := range r.NVD.CVSS {
					if !(c.Score >= 0 && c.Score <= 10) {
						t.Fatalf("score %v out of range", c.Score)
					}
				}
			}
			return nil
		})
	})
}
