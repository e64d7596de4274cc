package vulndb

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/vulndb/feed"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

func TestRate(t *testing.T) {
	nvd98 := &Enrichment{CVE: "CVE-2024-1", NVD: &feed.NVD{CVE: "CVE-2024-1", CVSS: []feed.CVSS{
		{Version: "2.0", Vector: "AV:N/AC:L/Au:N/C:P/I:P/A:P", Score: 7.5, Primary: true},
		{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8, Source: "cna", Primary: false},
		{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", Score: 6.5, Source: "nvd@nist.gov", Primary: true},
	}}}
	kev := &Enrichment{CVE: "CVE-2024-1", KEV: &feed.KEV{CVE: "CVE-2024-1", DateAdded: day(9)}}
	pkg := func(eco string, spec string) osv.Affected {
		a := osv.Affected{Package: osv.Package{Ecosystem: eco, Name: "p"}}
		if spec != "" {
			a.EcosystemSpecific = json.RawMessage(spec)
		}
		return a
	}
	v3 := []osv.Severity{{Type: osv.SeverityCVSSv3, Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H"}}
	v4v3 := []osv.Severity{
		{Type: osv.SeverityCVSSv3, Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
		{Type: osv.SeverityCVSSv4, Score: "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"},
	}
	tests := []struct {
		name string
		e    osv.Entry
		enr  []*Enrichment
		want Rating
	}{
		{name: "AlmaLinux summary rating wins over CVSS",
			e:    osv.Entry{ID: "ALSA-2024:1", Summary: "Important: openssl security update", Related: []string{"CVE-2024-1"}, Affected: []osv.Affected{pkg("AlmaLinux:9", "")}},
			enr:  []*Enrichment{nvd98},
			want: Rating{Level: High, Raw: "Important", Source: "AlmaLinux", CVSS: &nvd98.NVD.CVSS[2]}},
		{name: "Rocky severity in ecosystem_specific",
			e:    osv.Entry{ID: "RLSA-2024:1", Summary: "kernel update", Affected: []osv.Affected{pkg("Rocky Linux:9", `{"severity":"Moderate"}`)}},
			want: Rating{Level: Medium, Raw: "Moderate", Source: "Rocky Linux"}},
		{name: "Debian unimportant is Low",
			e:    osv.Entry{ID: "DEBIAN-CVE-2024-1", Aliases: []string{"CVE-2024-1"}, Affected: []osv.Affected{pkg("Debian:12", `{"status":"open","urgency":"unimportant"}`)}},
			enr:  []*Enrichment{nvd98},
			want: Rating{Level: Low, Raw: "unimportant", Source: "Debian", CVSS: &nvd98.NVD.CVSS[2]}},
		{name: "Debian urgency with marks",
			e:    osv.Entry{ID: "DEBIAN-CVE-2024-1", Affected: []osv.Affected{pkg("Debian:11", `{"status":"open","urgency":"medium**"}`)}},
			want: Rating{Level: Medium, Raw: "medium**", Source: "Debian"}},
		{name: "Debian not yet assigned falls back to NVD (v3.1 primary)",
			e:    osv.Entry{ID: "DEBIAN-CVE-2024-1", Aliases: []string{"CVE-2024-1"}, Affected: []osv.Affected{pkg("Debian:12", `{"status":"open","urgency":"not yet assigned"}`)}},
			enr:  []*Enrichment{nvd98},
			want: Rating{Level: Medium, Raw: nvd98.NVD.CVSS[2].Vector, Source: "NVD CVSS v3.1", CVSS: &nvd98.NVD.CVSS[2]}},
		{name: "Alpine has no rating: record CVSS",
			e:    osv.Entry{ID: "ALPINE-CVE-2024-1", Severity: v3, Affected: []osv.Affected{pkg("Alpine:v3.19", "")}},
			want: Rating{Level: Medium, Raw: v3[0].Score, Source: "advisory CVSS v3.1", CVSS: &feed.CVSS{Version: "3.1", Vector: v3[0].Score, Score: 6.5}}},
		{name: "Alpine without anything is Unknown",
			e:    osv.Entry{ID: "ALPINE-XSA-1", Affected: []osv.Affected{pkg("Alpine:v3.19", "")}},
			want: Rating{Level: Unknown}},
		{name: "Ubuntu priority",
			e:    osv.Entry{ID: "UBUNTU-CVE-2024-1", Severity: []osv.Severity{{Type: "Ubuntu", Score: "negligible"}}, Affected: []osv.Affected{pkg("Ubuntu:22.04:LTS", "")}},
			want: Rating{Level: Low, Raw: "negligible", Source: "Ubuntu"}},
		{name: "language package: record CVSS v4 before v3",
			e:    osv.Entry{ID: "RUSTSEC-2024-1", Severity: v4v3, Affected: []osv.Affected{pkg("crates.io", "")}},
			want: Rating{Level: High, Raw: v4v3[1].Score, Source: "advisory CVSS v4.0", CVSS: &feed.CVSS{Version: "4.0", Vector: v4v3[1].Score, Score: 8.5}}},
		{name: "language package: CVSS beats the feed's word",
			e:    osv.Entry{ID: "GHSA-1", Severity: v3, DatabaseSpecific: json.RawMessage(`{"severity":"CRITICAL"}`), Affected: []osv.Affected{pkg("npm", "")}},
			want: Rating{Level: Medium, Raw: v3[0].Score, Source: "advisory CVSS v3.1", CVSS: &feed.CVSS{Version: "3.1", Vector: v3[0].Score, Score: 6.5}}},
		{name: "language package: affected severity before record severity",
			e: osv.Entry{ID: "GHSA-1", Severity: v4v3, Affected: []osv.Affected{{Package: osv.Package{Ecosystem: "npm", Name: "p"},
				Severity: []osv.Severity{{Type: osv.SeverityCVSSv2, Score: "AV:N/AC:L/Au:N/C:P/I:P/A:P"}}}}},
			want: Rating{Level: High, Raw: "AV:N/AC:L/Au:N/C:P/I:P/A:P", Source: "advisory CVSS v2.0", CVSS: &feed.CVSS{Version: "2.0", Vector: "AV:N/AC:L/Au:N/C:P/I:P/A:P", Score: 7.5}}},
		{name: "bad vector ignored, NVD used",
			e:    osv.Entry{ID: "GHSA-1", Aliases: []string{"CVE-2024-1"}, Severity: []osv.Severity{{Type: osv.SeverityCVSSv3, Score: "CVSS:3.1/nonsense"}}, Affected: []osv.Affected{pkg("npm", "")}},
			enr:  []*Enrichment{nvd98},
			want: Rating{Level: Medium, Raw: nvd98.NVD.CVSS[2].Vector, Source: "NVD CVSS v3.1", CVSS: &nvd98.NVD.CVSS[2]}},
		{name: "feed word when nothing else",
			e:    osv.Entry{ID: "GHSA-1", DatabaseSpecific: json.RawMessage(`{"severity":"MODERATE"}`), Affected: []osv.Affected{pkg("Maven", "")}},
			want: Rating{Level: Medium, Raw: "MODERATE", Source: "advisory rating"}},
		{name: "KEV flagged",
			e:    osv.Entry{ID: "GO-2024-1", Affected: []osv.Affected{pkg("Go", "")}},
			enr:  []*Enrichment{kev},
			want: Rating{Level: Unknown, KEV: true, KEVAdded: day(9)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Rate(&tc.e, nil, tc.enr)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestRateRealAlmaLinux runs the policy on a real ALSA record and the real
// NVD record of its CVE family through a database.
func TestRateRealRecords(t *testing.T) {
	b, err := os.ReadFile("osv/testdata/ALSA-2022-4587.json")
	if err != nil {
		t.Fatal(err)
	}
	alsa, err := osv.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	b, err = os.ReadFile("osv/testdata/GHSA-jfh8-c2jp-5v3q.json")
	if err != nil {
		t.Fatal(err)
	}
	ghsa, err := osv.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	s := newStore(t)
	build(t, s, nil, src{"x", []feed.Record{{Advisory: alsa}, {Advisory: ghsa},
		{KEV: &feed.KEV{CVE: "CVE-2021-44228", DateAdded: day(10)}}}})
	db := open(t, s)
	r, err := db.Rate(alsa, &alsa.Affected[0])
	if err != nil || r.Level != High || r.Source != "AlmaLinux" || r.Raw != "Important" {
		t.Errorf("ALSA-2022:4587 rated %+v, %v", r, err)
	}
	r, err = db.Rate(ghsa, &ghsa.Affected[0])
	if err != nil || r.Level != Critical || !r.KEV || r.CVSS == nil || r.CVSS.Score != 10 {
		t.Errorf("Log4Shell rated %+v, %v", r, err)
	}
}
