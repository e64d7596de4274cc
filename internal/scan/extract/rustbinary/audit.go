package rustbinary

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

const (
	// maxJSON caps the decompressed audit data (cargo-auditable's own
	// parser recommends 8 MiB).
	maxJSON = 8 << 20
	// maxPackages caps the crate graph.
	maxPackages = 100_000
)

// auditData is the JSON cargo-auditable embeds (its VersionInfo).
type auditData struct {
	Packages []auditPackage `json:"packages"`
}

type auditPackage struct {
	Name         string          `json:"name"`
	Version      string          `json:"version"`
	Source       json.RawMessage `json:"source"`
	Kind         string          `json:"kind"`
	Dependencies []int           `json:"dependencies"`
	Root         bool            `json:"root"`
}

// crate is one reported crate.
type crate struct{ Name, Version string }

// decode decompresses and parses the audit data and returns the crates to
// report, sorted and without duplicates (see the package documentation).
func decode(raw []byte) ([]crate, error) {
	crates, _, err := decodeFrom(bytes.NewReader(raw), maxJSON)
	return crates, err
}

// decodeFrom is decode reading the compressed audit data from r (as zlib
// reads it, no further than the zlib stream's end when r is an
// io.ByteReader), refusing more than limit bytes of JSON. inflated is how
// many it decompressed, whatever the outcome.
func decodeFrom(r io.Reader, limit int) (crates []crate, inflated int, err error) {
	zr, err := zlib.NewReader(r)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: zlib: %w", ErrInvalid, err)
	}
	js, err := io.ReadAll(io.LimitReader(zr, int64(limit)+1))
	if err != nil {
		return nil, len(js), fmt.Errorf("%w: zlib: %w", ErrInvalid, err)
	}
	if len(js) > limit {
		return nil, len(js), fmt.Errorf("%w: decompressed audit data over the %d-byte limit", ErrInvalid, limit)
	}
	crates, err = parseAudit(js)
	return crates, len(js), err
}

// parseAudit parses decompressed audit data.
func parseAudit(js []byte) ([]crate, error) {
	var ad auditData
	if err := json.Unmarshal(js, &ad); err != nil {
		return nil, fmt.Errorf("%w: json: %w", ErrInvalid, err)
	}
	n := len(ad.Packages)
	if n > maxPackages {
		return nil, fmt.Errorf("%w: %d packages, over the %d limit", ErrInvalid, n, maxPackages)
	}
	root := -1
	roots := 0
	for i, p := range ad.Packages {
		if p.Name == "" || p.Version == "" || strings.ContainsAny(p.Name+p.Version, "\t\n") {
			return nil, fmt.Errorf("%w: package %d: bad name %q or version %q", ErrInvalid, i, p.Name, p.Version)
		}
		for _, d := range p.Dependencies {
			if d < 0 || d >= n {
				return nil, fmt.Errorf("%w: package %d (%s): dependency index %d out of range", ErrInvalid, i, p.Name, d)
			}
		}
		if p.Root {
			root, roots = i, roots+1
		}
	}
	reach := make([]bool, n)
	if roots == 1 {
		// Breadth-first from the root; visited marks make cycles harmless.
		reach[root] = true
		queue := []int{root}
		for len(queue) > 0 {
			i := queue[0]
			queue = queue[1:]
			for _, d := range ad.Packages[i].Dependencies {
				if !reach[d] {
					reach[d] = true
					queue = append(queue, d)
				}
			}
		}
	} else {
		for i := range reach {
			reach[i] = true
		}
	}
	var out []crate
	for i, p := range ad.Packages {
		if !reach[i] || p.Kind == "build" {
			continue
		}
		src, err := source(p.Source)
		if err != nil {
			return nil, fmt.Errorf("%w: package %d (%s): %w", ErrInvalid, i, p.Name, err)
		}
		if src == "crates.io" || src == "registry" {
			out = append(out, crate{p.Name, p.Version})
		}
	}
	slices.SortFunc(out, func(a, b crate) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Version, b.Version)
	})
	return slices.Compact(out), nil
}

// source reads a package's source: a string ("crates.io", "git", "local",
// "registry", or another one a newer format adds) or, in the schema's
// other spelling, an object {"Other": "..."}; the enum spellings
// ("CratesIo", ...) are accepted too.
func source(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		switch s {
		case "CratesIo":
			return "crates.io", nil
		case "Git", "Local", "Registry":
			return strings.ToLower(s), nil
		}
		return s, nil
	}
	var other struct {
		Other *string `json:"Other"`
	}
	if err := json.Unmarshal(raw, &other); err != nil || other.Other == nil {
		return "", fmt.Errorf("source %s: want a string or {\"Other\": ...}", trim(string(raw)))
	}
	return *other.Other, nil
}

// trim shortens what error messages quote from hostile input.
func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
