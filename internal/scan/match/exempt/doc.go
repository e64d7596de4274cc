// Package exempt reads the documents that silence findings in `drydock
// scan`: ignore files ([Ignore]) and OpenVEX documents ([VEX]). Both
// implement the scanner's exempter contract: given a finding of an image,
// mark it silenced (finding.Finding.Exempted, with the Exemption saying
// why, and the VEX statement for VEX) when a rule or statement covers it.
// Silenced findings stay in the report; they do not count in its summary,
// status or plan.
package exempt
