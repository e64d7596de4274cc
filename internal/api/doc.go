// Package api serves drydock's native REST API under /api/v1: scan
// results, findings, plans, usage and status, described by the OpenAPI 3
// document at /api/v1/openapi.json.
//
// # Resources
//
//	/api/v1/subscriptions[/{subscription}[/plan|/rescan]]
//	/api/v1/registries[/{registry}[/plan|/rescan]]
//	/api/v1/repositories[/{name}[/images|/rescan]]
//	/api/v1/repositories/{name}/manifests/{digest}[/report|/sbom|/rescan]
//	/api/v1/images, /api/v1/findings[/changes], /api/v1/assessments
//	/api/v1/usage, /api/v1/db, /api/v1/scans
//	/api/v1/registries/{registry}/policy, /api/v1/registries/{registry}/breakglass
//	/api/v1/audit
//
// A repository name contains slashes, so the router matches {name} over
// as many path segments as the rest of the template leaves; among routes
// that match, the one with the most literal segments is tried first, and a
// handler that finds no such repository passes the request to the next
// (a repository named "team/images" is still reachable).
//
// # Conventions
//
// JSON everywhere; errors are RFC 9457 problem documents. Listings are
// pages {"items": [...], "nextCursor": "..."}: pass ?cursor= for the next
// page, ?limit= (1-1000, default 100) for its size. /findings and /usage
// also answer CSV (?format=csv or Accept: text/csv); a CSV export holds
// every row the filters select.
//
// # Tenancy
//
// Every request carries an access.Identity (put there by the server's
// guard, or by Deps.Auth). Every read is restricted to the identity's
// subscriptions, and to its repositories when the credential is limited to
// some; something outside them answers 404 as if it did not exist. Plans
// and rescans of a whole subscription or registry need a credential that
// is not limited to repositories.
//
// # Roles
//
// Writes need a role in the subscription, or in the registry they act on
// (access.Identity.Can; see roles.go): contributor for rescans, exemptions
// and break-glass overrides, owner for plans and pull policies; reading the
// audit log needs owner. The OpenAPI document names each operation's least
// role (x-drydock-role). A caller that sees the subscription without the
// role gets 403 naming the role it needs, and the refusal is audited.
//
// # Audit
//
// Plan switches, rescans, exemption creation and deletion, pull policy
// changes and break-glass overrides (start, end) are recorded through
// Deps.Audit with who, what, from where and the outcome; GET /api/v1/audit
// reads them back (with sign-ins, token changes, deletes and pulls served
// under break-glass) for owners, newest first.
package api
