// Package osv holds drydock's canonical advisory model: the OSV schema
// (https://ossf.github.io/osv-schema/, version 1.7), as plain types with no I/O.
//
// Every feed importer turns its input into [Entry] values; the advisory
// database stores them and the matchers read them.
//
// # Supported subset of the schema
//
// Kept and typed: schema_version, id, modified, published, withdrawn,
// aliases, related, upstream, summary, details, severity[] (type + score;
// CVSS_V2, CVSS_V3, CVSS_V4 and Ubuntu are understood by the severity policy,
// other types are kept as-is), affected[] (package ecosystem/name/purl,
// severity[], ranges[] of type ECOSYSTEM, SEMVER and GIT with repo and
// introduced/fixed/last_affected/limit events and the range's
// database_specific, versions[], ecosystem_specific, database_specific),
// references[] (type + url), credits[] (name, contact, type),
// database_specific.
//
// The *_specific objects are kept as raw JSON (compacted; after YAML-to-JSON
// conversion for YAML feeds): drydock reads a few known keys (severity,
// urgency) and passes the rest through.
//
// Not kept: unknown top-level fields (they are ignored, as the schema
// allows). GIT ranges are stored but never match a package version: they
// name commits, not releases.
//
// # Validation
//
// [Parse] decodes and then [Entry.Validate]: an entry
// needs an id and a parseable modified timestamp; every affected entry needs
// a package (ecosystem and name) unless all its ranges are GIT ranges; every
// range has a known type, at least one event, exactly one field per event and
// at least one introduced event; a GIT range names its repo. Timestamps are
// RFC 3339; a missing zone is read as UTC and a bare date as midnight UTC,
// because real feeds write both.
package osv
