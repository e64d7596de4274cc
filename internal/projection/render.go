package projection

import (
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// DefaultResourceGroup is the resource group of every registry unless
// configured otherwise.
const DefaultResourceGroup = "drydock"

// Config places drydock's resources in the provider's hierarchy.
type Config struct {
	// TenantID is the tenantId of every resource (default DefaultTenantID).
	TenantID string
	// ResourceGroup is the resource group of every registry (default
	// DefaultResourceGroup).
	ResourceGroup string
	// RegistryHost is artifactDetails.registryHost, the host clients pull
	// from; empty means the host of each request (Scope.RegistryHost).
	RegistryHost string
	// ScanningEnabledByDefault is the plan of subscriptions and registries
	// that have none (it decides NotApplicable causes).
	ScanningEnabledByDefault bool
}

func (c Config) withDefaults() Config {
	if c.TenantID == "" {
		c.TenantID = DefaultTenantID
	}
	if c.ResourceGroup == "" {
		c.ResourceGroup = DefaultResourceGroup
	}
	return c
}

// Image is what the sub-assessments of an image show of it besides its
// report.
type Image struct {
	Subscription string // drydock's subscription id
	Registry     string
	Repository   string // the full repository name (registry first)
	Digest       string
	MediaType    string
	Tags         []string
	PushedAt     time.Time
	RegistryHost string
}

// ImageOf returns the Image of a stored image.
func ImageOf(im *store.ProjectedImage, registryHost string) Image {
	return Image{Subscription: im.SubscriptionID, Registry: im.Registry, Repository: im.Repository, Digest: string(im.Digest),
		MediaType: im.MediaType, Tags: im.Tags, PushedAt: im.PushedAt, RegistryHost: registryHost}
}

// CVEDetails is what the advisory database knows of a CVE beyond a
// report: NVD's last modification and weaknesses.
type CVEDetails struct {
	LastModified time.Time
	CWEs         []string
}

// Details looks CVEs up; ok is false when nothing is known. nil Details
// know nothing.
type Details interface {
	CVE(id string) (d CVEDetails, ok bool)
}

// registryResource returns the resource fields common to a registry's
// resources.
func (c Config) registryResource(sub, registry, key string) Resource {
	subID := SubscriptionID(sub)
	return Resource{TenantID: c.TenantID, SubscriptionID: subID, ResourceGroup: c.ResourceGroup,
		Subscription: sub, Registry: registry, Key: key,
		ID: AssessmentResourceID(RegistryResourceID(subID, c.ResourceGroup, registry), key)}
}

// Assessment renders assessment key of a registry: the registry's
// assessment with the pipeline's health rules (Unhealthy when an image is
// unhealthy, Healthy when scanned images are all healthy, NotApplicable
// when nothing applies, with the cause).
func (c Config) Assessment(key string, a store.Assessment, scanning bool) Resource {
	r := c.registryResource(a.SubscriptionID, a.Registry, key)
	r.Name, r.Type = key, TypeAssessment
	st := AssessmentStatus{Code: a.Status}
	switch {
	case a.Status == store.AssessmentUnhealthy:
		st.Description = plural(a.Unhealthy, "image has", "images have") + " vulnerability findings to resolve"
	case a.Status == store.AssessmentHealthy:
		st.Description = "Every scanned image is healthy"
	case a.RegistryType != store.RegistryTypeStandard:
		st.Code, st.Cause = store.AssessmentNotApplicable, "NotSupported"
		st.Description = "Registries of type " + a.RegistryType + " are not scanned"
	case !scanning:
		st.Code, st.Cause = store.AssessmentNotApplicable, "OffByPolicy"
		st.Description = "Scanning is switched off for this registry (plan)"
	default:
		st.Code, st.Cause = store.AssessmentNotApplicable, "NoScannedImages"
		st.Description = "The registry has no scanned image to assess"
	}
	if !a.ChangedAt.IsZero() {
		t := a.ChangedAt.UTC()
		st.StatusChangeDate = &t
	}
	registryID := RegistryResourceID(r.SubscriptionID, c.ResourceGroup, a.Registry)
	r.Properties = &AssessmentProperties{
		ResourceDetails: ResourceDetails{Source: "Azure", ID: registryID},
		DisplayName:     infoOf(key).displayName,
		Status:          st,
		AdditionalData: map[string]string{
			"healthyImages":   strconv.Itoa(a.Healthy),
			"unhealthyImages": strconv.Itoa(a.Unhealthy),
			"otherImages":     strconv.Itoa(a.Other),
		},
	}
	return r
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// SubAssessments renders the findings of an image's report as
// sub-assessments of assessment key, one per finding (advisory x package
// location), in the report's order: active findings Unhealthy, exempted
// ones NotApplicable with cause Exempt. A report without findings has
// none: healthy images raise no recommendation.
func (c Config) SubAssessments(key string, im Image, rep *finding.Report, det Details) []Resource {
	seen := make(map[string]bool, len(rep.Findings))
	out := make([]Resource, 0, len(rep.Findings))
	assessmentID := AssessmentResourceID(RegistryResourceID(SubscriptionID(im.Subscription), c.ResourceGroup, im.Registry), key)
	recs := make([]store.FindingRecord, len(rep.Findings))
	for i := range rep.Findings {
		f := &rep.Findings[i]
		recs[i] = store.FindingRecord{AdvisoryID: f.ID, PackageType: f.Package.Type, PackageName: f.Package.Name,
			PackageVersion: f.Package.Version, PackageArch: f.Package.Arch, PackagePath: f.Package.Path}
	}
	byArch := ArchDistinct(recs)
	for i := range rep.Findings {
		f, rec := &rep.Findings[i], &recs[i]
		name := SubAssessmentName(im.Repository, im.Digest, rec, byArch[rec.LocationKey()])
		if seen[name] {
			continue
		}
		seen[name] = true
		r := c.registryResource(im.Subscription, im.Registry, key)
		r.ID, r.Name, r.Type = SubAssessmentResourceID(assessmentID, name), name, TypeSubAssessment
		r.Properties = c.subAssessmentProperties(key, name, im, rep, f, det)
		out = append(out, r)
	}
	return out
}

func (c Config) subAssessmentProperties(key, name string, im Image, rep *finding.Report, f *finding.Finding, det Details) *SubAssessmentProperties {
	p := &SubAssessmentProperties{
		ID:            f.ID,
		DisplayName:   f.ID,
		Status:        subStatus(f),
		Remediation:   f.Remediation,
		Impact:        impactOf(f.Severity),
		Category:      categoryOf(f.Package.Type),
		Description:   firstOf(f.Description, f.Title, f.ID),
		TimeGenerated: rep.ScannedAt.UTC(),
	}
	if p.Remediation == "" {
		p.Remediation = finding.Remediation(f)
	}
	switch key {
	case KeyContainerRegistry:
		p.DisplayName = firstOf(f.Title, f.ID)
		// The older shape names the image under the registry's id.
		image := RegistryResourceID(SubscriptionID(im.Subscription), c.ResourceGroup, im.Registry) +
			"/repository/" + im.Repository + "/imageDigest/" + im.Digest
		p.ResourceDetails = ResourceDetails{Source: "Azure", ID: SubAssessmentResourceID(AssessmentResourceID(image, key), name)}
		p.AdditionalData = oldShape(im, f)
	default:
		p.ResourceDetails = ResourceDetails{Source: "Azure", ID: "/repositories/" + im.Repository + "/images/" + im.Digest}
		p.AdditionalData = newShape(im, rep, f, det)
	}
	return p
}

// subStatus is a finding's status: Unhealthy while active, NotApplicable
// (cause Exempt) when exempted.
func subStatus(f *finding.Finding) SubAssessmentStatus {
	st := SubAssessmentStatus{Code: store.AssessmentUnhealthy, Description: "The resource is unhealthy", Severity: statusSeverity(f.Severity)}
	if f.Exempted {
		st.Code, st.Cause, st.Description = store.AssessmentNotApplicable, "Exempt", "Exempted"
		if e := f.Exemption; e != nil {
			var parts []string
			if e.ID != "" {
				parts = append(parts, "rule "+e.ID)
			} else if e.Source != "" {
				parts = append(parts, e.Source)
			}
			if e.Reason != "" {
				parts = append(parts, e.Reason)
			}
			if len(parts) > 0 {
				st.Description = "Exempted (" + strings.Join(parts, ": ") + ")"
			}
		}
	}
	return st
}

// statusSeverity maps a severity to the provider's status severities (Low,
// Medium, High): Critical is High, Unknown is Low.
func statusSeverity(s finding.Severity) string {
	switch s {
	case finding.Critical, finding.High:
		return "High"
	case finding.Medium:
		return "Medium"
	}
	return "Low"
}

// impactOf is the older shape's impact level, "1" (lowest) to "5".
func impactOf(s finding.Severity) string { return strconv.Itoa(int(s) + 1) }

// categoryOf is OS for operating system packages, Language otherwise.
func categoryOf(t string) string {
	if pkg.Type(t).IsOS() {
		return "OS"
	}
	return "Language"
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func oldShape(im Image, f *finding.Finding) *ContainerRegistryVulnerabilityData {
	d := &ContainerRegistryVulnerabilityData{
		AssessedResourceType: ContainerRegistryVulnerability,
		Type:                 "Vulnerability",
		CVSS:                 map[string]*CVSSBase{"2.0": nil, "3.0": nil},
		Patchable:            f.Fixable(),
		CVE:                  []Link{},
		PublishedTime:        timePtr(f.PublishedAt),
		VendorReferences:     references(f.References),
		RepositoryName:       im.Repository,
		ImageDigest:          im.Digest,
	}
	if v := cvssKey(f.CVSS); v != "" {
		d.CVSS[v] = &CVSSBase{Base: f.CVSS.Score}
	}
	for _, id := range cveIDs(f) {
		d.CVE = append(d.CVE, Link{Title: id, Link: "https://nvd.nist.gov/vuln/detail/" + id})
	}
	return d
}

func newShape(im Image, rep *finding.Report, f *finding.Finding, det Details) *AzureContainerRegistryVulnerabilityData {
	cveID := f.ID
	if ids := cveIDs(f); len(ids) > 0 {
		cveID = ids[0]
	}
	vd := VulnerabilityDetails{
		Severity:      f.Severity.String(),
		CVEID:         cveID,
		CVSS:          map[string]*CVSSDetail{"2.0": nil, "3.0": nil},
		References:    references(f.References),
		Weaknesses:    Weaknesses{CWE: []CWE{}},
		PublishedDate: timePtr(f.PublishedAt),
		ExploitabilityAssessment: ExploitabilityAssessment{ExploitStepsPublished: f.KEV, ExploitStepsVerified: f.KEV,
			ExploitURIs: []string{}, Types: attackTypes(f.CVSS)},
		Workarounds: []Link{},
	}
	var score *float64
	if v := cvssKey(f.CVSS); v != "" {
		vd.CVSS[v] = &CVSSDetail{CVSSVectorString: f.CVSS.Vector, Base: f.CVSS.Score}
		if v == "3.0" {
			s := f.CVSS.Score
			score = &s
		}
	}
	if det != nil && osv.IsCVE(cveID) {
		if d, ok := det.CVE(cveID); ok {
			vd.LastModifiedDate = timePtr(d.LastModified)
			for _, c := range d.CWEs {
				vd.Weaknesses.CWE = append(vd.Weaknesses.CWE, CWE{ID: c})
			}
		}
	}
	if vd.LastModifiedDate == nil {
		vd.LastModifiedDate = vd.PublishedDate
	}
	p := f.Package
	sd := SoftwareDetails{
		PackageName: p.Name, Version: p.Version, FixedVersion: f.FixedVersion, FixStatus: f.FixStatus.String(),
		Category: categoryOf(p.Type), Language: languageOf(p.Type), Vendor: vendorOf(p, rep.Image.OS.Family),
		OSDetails: OSDetails{OSPlatform: osPlatform(rep.Image.Platform), OSVersion: osVersion(rep.Image.OS)},
		Evidence:  []string{},
	}
	if p.Path != "" {
		sd.Evidence = append(sd.Evidence, p.Path)
	}
	if f.Fixable() {
		name, _ := p.Source()
		sd.FixReference = &FixReference{ID: f.ID, Description: "Upgrade " + name + " to " + f.FixedVersion + " or later"}
		if len(f.References) > 0 {
			sd.FixReference.URL = f.References[0]
		}
	}
	return &AzureContainerRegistryVulnerabilityData{
		AssessedResourceType: AzureContainerRegistryVulnerability,
		VulnerabilityDetails: vd,
		ArtifactDetails: ArtifactDetails{RegistryHost: im.RegistryHost, RepositoryName: im.Repository, Digest: im.Digest,
			Tags: nonNil(im.Tags), MediaType: im.MediaType, ArtifactType: "ContainerImage", LastPushedToRegistryUTC: timePtr(im.PushedAt)},
		SoftwareDetails: sd,
		CVSSV30Score:    score,
	}
}

// cvssKey is the provider's CVSS dictionary key of a score: "2.0", or
// "3.0" for every 3.x version; "" for none (CVSS 4.0 has no key).
func cvssKey(c *finding.CVSS) string {
	switch {
	case c == nil:
		return ""
	case c.Version == "2.0" || c.Version == "2":
		return "2.0"
	case strings.HasPrefix(c.Version, "3"):
		return "3.0"
	}
	return ""
}

// cveIDs are the CVE ids of a finding: its own id first, then its CVE
// aliases.
func cveIDs(f *finding.Finding) []string {
	var out []string
	if osv.IsCVE(f.ID) {
		out = append(out, f.ID)
	}
	for _, a := range f.Aliases {
		if osv.IsCVE(a) && a != f.ID {
			out = append(out, a)
		}
	}
	return out
}

// references turns URLs into titled links; the title is the URL's last
// path element (an advisory id, mostly) or its host.
func references(urls []string) []Link {
	out := make([]Link, 0, len(urls))
	for _, u := range urls {
		title := u
		if pu, err := url.Parse(u); err == nil && pu.Host != "" {
			title = pu.Host
			if b := path.Base(strings.TrimRight(pu.Path, "/")); b != "." && b != "/" && b != "" {
				title = b
			}
		}
		out = append(out, Link{Title: title, Link: u})
	}
	return out
}

// attackTypes derives exploit types from a CVSS vector's attack vector:
// network or adjacent network is Remote, local or physical Local.
func attackTypes(c *finding.CVSS) []string {
	if c != nil {
		for _, part := range strings.Split(c.Vector, "/") {
			switch part {
			case "AV:N", "AV:A":
				return []string{"Remote"}
			case "AV:L", "AV:P":
				return []string{"Local"}
			}
		}
	}
	return []string{"NotAvailable"}
}

// languages names the language of each language package type.
var languages = map[pkg.Type]string{
	pkg.TypeGoModule: "go", pkg.TypeNPM: "javascript", pkg.TypePyPI: "python", pkg.TypeMaven: "java",
	pkg.TypeGem: "ruby", pkg.TypeCargo: "rust", pkg.TypeComposer: "php", pkg.TypeNuGet: ".net",
}

func languageOf(t string) string { return languages[pkg.Type(t)] }

// vendorOf is the package URL's namespace (the distribution for OS
// packages, the scope or group for language ones), else the OS family for
// OS packages.
func vendorOf(p finding.Package, osFamily string) string {
	if pu, err := packageurl.FromString(p.PURL); err == nil && pu.Namespace != "" {
		return pu.Namespace
	}
	if pkg.Type(p.Type).IsOS() {
		return osFamily
	}
	return ""
}

// osPlatform is the OS part of a platform ("linux/amd64" is linux).
func osPlatform(platform string) string {
	os, _, _ := strings.Cut(platform, "/")
	if os == "" {
		return "linux"
	}
	return os
}

// osVersion writes an OS release as the provider does: family and version
// ("alpine_3.17"), with "_linux_" between them for Debian and Ubuntu
// ("ubuntu_linux_20.04").
func osVersion(o finding.OS) string {
	switch {
	case o.Family == "":
		return ""
	case o.Version == "":
		return o.Family
	case o.Family == "debian" || o.Family == "ubuntu":
		return o.Family + "_linux_" + o.Version
	}
	return o.Family + "_" + o.Version
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
