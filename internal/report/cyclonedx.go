package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/uuid"

	"github.com/drydock/drydock/internal/finding"
)

type cyclonedxHandler struct {
	collector
	w       io.Writer
	version string
}

func newCycloneDX(w io.Writer, version string) *cyclonedxHandler {
	return &cyclonedxHandler{w: w, version: version}
}

func (h *cyclonedxHandler) Flush() error {
	return h.flush("cyclonedx", func(r *finding.Report) error {
		enc := cdx.NewBOMEncoder(h.w, cdx.BOMFileFormatJSON)
		enc.SetPretty(true)
		enc.SetEscapeHTML(false)
		return enc.EncodeVersion(buildCycloneDX(r, h.version), cdx.SpecVersion1_6)
	})
}

// documentUUID derives a stable document id from the image and scan time,
// so the same report always gives the same serial number / namespace.
func documentUUID(r *finding.Report) uuid.UUID {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte(informationURI+"/report/"+r.Image.Repository+"@"+r.Image.Digest+"/"+r.ScannedAt.UTC().Format(time.RFC3339Nano)))
}

// packageKey identifies an installed package within a report.
type packageKey struct{ typ, name, version, purl, path, layer string }

func keyOf(p *finding.Package) packageKey {
	return packageKey{p.Type, p.Name, p.Version, p.PURL, p.Path, p.Layer}
}

// buildCycloneDX makes a CycloneDX 1.6 BOM: the image as the metadata
// component, the OS and every package as components (bom-ref = purl, made
// unique), every finding as one vulnerability affecting its component.
func buildCycloneDX(r *finding.Report, version string) *cdx.BOM {
	bom := cdx.NewBOM()
	bom.SerialNumber = "urn:uuid:" + documentUUID(r).String()
	tool := cdx.Component{Type: cdx.ComponentTypeApplication, Name: "drydock", Version: version}
	image := &cdx.Component{
		BOMRef:  "image",
		Type:    cdx.ComponentTypeContainer,
		Name:    r.Image.Repository,
		Version: r.Image.Digest,
	}
	var imageProps []cdx.Property
	imageProps = appendProp(imageProps, "drydock:platform", r.Image.Platform)
	imageProps = appendProp(imageProps, "drydock:status", string(r.Status))
	imageProps = appendProp(imageProps, "drydock:reason", r.Reason)
	// Packages no advisory data covers: no vulnerability listed for them
	// says nothing about them.
	for _, u := range r.Unchecked {
		imageProps = appendProp(imageProps, "drydock:unchecked", u.String())
	}
	imageProps = appendProp(imageProps, "drydock:db:version", r.DB.Version)
	if !r.DB.UpdatedAt.IsZero() {
		imageProps = appendProp(imageProps, "drydock:db:updatedAt", r.DB.UpdatedAt.UTC().Format(time.RFC3339))
	}
	if len(imageProps) > 0 {
		image.Properties = &imageProps
	}
	bom.Metadata = &cdx.Metadata{
		Timestamp: r.ScannedAt.UTC().Format(time.RFC3339),
		Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{tool}},
		Component: image,
	}

	var comps []cdx.Component
	refs := map[packageKey]string{}
	used := map[string]bool{"image": true}
	unique := func(ref string) string {
		base := ref
		for n := 2; used[ref]; n++ {
			ref = fmt.Sprintf("%s#%d", base, n)
		}
		used[ref] = true
		return ref
	}
	if os := r.Image.OS; os.Family != "" {
		var props []cdx.Property
		if os.EOL {
			props = appendProp(props, "drydock:eol", "true")
		}
		c := cdx.Component{
			BOMRef:  unique("os:" + os.Family + "@" + os.Version),
			Type:    cdx.ComponentTypeOS,
			Name:    os.Family,
			Version: os.Version,
		}
		if len(props) > 0 {
			c.Properties = &props
		}
		comps = append(comps, c)
	}
	addPackage := func(p *finding.Package) string {
		k := keyOf(p)
		if ref, ok := refs[k]; ok {
			return ref
		}
		ref := p.PURL
		if ref == "" {
			ref = "pkg:" + p.Type + "/" + p.Name + "@" + p.Version
		}
		ref = unique(ref)
		refs[k] = ref
		c := cdx.Component{
			BOMRef:     ref,
			Type:       cdx.ComponentTypeLibrary,
			Name:       p.Name,
			Version:    p.Version,
			PackageURL: p.PURL,
		}
		var props []cdx.Property
		props = appendProp(props, "drydock:package:type", p.Type)
		props = appendProp(props, "drydock:package:layer", p.Layer)
		props = appendProp(props, "drydock:package:path", p.Path)
		props = appendProp(props, "drydock:package:sourceName", p.SourceName)
		props = appendProp(props, "drydock:package:sourceVersion", p.SourceVersion)
		if len(props) > 0 {
			c.Properties = &props
		}
		comps = append(comps, c)
		return ref
	}
	for i := range r.Packages {
		addPackage(&r.Packages[i])
	}

	var vulns []cdx.Vulnerability
	for i := range r.Findings {
		f := &r.Findings[i]
		ref := addPackage(&f.Package) // a finding's package is normally in the inventory already
		vulns = append(vulns, cyclonedxVulnerability(f, ref))
	}
	if len(comps) > 0 {
		bom.Components = &comps
		deps := make([]string, 0, len(comps))
		for _, c := range comps {
			deps = append(deps, c.BOMRef)
		}
		bom.Dependencies = &[]cdx.Dependency{{Ref: "image", Dependencies: &deps}}
	}
	if len(vulns) > 0 {
		bom.Vulnerabilities = &vulns
	}
	return bom
}

