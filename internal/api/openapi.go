package api

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// The OpenAPI 3 document of /api/v1, served at /api/v1/openapi.json. It is
// written out here operation by operation (not derived from the route
// table), and a test checks that it and the routes agree both ways.

// param is an operation parameter.
type param struct {
	name, in, typ, desc string
	required            bool
	enum                []string
}

var (
	pSubscription = param{name: "subscription", in: "path", typ: "string", desc: "Subscription id.", required: true}
	pRegistry     = param{name: "registry", in: "path", typ: "string", desc: "Registry name (the first path element of its repositories).", required: true}
	pName         = param{name: "name", in: "path", typ: "string", required: true,
		desc: "Repository name; it may contain '/' (team/app/api), written as is or escaped."}
	pDigest    = param{name: "digest", in: "path", typ: "string", desc: "Manifest digest (sha256:...).", required: true}
	pExemption = param{name: "id", in: "path", typ: "string", desc: "Exemption id.", required: true}
	pLimit     = param{name: "limit", in: "query", typ: "integer", desc: "Page size, 1 to 1000 (default 100)."}
	pCursor    = param{name: "cursor", in: "query", typ: "string", desc: "The nextCursor of the previous page."}
	pSubQuery  = param{name: "subscription", in: "query", typ: "string", desc: "Only this subscription."}
	pRegQuery  = param{name: "registry", in: "query", typ: "string", desc: "Only this registry."}
	pRepQuery  = param{name: "repository", in: "query", typ: "string", desc: "Only this repository."}
	pFormat    = param{name: "format", in: "query", typ: "string", desc: "json (default) or csv (also chosen by Accept: text/csv).", enum: []string{"json", "csv"}}
)

// operation is one method on one path.
type operation struct {
	method, path, id, tag, summary, desc string
	params                               []param
	body                                 string // request schema name
	resp                                 string // 2xx response schema name
	status                               int    // 2xx status (default 200)
	csv                                  bool
	raw                                  string // media type of a non-JSON 200 body
	// role is the least role a write needs ("contributor", "owner");
	// reads leave it empty (reader). Shown as x-drydock-role.
	role string
}

// Roles named in the document.
const (
	roleReader      = "reader"
	roleContributor = "contributor"
	roleOwner       = "owner"
)

