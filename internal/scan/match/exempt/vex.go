package exempt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"

	"github.com/drydock/drydock/internal/finding"
)

// VEX statuses (OpenVEX).
const (
	StatusNotAffected        = "not_affected"
	StatusAffected           = "affected"
	StatusFixed              = "fixed"
	StatusUnderInvestigation = "under_investigation"
)

// VEX is a parsed OpenVEX document (https://github.com/openvex/spec,
// v0.2.0, and the v0.0.x form where vulnerability and products are plain
// strings).
//
// A statement applies to a finding when its vulnerability (name, @id or
// aliases) is the finding's id or one of its aliases, and its product is
// the finding's package (a package URL; version and qualifiers, when the
// statement gives them, must agree), or its product is the scanned image
// (a pkg:oci URL with the image digest, the digest itself, or the
// repository name) with either no subcomponents or one naming the package.
// Among the statements that apply, the latest (statement timestamp, else
// the document's) decides: not_affected and fixed silence the finding and
// say why; affected and under_investigation leave it active. Several
// documents are one sequence of statements: see [VEXSet].
//
// Statements the specification calls incomplete are errors: not_affected
// without a justification (one of its labels) or an impact statement, no
// timestamp in the statement or the document, and a product or
// subcomponent written as a package URL that does not parse.
type VEX struct {
	ID         string
	Author     string
	Timestamp  time.Time
	Statements []Statement
}

// Statement is one OpenVEX statement.
type Statement struct {
	// Vulnerability holds the statement's vulnerability name, @id and
	// aliases.
	Vulnerability []string
	Products      []Product
	Status        string
	// Justification is the not_affected justification label.
	Justification   string
	ImpactStatement string
	ActionStatement string
	Timestamp       time.Time
}

// Product is a product of a statement with its subcomponents.
type Product struct {
	// IDs are the product's @id and identifiers (purl, ...).
	IDs           []string
	Subcomponents [][]string
}

// rawVEX is the JSON form.
type rawVEX struct {
	Context    string         `json:"@context"`
	ID         string         `json:"@id"`
	Author     string         `json:"author"`
	Timestamp  string         `json:"timestamp"`
	Statements []rawStatement `json:"statements"`
}

type rawStatement struct {
	Vulnerability   json.RawMessage `json:"vulnerability"`
	RawProducts     json.RawMessage `json:"products"`
	Status          string          `json:"status"`
	Justification   string          `json:"justification"`
	ImpactStatement string          `json:"impact_statement"`
	ActionStatement string          `json:"action_statement"`
	Timestamp       string          `json:"timestamp"`
}

// component is an OpenVEX component: a string or {"@id", "identifiers"}.
type component struct {
	ID            string            `json:"@id"`
	Identifiers   map[string]string `json:"identifiers"`
	Subcomponents []json.RawMessage `json:"subcomponents"`
}

func parseComponent(raw json.RawMessage) (ids []string, subs []json.RawMessage, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, nil, err
		}
		return []string{s}, nil, nil
	}
	var c component
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, nil, err
	}
	if c.ID != "" {
		ids = append(ids, c.ID)
	}
	for _, v := range c.Identifiers {
		if v != "" {
			ids = append(ids, v)
		}
	}
	return ids, c.Subcomponents, nil
}

