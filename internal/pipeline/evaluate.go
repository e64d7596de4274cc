package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/store"
)

// evaluation turns a report into what the store records: status, summary
// and one record per finding, with a fingerprint of everything a
// re-evaluation may change.
func evaluation(ref store.ImageRef, r *finding.Report, inventory string) store.Evaluation {
	ev := store.Evaluation{
		Image: ref, Status: string(r.Status), Reason: r.Reason,
		OSFamily: r.Image.OS.Family, OSVersion: r.Image.OS.Version, OSEOL: r.Image.OS.EOL,
		Inventory: inventory, Packages: len(r.Packages), Unchecked: r.UncheckedPackages(), DBVersion: r.DB.Version, At: r.ScannedAt,
		Summary: store.Summary{Critical: r.Summary.Critical, High: r.Summary.High, Medium: r.Summary.Medium,
			Low: r.Summary.Low, Unknown: r.Summary.Unknown, Exempted: r.Summary.Exempted},
	}
	if ev.Image.Platform == "" {
		ev.Image.Platform = r.Image.Platform
	}
	seen := make(map[string]bool, len(r.Findings))
	for i := range r.Findings {
		f := &r.Findings[i]
		rec := store.FindingRecord{
			AdvisoryID: f.ID, PackageType: f.Package.Type, PackageName: f.Package.Name,
			PackageVersion: f.Package.Version, PackageArch: f.Package.Arch, PackagePath: f.Package.Path, PURL: f.Package.PURL,
			Severity: int(f.Severity), FixedVersion: f.FixedVersion, FixStatus: f.FixStatus.String(),
			Title: f.Title, Layer: f.Layer, Exempted: f.Exempted,
		}
		if f.Exemption != nil {
			rec.ExemptionID = f.Exemption.ID
		}
		// One finding per advisory and package (type, name, version,
		// architecture and path).
		if k := rec.Key(); !seen[k] {
			seen[k] = true
			ev.Findings = append(ev.Findings, rec)
		}
	}
	ev.Fingerprint = fingerprint(&ev)
	return ev
}

// fingerprint hashes what a stored evaluation's row and findings hold,
// apart from times and the database version.
func fingerprint(ev *store.Evaluation) string {
	lines := make([]string, 0, len(ev.Findings)+1)
	lines = append(lines, strings.Join([]string{ev.Status, ev.Reason, ev.OSFamily, ev.OSVersion,
		strconv.FormatBool(ev.OSEOL), ev.Inventory, strconv.Itoa(ev.Packages), strconv.Itoa(ev.Unchecked)}, "\x00"))
	for _, f := range ev.Findings {
		lines = append(lines, strings.Join([]string{f.Key(), strconv.Itoa(f.Severity), f.FixedVersion, f.FixStatus,
			f.Title, f.Layer, f.PURL, strconv.FormatBool(f.Exempted), f.ExemptionID}, "\x00"))
	}
	slices.Sort(lines[1:])
	h := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(h[:16])
}
