package projection

import (
	"fmt"
	"slices"
	"strings"
)

// The assessment keys: the provider's two registry vulnerability
// assessments, whose sub-assessments render the same findings in two
// shapes.
const (
	// KeyContainerRegistry is the older assessment: additionalData of
	// type ContainerRegistryVulnerability.
	KeyContainerRegistry = "dbd0cb49-b563-45e7-9724-889e799fa648"
	// KeyAzureContainerRegistry is the newer assessment: additionalData of
	// type AzureContainerRegistryVulnerability.
	KeyAzureContainerRegistry = "c0b7cfc6-3172-465a-b378-53c7ff2cc0d5"
)

// assessedResourceType values of additionalData, one per key.
const (
	ContainerRegistryVulnerability      = "ContainerRegistryVulnerability"
	AzureContainerRegistryVulnerability = "AzureContainerRegistryVulnerability"
)

// keyInfo describes one assessment key.
type keyInfo struct {
	key          string
	displayName  string
	resourceType string // assessedResourceType of its sub-assessments
}

// keys are the assessment keys in listing order (by key).
var keys = []keyInfo{
	{KeyAzureContainerRegistry, "Azure registry container images should have vulnerabilities resolved (powered by Microsoft Defender Vulnerability Management)",
		AzureContainerRegistryVulnerability},
	{KeyContainerRegistry, "Container registry images should have vulnerability findings resolved", ContainerRegistryVulnerability},
}

// Keys returns the assessment keys in listing order.
func Keys() []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.key
	}
	return out
}

// ErrUnknownKey is wrapped by the error for an assessment key drydock does
// not have.
var ErrUnknownKey = fmt.Errorf("unknown assessment key")

// NormalizeKey returns the canonical form of an assessment key (keys are
// compared case-insensitively), or an error wrapping ErrUnknownKey.
func NormalizeKey(key string) (string, error) {
	k := strings.ToLower(key)
	if slices.ContainsFunc(keys, func(ki keyInfo) bool { return ki.key == k }) {
		return k, nil
	}
	return "", fmt.Errorf("%w %q: drydock has %s", ErrUnknownKey, key, strings.Join(Keys(), " and "))
}

func infoOf(key string) keyInfo {
	for _, k := range keys {
		if k.key == key {
			return k
		}
	}
	return keyInfo{}
}
