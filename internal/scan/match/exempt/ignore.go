package exempt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/drydock/drydock/internal/finding"
)

// ErrInvalid is wrapped by every error about a malformed ignore file or
// VEX document.
var ErrInvalid = errors.New("invalid exemption document")

// maxDocument caps the size of an ignore file or VEX document.
const maxDocument = 16 << 20

// IgnoreRule is one rule of an ignore file.
type IgnoreRule struct {
	// ID is an advisory id or alias (CVE-..., GHSA-..., GO-...).
	ID string `yaml:"id"`
	// Package, when set, limits the rule to a package: its name, its
	// source package name, or a package URL (pkg:type/namespace/name, a
	// version or qualifiers narrowing it further).
	Package string `yaml:"package"`
	// Expires, when set, is when the rule stops applying (a date means
	// midnight UTC at its start).
	Expires Time `yaml:"expires"`
	// Reason says why the finding does not matter; it is required.
	Reason string `yaml:"reason"`
	// Line is the rule's line in the file.
	Line int `yaml:"-"`
}

// Time is a YAML timestamp: a date (2027-01-31) or an RFC 3339 time.
type Time struct{ time.Time }

// UnmarshalYAML implements yaml.Unmarshaler.
func (t *Time) UnmarshalYAML(n *yaml.Node) error {
	s := strings.TrimSpace(n.Value)
	if s == "" {
		return nil
	}
	for _, layout := range []string{time.DateOnly, time.RFC3339} {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return fmt.Errorf("line %d: expires %q: want a date (2027-01-31) or an RFC 3339 time", n.Line, s)
}

// Ignore is a parsed ignore file (`drydock scan --ignore-file`):
//
//	# Findings this image accepts, with the reason.
//	ignore:
//	  - id: CVE-2018-5407            # advisory id or alias
//	    package: openssl             # optional: name, source name or purl
//	    expires: 2027-01-31          # optional: date or RFC 3339 time
//	    reason: PortSmash needs SMT, which our nodes disable
//	  - id: GHSA-p6mc-m468-83gw
//	    reason: lodash.template is not used
//
// Unknown keys, a rule without id or reason, a package URL that does not
// parse and malformed dates are errors naming the line.
type Ignore struct {
	Rules []IgnoreRule
	now   func() time.Time
}

// ParseIgnore reads an ignore file. now is the clock expiry is checked
// against (nil: time.Now).
func ParseIgnore(r io.Reader, now func() time.Time) (*Ignore, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxDocument+1))
	if err != nil {
		return nil, fmt.Errorf("ignore file: %w", err)
	}
	if len(b) > maxDocument {
		return nil, fmt.Errorf("%w: ignore file over %d bytes", ErrInvalid, maxDocument)
	}
	// Decode twice: strictly into rules (unknown keys are errors), and into
	// nodes for the line of each rule.
	var doc struct {
		Ignore []IgnoreRule `yaml:"ignore"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: ignore file: %w", ErrInvalid, plainYAMLError(err))
	}
	var lines struct {
		Ignore []yaml.Node `yaml:"ignore"`
	}
	if err := yaml.Unmarshal(b, &lines); err != nil {
		return nil, fmt.Errorf("%w: ignore file: %w", ErrInvalid, err)
	}
	if now == nil {
		now = time.Now
	}
	ig := &Ignore{now: now}
	for i, rule := range doc.Ignore {
		n := lines.Ignore[i]
		rule.Line = n.Line
		rule.ID, rule.Package, rule.Reason = strings.TrimSpace(rule.ID), strings.TrimSpace(rule.Package), strings.TrimSpace(rule.Reason)
		switch {
		case rule.ID == "":
			return nil, fmt.Errorf("%w: ignore file line %d: a rule needs an id", ErrInvalid, n.Line)
		case rule.Reason == "":
			return nil, fmt.Errorf("%w: ignore file line %d: rule %s needs a reason", ErrInvalid, n.Line, rule.ID)
		}
		// A package URL that does not parse would match nothing, and the
		// rule would silently not apply.
		if err := checkPURLs([]string{rule.Package}); err != nil {
			return nil, fmt.Errorf("%w: ignore file line %d: rule %s: package: %w", ErrInvalid, n.Line, rule.ID, err)
		}
		ig.Rules = append(ig.Rules, rule)
	}
	return ig, nil
}

// Expired returns the rules past their expiry (they no longer apply).
func (ig *Ignore) Expired() []IgnoreRule {
	now := ig.now()
	var out []IgnoreRule
	for _, r := range ig.Rules {
		if !r.Expires.IsZero() && !now.Before(r.Expires.Time) {
			out = append(out, r)
		}
	}
	return out
}

// Exempt silences f when an unexpired rule covers it (the first one in
// file order). It reports whether it did; an already silenced finding is
// left alone.
func (ig *Ignore) Exempt(_ *finding.Image, f *finding.Finding) bool {
	if f.Exempted {
		return false
	}
	now := ig.now()
	for _, r := range ig.Rules {
		if !r.Expires.IsZero() && !now.Before(r.Expires.Time) {
			continue
		}
		if !hasID(f, r.ID) || (r.Package != "" && !packageIs(&f.Package, r.Package)) {
			continue
		}
		f.Exempted = true
		f.Exemption = &finding.Exemption{
			ID:        fmt.Sprintf("ignore-file:%d", r.Line),
			Source:    finding.ExemptionIgnoreFile,
			Reason:    r.Reason,
			ExpiresAt: r.Expires.Time,
		}
		return true
	}
	return false
}

// hasID reports whether f is known by id (its id or an alias).
func hasID(f *finding.Finding, id string) bool {
	if strings.EqualFold(f.ID, id) {
		return true
	}
	for _, a := range f.Aliases {
		if strings.EqualFold(a, id) {
			return true
		}
	}
	return false
}

// packageIs reports whether p is the package s names: a name, a source
// package name or a package URL.
func packageIs(p *finding.Package, s string) bool {
	if strings.HasPrefix(s, "pkg:") {
		return purlMatches(s, p.PURL)
	}
	return s == p.Name || (p.SourceName != "" && s == p.SourceName)
}

// yamlProblems rewrite yaml's messages about the shape of the file, which
// name Go types, in the file's own terms.
var yamlProblems = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`field (\S+) not found in type exempt\.IgnoreRule`), `unknown key "$1" in a rule (a rule has id, package, expires, reason)`},
	{regexp.MustCompile(`field (\S+) not found in type struct.*`), `unknown key "$1" (the file has one key, ignore: a list of rules)`},
	{regexp.MustCompile("cannot unmarshal !!(\\w+)(?: `[^`]*`)? into \\[\\]exempt\\.IgnoreRule"), `ignore is a $1, want a list of rules`},
	{regexp.MustCompile("cannot unmarshal !!(\\w+)(?: `[^`]*`)? into exempt\\.IgnoreRule"), `a rule is a $1, want a map of id, package, expires, reason`},
	{regexp.MustCompile("cannot unmarshal !!(\\w+)(?: `[^`]*`)? into struct.*"), `the file is a $1, want a map with the key ignore`},
	{regexp.MustCompile("cannot unmarshal !!(\\w+)(?: `[^`]*`)? into string"), `a value is a $1, want a string`},
}

// yamlKinds name yaml's tags in words.
var yamlKinds = strings.NewReplacer(" a map,", " a map,", " a seq,", " a list,", " a str,", " a string,", " a int,", " a number,", " a float,", " a number,", " a bool,", " a boolean,")

// plainYAMLError turns a yaml.TypeError into one message per problem,
// each with its line number and without Go type names; other errors are
// returned as they are.
func plainYAMLError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		for _, p := range yamlProblems {
			m = p.re.ReplaceAllString(m, p.with)
		}
		msgs[i] = yamlKinds.Replace(m)
	}
	return errors.New(strings.Join(msgs, "; "))
}