var operations = []operation{
	{method: "GET", path: "/api/v1/openapi.json", id: "getOpenAPI", tag: "meta", summary: "This document.", resp: "Object"},
	{method: "GET", path: "/api/v1/subscriptions", id: "listSubscriptions", tag: "subscriptions",
		summary: "Subscriptions the caller sees, with their plan, image counts by status and registry assessments.", resp: "SubscriptionPage"},
	{method: "GET", path: "/api/v1/subscriptions/{subscription}", id: "getSubscription", tag: "subscriptions",
		summary: "One subscription.", params: []param{pSubscription}, resp: "Subscription"},
	{method: "PUT", path: "/api/v1/subscriptions/{subscription}/plan", id: "setSubscriptionPlan", tag: "plans",
		summary: "Switch scanning on or off for a subscription (null: back to the default).",
		desc:    "Switching on queues the images pushed or pulled within the plan window (default 30 days) as bulk scans. Off: nothing is scanned or metered.",
		params:  []param{pSubscription}, body: "PlanRequest", resp: "PlanResponse", role: roleOwner},
	{method: "POST", path: "/api/v1/subscriptions/{subscription}/rescan", id: "rescanSubscription", tag: "scans",
		summary: "Queue a rescan of every image of a subscription.", params: []param{pSubscription}, resp: "RescanResponse", status: 202, role: roleContributor},
	{method: "GET", path: "/api/v1/registries", id: "listRegistries", tag: "registries",
		summary: "Registries with their type, plan and assessment.", params: []param{pSubQuery}, resp: "RegistryPage"},
	{method: "GET", path: "/api/v1/registries/{registry}", id: "getRegistry", tag: "registries",
		summary: "One registry.", params: []param{pRegistry}, resp: "Registry"},
	{method: "PUT", path: "/api/v1/registries/{registry}/plan", id: "setRegistryPlan", tag: "plans",
		summary: "Override the subscription's scanning switch for one registry (null removes the override).",
		params:  []param{pRegistry}, body: "PlanRequest", resp: "PlanResponse", role: roleOwner},
	{method: "POST", path: "/api/v1/registries/{registry}/rescan", id: "rescanRegistry", tag: "scans",
		summary: "Queue a rescan of every image of a registry.", params: []param{pRegistry}, resp: "RescanResponse", status: 202, role: roleContributor},
	{method: "GET", path: "/api/v1/repositories", id: "listRepositories", tag: "repositories",
		summary: "Repositories in name order.", params: []param{pSubQuery, pRegQuery, pLimit, pCursor}, resp: "RepositoryPage"},
	{method: "GET", path: "/api/v1/repositories/{name}", id: "getRepository", tag: "repositories",
		summary: "One repository.", params: []param{pName}, resp: "Repository"},
	{method: "GET", path: "/api/v1/repositories/{name}/images", id: "listRepositoryImages", tag: "images",
		summary: "Every manifest of a repository with its scan status, summary, tags, last pushed and last pulled times; an index lists its platforms.",
		params:  []param{pName, pLimit, pCursor}, resp: "ManifestPage"},
	{method: "POST", path: "/api/v1/repositories/{name}/rescan", id: "rescanRepository", tag: "scans",
		summary: "Queue a rescan of every image of a repository.", params: []param{pName}, resp: "RescanResponse", status: 202, role: roleContributor},
	{method: "GET", path: "/api/v1/repositories/{name}/manifests/{digest}", id: "getManifest", tag: "images",
		summary: "One manifest's scan status.", params: []param{pName, pDigest}, resp: "Manifest"},
	{method: "GET", path: "/api/v1/repositories/{name}/manifests/{digest}/report", id: "getReport", tag: "images",
		summary: "The scan report (schema drydock.report/v1); for an index, one report per platform.",
		desc:    "The report is matched from the stored inventory against the current advisory database and exemptions. 409 while the image has no result yet.",
		params:  []param{pName, pDigest}, resp: "ReportOrIndexReport"},
	{method: "GET", path: "/api/v1/repositories/{name}/manifests/{digest}/sbom", id: "getSBOM", tag: "images",
		summary: "The image's inventory as an SBOM download: CycloneDX 1.6 (default) or SPDX 2.3 JSON.",
		params: []param{pName, pDigest, {name: "format", in: "query", typ: "string", desc: "cyclonedx (default) or spdx.",
			enum: []string{"cyclonedx", "spdx"}}}, raw: "application/vnd.cyclonedx+json"},
	{method: "POST", path: "/api/v1/repositories/{name}/manifests/{digest}/rescan", id: "rescanManifest", tag: "scans",
		summary: "Queue a rescan of one image (or of an index's platforms).", params: []param{pName, pDigest}, resp: "RescanResponse", status: 202, role: roleContributor},
	{method: "GET", path: "/api/v1/images", id: "listImages", tag: "images",
		summary: "Platform images across the fleet.",
		params: []param{pSubQuery, pRegQuery, pRepQuery, {name: "status", in: "query", typ: "string", desc: "Only images with this status.",
			enum: []string{"queued", "scanning", "healthy", "unhealthy", "notApplicable", "failed", "pending"}}, pLimit, pCursor},
		resp: "ImagePage"},
	{method: "GET", path: "/api/v1/findings", id: "listFindings", tag: "findings",
		summary: "Findings across the fleet, with filters; JSON pages or a CSV export.",
		params: []param{pSubQuery, pRegQuery, pRepQuery,
			{name: "digest", in: "query", typ: "string", desc: "Only this image."},
			{name: "severity", in: "query", typ: "string", desc: "Comma-separated severities (Critical, High, Medium, Low, Unknown)."},
			{name: "id", in: "query", typ: "string", desc: "Advisory id (CVE-..., GHSA-...)."},
			{name: "package", in: "query", typ: "string", desc: "Package name."},
			{name: "fixAvailable", in: "query", typ: "boolean", desc: "Only findings with (true) or without (false) a fixed version."},
			{name: "exempted", in: "query", typ: "boolean", desc: "Only exempted (true) or active (false) findings."},
			pFormat, pLimit, pCursor},
		resp: "FindingPage", csv: true},
	{method: "GET", path: "/api/v1/findings/changes", id: "listFindingChanges", tag: "findings",
		summary: "Findings that appeared (new) or disappeared (resolved), with when and against which database.",
		params:  []param{pSubQuery, pRepQuery, pLimit, pCursor}, resp: "ChangePage"},
	{method: "GET", path: "/api/v1/assessments", id: "listAssessments", tag: "assessments",
		summary: "Per registry: \"Container registry images should have vulnerability findings resolved\": Healthy, Unhealthy or NotApplicable.",
		params:  []param{pSubQuery}, resp: "AssessmentPage"},
	{method: "GET", path: "/api/v1/usage", id: "getUsage", tag: "usage",
		summary: "Billable image scans (first scan of a digest in a subscription) per subscription, registry and day.",
		params: []param{pSubQuery, pRegQuery, {name: "from", in: "query", typ: "string", desc: "First day, YYYY-MM-DD."},
			{name: "to", in: "query", typ: "string", desc: "Last day, YYYY-MM-DD."}, pFormat},
		resp: "Usage", csv: true},
	{method: "GET", path: "/api/v1/exemptions", id: "listExemptions", tag: "exemptions",
		summary: "Exemption rules, expired ones included (expired: true).", params: []param{pSubQuery}, resp: "ExemptionPage"},
	{method: "POST", path: "/api/v1/exemptions", id: "createExemption", tag: "exemptions",
		summary: "Create an exemption: a scope (subscription, registry, repository pattern, image digest or package), one match (advisoryId, severityAtOrBelow or noFixAvailable), a reason and an optional expiry.",
		desc:    "Exempt findings stay visible with exempted: true and stop counting toward health; the subscription's images are re-evaluated at once, and again when the rule expires.",
		body:    "Exemption", resp: "Exemption", status: 201, role: roleContributor},
	{method: "GET", path: "/api/v1/exemptions/{id}", id: "getExemption", tag: "exemptions",
		summary: "One exemption.", params: []param{pExemption}, resp: "Exemption"},
	{method: "DELETE", path: "/api/v1/exemptions/{id}", id: "deleteExemption", tag: "exemptions",
		summary: "Delete an exemption; its findings count again.", params: []param{pExemption}, status: 204, role: roleContributor},
	{method: "GET", path: "/api/v1/db", id: "getDB", tag: "status",
		summary: "The advisory database in use (version, age, sources) and the re-evaluation of stored images.", resp: "DBStatus"},
	{method: "GET", path: "/api/v1/scans", id: "getScans", tag: "status",
		summary: "Scan queue depth by job state, images by status, re-evaluation and layer cache counters.", resp: "ScanStatus"},
	{method: "GET", path: "/api/v1/registries/{registry}/policy", id: "getPullPolicy", tag: "policies",
		summary: "The registry's pull policy and the break-glass overrides in force.", params: []param{pRegistry}, resp: "PullPolicy"},
	{method: "PUT", path: "/api/v1/registries/{registry}/policy", id: "setPullPolicy", tag: "policies",
		summary: "Set the registry's pull policy: refuse manifests with an active finding at or above blockSeverity, (blockUnscanned) those without a verdict yet, and (blockUnchecked) those with packages no advisory data covers. {} switches it off.",
		desc: "Refused pulls answer 403 with OCI error code DENIED, naming the findings or \"not yet scanned\" and the break-glass route. " +
			"An index is served; each platform manifest is judged when it is pulled. Registries of a type that is not scanned cannot have a policy (409).",
		params: []param{pRegistry}, body: "PullPolicyRequest", resp: "PullPolicy", role: roleOwner},
	{method: "GET", path: "/api/v1/registries/{registry}/breakglass", id: "listBreakGlass", tag: "policies",
		summary: "The registry's break-glass overrides, newest first.", params: []param{pRegistry, pLimit}, resp: "BreakGlassPage"},
	{method: "POST", path: "/api/v1/registries/{registry}/breakglass", id: "startBreakGlass", tag: "policies",
		summary: "Start a break-glass override: the registry serves what its pull policy refuses, for duration (at most policy.maxBreakGlass, default 1h).",
		desc:    "The start, the end and every manifest served under the override that the policy would have refused are recorded in the audit log. 409 when the registry has no policy.",
		params:  []param{pRegistry}, body: "BreakGlassRequest", resp: "BreakGlass", status: 201, role: roleContributor},
	{method: "DELETE", path: "/api/v1/registries/{registry}/breakglass", id: "endBreakGlass", tag: "policies",
		summary: "End the registry's break-glass overrides in force now.", params: []param{pRegistry}, resp: "BreakGlassEnded", role: roleContributor},
	{method: "GET", path: "/api/v1/audit", id: "listAudit", tag: "audit",
		summary: "Audit log of the subscriptions where the caller is owner, newest first: who, what, when, from where.",
		desc: "Plan switches, rescans, exemption, pull policy and break-glass changes, pulls served under break-glass, token and user changes, deletes. " +
			"Installation administrators also see events of no subscription (sign-ins).",
		params: []param{pSubQuery, {name: "action", in: "query", typ: "string", desc: "Only this action, or this family (exemption: exemption.create and exemption.delete)."}, pLimit, pCursor},
		resp:   "AuditPage", role: roleOwner},
}

