// Package provider serves the cloud provider's security REST API for
// drydock's registries, so that scripts, dashboards and CI gates written
// against the provider's assessments and sub-assessments run unchanged.
// The resources come from package projection (see its doc for how
// subscriptions, resource groups, registries and findings map onto the
// provider's ids and shapes).
//
// # Routes
//
// Every route is GET (HEAD too) and requires ?api-version= (any version
// in the provider's form, e.g. 2019-01-01-preview; the shapes do not
// change with it). {scope} is a subscription (/subscriptions/{sub}), a
// resource group (/subscriptions/{sub}/resourceGroups/{rg}) or a
// registry's resource id
// (/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerRegistry/registries/{registry}):
//
//	GET /subscriptions                                            the caller's subscriptions and their {sub}
//	GET /subscriptions/{sub}                                      one subscription
//	GET {scope}/providers/Microsoft.Security/assessments          the registries' assessments (two keys each)
//	GET {registry id}/providers/Microsoft.Security/assessments/{key}
//	GET {scope}/providers/Microsoft.Security/assessments/{key}/subAssessments
//	GET {scope}/providers/Microsoft.Security/assessments/{key}/subAssessments/{name}
//	GET {scope}/providers/Microsoft.Security/subAssessments       both keys' sub-assessments
//
// Literal segments match in any letter case, as the provider's do; {sub}
// is the provider's id of a subscription or drydock's own id.
//
// # Lists and paging
//
// Lists answer {"value": [...], "nextLink": "..."}; nextLink (absent on
// the last page) is an absolute URL with an opaque $skipToken. $top sets
// the page size (1 to 1000, default Config.PageSize). Sub-assessments are
// listed by image and then by finding, so a page boundary survives
// unrelated pushes.
//
// # Errors
//
// Errors are the provider's CloudError: {"error": {"code", "message"}}
// with codes such as MissingApiVersionParameter and
// InvalidApiVersionParameter (400), SubscriptionNotFound,
// ResourceGroupNotFound, ResourceNotFound, AssessmentNotFound and
// SubAssessmentNotFound (404), MethodNotAllowed (405).
//
// # Tenancy
//
// The caller is the access.Identity in the request context (the server's
// guard authenticates every request before this handler runs). A
// subscription the caller may not read is answered exactly like one that
// does not exist (SubscriptionNotFound), and every read below it goes
// through a projection.Scope built from the identity.
package provider