// ParseVEX reads an OpenVEX JSON document.
func ParseVEX(r io.Reader) (*VEX, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return nil, fmt.Errorf("vex: %w", err)
	}
	if len(b) > maxDocument {
		return nil, fmt.Errorf("%w: VEX document over %d bytes", ErrInvalid, maxDocument)
	}
	var raw rawVEX
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%w: VEX: %w", ErrInvalid, err)
	}
	if !strings.Contains(raw.Context, "openvex") {
		return nil, fmt.Errorf("%w: VEX: @context %q is not OpenVEX", ErrInvalid, raw.Context)
	}
	v := &VEX{ID: raw.ID, Author: raw.Author}
	if v.Timestamp, err = parseTime(raw.Timestamp); err != nil {
		return nil, fmt.Errorf("%w: VEX timestamp: %w", ErrInvalid, err)
	}
	for i, rs := range raw.Statements {
		s := Statement{Status: rs.Status, Justification: rs.Justification, ImpactStatement: rs.ImpactStatement, ActionStatement: rs.ActionStatement}
		switch s.Status {
		case StatusNotAffected, StatusAffected, StatusFixed, StatusUnderInvestigation:
		default:
			return nil, fmt.Errorf("%w: VEX statement %d: status %q", ErrInvalid, i, rs.Status)
		}
		if s.Status == StatusNotAffected {
			// OpenVEX: a not_affected statement MUST say why, with a
			// justification label or an impact statement.
			if s.Justification == "" && strings.TrimSpace(s.ImpactStatement) == "" {
				return nil, fmt.Errorf("%w: VEX statement %d: not_affected needs a justification or an impact_statement", ErrInvalid, i)
			}
			if s.Justification != "" && !justifications[s.Justification] {
				return nil, fmt.Errorf("%w: VEX statement %d: justification %q is not one of %s", ErrInvalid, i, s.Justification, justificationList())
			}
		}
		if s.Timestamp, err = parseTime(rs.Timestamp); err != nil {
			return nil, fmt.Errorf("%w: VEX statement %d: timestamp: %w", ErrInvalid, i, err)
		}
		if s.Timestamp.IsZero() {
			s.Timestamp = v.Timestamp
		}
		if len(rs.Vulnerability) == 0 {
			return nil, fmt.Errorf("%w: VEX statement %d has no vulnerability", ErrInvalid, i)
		}
		if s.Vulnerability, err = parseVulnerability(rs.Vulnerability); err != nil {
			return nil, fmt.Errorf("%w: VEX statement %d: vulnerability: %w", ErrInvalid, i, err)
		}
		var products []json.RawMessage
		if len(rs.RawProducts) > 0 && string(rs.RawProducts) != "null" {
			if err := json.Unmarshal(rs.RawProducts, &products); err != nil {
				return nil, fmt.Errorf("%w: VEX statement %d: products: %w", ErrInvalid, i, err)
			}
		}
		for _, p := range products {
			ids, subs, err := parseComponent(p)
			if err != nil {
				return nil, fmt.Errorf("%w: VEX statement %d: product: %w", ErrInvalid, i, err)
			}
			if err := checkPURLs(ids); err != nil {
				return nil, fmt.Errorf("%w: VEX statement %d: product: %w", ErrInvalid, i, err)
			}
			prod := Product{IDs: ids}
			for _, sc := range subs {
				sids, _, err := parseComponent(sc)
				if err == nil {
					err = checkPURLs(sids)
				}
				if err != nil {
					return nil, fmt.Errorf("%w: VEX statement %d: subcomponent: %w", ErrInvalid, i, err)
				}
				prod.Subcomponents = append(prod.Subcomponents, sids)
			}
			s.Products = append(s.Products, prod)
		}
		if len(s.Products) == 0 {
			return nil, fmt.Errorf("%w: VEX statement %d (%s) names no product", ErrInvalid, i, s.Vulnerability[0])
		}
		if s.Timestamp.IsZero() {
			// Without one it cannot be ordered against other statements.
			return nil, fmt.Errorf("%w: VEX statement %d (%s) has no timestamp, and neither has the document", ErrInvalid, i, s.Vulnerability[0])
		}
		v.Statements = append(v.Statements, s)
	}
	return v, nil
}

// justifications are the OpenVEX status justification labels.
var justifications = map[string]bool{
	"component_not_present":                             true,
	"vulnerable_code_not_present":                       true,
	"vulnerable_code_not_in_execute_path":               true,
	"vulnerable_code_cannot_be_controlled_by_adversary": true,
	"inline_mitigations_already_exist":                  true,
}

func justificationList() string {
	l := make([]string, 0, len(justifications))
	for j := range justifications {
		l = append(l, j)
	}
	slices.Sort(l)
	return strings.Join(l, ", ")
}

// checkPURLs reports an identifier that is meant to be a package URL (it
// starts with pkg:) but is not one: it would never match a package, and
// the statement would silently do nothing.
func checkPURLs(ids []string) error {
	for _, id := range ids {
		if !strings.HasPrefix(id, "pkg:") {
			continue
		}
		if _, err := packageurl.FromString(id); err != nil {
			return fmt.Errorf("package URL %q: %w", id, err)
		}
	}
	return nil
}

func parseVulnerability(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return []string{s}, err
	}
	var vv struct {
		ID      string   `json:"@id"`
		Name    string   `json:"name"`
		Aliases []string `json:"aliases"`
	}
	if err := json.Unmarshal(raw, &vv); err != nil {
		return nil, err
	}
	var out []string
	for _, s := range append([]string{vv.Name, vv.ID}, vv.Aliases...) {
		if s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no name")
	}
	return out, nil
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	return t.UTC(), err
}

// Exempt silences f when the deciding statement says not_affected or
// fixed. It reports whether it did; an already silenced finding is left
// alone. Several documents are decided together by [VEXSet].
func (v *VEX) Exempt(img *finding.Image, f *finding.Finding) bool {
	return VEXSet{v}.Exempt(img, f)
}

// VEXSet is the OpenVEX documents of one scan, read as one sequence of
// statements: among the statements of every document that apply to a
// finding, the latest (statement timestamp, else its document's) decides,
// so that a later document's affected statement overrides an earlier
// document's not_affected one, as the OpenVEX specification has it ("a
// sequence of statements, each overriding ... the previous ones"). On a
// tie the statement that comes last (documents in order, then statements
// in order) decides.
type VEXSet []*VEX