// components returns the schemas of the document.
func components() map[string]any {
	schemas := map[string]any{
		"Object":   obj(nil, nil),
		"Problem":  obj(map[string]any{"type": str(), "title": str(), "status": integer(), "detail": str()}, nil),
		"Summary":  obj(map[string]any{"critical": integer(), "high": integer(), "medium": integer(), "low": integer(), "unknown": integer(), "exempted": integer()}, nil),
		"Plan":     obj(map[string]any{"scanning": nullableBool(), "effective": boolean(), "registries": mapOf(boolean())}, nil),
		"Severity": enumOf("Critical", "High", "Medium", "Low", "Unknown"),
		"Status":   enumOf("queued", "scanning", "healthy", "unhealthy", "notApplicable", "failed", "pending", "notScanned"),
		"Subscription": obj(map[string]any{"id": str(), "name": str(), "createdAt": dateTime(), "plan": ref("Plan"),
			"images": mapOf(integer()), "assessments": mapOf(str())}, nil),
		"PlanRequest":    obj(map[string]any{"scanning": nullableBool()}, []string{"scanning"}),
		"PlanResponse":   obj(map[string]any{"scanning": nullableBool(), "queued": integer()}, nil),
		"RescanResponse": obj(map[string]any{"queued": integer()}, nil),
		"Registry": obj(map[string]any{"name": str(), "subscriptionId": str(), "type": enumOf("standard", "external"),
			"scanned": boolean(), "plan": nullableBool(), "scanning": boolean(), "createdAt": dateTime(),
			"assessment": enumOf("Healthy", "Unhealthy", "NotApplicable"), "healthy": integer(), "unhealthy": integer(), "other": integer()}, nil),
		"Repository": obj(map[string]any{"name": str(), "registry": str(), "subscriptionId": str()}, nil),
		"Image": obj(map[string]any{"subscriptionId": str(), "registry": str(), "repository": str(), "digest": str(),
			"index": str(), "platform": str(), "status": ref("Status"), "reason": str(), "scanning": boolean(),
			"os": obj(map[string]any{"family": str(), "version": str(), "eol": boolean()}, nil), "packages": integer(), "unchecked": integer(),
			"summary": ref("Summary"), "dbVersion": str(), "attempts": integer(), "queuedAt": dateTime(), "startedAt": dateTime(),
			"scannedAt": dateTime(), "firstScannedAt": dateTime(), "lastPushed": dateTime(), "lastPulled": dateTime()}, nil),
		"Manifest": obj(map[string]any{"repository": str(), "digest": str(), "mediaType": str(), "artifactType": str(),
			"kind": enumOf("image", "index"), "tags": arrayOf(str()), "status": ref("Status"), "reason": str(),
			"summary": ref("Summary"), "scannedAt": dateTime(), "lastPushed": dateTime(), "lastPulled": dateTime(),
			"job": enumOf("queued", "running", "done", "failed", "skipped"), "images": arrayOf(ref("Image"))}, nil),
		"Finding": obj(map[string]any{"id": str(), "severity": ref("Severity"), "fixedVersion": str(),
			"fixStatus": enumOf("FixAvailable", "NoFixAvailable", "WontFix", "Unknown"), "title": str(), "layer": str(),
			"exempted": boolean(), "exemptionId": str(), "firstSeenAt": dateTime(), "subscriptionId": str(),
			"package": obj(map[string]any{"name": str(), "version": str(), "type": str(), "arch": str(), "purl": str(), "path": str()}, nil),
			"image":   obj(map[string]any{"registry": str(), "repository": str(), "digest": str(), "platform": str()}, nil)}, nil),
		"Change": obj(map[string]any{"change": enumOf("new", "resolved"), "id": str(), "severity": ref("Severity"),
			"package": obj(map[string]any{"name": str(), "version": str(), "type": str(), "arch": str()}, nil), "repository": str(),
			"digest": str(), "dbVersion": str(), "at": dateTime()}, nil),
		"Assessment": obj(map[string]any{"subscriptionId": str(), "registry": str(), "registryType": str(),
			"assessment": enumOf("Healthy", "Unhealthy", "NotApplicable"), "recommendation": str(), "changedAt": dateTime(),
			"healthy": integer(), "unhealthy": integer(), "other": integer()}, nil),
		"Usage": obj(map[string]any{"total": integer(), "items": arrayOf(obj(map[string]any{"subscriptionId": str(),
			"registry": str(), "day": str(), "images": integer()}, nil))}, nil),
		"Report": map[string]any{"type": "object", "description": "A scan report, schema drydock.report/v1 (PRODUCT.md, \"Scan report JSON\").",
			"required": []string{"schema", "image", "status", "scannedAt", "db", "packages", "findings", "summary"},
			"properties": map[string]any{"schema": enumOf("drydock.report/v1"), "status": enumOf("healthy", "unhealthy", "notApplicable", "failed", "pending"),
				"reason": str(), "scannedAt": dateTime(), "summary": ref("Summary"), "packages": arrayOf(ref("Object")),
				"findings": arrayOf(ref("Object")), "image": ref("Object"), "db": ref("Object"), "remediationPlan": ref("Object"),
				"unchecked": arrayOf(obj(map[string]any{"ecosystem": str(), "type": str(), "packages": integer(), "reason": str()},
					[]string{"type", "packages", "reason"}))}},
		"Exemption": obj(map[string]any{"id": str(), "subscription": str(),
			"scope": enumOf("subscription", "registry", "repository", "image", "package"), "registry": str(),
			"repository": str(), "digest": str(), "package": str(), "advisoryId": str(),
			"severityAtOrBelow": ref("Severity"), "noFixAvailable": boolean(), "reason": str(), "author": str(),
			"createdAt": dateTime(), "expiresAt": dateTime(), "expired": boolean()}, []string{"scope", "reason"}),
		"IndexReport":         obj(map[string]any{"digest": str(), "mediaType": str(), "reports": arrayOf(ref("Report"))}, nil),
		"ReportOrIndexReport": map[string]any{"oneOf": []any{ref("Report"), ref("IndexReport")}},
		"Reevaluation": obj(map[string]any{"running": boolean(), "dbVersion": str(), "evaluated": integer(), "changed": integer(),
			"startedAt": dateTime(), "endedAt": dateTime()}, nil),
		"DBStatus": obj(map[string]any{"loaded": boolean(), "version": str(), "updatedAt": dateTime(), "age": str(),
			"sources": arrayOf(ref("Object")), "reevaluation": ref("Reevaluation"),
			"updates": ref("Object")}, nil),
		"PullPolicy": obj(map[string]any{"registry": str(), "subscriptionId": str(), "enabled": boolean(),
			"blockSeverity":  map[string]any{"type": "string", "nullable": true, "enum": []any{"Critical", "High", "Medium", "Low", "Unknown", nil}},
			"blockUnscanned": boolean(), "blockUnchecked": boolean(), "updatedAt": dateTime(), "updatedBy": str(), "breakGlass": arrayOf(ref("BreakGlass"))}, nil),
		"PullPolicyRequest": obj(map[string]any{"blockSeverity": map[string]any{"type": "string", "nullable": true,
			"enum": []any{"Critical", "High", "Medium", "Low", "Unknown", nil}}, "blockUnscanned": boolean(), "blockUnchecked": boolean()}, nil),
		"BreakGlass": obj(map[string]any{"id": str(), "registry": str(), "subscriptionId": str(), "actor": str(), "reason": str(),
			"createdAt": dateTime(), "expiresAt": dateTime(), "endedAt": dateTime(), "endedBy": str(), "active": boolean()}, nil),
		"BreakGlassRequest": obj(map[string]any{"reason": str(), "duration": map[string]any{"type": "string", "example": "30m",
			"description": "A Go duration, at most policy.maxBreakGlass."}}, []string{"reason", "duration"}),
		"BreakGlassEnded": obj(map[string]any{"ended": integer()}, nil),
		"AuditEvent": obj(map[string]any{"id": integer(), "at": dateTime(), "actor": str(), "action": str(), "target": str(),
			"subscriptionId": str(), "remote": str(), "outcome": enumOf("ok", "denied", "failed"), "detail": mapOf(str())}, nil),
		"ScanStatus": obj(map[string]any{"jobs": mapOf(integer()), "images": mapOf(integer()), "reevaluation": ref("Reevaluation"),
			"layerCache": obj(map[string]any{"recorded": integer(), "reused": integer(), "fallbacks": integer()}, nil)}, nil),
	}

	for name, item := range map[string]string{"SubscriptionPage": "Subscription", "RegistryPage": "Registry",
		"RepositoryPage": "Repository", "ManifestPage": "Manifest", "ImagePage": "Image", "FindingPage": "Finding",
		"ChangePage": "Change", "AssessmentPage": "Assessment", "ExemptionPage": "Exemption", "BreakGlassPage": "BreakGlass",
		"AuditPage": "AuditEvent"} {
		schemas[name] = obj(map[string]any{"items": arrayOf(ref(item)), "nextCursor": str()}, []string{"items"})
	}
	return schemas
}

