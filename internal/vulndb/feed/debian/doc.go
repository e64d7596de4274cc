// Package debian imports the Debian security tracker's whole-tracker JSON
// document (https://security-tracker.debian.org/tracker/data/json) and
// converts it to OSV records.
//
// # Document format
//
//	{"<source package>": {
//	   "<CVE-YYYY-NNNN or TEMP-...>": {
//	     "description": "...", "scope": "remote", "debianbug": 123,
//	     "releases": {"<codename>": {
//	        "status": "resolved" | "open" | "undetermined",
//	        "repositories": {"<suite>": "<version>", ...},
//	        "fixed_version": "<version>",
//	        "urgency": "unimportant" | "low" | "medium" | "high" | "not yet assigned" | "end-of-life" (optionally with a trailing "*" or "**"),
//	        "nodsa": "<reason>", "nodsa_reason": "postponed" | "ignored"}}}}}
//
// # Conversion (as the tracker means it)
//
// One OSV record per issue, id "DEBIAN-<issue>" (as OSV.dev names Debian CVE
// records), with the CVE as alias. Each (source package, release) becomes an
// affected entry with package {"Debian:<number>", source package name}
// (codenames are mapped to release numbers: bookworm is "Debian:12"):
//
//   - status "resolved" with fixed_version "0": the release was never
//     affected ("not-affected" in the tracker's text lists); no affected
//     entry. An explicit status "not-affected" is read the same way.
//   - status "resolved" with another fixed_version: ECOSYSTEM range
//     {introduced "0", fixed <fixed_version>}.
//   - status "open" or "undetermined": affected with no fix, range
//     {introduced "0"}.
//
// The release's status, urgency, nodsa and nodsa_reason are kept in the
// affected entry's ecosystem_specific. urgency "unimportant" means the issue
// is real but not treated as a security problem in Debian (no fix is
// planned); it stays affected, rated Low by the severity policy, and
// nodsa_reason "ignored" means the same for DSAs. Releases with no number
// (sid, experimental) are skipped; an unknown codename is reported as a
// malformed record. An issue affecting no numbered release is not written.
package debian
