package report

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/drydock/drydock/internal/finding"
)

// BenchmarkJSON writes a report the size of the bench's lang image's
// (about 1,000 packages and 400 findings, 0.9 MB of JSON) in the json
// format: go test ./internal/report -run '^$' -bench JSON.
func BenchmarkJSON(b *testing.B) {
	r := &finding.Report{Schema: finding.SchemaV1, Status: finding.StatusUnhealthy, ScannedAt: time.Unix(1.8e9, 0).UTC()}
	for i := range 1000 {
		r.Packages = append(r.Packages, finding.Package{Name: fmt.Sprintf("package-%d", i), Version: "1.2.3-4", Type: "npm",
			PURL: fmt.Sprintf("pkg:npm/package-%d@1.2.3-4", i), Layer: "sha256:" + strings.Repeat("ab", 32),
			Path: fmt.Sprintf("app/node_modules/package-%d/package.json", i)})
	}
	for i := range 400 {
		p := r.Packages[i]
		r.Findings = append(r.Findings, finding.Finding{ID: fmt.Sprintf("GHSA-%04d-xxxx-yyyy", i), Aliases: []string{fmt.Sprintf("CVE-2024-%05d", i)},
			Package: p, FixedVersion: "1.2.4", FixStatus: finding.FixAvailable, Severity: finding.High, SeveritySource: "GitHub",
			CVSS:  &finding.CVSS{Version: "3.1", Score: 7.5, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"},
			Title: "Denial of service in " + p.Name, Description: strings.Repeat("An attacker can send a crafted \"request\" <x> & so on. ", 12),
			References: []string{"https://github.com/advisories/x", "https://nvd.nist.gov/vuln/detail/y", "https://example.com/z"},
			Layer:      p.Layer, Remediation: "Upgrade " + p.Name + " to 1.2.4 or later."})
	}
	for b.Loop() {
		if err := Replay(context.Background(), r, NewJSON(io.Discard)); err != nil {
			b.Fatal(err)
		}
	}
}
