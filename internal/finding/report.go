package finding

import (
	"fmt"
	"time"
)

// SchemaV1 is the value of [Report.Schema] for this version of the format.
const SchemaV1 = "drydock.report/v1"

// ReportStatus is the outcome of a scan as a whole.
type ReportStatus string

// The report statuses.
const (
	// StatusHealthy: scanned, no active finding.
	StatusHealthy ReportStatus = "healthy"
	// StatusUnhealthy: scanned, at least one active (non-exempted) finding.
	StatusUnhealthy ReportStatus = "unhealthy"
	// StatusNotApplicable: not something drydock scans (Windows image,
	// non-image artifact); Report.Reason says why.
	StatusNotApplicable ReportStatus = "notApplicable"
	// StatusFailed: the scan could not complete; Report.Reason says why.
	StatusFailed ReportStatus = "failed"
	// StatusPending: no advisory database is loaded yet, so findings are
	// not known.
	StatusPending ReportStatus = "pending"
)

// Report is a whole scan report: the canonical JSON document
// (schema [SchemaV1]).
type Report struct {
	// Schema is always SchemaV1.
	Schema string `json:"schema"`
	// Image identifies what was scanned.
	Image Image `json:"image"`
	// Status is the outcome; see [Status].
	Status ReportStatus `json:"status"`
	// Reason explains a notApplicable or failed status.
	Reason string `json:"reason,omitempty"`
	// ScannedAt is when the scan (or the last re-match) ran.
	ScannedAt time.Time `json:"scannedAt"`
	// DB identifies the advisory database used.
	DB DB `json:"db"`
	// Packages is the inventory.
	Packages []Package `json:"packages"`
	// Findings are all findings, silenced ones included.
	Findings []Finding `json:"findings"`
	// Summary counts the active findings by severity; see [Summarize].
	Summary Summary `json:"summary"`
	// RemediationPlan is set when there is something to fix; see [Plan].
	RemediationPlan *RemediationPlan `json:"remediationPlan,omitempty"`
	// Unchecked lists the packages that were not matched against any
	// advisory, grouped by ecosystem and type, with the reason: their
	// having no findings says nothing about them. Empty when every
	// package was checked (and in a pending report, where none was).
	Unchecked []Unchecked `json:"unchecked,omitempty"`
}

// Unchecked is a group of packages that could not be matched.
type Unchecked struct {
	// Ecosystem is the advisory ecosystem the packages would be matched
	// in ("Debian:13", "crates.io"); empty when it is not known (an OS
	// package of a release drydock does not identify).
	Ecosystem string `json:"ecosystem,omitempty"`
	// Type is the package type (deb, apk, cargo, ...).
	Type string `json:"type"`
	// Packages is how many packages of the report are in the group.
	Packages int `json:"packages"`
	// Reason says why, in a sentence.
	Reason string `json:"reason"`
}

// String says it in a line: "14 apk packages not checked: REASON".
func (u Unchecked) String() string {
	noun := "packages"
	if u.Packages == 1 {
		noun = "package"
	}
	return fmt.Sprintf("%d %s %s not checked: %s", u.Packages, u.Type, noun, u.Reason)
}

// UncheckedPackages returns the number of packages in r.Unchecked.
func (r *Report) UncheckedPackages() int {
	n := 0
	for _, u := range r.Unchecked {
		n += u.Packages
	}
	return n
}

// Image identifies the scanned image.
type Image struct {
	// Repository name, including the registry namespace ("team/app").
	Repository string `json:"repository"`
	// Digest of the image manifest.
	Digest string `json:"digest"`
	// Platform as os/arch[/variant], e.g. "linux/amd64".
	Platform string `json:"platform"`
	// Reference is the reference the image was asked for
	// ("registry.example.com/team/app:1.0", "oci:/srv/layout:v1"), set on
	// the failed report of a root manifest that could not be made into
	// images (its digest is then the sha256 of the bytes received): with
	// no platform image to name, it says what was scanned.
	Reference string `json:"reference,omitempty"`
	// OS is the detected operating system release.
	OS OS `json:"os"`
}

// OS is the operating system release of an image.
type OS struct {
	// Family is the os-release ID: alpine, debian, ubuntu, rhel, wolfi, ...
	Family string `json:"family"`
	// Version is the release, e.g. "3.4.6", "12".
	Version string `json:"version"`
	// EOL is true when the release no longer receives security fixes.
	EOL bool `json:"eol"`
}

// DB identifies an advisory database.
type DB struct {
	// Version of the database.
	Version string `json:"version"`
	// UpdatedAt is when its newest data was produced; zero when no
	// database is loaded.
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// Summary counts findings. The five severity counts include active findings
// only; Exempted counts the silenced ones.
type Summary struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Unknown  int `json:"unknown"`
	Exempted int `json:"exempted"`
}

// Total returns the number of active findings.
func (s Summary) Total() int { return s.Critical + s.High + s.Medium + s.Low + s.Unknown }

// Count returns the number of active findings of severity sev.
func (s Summary) Count(sev Severity) int {
	switch sev {
	case Critical:
		return s.Critical
	case High:
		return s.High
	case Medium:
		return s.Medium
	case Low:
		return s.Low
	default:
		return s.Unknown
	}
}

