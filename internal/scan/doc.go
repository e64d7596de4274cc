// Package scan is drydock's image scanner as a library: the `drydock scan`
// command and the server's scan workers both call it.
//
// # Steps
//
//	source (registry, layout, archive, dir, store)  -> one Image per platform
//	layer reader + extractors (extract.Session)     -> inventory: OS release, packages by layer
//	matchers (match.Match) against the advisory DB  -> findings
//	finding.Report.Finalize                         -> summary, status, remediation plan
//
// [Scan] runs them for every image of a source, [ScanImage] for one. Each
// layer is streamed once, in order, through the layer reader; nothing is
// unpacked or written anywhere.
//
// # Outcomes
//
// Every image gets a report. An artifact or a Windows image is
// notApplicable with the reason; a malformed or hostile image (a bad
// manifest or config, a digest or diff_id that does not match, a corrupt
// or truncated layer, a layer over one of the [Options.Limits] such as a
// decompression bomb, an extractor that fails on its package database) is
// failed with the reason, never a crash; without an advisory database the
// report is pending ([ReasonNoDatabase]) and lists the inventory. Errors
// are returned only when the source cannot be resolved at all, when the
// context ends, or when the database cannot be read.
package scan