// setRole records the least role an operation needs: x-drydock-role on
// every operation (reads: reader), and a sentence in its description.
func setRole(o map[string]any, method, role string) {
	if role == "" {
		role = roleReader
		if method != "GET" {
			role = roleOwner // writes nobody described need the most
		}
	}
	o["x-drydock-role"] = role
	note := "Needs the " + role + " role (per subscription or registry)."
	if d, ok := o["description"].(string); ok && d != "" {
		o["description"] = d + " " + note
	} else {
		o["description"] = note
	}
}

func str() map[string]any          { return map[string]any{"type": "string"} }
func integer() map[string]any      { return map[string]any{"type": "integer"} }
func boolean() map[string]any      { return map[string]any{"type": "boolean"} }
func nullableBool() map[string]any { return map[string]any{"type": "boolean", "nullable": true} }
func dateTime() map[string]any     { return map[string]any{"type": "string", "format": "date-time"} }
func ref(name string) map[string]any {
	return map[string]any{"$ref": "#/components/schemas/" + name}
}
func arrayOf(item any) map[string]any { return map[string]any{"type": "array", "items": item} }
func mapOf(v any) map[string]any {
	return map[string]any{"type": "object", "additionalProperties": v}
}
func enumOf(vs ...string) map[string]any { return map[string]any{"type": "string", "enum": vs} }
func obj(props map[string]any, required []string) map[string]any {
	o := map[string]any{"type": "object"}
	if props != nil {
		o["properties"] = props
	}
	if required != nil {
		o["required"] = required
	}
	return o
}

