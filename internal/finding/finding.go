package finding

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"
)

// Finding is one advisory affecting one package of one image.
//
// The JSON field names are part of the stable report schema (PRODUCT.md,
// "Scan report JSON"); fields may be added, never renamed.
type Finding struct {
	// ID is the advisory id as the feed names it (CVE-..., GHSA-..., GO-...).
	ID string `json:"id"`
	// Aliases are the other ids of the same vulnerability (merged records).
	Aliases []string `json:"aliases"`
	// Package is the affected installed package.
	Package Package `json:"package"`
	// FixedVersion is the lowest fixed version above the installed one, in
	// the advisory's terms (the source version for distro packages); empty
	// when there is none.
	FixedVersion string `json:"fixedVersion"`
	// FixStatus says whether a fix exists.
	FixStatus FixStatus `json:"fixStatus"`
	// Severity is the normalized severity chosen by the database's policy.
	Severity Severity `json:"severity"`
	// SeveritySource names where Severity came from (e.g. "nvd", "ghsa",
	// "debian", "cvss"); empty when Unknown.
	SeveritySource string `json:"severitySource"`
	// RawSeverity is the source's own severity wording, unnormalized
	// (e.g. "MODERATE", "important"); empty when the source gave only a score.
	RawSeverity string `json:"rawSeverity,omitempty"`
	// CVSS is the score used, nil when none is known.
	CVSS *CVSS `json:"cvss,omitempty"`
	// Title is a one-line summary; may be empty.
	Title string `json:"title"`
	// Description is the advisory's text.
	Description string `json:"description"`
	// References are URLs about the advisory.
	References []string `json:"references"`
	// PublishedAt is when the advisory was published; zero when unknown.
	PublishedAt time.Time `json:"publishedAt,omitzero"`
	// Layer is the digest of the layer that introduced the package.
	Layer string `json:"layer"`
	// Remediation is one sentence a person can act on (see [Remediation]).
	Remediation string `json:"remediation"`
	// Exempted is true when the finding is silenced; Exemption says why.
	Exempted bool `json:"exempted"`
	// Exemption is the rule that silenced the finding; set iff Exempted.
	Exemption *Exemption `json:"exemption,omitempty"`
	// KEV is true when the vulnerability is in CISA's Known Exploited
	// Vulnerabilities catalog.
	KEV bool `json:"kev"`
	// EPSS is the exploit prediction score, nil when unknown.
	EPSS *EPSS `json:"epss,omitempty"`
	// VEX is the VEX statement that silenced the finding, if one did.
	VEX *VEX `json:"vex,omitempty"`
}

// CVSS is a Common Vulnerability Scoring System rating.
type CVSS struct {
	// Version is "2.0", "3.0", "3.1" or "4.0".
	Version string `json:"version"`
	// Score is the base score, 0.0-10.0.
	Score float64 `json:"score"`
	// Vector is the vector string, e.g. "CVSS:3.1/AV:N/AC:L/...".
	Vector string `json:"vector"`
}

// EPSS is a FIRST Exploit Prediction Scoring System estimate.
type EPSS struct {
	// Score is the probability of exploitation in the next 30 days, 0-1.
	Score float64 `json:"score"`
	// Percentile is the score's rank among all scored CVEs, 0-1.
	Percentile float64 `json:"percentile"`
}

// Exemption sources.
const (
	ExemptionRule       = "rule"        // an exemption stored in drydock
	ExemptionIgnoreFile = "ignore-file" // drydock scan --ignore-file
	ExemptionVEX        = "vex"         // a VEX statement (see Finding.VEX)
	// ExemptionNotLinked: the advisory is about packages or functions of
	// a Go module that the binary has no code of (its function table
	// says so).
	ExemptionNotLinked = "not-linked"
)

// Exemption says why a finding is silenced.
type Exemption struct {
	// ID identifies the exemption rule, when it has one.
	ID string `json:"id,omitempty"`
	// Source is ExemptionRule, ExemptionIgnoreFile, ExemptionVEX or
	// ExemptionNotLinked.
	Source string `json:"source"`
	// Scope is where the rule applies: subscription, registry, repository,
	// image or package (empty for ignore files and VEX).
	Scope string `json:"scope,omitempty"`
	// Reason is the human explanation.
	Reason string `json:"reason"`
	// Author is who created the rule or statement.
	Author string `json:"author,omitempty"`
	// ExpiresAt is when the exemption stops applying; zero means never.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
}

// VEX is the OpenVEX statement that silenced a finding
// (https://github.com/openvex/spec).
type VEX struct {
	// Document is the @id of the OpenVEX document.
	Document string `json:"document"`
	// Status is the statement's status: "not_affected" or "fixed".
	Status string `json:"status"`
	// Justification is the OpenVEX justification label, e.g.
	// "vulnerable_code_not_in_execute_path".
	Justification string `json:"justification,omitempty"`
	// ImpactStatement is the free-text explanation.
	ImpactStatement string `json:"impactStatement,omitempty"`
	// Author of the document.
	Author string `json:"author,omitempty"`
	// Timestamp of the statement.
	Timestamp time.Time `json:"timestamp,omitzero"`
}

// Active reports whether the finding counts: it is not silenced.
func (f *Finding) Active() bool { return !f.Exempted }

// Fixable reports whether a fixed version is known.
func (f *Finding) Fixable() bool { return f.FixStatus == FixAvailable && f.FixedVersion != "" }

// MarshalJSON encodes the finding with aliases and references always
// present as arrays.
func (f Finding) MarshalJSON() ([]byte, error) {
	return marshal(findingJSON(f).withLists())
}

// findingJSON is a Finding without its MarshalJSON method.
type findingJSON Finding

// withLists returns f with empty lists in place of nil ones.
func (f findingJSON) withLists() findingJSON {
	if f.Aliases == nil {
		f.Aliases = []string{}
	}
	if f.References == nil {
		f.References = []string{}
	}
	return f
}

// Clone returns a copy of f that shares no memory with it.
func (f *Finding) Clone() *Finding {
	c := *f
	c.Aliases = slices.Clone(f.Aliases)
	c.References = slices.Clone(f.References)
	if f.CVSS != nil {
		v := *f.CVSS
		c.CVSS = &v
	}
	if f.EPSS != nil {
		v := *f.EPSS
		c.EPSS = &v
	}
	if f.Exemption != nil {
		v := *f.Exemption
		c.Exemption = &v
	}
	if f.VEX != nil {
		v := *f.VEX
		c.VEX = &v
	}
	return &c
}

// marshal encodes v without escaping <, > and & (advisory text is full of
// them) and without a trailing newline.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
