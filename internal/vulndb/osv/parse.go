package osv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// ErrInvalid is wrapped by every validation and decoding error.
var ErrInvalid = errors.New("invalid OSV record")

// wire is the JSON shape of an entry; timestamps stay strings so that the
// lenient formats real feeds use can be read.
type wire struct {
	SchemaVersion    string          `json:"schema_version,omitempty"`
	ID               string          `json:"id"`
	Modified         string          `json:"modified"`
	Published        string          `json:"published,omitempty"`
	Withdrawn        string          `json:"withdrawn,omitempty"`
	Aliases          []string        `json:"aliases,omitempty"`
	Related          []string        `json:"related,omitempty"`
	Upstream         []string        `json:"upstream,omitempty"`
	Summary          string          `json:"summary,omitempty"`
	Details          string          `json:"details,omitempty"`
	Severity         []Severity      `json:"severity,omitempty"`
	Affected         []Affected      `json:"affected,omitempty"`
	References       []Reference     `json:"references,omitempty"`
	Credits          []Credit        `json:"credits,omitempty"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Parse decodes one OSV JSON record and validates it.
func Parse(data []byte) (*Entry, error) {
	var w wire
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	e, err := w.entry()
	if err != nil {
		return nil, err
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return e, nil
}

// UnmarshalJSON decodes e without validating it (see [Parse]).
func (e *Entry) UnmarshalJSON(data []byte) error {
	var w wire
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	x, err := w.entry()
	if err != nil {
		return err
	}
	*e = *x
	return nil
}

// MarshalJSON encodes e in the OSV JSON form (timestamps in RFC 3339, UTC).
func (e *Entry) MarshalJSON() ([]byte, error) {
	w := wire{
		SchemaVersion: e.SchemaVersion, ID: e.ID, Modified: FormatTime(e.Modified),
		Aliases: e.Aliases, Related: e.Related, Upstream: e.Upstream,
		Summary: e.Summary, Details: e.Details, Severity: e.Severity,
		Affected: e.Affected, References: e.References, Credits: e.Credits,
		DatabaseSpecific: e.DatabaseSpecific,
	}
	if !e.Published.IsZero() {
		w.Published = FormatTime(e.Published)
	}
	if !e.Withdrawn.IsZero() {
		w.Withdrawn = FormatTime(e.Withdrawn)
	}
	return json.Marshal(w)
}

func (w *wire) entry() (*Entry, error) {
	e := &Entry{
		SchemaVersion: w.SchemaVersion, ID: w.ID,
		Aliases: w.Aliases, Related: w.Related, Upstream: w.Upstream,
		Summary: w.Summary, Details: w.Details, Severity: w.Severity,
		Affected: w.Affected, References: w.References, Credits: w.Credits,
		DatabaseSpecific: nullToNil(w.DatabaseSpecific),
	}
	var err error
	if w.Modified == "" {
		return nil, fmt.Errorf("%w: %s: missing modified", ErrInvalid, w.ID)
	}
	if e.Modified, err = ParseTime(w.Modified); err != nil {
		return nil, fmt.Errorf("%w: %s: modified: %w", ErrInvalid, w.ID, err)
	}
	if w.Published != "" {
		if e.Published, err = ParseTime(w.Published); err != nil {
			return nil, fmt.Errorf("%w: %s: published: %w", ErrInvalid, w.ID, err)
		}
	}
	if w.Withdrawn != "" {
		if e.Withdrawn, err = ParseTime(w.Withdrawn); err != nil {
			return nil, fmt.Errorf("%w: %s: withdrawn: %w", ErrInvalid, w.ID, err)
		}
	}
	for i := range e.Affected {
		a := &e.Affected[i]
		a.EcosystemSpecific = nullToNil(a.EcosystemSpecific)
		a.DatabaseSpecific = nullToNil(a.DatabaseSpecific)
		for j := range a.Ranges {
			a.Ranges[j].DatabaseSpecific = nullToNil(a.Ranges[j].DatabaseSpecific)
		}
	}
	return e, nil
}

// nullToNil returns m compacted, or nil for an absent or null value.
func nullToNil(m json.RawMessage) json.RawMessage {
	if len(m) == 0 || bytes.Equal(bytes.TrimSpace(m), []byte("null")) {
		return nil
	}
	var b bytes.Buffer
	if json.Compact(&b, m) != nil {
		return m
	}
	return b.Bytes()
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999", // no zone: UTC (NVD writes this)
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02",
}

// ParseTime reads an OSV timestamp: RFC 3339, or the zone-less and
// date-only forms some feeds write (read as UTC). The result is in UTC.
func ParseTime(s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognized timestamp %q", s)
}

// FormatTime writes t in RFC 3339 UTC with as many fractional digits as needed.
func FormatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Validate checks the parts of the schema that matching depends on (see the
// package documentation); the error wraps [ErrInvalid] and names the field.
func (e *Entry) Validate() error {
	if err := checkID(e.ID); err != nil {
		return fmt.Errorf("%w: id: %w", ErrInvalid, err)
	}
	for i, s := range e.Severity {
		if s.Type == "" || s.Score == "" {
			return fmt.Errorf("%w: %s: severity[%d]: empty type or score", ErrInvalid, e.ID, i)
		}
	}
	for i := range e.Affected {
		if err := e.Affected[i].validate(); err != nil {
			return fmt.Errorf("%w: %s: affected[%d]: %w", ErrInvalid, e.ID, i, err)
		}
	}
	for i, r := range e.References {
		if r.URL == "" {
			return fmt.Errorf("%w: %s: references[%d]: empty url", ErrInvalid, e.ID, i)
		}
	}
	return nil
}

func checkID(id string) error {
	switch {
	case id == "":
		return errors.New("empty")
	case len(id) > 256:
		return errors.New("longer than 256 bytes")
	case strings.IndexFunc(id, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return fmt.Errorf("%q contains white space or control characters", id)
	}
	return nil
}

func (a *Affected) validate() error {
	git := a.GitOnly()
	if !git && (a.Package.Ecosystem == "" || a.Package.Name == "") {
		return errors.New("package needs an ecosystem and a name")
	}
	for i, s := range a.Severity {
		if s.Type == "" || s.Score == "" {
			return fmt.Errorf("severity[%d]: empty type or score", i)
		}
	}
	for i := range a.Ranges {
		if err := a.Ranges[i].validate(); err != nil {
			return fmt.Errorf("ranges[%d]: %w", i, err)
		}
	}
	for i, v := range a.Versions {
		if v == "" {
			return fmt.Errorf("versions[%d]: empty", i)
		}
	}
	return nil
}

func (r *Range) validate() error {
	switch r.Type {
	case RangeEcosystem, RangeSemver:
	case RangeGit:
		if r.Repo == "" {
			return errors.New("GIT range without repo")
		}
	default:
		return fmt.Errorf("unknown range type %q", r.Type)
	}
	if len(r.Events) == 0 {
		return errors.New("no events")
	}
	introduced := false
	for i, ev := range r.Events {
		n := 0
		for _, f := range []string{ev.Introduced, ev.Fixed, ev.LastAffected, ev.Limit} {
			if f != "" {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("events[%d]: want exactly one of introduced, fixed, last_affected, limit; got %d", i, n)
		}
		if ev.Introduced != "" {
			introduced = true
		}
	}
	if !introduced {
		return errors.New("no introduced event")
	}
	return nil
}
