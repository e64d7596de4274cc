package finding

import (
	"errors"
	"fmt"
)

// FixStatus says whether a fix for a finding exists. The zero value is
// [FixStatusUnknown].
type FixStatus int

// The fix statuses.
const (
	// FixStatusUnknown: the data does not say whether a fix exists.
	FixStatusUnknown FixStatus = iota
	// FixAvailable: a fixed version exists (Finding.FixedVersion names it).
	FixAvailable
	// NoFixAvailable: the package is affected and no fixed version exists yet.
	NoFixAvailable
	// WontFix: the maintainers decided not to fix it in this release.
	WontFix
)

// ErrInvalidFixStatus is returned when a fix status string is not recognized.
var ErrInvalidFixStatus = errors.New("invalid fix status")

// String returns the JSON name: "FixAvailable", "NoFixAvailable", "WontFix"
// or "Unknown".
func (s FixStatus) String() string {
	switch s {
	case FixAvailable:
		return "FixAvailable"
	case NoFixAvailable:
		return "NoFixAvailable"
	case WontFix:
		return "WontFix"
	default:
		return "Unknown"
	}
}

// ParseFixStatus parses the exact JSON names; the empty string is
// FixStatusUnknown.
func ParseFixStatus(s string) (FixStatus, error) {
	switch s {
	case "FixAvailable":
		return FixAvailable, nil
	case "NoFixAvailable":
		return NoFixAvailable, nil
	case "WontFix":
		return WontFix, nil
	case "Unknown", "":
		return FixStatusUnknown, nil
	}
	return FixStatusUnknown, fmt.Errorf("finding: parse fix status %q: %w", s, ErrInvalidFixStatus)
}

// MarshalText encodes the status as its JSON name.
func (s FixStatus) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText accepts what [ParseFixStatus] accepts.
func (s *FixStatus) UnmarshalText(b []byte) error {
	v, err := ParseFixStatus(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
