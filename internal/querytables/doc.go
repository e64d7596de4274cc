// Package querytables is the kql.Catalog of drydock's fleet query
// (POST /api/v1/query, drydock query): the provider's securityresources
// table and drydock's own tables, read from the store for one caller.
//
// # Tenancy
//
// [Tables.Catalog] binds every table to the caller's access.Identity. Each
// table's Scan reads through a projection.Scope (or the store with the
// scope's subscription list), so the store returns only the caller's
// subscriptions, and rows of repositories a repository-scoped token may
// not read are dropped, before any row reaches the engine. Filters pushed
// down by the engine can only narrow that.
//
// # Tables
//
// subscriptionId is the provider's id of a subscription (see package
// projection), subscription drydock's own id. Strings are never null;
// datetimes and reals are null when unknown.
//
// securityresources (the provider's resource graph table; rows exactly as
// the provider REST API renders them, type lower-cased as the provider's
// graph has it): id, name, type, tenantId, subscriptionId, resourceGroup
// (string), properties (dynamic). One row per registry and assessment key
// (type microsoft.security/assessments) and per finding and key
// (microsoft.security/assessments/subassessments).
//
// images (one row per platform image): subscriptionId, subscription,
// registry, repository, digest, parentDigest (the index, if any),
// platform, mediaType (string), tags (dynamic array), status, reason, os,
// osVersion (string), osEol (bool), packages, critical, high, medium, low,
// unknown, exempted (long), dbVersion (string), pushedAt, lastPulledAt,
// scannedAt, firstScannedAt (datetime).
//
// findings (one row per stored finding, advisory x package x image):
// subscriptionId, subscription, registry, repository, digest, platform,
// id (the advisory), package, version, type, arch (the package's
// architecture: libc6 of amd64 and of i386 are two rows), path, purl,
// fixedVersion, fixStatus, severity (Critical, High, Medium, Low,
// Unknown), title, layer (string), exempted (bool), exemptionId (string),
// firstSeenAt (datetime).
//
// packages (one row per package of an image's inventory): subscriptionId,
// subscription, registry, repository, digest, platform, os, osVersion,
// name, version, type, arch, purl, path, layer, sourceName,
// sourceVersion (string).
//
// advisories (one row per advisory with findings in the caller's images):
// id (string), aliases (dynamic), title, description, severity,
// severitySource, cvssVersion (string), cvssScore (real), cvssVector
// (string), publishedAt (datetime), references (dynamic), kev (bool),
// epssScore (real), fixAvailable (bool), images, findings, exempted
// (long). Severity and CVSS are those of the advisory's most severe
// finding.
//
// usage (billable image scans): subscriptionId, subscription, registry
// (string), day (datetime, midnight UTC), images (long).
//
// # Pushdown and cost
//
// Equality filters right after a table are used where they are cheap:
// subscription and subscriptionId everywhere; registry, repository,
// digest, status (images); id, package, severity, exempted (findings);
// type, resourceGroup and id (securityresources: a filter on type skips
// the assessments or the sub-assessments). images, findings and usage
// are store reads in pages of 500. securityresources, packages and
// advisories render images' reports (the stored inventory matched against
// the current advisory database), cached per image evaluation by the
// projection; images without findings cost nothing in securityresources.
package querytables
