package osv

import (
	"encoding/json"
	"time"
)

// Range types (affected[].ranges[].type).
const (
	RangeEcosystem = "ECOSYSTEM"
	RangeSemver    = "SEMVER"
	RangeGit       = "GIT"
)

// Severity types (severity[].type) that the severity policy understands.
const (
	SeverityCVSSv2 = "CVSS_V2"
	SeverityCVSSv3 = "CVSS_V3"
	SeverityCVSSv4 = "CVSS_V4"
	SeverityUbuntu = "Ubuntu"
)

// Entry is one OSV record.
//
// Entries returned by the advisory database are shared between callers and
// must be treated as read-only.
type Entry struct {
	SchemaVersion string
	ID            string
	// Modified is required; Published and Withdrawn are zero when absent.
	Modified  time.Time
	Published time.Time
	// Withdrawn, when set, means the record must never match.
	Withdrawn  time.Time
	Aliases    []string
	Related    []string
	Upstream   []string
	Summary    string
	Details    string
	Severity   []Severity
	Affected   []Affected
	References []Reference
	Credits    []Credit
	// DatabaseSpecific is the raw JSON object, or nil.
	DatabaseSpecific json.RawMessage
}

// Severity is one severity[] element: a type and its score string
// (a CVSS vector for the CVSS types).
type Severity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Package identifies a package inside an ecosystem.
type Package struct {
	// Ecosystem is the OSV ecosystem string, release suffix included
	// ("Alpine:v3.18", "Debian:12", "AlmaLinux:9", "npm").
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
	Purl      string `json:"purl,omitempty"`
}

// Affected says which versions of one package an entry affects.
type Affected struct {
	Package           Package         `json:"package"`
	Severity          []Severity      `json:"severity,omitempty"`
	Ranges            []Range         `json:"ranges,omitempty"`
	Versions          []string        `json:"versions,omitempty"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific,omitempty"`
	DatabaseSpecific  json.RawMessage `json:"database_specific,omitempty"`
}

// Range is one affected[].ranges[] element.
type Range struct {
	Type             string          `json:"type"`
	Repo             string          `json:"repo,omitempty"`
	Events           []Event         `json:"events"`
	DatabaseSpecific json.RawMessage `json:"database_specific,omitempty"`
}

// Event is one range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Reference is one references[] element.
type Reference struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

// Credit is one credits[] element.
type Credit struct {
	Name    string   `json:"name"`
	Contact []string `json:"contact,omitempty"`
	Type    string   `json:"type,omitempty"`
}

// IsWithdrawn reports whether the entry was withdrawn by its publisher.
func (e *Entry) IsWithdrawn() bool { return !e.Withdrawn.IsZero() }

// GitOnly reports whether a has ranges and all of them are GIT ranges and it
// lists no versions: such an entry cannot match a package version.
func (a *Affected) GitOnly() bool {
	if len(a.Ranges) == 0 || len(a.Versions) > 0 {
		return false
	}
	for _, r := range a.Ranges {
		if r.Type != RangeGit {
			return false
		}
	}
	return true
}

// CVEs returns the CVE identifiers the entry is about: its id and aliases
// that are CVE ids, or, when there are none, the CVE ids among its related
// records (distribution advisories such as AlmaLinux ALSA list the CVEs they
// fix there).
func (e *Entry) CVEs() []string {
	var out []string
	add := func(s string) {
		if IsCVE(s) {
			for _, o := range out {
				if o == s {
					return
				}
			}
			out = append(out, s)
		}
	}
	add(e.ID)
	for _, a := range e.Aliases {
		add(a)
	}
	if len(out) == 0 {
		for _, r := range e.Related {
			add(r)
		}
	}
	return out
}

// IsCVE reports whether s looks like a CVE id (CVE-YYYY-NNNN...).
func IsCVE(s string) bool {
	if len(s) < len("CVE-2000-0000") || s[:4] != "CVE-" || s[8] != '-' {
		return false
	}
	for i := 4; i < len(s); i++ {
		if i == 8 {
			continue
		}
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