func appendProp(props []cdx.Property, name, value string) []cdx.Property {
	if value == "" {
		return props
	}
	return append(props, cdx.Property{Name: name, Value: value})
}

// advisorySource names the database an advisory id comes from, by its
// prefix; "" when not known.
func advisorySource(id string) cdx.Source {
	prefix, _, _ := strings.Cut(id, "-")
	switch prefix {
	case "CVE":
		return cdx.Source{Name: "NVD", URL: "https://nvd.nist.gov/vuln/detail/" + id}
	case "GHSA":
		return cdx.Source{Name: "GitHub", URL: "https://github.com/advisories/" + id}
	case "GO":
		return cdx.Source{Name: "Go Vulnerability Database", URL: "https://pkg.go.dev/vuln/" + id}
	case "PYSEC":
		return cdx.Source{Name: "PyPA", URL: "https://osv.dev/vulnerability/" + id}
	case "RUSTSEC":
		return cdx.Source{Name: "RustSec", URL: "https://rustsec.org/advisories/" + id}
	}
	return cdx.Source{Name: "OSV", URL: "https://osv.dev/vulnerability/" + id}
}

// advisoryURL is the page of f's advisory: the first of its references
// that names the advisory id (the feed's own page, as Alpine's
// security.alpinelinux.org/vuln/CVE-...), else the id's home page
// (advisorySource). A first reference is often a fix commit or an issue,
// not the advisory.
func advisoryURL(f *finding.Finding) string {
	for _, u := range f.References {
		if strings.Contains(strings.ToLower(u), strings.ToLower(f.ID)) {
			return u
		}
	}
	return advisorySource(f.ID).URL
}

func cvssMethod(version string) cdx.ScoringMethod {
	switch version {
	case "2.0", "2":
		return cdx.ScoringMethodCVSSv2
	case "3.0":
		return cdx.ScoringMethodCVSSv3
	case "3.1":
		return cdx.ScoringMethodCVSSv31
	case "4.0", "4":
		return cdx.ScoringMethodCVSSv4
	}
	return cdx.ScoringMethodOther
}

func cyclonedxSeverity(s finding.Severity) cdx.Severity {
	switch s {
	case finding.Critical:
		return cdx.SeverityCritical
	case finding.High:
		return cdx.SeverityHigh
	case finding.Medium:
		return cdx.SeverityMedium
	case finding.Low:
		return cdx.SeverityLow
	}
	return cdx.SeverityUnknown
}

// cyclonedxRatings is the finding's severity as ratings: one, with the
// CVSS score, method and vector, when the score's own rating is the
// finding's severity; else two, the severity as the database's policy
// rates it (a distribution's "Important", method other) and the CVSS with
// the severity its score means, so that no rating pairs a score with a
// severity the score does not have (High with 9.8).
func cyclonedxRatings(f *finding.Finding) *[]cdx.VulnerabilityRating {
	rating := cdx.VulnerabilityRating{Severity: cyclonedxSeverity(f.Severity)}
	if f.SeveritySource != "" {
		rating.Source = &cdx.Source{Name: f.SeveritySource}
	}
	if f.CVSS == nil {
		return &[]cdx.VulnerabilityRating{rating}
	}
	score := f.CVSS.Score
	cvss := cdx.VulnerabilityRating{
		Score:    &score,
		Method:   cvssMethod(f.CVSS.Version),
		Vector:   f.CVSS.Vector,
		Severity: cyclonedxSeverity(finding.SeverityFromScore(score)),
	}
	if finding.SeverityFromScore(score) == f.Severity {
		cvss.Source = rating.Source
		return &[]cdx.VulnerabilityRating{cvss}
	}
	rating.Method = cdx.ScoringMethodOther
	return &[]cdx.VulnerabilityRating{rating, cvss}
}

