package projection

import "time"

// This file holds the provider's JSON shapes. Field names, nesting and
// order follow the provider's published REST reference (API version
// 2019-01-01-preview for sub-assessments, 2021-06-01 for assessments) and
// its example responses; they are a public interface and may not change.

// Resource is one provider resource: an assessment or a sub-assessment.
// Its JSON form is the REST API's (id, name, type, properties); the other
// fields are the columns the query table adds beside it.
type Resource struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Properties any    `json:"properties"`

	// TenantID, SubscriptionID (the provider's {sub}) and ResourceGroup are
	// the resource's place in the provider's hierarchy.
	TenantID       string `json:"-"`
	SubscriptionID string `json:"-"`
	ResourceGroup  string `json:"-"`
	// Subscription and Registry are drydock's names of the resource's
	// subscription and registry; Key its assessment key.
	Subscription string `json:"-"`
	Registry     string `json:"-"`
	Key          string `json:"-"`
}

// ResourceDetails names the assessed resource.
type ResourceDetails struct {
	Source string `json:"source"`
	ID     string `json:"id"`
}

// AssessmentProperties are the properties of an assessment.
type AssessmentProperties struct {
	ResourceDetails ResourceDetails  `json:"resourceDetails"`
	DisplayName     string           `json:"displayName"`
	Status          AssessmentStatus `json:"status"`
	// AdditionalData holds the registry's image counts (strings, as the
	// provider's additionalData is a map of strings).
	AdditionalData map[string]string `json:"additionalData,omitempty"`
}

// AssessmentStatus is an assessment's status.
type AssessmentStatus struct {
	Code        string `json:"code"` // Healthy | Unhealthy | NotApplicable
	Cause       string `json:"cause,omitempty"`
	Description string `json:"description,omitempty"`
	// StatusChangeDate is when the status last changed, when known.
	StatusChangeDate *time.Time `json:"statusChangeDate,omitempty"`
}

// SubAssessmentProperties are the properties of a sub-assessment.
type SubAssessmentProperties struct {
	ID              string              `json:"id"`
	DisplayName     string              `json:"displayName"`
	Status          SubAssessmentStatus `json:"status"`
	Remediation     string              `json:"remediation"`
	Impact          string              `json:"impact"`
	Category        string              `json:"category"`
	Description     string              `json:"description"`
	TimeGenerated   time.Time           `json:"timeGenerated"`
	ResourceDetails ResourceDetails     `json:"resourceDetails"`
	// AdditionalData is a *ContainerRegistryVulnerabilityData or an
	// *AzureContainerRegistryVulnerabilityData.
	AdditionalData any `json:"additionalData"`
}

// SubAssessmentStatus is a sub-assessment's status.
type SubAssessmentStatus struct {
	Code        string `json:"code"` // Healthy | Unhealthy | NotApplicable
	Cause       string `json:"cause"`
	Description string `json:"description"`
	Severity    string `json:"severity"` // Low | Medium | High
}

// Link is a titled URL ({title, link}).
type Link struct {
	Title string `json:"title"`
	Link  string `json:"link"`
}

// CVSSBase is a CVSS score of the older shape.
type CVSSBase struct {
	Base float64 `json:"base"`
}

// ContainerRegistryVulnerabilityData is the additionalData of assessment
// KeyContainerRegistry.
type ContainerRegistryVulnerabilityData struct {
	AssessedResourceType string `json:"assessedResourceType"`
	Type                 string `json:"type"`
	// CVSS has the keys "2.0" and "3.0" (null when that version is not
	// known; a CVSS 3.1 score is under "3.0").
	CVSS             map[string]*CVSSBase `json:"cvss"`
	Patchable        bool                 `json:"patchable"`
	CVE              []Link               `json:"cve"`
	PublishedTime    *time.Time           `json:"publishedTime"`
	VendorReferences []Link               `json:"vendorReferences"`
	RepositoryName   string               `json:"repositoryName"`
	ImageDigest      string               `json:"imageDigest"`
}

// AzureContainerRegistryVulnerabilityData is the additionalData of
// assessment KeyAzureContainerRegistry.
type AzureContainerRegistryVulnerabilityData struct {
	AssessedResourceType string               `json:"assessedResourceType"`
	VulnerabilityDetails VulnerabilityDetails `json:"vulnerabilityDetails"`
	ArtifactDetails      ArtifactDetails      `json:"artifactDetails"`
	SoftwareDetails      SoftwareDetails      `json:"softwareDetails"`
	CVSSV30Score         *float64             `json:"cvssV30Score"`
}

// VulnerabilityDetails describes the vulnerability.
type VulnerabilityDetails struct {
	Severity string `json:"severity"` // Critical | High | Medium | Low | Unknown
	CVEID    string `json:"cveId"`
	// CVSS has the keys "2.0" and "3.0", null when not known.
	CVSS                     map[string]*CVSSDetail   `json:"cvss"`
	References               []Link                   `json:"references"`
	Weaknesses               Weaknesses               `json:"weaknesses"`
	PublishedDate            *time.Time               `json:"publishedDate"`
	LastModifiedDate         *time.Time               `json:"lastModifiedDate"`
	ExploitabilityAssessment ExploitabilityAssessment `json:"exploitabilityAssessment"`
	Workarounds              []Link                   `json:"workarounds"`
}

// CVSSDetail is a CVSS score with its vector.
type CVSSDetail struct {
	CVSSVectorString string  `json:"cvssVectorString"`
	Base             float64 `json:"base"`
}

// Weaknesses lists CWEs.
type Weaknesses struct {
	CWE []CWE `json:"cwe"`
}

// CWE names one weakness.
type CWE struct {
	ID string `json:"id"`
}

// ExploitabilityAssessment says what is known of exploits.
type ExploitabilityAssessment struct {
	ExploitStepsPublished bool     `json:"exploitStepsPublished"`
	ExploitStepsVerified  bool     `json:"exploitStepsVerified"`
	IsInExploitKit        bool     `json:"isInExploitKit"`
	ExploitURIs           []string `json:"exploitUris"`
	Types                 []string `json:"types"`
}

// ArtifactDetails describes the image.
type ArtifactDetails struct {
	RegistryHost            string     `json:"registryHost"`
	RepositoryName          string     `json:"repositoryName"`
	Digest                  string     `json:"digest"`
	Tags                    []string   `json:"tags"`
	MediaType               string     `json:"mediaType"`
	ArtifactType            string     `json:"artifactType"` // ContainerImage
	LastPushedToRegistryUTC *time.Time `json:"lastPushedToRegistryUTC"`
}

// SoftwareDetails describes the affected package.
type SoftwareDetails struct {
	PackageName  string        `json:"packageName"`
	Version      string        `json:"version"`
	FixedVersion string        `json:"fixedVersion"`
	FixStatus    string        `json:"fixStatus"` // FixAvailable | NoFixAvailable | WontFix | Unknown
	Category     string        `json:"category"`  // OS | Language
	Language     string        `json:"language"`
	Vendor       string        `json:"vendor"`
	OSDetails    OSDetails     `json:"osDetails"`
	Evidence     []string      `json:"evidence"`
	FixReference *FixReference `json:"fixReference"`
}

// OSDetails names the image's operating system.
type OSDetails struct {
	OSPlatform string `json:"osPlatform"`
	OSVersion  string `json:"osVersion"`
}

// FixReference describes the fix, when there is one.
type FixReference struct {
	ID          string     `json:"id"`
	Description string     `json:"description"`
	ReleaseDate *time.Time `json:"releaseDate"`
	URL         string     `json:"url"`
}
