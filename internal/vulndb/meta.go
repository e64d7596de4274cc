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
	// Newest is the newest modification time in the source's data: the
	// latest of its advisories' modified times, NVD lastModified, KEV
	// dateAdded and EPSS score dates. It is zero when nothing carries a
	// time. It is what the data's age is measured from (see
	// [Status.UpdatedAt]).
	Newest time.Time `json:"newest,omitzero"`
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
	// UpdatedAt is when the newest data in the database was modified; see
	// [Status.DataTime].
	UpdatedAt time.Time `json:"updatedAt"`
	Meta      Meta      `json:"meta"`
	Stamp     Stamp     `json:"stamp"`
}

// SourceStatus is one source of a database with its times: what
// `drydock db status` lists and the server's status reports.
type SourceStatus struct {
	Name  string   `json:"name"`
	Feeds []string `json:"feeds,omitempty"`
	// Records counts the source's advisories; Enrichment its NVD, KEV
	// and EPSS records.
	Records    int `json:"records"`
	Enrichment int `json:"enrichment"`
	// UpdatedAt is the newest modification time of the source's data
	// ([SourceMeta].Newest), never later than when it was fetched; zero
	// when unknown.
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
	// ImportedAt is when the source's data was last read; CheckedAt when
	// `db update` last asked the source for changes.
	ImportedAt time.Time `json:"importedAt,omitzero"`
	CheckedAt  time.Time `json:"checkedAt,omitzero"`
	// Skipped counts malformed records left out of the last import.
	Skipped int `json:"skipped,omitempty"`
}

// FetchedAt is the last time the source was read or checked: the later of
// ImportedAt and CheckedAt.
func (s *SourceStatus) FetchedAt() time.Time {
	if s.CheckedAt.After(s.ImportedAt) {
		return s.CheckedAt
	}
	return s.ImportedAt
}

// Sources lists the database's sources, in import order, with their times.
func (s *Status) Sources() []SourceStatus {
	stamps := make(map[string]SourceStamp, len(s.Stamp.Sources))
	for _, st := range s.Stamp.Sources {
		stamps[st.Name] = st
	}
	out := make([]SourceStatus, 0, len(s.Meta.Sources))
	for _, m := range s.Meta.Sources {
		st := stamps[m.Name]
		ss := SourceStatus{Name: m.Name, Feeds: m.Feeds, Records: m.Records, Enrichment: m.NVD + m.KEV + m.EPSS,
			UpdatedAt: m.Newest, ImportedAt: st.ImportedAt, CheckedAt: st.CheckedAt, Skipped: st.Skipped}
		// Data cannot be newer than the moment it was read: a record
		// dated in the future (a feed's clock) does not make the
		// database look fresher than it is.
		if f := ss.FetchedAt(); !f.IsZero() && ss.UpdatedAt.After(f) {
			ss.UpdatedAt = f
		}
		out = append(out, ss)
	}
	return out
}

// DataTime is when the newest data in the database was modified: the
// latest [SourceStatus].UpdatedAt of its sources. That is the data's age,
// not the build's: a version built today from a feed last changed a
// month ago is a month old. When no source's data carries a time it falls
// back to the last fetch of any source, then to the build time.
func (s *Status) DataTime() time.Time {
	var newest, fetched time.Time
	for _, src := range s.Sources() {
		if src.UpdatedAt.After(newest) {
			newest = src.UpdatedAt
		}
		if f := src.FetchedAt(); f.After(fetched) {
			fetched = f
		}
	}
	switch {
	case !newest.IsZero():
		return newest
	case !fetched.IsZero():
		return fetched
	}
	return s.Stamp.BuiltAt
}

// Age is how old the data is at now: the time since [Status.UpdatedAt]
// (as DataTime computes it when UpdatedAt is not set).
func (s *Status) Age(now time.Time) time.Duration {
	t := s.UpdatedAt
	if t.IsZero() {
		t = s.DataTime()
	}
	return now.Sub(t)
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
