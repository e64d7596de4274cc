package report

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/drydock/drydock/internal/finding"
)

const informationURI = "https://github.com/drydock/drydock"

type sarifHandler struct {
	collector
	w       io.Writer
	version string
}

func newSARIF(w io.Writer, version string) *sarifHandler {
	return &sarifHandler{w: w, version: version}
}

func (h *sarifHandler) Flush() error {
	return h.flush("sarif", func(r *finding.Report) error {
		var full bytes.Buffer
		if err := buildSARIF(r, h.version).PrettyWrite(&full); err != nil {
			return err
		}
		out, err := compactSARIF(full.Bytes())
		if err != nil {
			return err
		}
		_, err = h.w.Write(out)
		return err
	})
}

// sarifLevel maps a severity to a SARIF result level.
func sarifLevel(s finding.Severity) string {
	switch s {
	case finding.Critical, finding.High:
		return "error"
	case finding.Medium:
		return "warning"
	}
	return "note"
}

// buildSARIF makes a SARIF 2.1.0 log with one run: one rule per advisory
// (in order of first appearance) and one result per finding, located at
// the file the package was read from.
func buildSARIF(r *finding.Report, version string) *sarif.Report {
	run := sarif.NewRunWithInformationURI("drydock", informationURI)
	if version != "" {
		run.Tool.Driver.WithVersion(version)
	}
	props := sarif.NewPropertyBag().
		Add("imageRepository", r.Image.Repository).
		Add("imageDigest", r.Image.Digest).
		Add("status", string(r.Status))
	if r.Image.Platform != "" {
		props.Add("platform", r.Image.Platform)
	}
	if r.DB.Version != "" {
		props.Add("dbVersion", r.DB.Version)
	}
	// A failed scan has no results: the invocation says it did not
	// succeed, and why, so that a consumer (a code scanning service) does
	// not take it for an image without findings.
	inv := sarif.NewInvocation().WithExecutionSuccessful(r.Status != finding.StatusFailed)
	if r.Reason != "" {
		props.Add("reason", r.Reason)
		level := "note"
		if r.Status == finding.StatusFailed {
			level = "error"
		}
		inv.AddToolExecutionNotification(sarif.NewNotification().WithLevel(level).WithMessage(sarif.NewTextMessage(r.Reason)))
	}
	// Packages that were not matched have no results because nothing is
	// known about them: a warning each group, so that the run is not
	// taken for a clean bill of health.
	if n := r.UncheckedPackages(); n > 0 {
		props.Add("uncheckedPackages", n)
		for _, u := range r.Unchecked {
			inv.AddToolExecutionNotification(sarif.NewNotification().WithLevel("warning").WithMessage(sarif.NewTextMessage(u.String())))
		}
	}
	run.AddInvocation(inv)
	run.WithProperties(props)

	rules := map[string]int{}
	byArch := archDistinct(r.Findings)
	for i := range r.Findings {
		f := &r.Findings[i]
		idx, ok := rules[f.ID]
		if !ok {
			idx = len(run.Tool.Driver.Rules)
			rules[f.ID] = idx
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule(f))
		} else if rule := run.Tool.Driver.Rules[idx]; f.Severity > ruleSeverity(rule) {
			// One advisory can be rated differently per package; the rule
			// carries the highest.
			setRuleSeverity(rule, f)
		}
		run.AddResult(sarifResult(r, f, idx, byArch[sarifFingerprint(f, false)]))
	}
	return sarif.NewReport().AddRun(run)
}

func sarifRule(f *finding.Finding) *sarif.ReportingDescriptor {
	short := f.Title
	if short == "" {
		short = firstSentence(f.Description)
	}
	if short == "" {
		short = f.ID
	}
	// No name: SARIF wants it to differ from the id (a readable name next
	// to an opaque id), and an advisory id is both; the short description
	// is the readable part.
	rule := sarif.NewRule(f.ID).
		WithShortDescription(sarif.NewMultiformatMessageString().WithText(short))
	full := f.Description
	if full == "" {
		full = short
	}
	rule.WithFullDescription(sarif.NewMultiformatMessageString().WithText(full))
	var md strings.Builder
	fmt.Fprintf(&md, "**%s**", f.ID)
	if f.Title != "" {
		fmt.Fprintf(&md, ": %s", f.Title)
	}
	if f.Description != "" {
		fmt.Fprintf(&md, "\n\n%s", f.Description)
	}
	if len(f.Aliases) > 0 {
		fmt.Fprintf(&md, "\n\nAliases: %s", strings.Join(f.Aliases, ", "))
	}
	if len(f.References) > 0 {
		md.WriteString("\n\nReferences:\n")
		for _, u := range f.References {
			fmt.Fprintf(&md, "\n- <%s>", u)
		}
	}
	rule.WithHelpURI(advisoryURL(f))
	rule.WithHelp(sarif.NewMultiformatMessageString().WithText(full).WithMarkdown(md.String()))
	setRuleSeverity(rule, f)
	return rule
}

// setRuleSeverity sets the rule's default level and the properties GitHub
// code scanning reads: "security-severity" (a CVSS-like score as a string)
// and tags.
func setRuleSeverity(rule *sarif.ReportingDescriptor, f *finding.Finding) {
	rule.WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(sarifLevel(f.Severity)))
	p := sarif.NewPropertyBag().
		Add("severity", f.Severity.String()).
		Add("precision", "very-high")
	if s := securitySeverity(f); s != "" {
		p.Add("security-severity", s)
	}
	p.WithTags([]string{"security", "vulnerability", strings.ToLower(f.Severity.String())})
	rule.WithProperties(p)
}