var patternParam = regexp.MustCompile(`\{([^}.]+)(\.\.\.)?\}`)

// openAPI builds the document; external are other handlers' patterns
// ("GET /api/v1/webhooks/{id}"), listed with a pointer to their owner, and
// externalRoles the least role of those that need more than reader (or,
// for a POST that only reads, "reader").
func openAPI(external []string, externalRoles map[string]string) ([]byte, error) {
	paths := map[string]map[string]any{}
	problem := map[string]any{"description": "Problem (RFC 9457).",
		"content": map[string]any{"application/problem+json": map[string]any{"schema": ref("Problem")}}}
	for _, op := range operations {
		status := op.status
		if status == 0 {
			status = 200
		}
		content := map[string]any{}
		if op.resp != "" {
			content["application/json"] = map[string]any{"schema": ref(op.resp)}
		}
		if op.csv {
			content["text/csv"] = map[string]any{"schema": str()}
		}
		if op.raw != "" {
			content[op.raw] = map[string]any{"schema": ref("Object")}
			content["application/spdx+json"] = map[string]any{"schema": ref("Object")}
		}
		o := map[string]any{
			"operationId": op.id, "tags": []string{op.tag}, "summary": op.summary,
			"responses": map[string]any{
				fmt.Sprint(status): map[string]any{"description": "OK", "content": content},
				"400":              problem, "401": problem, "403": problem, "404": problem, "409": problem,
			},
		}
		if op.desc != "" {
			o["description"] = op.desc
		}
		setRole(o, op.method, op.role)
		var ps []any
		for _, p := range op.params {
			sch := map[string]any{"type": p.typ}
			if p.enum != nil {
				sch["enum"] = p.enum
			}
			ps = append(ps, map[string]any{"name": p.name, "in": p.in, "required": p.required, "description": p.desc, "schema": sch})
		}
		if ps != nil {
			o["parameters"] = ps
		}
		if op.body != "" {
			o["requestBody"] = map[string]any{"required": true,
				"content": map[string]any{"application/json": map[string]any{"schema": ref(op.body)}}}
		}
		if paths[op.path] == nil {
			paths[op.path] = map[string]any{}
		}
		paths[op.path][strings.ToLower(op.method)] = o
	}
	for _, pat := range external {
		method, p, ok := strings.Cut(pat, " ")
		if !ok {
			return nil, fmt.Errorf("api: external route %q: want METHOD /path", pat)
		}
		p = patternParam.ReplaceAllString(p, "{$1}")
		var ps []any
		for _, m := range patternParam.FindAllStringSubmatch(p, -1) {
			ps = append(ps, map[string]any{"name": m[1], "in": "path", "required": true, "schema": str()})
		}
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		o := map[string]any{"summary": "Webhook API (internal/webhook); see its documentation.", "tags": []string{"webhooks"},
			"responses": map[string]any{"default": map[string]any{"description": "See the webhook API."}}}
		if strings.HasPrefix(p, "/api/v1/query") {
			o["summary"], o["tags"] = "Fleet query (internal/querytables); see its documentation.", []string{"query"}
		}
		setRole(o, method, externalRoles[pat])
		if ps != nil {
			o["parameters"] = ps
		}
		paths[p][strings.ToLower(method)] = o
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "drydock API", "version": "v1",
			"description": "The native REST API of drydock: scan results, findings, plans, usage and status. " +
				"Every request is authenticated (HTTP Basic or a bearer token) and sees only the caller's subscriptions."},
		"servers":    []any{map[string]any{"url": "/"}},
		"security":   []any{map[string]any{"basic": []string{}}, map[string]any{"bearer": []string{}}},
		"paths":      paths,
		"components": map[string]any{"schemas": components(), "securitySchemes": map[string]any{"basic": map[string]any{"type": "http", "scheme": "basic"}, "bearer": map[string]any{"type": "http", "scheme": "bearer"}}},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("api: openapi: %w", err)
	}
	return append(b, '\n'), nil
}
