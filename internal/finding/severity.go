package finding

import (
	"errors"
	"fmt"
	"strings"
)

// Severity is drydock's normalized severity. The zero value is [Unknown].
// Severities are ordered: Unknown < Low < Medium < High < Critical, so they
// can be compared with < and >=.
//
// The feed's own wording is kept beside it in [Finding.RawSeverity].
type Severity int

// The severities, lowest first.
const (
	Unknown Severity = iota
	Low
	Medium
	High
	Critical
)

// ErrInvalidSeverity is returned when a severity string is not recognized.
var ErrInvalidSeverity = errors.New("invalid severity")

// Severities lists every severity from the highest to the lowest.
func Severities() []Severity { return []Severity{Critical, High, Medium, Low, Unknown} }

// String returns the capitalised name: "Critical", "High", "Medium", "Low"
// or "Unknown" (also for out-of-range values).
func (s Severity) String() string {
	switch s {
	case Critical:
		return "Critical"
	case High:
		return "High"
	case Medium:
		return "Medium"
	case Low:
		return "Low"
	default:
		return "Unknown"
	}
}

// ParseSeverity parses a severity name case-insensitively. Besides the five
// names it accepts the common feed synonyms "moderate" (GitHub) as Medium,
// "important" (Red Hat) as High and "negligible" (Debian, Ubuntu) as Low;
// the empty string is Unknown. Anything else is an [ErrInvalidSeverity].
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical":
		return Critical, nil
	case "high", "important":
		return High, nil
	case "medium", "moderate":
		return Medium, nil
	case "low", "negligible":
		return Low, nil
	case "unknown", "":
		return Unknown, nil
	}
	return Unknown, fmt.Errorf("finding: parse severity %q: %w", s, ErrInvalidSeverity)
}

// SeverityFromScore maps a CVSS v3/v4 base score to its qualitative rating
// (CVSS v3.1 specification, section 5): 9.0-10.0 Critical, 7.0-8.9 High,
// 4.0-6.9 Medium, 0.1-3.9 Low. A score of 0 ("None") or out of range gives
// Unknown.
func SeverityFromScore(score float64) Severity {
	switch {
	case score > 10 || score <= 0:
		return Unknown
	case score >= 9:
		return Critical
	case score >= 7:
		return High
	case score >= 4:
		return Medium
	default:
		return Low
	}
}

// MarshalText encodes the severity as its capitalised name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText accepts what [ParseSeverity] accepts.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