func ruleSeverity(rule *sarif.ReportingDescriptor) finding.Severity {
	if rule.Properties == nil {
		return finding.Unknown
	}
	s, _ := rule.Properties.Properties["severity"].(string)
	v, _ := finding.ParseSeverity(s)
	return v
}

// securitySeverity is the score GitHub code scanning buckets into its
// severities (>=9 critical, >=7 high, >=4 medium, >0 low): the CVSS score
// when it falls in the bucket of the finding's severity, else a
// representative score for that severity. The severity comes from the
// database's policy and can differ from the CVSS score's (a distribution
// rating "Important" over an NVD score of 9.8), and code scanning must show
// the severity the report gives.
func securitySeverity(f *finding.Finding) string {
	lo, hi, rep := 0.0, 0.0, ""
	switch f.Severity {
	case finding.Critical:
		lo, hi, rep = 9.0, 10.0, "9.5"
	case finding.High:
		lo, hi, rep = 7.0, 8.9, "8.0"
	case finding.Medium:
		lo, hi, rep = 4.0, 6.9, "5.5"
	case finding.Low:
		lo, hi, rep = 0.1, 3.9, "2.0"
	default:
		return ""
	}
	if f.CVSS != nil && f.CVSS.Score >= lo && f.CVSS.Score <= hi {
		return strconv.FormatFloat(f.CVSS.Score, 'f', 1, 64)
	}
	return rep
}

// artifactURI is a file path in the image as the relative URI reference
// SARIF wants (artifactLocation.uri is a "uri-reference"): spaces, '%',
// non-ASCII and the like percent-encoded, and "./" before a first segment
// holding a colon so that it is not read as a URI scheme. Code scanning
// services reject a log whose uri is not a valid URI reference.
func artifactURI(path string) string {
	u := url.URL{Path: path}
	return u.String()
}

// sarifFingerprint is the drydockFinding/v1 partial fingerprint of a
// finding: advisory, package type, name, version and path, and the
// package's architecture when withArch.
func sarifFingerprint(f *finding.Finding, withArch bool) string {
	p := f.Package
	fp := strings.Join([]string{f.ID, p.Type, p.Name, p.Version, p.Path}, "|")
	if withArch {
		fp += "|" + p.Arch
	}
	return fp
}

// archDistinct returns the fingerprints (without architecture) that
// several findings hold for different architectures: libc6:amd64 and
// libc6:i386 of a multi-arch image. Their fingerprints take the
// architecture, so that code scanning keeps two alerts; every other
// fingerprint stays as it was before drydock told architectures apart.
func archDistinct(fs []finding.Finding) map[string]bool {
	arch := map[string]string{}
	out := map[string]bool{}
	for i := range fs {
		k := sarifFingerprint(&fs[i], false)
		if a, seen := arch[k]; !seen {
			arch[k] = fs[i].Package.Arch
		} else if a != fs[i].Package.Arch {
			out[k] = true
		}
	}
	return out
}

func sarifResult(r *finding.Report, f *finding.Finding, ruleIdx int, byArch bool) *sarif.Result {
	p := f.Package
	kind := p.Type
	if byArch {
		kind += ", " + p.Arch
	}
	msg := fmt.Sprintf("%s %s (%s) is affected by %s (%s). %s", p.Name, p.Version, kind, f.ID, f.Severity, f.Remediation)
	res := sarif.NewRuleResult(f.ID).
		WithRuleIndex(ruleIdx).
		WithLevel(sarifLevel(f.Severity)).
		WithMessage(sarif.NewTextMessage(strings.TrimSpace(msg)))
	path := p.Path
	if path == "" {
		// No file: point at the image itself.
		path = r.Image.Repository
	}
	loc := sarif.NewPhysicalLocation().
		WithArtifactLocation(sarif.NewSimpleArtifactLocation(artifactURI(path))).
		WithRegion(sarif.NewSimpleRegion(1, 1))
	res.AddLocation(sarif.NewLocationWithPhysicalLocation(loc))
	res.WithPartialFingerprints(map[string]string{"drydockFinding/v1": sarifFingerprint(f, byArch)})
	props := sarif.NewPropertyBag().
		Add("packageName", p.Name).
		Add("packageVersion", p.Version).
		Add("packageType", p.Type).
		Add("fixStatus", f.FixStatus.String())
	if p.Arch != "" {
		props.Add("packageArch", p.Arch)
	}
	if p.PURL != "" {
		props.Add("purl", p.PURL)
	}
	if f.FixedVersion != "" {
		props.Add("fixedVersion", f.FixedVersion)
	}
	if f.Layer != "" {
		props.Add("layer", f.Layer)
	}
	if f.KEV {
		props.Add("kev", true)
	}
	if f.EPSS != nil {
		props.Add("epss", f.EPSS.Score)
	}
	res.WithProperties(props)
	if f.Exempted {
		s := sarif.NewSuppression().WithKind("external").WithStatus("accepted")
		if f.Exemption != nil && f.Exemption.Reason != "" {
			s.WithJustification(f.Exemption.Reason)
		}
		res.AddSuppression(s)
	}
	return res
}
