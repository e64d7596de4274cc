// Package projection computes the cloud provider's security resources from
// drydock's findings: per registry two assessments, and per finding a
// sub-assessment under each, in the provider's exact JSON shapes. It is
// the one place these resources are made: the provider REST routes
// (package provider) and the securityresources query table (package
// querytables) both render what a [Projector] returns.
//
// # Hierarchy
//
// The provider's resources live in subscriptions, resource groups and
// resources. drydock maps its own model onto that hierarchy once, here:
//
//   - {sub}: [SubscriptionID] of the drydock subscription: the id itself
//     when it is a GUID, otherwise a version 5 (name-based) UUID of it, so
//     that "default" is always c8807047-c36e-5343-8772-4fab834d8cc0. The
//     provider REST routes also accept drydock's own id in its place; ids
//     they render always carry the GUID. Query tables carry it in
//     subscriptionId (drydock's id is in their subscription column).
//   - resource group: one per installation, Config.ResourceGroup
//     (default "drydock").
//   - tenantId: Config.TenantID (default [DefaultTenantID]).
//   - a registry is the resource
//     /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerRegistry/registries/{registry};
//     split on "/" its segment 6 is the namespace and 8 the registry name.
//
// Under a registry, assessment {key} is
// {registry id}/providers/Microsoft.Security/assessments/{key} and each
// sub-assessment {assessment id}/subAssessments/{name}. The name is
// [SubAssessmentName]: a version 5 UUID of the repository, the image
// digest and the finding (advisory, package type, name, version and
// path; and architecture for packages of the image that differ by it
// alone, as libc6:amd64 and libc6:i386), stable across re-evaluations and
// the same under both keys.
//
// # Assessments
//
// The keys [KeyContainerRegistry] (dbd0cb49-…, additionalData of type
// ContainerRegistryVulnerability) and [KeyAzureContainerRegistry]
// (c0b7cfc6-…, AzureContainerRegistryVulnerability) render the same
// findings in the provider's two shapes (shapes.go). Each registry has
// both assessments, with the pipeline's health rules: Unhealthy when one
// of its images is unhealthy, Healthy when its scanned images all are,
// otherwise NotApplicable with a cause: NotSupported (a registry type
// drydock does not scan), OffByPolicy (scanning switched off by the plan)
// or NoScannedImages.
//
// # Sub-assessments
//
// One per finding of an image's report (pipeline.Report: the stored
// inventory matched against the current advisory database and
// exemptions). Active findings are Unhealthy; exempted ones (a rule, an
// ignore file or a VEX statement) NotApplicable with cause Exempt and the
// exemption in the description. Healthy images have none: they raise no
// recommendation. status.severity has the provider's three levels
// (Critical is High, Unknown is Low); vulnerabilityDetails.severity keeps
// drydock's five. timeGenerated is the image's last evaluation.
//
// Where the provider's fields have no drydock equivalent the choice is
// fixed and documented on the field's rendering (render.go):
// repositoryName is drydock's full repository name (registry first, as
// everywhere in drydock); registryHost is Config.RegistryHost or the
// request's host; impact is "1" (Unknown) to "5" (Critical); category is
// OS or Language; exploit steps are "published" and "verified" for CVEs
// in CISA's KEV catalog; exploit types come from the CVSS attack vector;
// lastModifiedDate and CWEs come from NVD's enrichment in the advisory
// database (lastModifiedDate falls back to the publication date).
//
// # Tenancy
//
// Every read takes a [Scope] whose Identity decides, before anything else
// is read, which subscriptions (and, for repository-scoped tokens, which
// repositories) are visible; narrowing fields can only shrink that.
// Resources of other subscriptions are not found, never forbidden.
//
// # Cost
//
// Assessments come from one store read. Sub-assessments render each image
// with findings from its report; reports are cached per image evaluation
// and advisory database version (Deps.CacheBytes), so listing them again
// costs store reads only.
package projection