// Exempt silences f when the deciding statement of all the documents
// says not_affected or fixed. It reports whether it did; an already
// silenced finding is left alone.
func (vs VEXSet) Exempt(img *finding.Image, f *finding.Finding) bool {
	if f.Exempted {
		return false
	}
	var decide *Statement
	var from *VEX
	for _, v := range vs {
		for i := range v.Statements {
			s := &v.Statements[i]
			if !s.about(f) || !s.covers(img, &f.Package) {
				continue
			}
			if decide == nil || !s.Timestamp.Before(decide.Timestamp) {
				decide, from = s, v
			}
		}
	}
	if decide == nil || (decide.Status != StatusNotAffected && decide.Status != StatusFixed) {
		return false
	}
	reason := decide.ImpactStatement
	if reason == "" {
		reason = "VEX: " + strings.ReplaceAll(decide.Status, "_", " ")
		if decide.Justification != "" {
			reason += " (" + strings.ReplaceAll(decide.Justification, "_", " ") + ")"
		}
	}
	f.Exempted = true
	f.Exemption = &finding.Exemption{Source: finding.ExemptionVEX, Reason: reason, Author: from.Author}
	f.VEX = &finding.VEX{
		Document: from.ID, Status: decide.Status, Justification: decide.Justification,
		ImpactStatement: decide.ImpactStatement, Author: from.Author, Timestamp: decide.Timestamp,
	}
	return true
}

func (s *Statement) about(f *finding.Finding) bool {
	for _, id := range s.Vulnerability {
		if hasID(f, id) {
			return true
		}
	}
	return false
}

// covers reports whether a product of s is the package p of image img.
func (s *Statement) covers(img *finding.Image, p *finding.Package) bool {
	for _, prod := range s.Products {
		if anyMatch(prod.IDs, func(id string) bool { return purlMatches(id, p.PURL) }) {
			return true
		}
		if !anyMatch(prod.IDs, func(id string) bool { return isImage(id, img) }) {
			continue
		}
		if len(prod.Subcomponents) == 0 {
			return true
		}
		for _, sub := range prod.Subcomponents {
			if anyMatch(sub, func(id string) bool { return purlMatches(id, p.PURL) }) {
				return true
			}
		}
	}
	return false
}

func anyMatch(ids []string, f func(string) bool) bool {
	for _, id := range ids {
		if f(id) {
			return true
		}
	}
	return false
}

// isImage reports whether a product id names the scanned image: a pkg:oci
// URL whose version is the image digest, the digest itself, or the
// repository (with a tag or digest).
func isImage(id string, img *finding.Image) bool {
	if img == nil {
		return false
	}
	if strings.HasPrefix(id, "pkg:oci/") {
		u, err := packageurl.FromString(id)
		if err != nil {
			return false
		}
		return img.Digest != "" && u.Version == img.Digest
	}
	if img.Digest != "" && (id == img.Digest || strings.HasSuffix(id, "@"+img.Digest)) {
		return true
	}
	if img.Repository == "" {
		return false
	}
	return id == img.Repository || strings.HasPrefix(id, img.Repository+":") || strings.HasPrefix(id, img.Repository+"@")
}

// pep503Separators are the runs of separators PEP 503 folds into one "-".
var pep503Separators = regexp.MustCompile(`[-_.]+`)

// purlName is a package URL's name as the purl specification has it
// compared, on top of what packageurl.FromString already folds (PyPI case
// and "_"): PyPI names in their PEP 503 form (runs of "-", "_" and "." are
// one "-": pkg:pypi/zope.interface is drydock's pkg:pypi/zope-interface),
// lowercase for the types whose names the specification lowercases
// (pkg:npm/JSON5 is pkg:npm/json5), as written for the rest.
func purlName(typ, name string) string {
	switch strings.ToLower(typ) {
	case "pypi":
		return pep503Separators.ReplaceAllString(strings.ToLower(name), "-")
	case "npm", "apk", "deb", "alpm", "composer", "github", "bitbucket", "hex":
		return strings.ToLower(name)
	}
	return name
}

// purlMatches reports whether the package URL want (from a rule or a
// statement) names the package whose URL is have: same type, namespace and
// name; want's version and qualifiers, when given, must agree.
func purlMatches(want, have string) bool {
	if have == "" || !strings.HasPrefix(want, "pkg:") {
		return false
	}
	w, err := packageurl.FromString(want)
	if err != nil {
		return false
	}
	h, err := packageurl.FromString(have)
	if err != nil {
		return false
	}
	if !strings.EqualFold(w.Type, h.Type) || !strings.EqualFold(w.Namespace, h.Namespace) ||
		purlName(w.Type, w.Name) != purlName(h.Type, h.Name) {
		return false
	}
	if w.Version != "" && w.Version != h.Version {
		return false
	}
	hq := h.Qualifiers.Map()
	for k, v := range w.Qualifiers.Map() {
		if hv, ok := hq[k]; ok && hv != v {
			return false
		}
	}
	return true
}
