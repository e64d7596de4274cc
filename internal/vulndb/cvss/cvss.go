package cvss

import (
	"errors"
	"fmt"
	"strings"

	gocvss20 "github.com/pandatix/go-cvss/20"
	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"
)

// ErrInvalid is wrapped by every parse error.
var ErrInvalid = errors.New("invalid CVSS vector")

// Score is a parsed vector with its base score.
type Score struct {
	// Version is "2.0", "3.0", "3.1" or "4.0".
	Version string
	// Vector is the vector as given (v2 vectors without a prefix or
	// parentheses).
	Vector string
	// Base is the base score (for v4.0, the CVSS-B score of the vector).
	Base float64
}

// Parse reads a CVSS vector of any supported version and computes its base
// score. v2 vectors may come bare ("AV:N/AC:L/Au:N/C:P/I:P/A:P"), in
// parentheses or with a "CVSS:2.0/" prefix.
func Parse(vector string) (Score, error) {
	v := strings.TrimSpace(vector)
	switch {
	case strings.HasPrefix(v, "CVSS:4.0/"):
		c, err := gocvss40.ParseVector(v)
		if err != nil {
			return Score{}, fmt.Errorf("%w %q: %w", ErrInvalid, vector, err)
		}
		return Score{Version: "4.0", Vector: v, Base: c.Score()}, nil
	case strings.HasPrefix(v, "CVSS:3.1/"):
		c, err := gocvss31.ParseVector(v)
		if err != nil {
			return Score{}, fmt.Errorf("%w %q: %w", ErrInvalid, vector, err)
		}
		return Score{Version: "3.1", Vector: v, Base: c.BaseScore()}, nil
	case strings.HasPrefix(v, "CVSS:3.0/"):
		c, err := gocvss30.ParseVector(v)
		if err != nil {
			return Score{}, fmt.Errorf("%w %q: %w", ErrInvalid, vector, err)
		}
		return Score{Version: "3.0", Vector: v, Base: c.BaseScore()}, nil
	case strings.HasPrefix(v, "CVSS:"):
		if !strings.HasPrefix(v, "CVSS:2.0/") {
			return Score{}, fmt.Errorf("%w %q: unsupported version", ErrInvalid, vector)
		}
		v = strings.TrimPrefix(v, "CVSS:2.0/")
	}
	v = strings.TrimSuffix(strings.TrimPrefix(v, "("), ")")
	c, err := gocvss20.ParseVector(v)
	if err != nil {
		return Score{}, fmt.Errorf("%w %q: %w", ErrInvalid, vector, err)
	}
	return Score{Version: "2.0", Vector: v, Base: c.BaseScore()}, nil
}

// Rating is a qualitative severity rating.
type Rating string

// Ratings, as FIRST defines them for v3 and v4 (v2 has no Critical, see
// [RatingOf]).
const (
	None     Rating = "None"
	Low      Rating = "Low"
	Medium   Rating = "Medium"
	High     Rating = "High"
	Critical Rating = "Critical"
)

// RatingOf maps a base score to its qualitative rating for the CVSS version:
// v3.x and v4.0 use 0 None, 0.1-3.9 Low, 4.0-6.9 Medium, 7.0-8.9 High,
// 9.0-10.0 Critical; v2.0 (NVD's v2 scale) uses 0-3.9 Low, 4.0-6.9 Medium,
// 7.0-10.0 High.
func RatingOf(version string, score float64) Rating {
	if version == "2.0" {
		switch {
		case score >= 7:
			return High
		case score >= 4:
			return Medium
		default:
			return Low
		}
	}
	switch {
	case score >= 9:
		return Critical
	case score >= 7:
		return High
	case score >= 4:
		return Medium
	case score > 0:
		return Low
	default:
		return None
	}
}
