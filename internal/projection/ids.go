package projection

import (
	"strings"

	"github.com/google/uuid"

	"github.com/drydock/drydock/internal/store"
)

// Namespaces of the name-based (SHA-1, version 5) UUIDs drydock derives.
// They are fixed forever: changing one changes every id.
var (
	nsSubscription  = uuid.MustParse("19ba0b32-2c1d-41ae-8ee2-9d909232542b")
	nsSubAssessment = uuid.MustParse("9e26fc3a-77f2-471b-8922-94bc2a648fb3")
	nsTenant        = uuid.MustParse("ee77589e-0f22-42cc-abb3-9767f8866b5e")
)

// DefaultTenantID is the tenantId of an installation that configures none.
var DefaultTenantID = uuid.NewSHA1(nsTenant, []byte("drydock")).String()

// SubscriptionID is the provider's {sub} for drydock subscription sub: sub
// itself (lower-cased) when it is already a GUID, otherwise the version 5
// UUID of sub in a fixed namespace. It is stable and the same everywhere:
// REST paths, resource ids, the subscriptionId column of the query tables.
func SubscriptionID(sub string) string {
	if u, err := uuid.Parse(sub); err == nil && len(sub) == 36 {
		return u.String()
	}
	return uuid.NewSHA1(nsSubscription, []byte(sub)).String()
}

// SubAssessmentName is the stable name of the sub-assessments of one
// finding (advisory x package x image): a version 5 UUID of the
// repository, the image digest and the finding's location key (advisory,
// package type, name, version and path), plus its architecture when
// byArch. byArch is set for the findings of an image whose packages
// differ by architecture alone (libc6:amd64 and libc6:i386, see
// [ArchDistinct]), so that they get two names while every other finding
// keeps the name it had before drydock told architectures apart. The
// same finding has the same name under both assessment keys and across
// re-evaluations.
func SubAssessmentName(repository, digest string, f *store.FindingRecord, byArch bool) string {
	key := f.LocationKey()
	if byArch {
		key = f.Key()
	}
	return uuid.NewSHA1(nsSubAssessment, []byte(repository+"\x00"+digest+"\x00"+key)).String()
}

// ArchDistinct returns the location keys ([store.FindingRecord.LocationKey])
// that more than one of fs hold with different architectures: the
// findings whose sub-assessment names need the architecture.
func ArchDistinct(fs []store.FindingRecord) map[string]bool {
	arch := make(map[string]string, len(fs))
	var out map[string]bool
	for i := range fs {
		k := fs[i].LocationKey()
		a, seen := arch[k]
		switch {
		case !seen:
			arch[k] = fs[i].PackageArch
		case a != fs[i].PackageArch:
			if out == nil {
				out = map[string]bool{}
			}
			out[k] = true
		}
	}
	return out
}

// Provider namespaces and resource types.
const (
	SecurityNamespace = "Microsoft.Security"
	RegistryNamespace = "Microsoft.ContainerRegistry"
	// TypeAssessment and TypeSubAssessment are the resource types as the
	// REST API writes them; the query table lower-cases them, as the
	// provider's resource graph does.
	TypeAssessment    = "Microsoft.Security/assessments"
	TypeSubAssessment = "Microsoft.Security/assessments/subAssessments"
)

// RegistryResourceID is the resource id of a registry:
//
//	/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerRegistry/registries/{registry}
//
// Split on "/", segment 2 is the subscription, 4 the resource group, 6 the
// resource provider namespace and 8 the registry name, as in the
// provider's ids.
func RegistryResourceID(subID, resourceGroup, registry string) string {
	return "/subscriptions/" + subID + "/resourceGroups/" + resourceGroup + "/providers/" + RegistryNamespace + "/registries/" + registry
}

// AssessmentResourceID is the id of assessment key of a registry.
func AssessmentResourceID(registryID, key string) string {
	return registryID + "/providers/" + SecurityNamespace + "/assessments/" + key
}

// SubAssessmentResourceID is the id of sub-assessment name of an
// assessment.
func SubAssessmentResourceID(assessmentID, name string) string {
	return assessmentID + "/subAssessments/" + name
}

// ResourcePath is what a provider resource id names, parsed.
type ResourcePath struct {
	SubscriptionID string // the {sub} segment as written
	ResourceGroup  string // "" when the id stops at the subscription
	Registry       string // "" when the id names no registry
	Key            string // assessment key, "" if none
	Name           string // sub-assessment name, "" if none
}

// ParseResourceID parses a registry, assessment or sub-assessment id
// (case-insensitively, as the provider does). ok is false for anything
// else.
func ParseResourceID(id string) (p ResourcePath, ok bool) {
	s := strings.Split(id, "/")
	if len(s) < 3 || s[0] != "" || !strings.EqualFold(s[1], "subscriptions") || s[2] == "" {
		return p, false
	}
	p.SubscriptionID, s = s[2], s[3:]
	if len(s) == 0 {
		return p, true
	}
	if len(s) < 6 || !strings.EqualFold(s[0], "resourceGroups") || s[1] == "" || !strings.EqualFold(s[2], "providers") ||
		!strings.EqualFold(s[3], RegistryNamespace) || !strings.EqualFold(s[4], "registries") || s[5] == "" {
		return p, false
	}
	p.ResourceGroup, p.Registry, s = s[1], s[5], s[6:]
	if len(s) == 0 {
		return p, true
	}
	if len(s) < 4 || !strings.EqualFold(s[0], "providers") || !strings.EqualFold(s[1], SecurityNamespace) ||
		!strings.EqualFold(s[2], "assessments") || s[3] == "" {
		return p, false
	}
	p.Key, s = strings.ToLower(s[3]), s[4:]
	switch {
	case len(s) == 0:
		return p, true
	case len(s) == 2 && strings.EqualFold(s[0], "subAssessments") && s[1] != "":
		p.Name = strings.ToLower(s[1])
		return p, true
	}
	return p, false
}
