package vulndb

import (
	"sort"
	"strings"
	"time"
)

// Meta is the deterministic summary stored in a database file (part of its
// content hash).
type Meta struct {
	// Records counts advisories, withdrawn ones included.
	Records   int `json:"records"`
	Withdrawn int `json:"withdrawn"`
	// Packages counts distinct (ecosystem, package) lookup keys.
	Packages int `json:"packages"`
	// Ecosystems counts, per OSV ecosystem string, the advisories that name
	// at least one package in it (withdrawn ones excluded).
	Ecosystems map[string]int `json:"ecosystems"`
	// GitOnly counts affected entries whose ranges are all GIT ranges: they
	// are kept but never match a package (they name commits, not versions).
	GitOnly int `json:"gitOnly"`
	// NVD, KEV and EPSS count CVEs with enrichment of each kind.
	NVD  int `json:"nvd"`
	KEV  int `json:"kev"`
	EPSS int `json:"epss"`
	// Sources lists where the content came from, in import order.
	Sources []SourceMeta `json:"sources"`
}

// SourceMeta is the deterministic part of one source's description.
type SourceMeta struct {
	// Name identifies the source: its URL for `db update`, "file:" and the
	// absolute path for `db import`.
	Name string `json:"name"`
	// Feeds lists the feed formats found in it ("osv", "alpine", ...).
	Feeds   []string `json:"feeds,omitempty"`
	Records int      `json:"records"`
	NVD     int      `json:"nvd,omitempty"`
	KEV     int      `json:"kev,omitempty"`
	EPSS    int      `json:"epss,omitempty"`
}

// Stamp is the non-deterministic part of a database file: when it was built
// and what each source's last fetch saw. It is outside the content hash.
type Stamp struct {
	BuiltAt time.Time     `json:"builtAt"`
	Sources []SourceStamp `json:"sources"`
}

// SourceStamp records one source's last successful import or fetch.
type SourceStamp struct {
	Name string `json:"name"`
	// ImportedAt is when the source's data was last read.
	ImportedAt time.Time `json:"importedAt,omitzero"`
	// CheckedAt is when `db update` last asked the source for changes.
	CheckedAt time.Time `json:"checkedAt,omitzero"`
	// ETag and LastModified are the validators of the last fetch, sent back
	// as If-None-Match and If-Modified-Since.
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
	// Skipped counts malformed records left out of the last import.
	Skipped int `json:"skipped,omitempty"`
}

// Status describes an open database (see `drydock db status`).
type Status struct {
	Version string `json:"version"`
	Path    string `json:"path"`
	Meta    Meta   `json:"meta"`
	Stamp   Stamp  `json:"stamp"`
}

// Age is how old the data is at now: the time since the most recent
// successful check or import of any source, or since the build when no
// source recorded one.
func (s *Status) Age(now time.Time) time.Duration {
	last := s.Stamp.BuiltAt
	for _, src := range s.Stamp.Sources {
		for _, t := range []time.Time{src.ImportedAt, src.CheckedAt} {
			if t.After(last) {
				last = t
			}
		}
	}
	return now.Sub(last)
}

// EcosystemsWithPrefix lists the ecosystems of m that start with prefix,
// sorted ("Alpine:" gives every Alpine release).
func (m *Meta) EcosystemsWithPrefix(prefix string) []string {
	var out []string
	for e := range m.Ecosystems {
		if strings.HasPrefix(e, prefix) {
			out = append(out, e)
		}
	}
	sort.Strings(out)
	return out
}
