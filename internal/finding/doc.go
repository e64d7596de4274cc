// Package finding holds the domain types of a scan result: [Package],
// [Finding], [Severity], [FixStatus] and the whole [Report], plus the pure
// functions that derive report-level facts from findings ([Summarize],
// [Status], [Remediation], [Plan]).
//
// It is a leaf package: it imports nothing of drydock's and does no I/O.
// Version ordering, which [Plan] needs, is passed in as a [CompareFunc] so
// that this package does not depend on the version parsers.
//
// # JSON
//
// The JSON encoding of [Report] is the canonical scan report,
// schema [SchemaV1] ("drydock.report/v1"), documented in PRODUCT.md
// ("Scan report JSON"). Field names are stable: fields may be added, never
// renamed. Arrays are always present ([] rather than null); optional objects
// (cvss, epss, exemption, vex, remediationPlan) and unknown timestamps are
// omitted.
//
// # Usage
//
// A scanner fills a [Report] with packages and findings and then calls
// [Report.Finalize], which writes each finding's remediation sentence, the
// summary, the status and the remediation plan:
//
//	r := &finding.Report{Image: img, DB: db, ScannedAt: now, Packages: pkgs, Findings: fs}
//	err := r.Finalize(compare, finding.Conditions{})
//
// # Silenced findings
//
// A finding is silenced when an exemption rule, an ignore file or a VEX
// statement applies to it: Exempted is true and Exemption says why (and VEX
// carries the statement when one was the cause). Silenced findings stay in the
// report but do not count in [Summary] severities, do not make an image
// unhealthy and are left out of the remediation plan.
package finding
