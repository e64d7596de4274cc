package version

import (
	"fmt"
	"slices"
)

// Event is one OSV range event (https://ossf.github.io/osv-schema/#affectedrangesevents-fields).
// Exactly one field is set. Introduced "0" means "since the first version";
// Limit "*" means "no limit".
type Event struct {
	Introduced   string
	Fixed        string
	LastAffected string
	Limit        string
}

// Affected reports whether version v is inside the range the events describe,
// using the evaluation algorithm of the OSV schema
// (https://ossf.github.io/osv-schema/#evaluation): events are sorted by
// version (introduced "0" first, equal versions keep their given order),
// v is affected from an introduced version (inclusive) until the next fixed
// version (exclusive) or after the next last_affected version (inclusive),
// and only when v is below at least one limit event, if there are any.
//
// It returns an error, never false, when v or any event version is not a
// valid version of the scheme (wrapping [ErrInvalidVersion]), when the scheme
// is unknown ([ErrUnsupportedEcosystem]), or when the events are malformed:
// an event with zero or several fields set, or no introduced event
// ([ErrInvalidRange]). The events slice is not modified.
func Affected(ecosystem Ecosystem, v string, events []Event) (bool, error) {
	ver, err := Parse(ecosystem, v)
	if err != nil {
		return false, err
	}
	type parsed struct {
		kind int     // evIntroduced, evFixed, evLastAffected
		v    Version // nil for introduced "0"
	}
	var (
		sorted     []parsed
		limits     []Version
		unlimited  bool
		introduced bool
	)
	for i, e := range events {
		kind, s, err := e.kind()
		if err != nil {
			return false, fmt.Errorf("version: event %d: %w", i, err)
		}
		switch {
		case kind == evIntroduced && s == "0":
			introduced = true
			sorted = append(sorted, parsed{kind: kind})
			continue
		case kind == evLimit && s == "*":
			unlimited = true
			continue
		}
		pv, err := Parse(ecosystem, s)
		if err != nil {
			return false, fmt.Errorf("version: event %d: %w", i, err)
		}
		if kind == evLimit {
			limits = append(limits, pv)
			continue
		}
		introduced = introduced || kind == evIntroduced
		sorted = append(sorted, parsed{kind: kind, v: pv})
	}
	if !introduced {
		return false, fmt.Errorf("version: range has no introduced event: %w", ErrInvalidRange)
	}
	// Versions of one scheme always compare, so the error is nil here.
	cmp := func(a, b Version) int { c, _ := a.Compare(b); return c }
	slices.SortStableFunc(sorted, func(a, b parsed) int {
		switch {
		case a.v == nil && b.v == nil:
			return 0
		case a.v == nil:
			return -1
		case b.v == nil:
			return 1
		}
		return cmp(a.v, b.v)
	})
	affected := false
	for _, e := range sorted {
		switch e.kind {
		case evIntroduced:
			if e.v == nil || cmp(ver, e.v) >= 0 {
				affected = true
			}
		case evFixed:
			if cmp(ver, e.v) >= 0 {
				affected = false
			}
		case evLastAffected:
			if cmp(ver, e.v) > 0 {
				affected = false
			}
		}
	}
	if !affected || unlimited || len(limits) == 0 {
		return affected, nil
	}
	for _, l := range limits {
		if cmp(ver, l) < 0 {
			return true, nil
		}
	}
	return false, nil
}

const (
	evIntroduced = iota
	evFixed
	evLastAffected
	evLimit
)

func (e Event) kind() (int, string, error) {
	kind, val, n := 0, "", 0
	for k, s := range [...]string{evIntroduced: e.Introduced, evFixed: e.Fixed, evLastAffected: e.LastAffected, evLimit: e.Limit} {
		if s != "" {
			kind, val = k, s
			n++
		}
	}
	if n != 1 {
		return 0, "", fmt.Errorf("%d fields set, want exactly one: %w", n, ErrInvalidRange)
	}
	return kind, val, nil
}