// vexJustification maps OpenVEX justifications to CycloneDX ones (as CISA's
// "Minimum Requirements for VEX" pairs them).
var vexJustification = map[string]cdx.ImpactAnalysisJustification{
	"component_not_present":                             cdx.IAJCodeNotPresent,
	"vulnerable_code_not_present":                       cdx.IAJCodeNotPresent,
	"vulnerable_code_not_in_execute_path":               cdx.IAJCodeNotReachable,
	"vulnerable_code_cannot_be_controlled_by_adversary": cdx.IAJRequiresEnvironment,
	"inline_mitigations_already_exist":                  cdx.IAJProtectedByMitigatingControl,
}

func cyclonedxVulnerability(f *finding.Finding, ref string) cdx.Vulnerability {
	src := advisorySource(f.ID)
	v := cdx.Vulnerability{
		BOMRef:         f.ID + "/" + ref,
		ID:             f.ID,
		Source:         &src,
		Description:    f.Title,
		Detail:         f.Description,
		Recommendation: f.Remediation,
	}
	if v.Description == "" {
		v.Description = firstSentence(f.Description)
	}
	if !f.PublishedAt.IsZero() {
		v.Published = f.PublishedAt.UTC().Format(time.RFC3339)
	}
	if len(f.Aliases) > 0 {
		refs := make([]cdx.VulnerabilityReference, 0, len(f.Aliases))
		for _, a := range f.Aliases {
			s := advisorySource(a)
			refs = append(refs, cdx.VulnerabilityReference{ID: a, Source: &s})
		}
		v.References = &refs
	}
	v.Ratings = cyclonedxRatings(f)
	if len(f.References) > 0 {
		adv := make([]cdx.Advisory, 0, len(f.References))
		for _, u := range f.References {
			adv = append(adv, cdx.Advisory{URL: u})
		}
		v.Advisories = &adv
	}
	versions := []cdx.AffectedVersions{{Version: f.Package.Version, Status: cdx.VulnerabilityStatusAffected}}
	if f.Fixable() && f.Package.SourceVersion == "" {
		// The fixed version is in the package's own terms only when it has
		// no separate source version.
		versions = append(versions, cdx.AffectedVersions{Version: f.FixedVersion, Status: cdx.VulnerabilityStatusNotAffected})
	}
	v.Affects = &[]cdx.Affects{{Ref: ref, Range: &versions}}
	if a := cyclonedxAnalysis(f); a != nil {
		v.Analysis = a
	}
	var props []cdx.Property
	props = appendProp(props, "drydock:fixStatus", f.FixStatus.String())
	props = appendProp(props, "drydock:fixedVersion", f.FixedVersion)
	if f.KEV {
		props = appendProp(props, "drydock:kev", "true")
	}
	if f.EPSS != nil {
		props = appendProp(props, "drydock:epss:score", strconv.FormatFloat(f.EPSS.Score, 'f', -1, 64))
		props = appendProp(props, "drydock:epss:percentile", strconv.FormatFloat(f.EPSS.Percentile, 'f', -1, 64))
	}
	v.Properties = &props
	return v
}

// cyclonedxAnalysis describes a silenced finding: a VEX statement as the
// impact analysis it is; a Go binary that links no code of the vulnerable
// packages as not affected, the code not present; any other exemption as
// a decision not to fix, with its reason (no claim about exploitability
// is made).
func cyclonedxAnalysis(f *finding.Finding) *cdx.VulnerabilityAnalysis {
	if !f.Exempted {
		return nil
	}
	if x := f.VEX; x != nil {
		a := &cdx.VulnerabilityAnalysis{Detail: x.ImpactStatement}
		switch x.Status {
		case "not_affected":
			a.State = cdx.IASNotAffected
			a.Justification = vexJustification[x.Justification]
		case "fixed":
			a.State = cdx.IASResolved
		}
		if !x.Timestamp.IsZero() {
			a.LastUpdated = x.Timestamp.UTC().Format(time.RFC3339)
		}
		return a
	}
	if e := f.Exemption; e != nil && e.Source == finding.ExemptionNotLinked {
		// drydock's own finding: the vulnerable code is not in the binary.
		return &cdx.VulnerabilityAnalysis{State: cdx.IASNotAffected, Justification: cdx.IAJCodeNotPresent, Detail: e.Reason}
	}
	a := &cdx.VulnerabilityAnalysis{Response: &[]cdx.ImpactAnalysisResponse{cdx.IARWillNotFix}}
	if e := f.Exemption; e != nil {
		d := "Exempted"
		if e.Source != "" {
			d += " by " + e.Source
		}
		if e.Author != "" {
			d += " (" + e.Author + ")"
		}
		if !e.ExpiresAt.IsZero() {
			d += " until " + e.ExpiresAt.UTC().Format(time.DateOnly)
		}
		if e.Reason != "" {
			d += ": " + e.Reason
		}
		a.Detail = d
	}
	return a
}
