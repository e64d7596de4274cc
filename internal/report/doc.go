// Package report writes scan results in every output format drydock
// offers: table, json, sarif, cyclonedx and spdx.
//
// Results are a stream sent to a [Handler]: the inventory's packages, the
// findings, then the report-level facts (image, status, summary, plan),
// then [Handler.Flush], which writes the document. JSON
// (schema "drydock.report/v1", the [finding.Report] type) is the canonical
// form; every other format can be produced from stored JSON with [Decode]
// and [Replay]:
//
//	r, err := report.Decode(stored)
//	h, err := report.New("sarif", os.Stdout)
//	err = report.Replay(ctx, r, h)
//
// # Formats
//
//   - table: for people. Findings grouped by package, worst first (a
//     silenced one marked, with its reason under it), the
//     remediation plan and a summary line with the advisory database's
//     age. ANSI colors only when the writer is a terminal.
//   - json: the canonical report (PRODUCT.md, "Scan report JSON").
//   - sarif: SARIF 2.1.0 (OASIS), one rule per advisory, one result per
//     finding located at the file the package was read from; exempted
//     findings carry a suppression. Built with github.com/owenrumney/go-sarif/v3.
//   - cyclonedx: CycloneDX 1.6 JSON with the image as metadata component,
//     every package as a component (with its purl) and every finding as a
//     vulnerability (ratings, affects, recommendation, and an analysis for
//     exempted and VEX-silenced findings). Built with
//     github.com/CycloneDX/cyclonedx-go.
//   - spdx: SPDX 2.3 JSON, an SBOM: the image, its OS and every package
//     (purl as a PACKAGE-MANAGER reference, advisories as SECURITY
//     references) with CONTAINS relationships. SPDX 2.3 has no vulnerability
//     model beyond those references. Built with github.com/spdx/tools-golang.
//
// Every format is deterministic: the same report gives the same bytes
// (document ids and serial numbers are derived from the image digest and
// scan time), so outputs can be golden-tested and diffed.
package report