// Summarize counts findings: active ones by severity, silenced ones in
// Exempted.
func Summarize(findings []Finding) Summary {
	var s Summary
	for i := range findings {
		f := &findings[i]
		if !f.Active() {
			s.Exempted++
			continue
		}
		switch f.Severity {
		case Critical:
			s.Critical++
		case High:
			s.High++
		case Medium:
			s.Medium++
		case Low:
			s.Low++
		default:
			s.Unknown++
		}
	}
	return s
}

// Conditions are the facts about a scan, other than its findings, that
// decide its status. The zero value is a completed scan against a loaded
// advisory database.
type Conditions struct {
	// Failed: the scan could not complete.
	Failed bool
	// NotApplicable: the artifact is not something drydock scans.
	NotApplicable bool
	// NoDatabase: no advisory database is loaded.
	NoDatabase bool
}

// Status decides a report's status. The first rule that applies wins:
//
//  1. failed, when c.Failed;
//  2. notApplicable, when c.NotApplicable;
//  3. pending, when c.NoDatabase;
//  4. unhealthy, when at least one finding is active (not exempted),
//     whatever its severity or fix status;
//  5. healthy otherwise (no findings, or all of them exempted).
func Status(findings []Finding, c Conditions) ReportStatus {
	switch {
	case c.Failed:
		return StatusFailed
	case c.NotApplicable:
		return StatusNotApplicable
	case c.NoDatabase:
		return StatusPending
	}
	for i := range findings {
		if findings[i].Active() {
			return StatusUnhealthy
		}
	}
	return StatusHealthy
}

// Finalize completes a report whose Image, DB, ScannedAt, Packages and
// Findings are filled in: it sets Schema, fills each finding's empty
// Remediation with [Remediation], and sets Summary, Status (from c, see
// [Status]) and RemediationPlan ([Plan] plus [BaseImageHint] for an
// unhealthy image; only the hint for a healthy or pending one on an
// end-of-life release; nil otherwise). compare orders fixed versions; see [CompareFunc].
// Reason is left to the caller.
func (r *Report) Finalize(compare CompareFunc, c Conditions) error {
	r.Schema = SchemaV1
	for i := range r.Findings {
		if r.Findings[i].Remediation == "" {
			r.Findings[i].Remediation = Remediation(&r.Findings[i])
		}
	}
	r.Summary = Summarize(r.Findings)
	r.Status = Status(r.Findings, c)
	r.RemediationPlan = nil
	if r.Status == StatusHealthy || r.Status == StatusPending {
		// Nothing to upgrade, but an end-of-life release is itself the
		// thing to fix: its advisories have stopped, so "no findings"
		// will stay true whatever is found later.
		if hint := BaseImageHint(r.Image.OS); hint != "" {
			r.RemediationPlan = &RemediationPlan{Upgrades: []Upgrade{}, BaseImageHint: hint}
		}
		return nil
	}
	if r.Status != StatusUnhealthy {
		return nil
	}
	p, err := Plan(r.Findings, compare)
	if err != nil {
		return fmt.Errorf("finding: finalize %s: %w", r.Image.Digest, err)
	}
	p.BaseImageHint = BaseImageHint(r.Image.OS)
	r.RemediationPlan = p
	return nil
}

// MarshalJSON encodes the report with Schema defaulting to SchemaV1,
// packages and findings always present as arrays, and each finding as
// [Finding.MarshalJSON] encodes it.
func (r Report) MarshalJSON() ([]byte, error) {
	w := reportJSON{Schema: r.Schema, Image: r.Image, Status: r.Status, Reason: r.Reason,
		ScannedAt: r.ScannedAt, DB: r.DB, Packages: r.Packages, Findings: make([]findingJSON, len(r.Findings)),
		Summary: r.Summary, RemediationPlan: r.RemediationPlan, Unchecked: r.Unchecked}
	if w.Schema == "" {
		w.Schema = SchemaV1
	}
	if w.Packages == nil {
		w.Packages = []Package{}
	}
	for i := range r.Findings {
		w.Findings[i] = findingJSON(r.Findings[i]).withLists()
	}
	return marshal(w)
}

// reportJSON is a Report as MarshalJSON writes it: the same fields, with
// the findings as findingJSON, which has no MarshalJSON method. Were each
// finding encoded by its own, encoding/json would read its output again
// to check it: that was half the time of encoding a report of 400
// findings. TestReportJSONFields keeps the two types in step.
type reportJSON struct {
	Schema          string           `json:"schema"`
	Image           Image            `json:"image"`
	Status          ReportStatus     `json:"status"`
	Reason          string           `json:"reason,omitempty"`
	ScannedAt       time.Time        `json:"scannedAt"`
	DB              DB               `json:"db"`
	Packages        []Package        `json:"packages"`
	Findings        []findingJSON    `json:"findings"`
	Summary         Summary          `json:"summary"`
	RemediationPlan *RemediationPlan `json:"remediationPlan,omitempty"`
	Unchecked       []Unchecked      `json:"unchecked,omitempty"`
}
