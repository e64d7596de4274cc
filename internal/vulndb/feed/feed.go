package feed

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/drydock/drydock/internal/vulndb/osv"
)

// Parser reads one feed format.
type Parser interface {
	// Name is the feed's short name ("osv", "alpine", "nvd", ...).
	Name() string
	// Sniff reports whether a file named name whose content starts with
	// head (already decompressed, up to 4 KiB) is in this feed's format.
	Sniff(name string, head []byte) bool
	// Parse reads the whole file from r and emits its records. It returns
	// emit's error unchanged (wrapped) when emit fails.
	Parse(ctx context.Context, name string, r io.Reader, emit Emit) error
}

// Emit receives the records a parser produces; an error stops the parser.
type Emit func(Record) error

// Record is one parser output; exactly one of its pointer fields is set.
type Record struct {
	Advisory *osv.Entry
	// Merge marks an advisory converted from a non-OSV feed that is one
	// fragment of a record: fragments with the same id from the same source
	// are merged (their affected lists are joined) instead of replacing
	// each other.
	Merge bool
	NVD   *NVD
	KEV   *KEV
	EPSS  *EPSS
	// Bad is a record the parser had to skip.
	Bad *Problem
}

// Problem is a malformed record: where in the file and why.
type Problem struct {
	// Record names the record (its id, or its position when it has none).
	Record string
	Err    error
}

func (p *Problem) Error() string { return fmt.Sprintf("%s: %v", p.Record, p.Err) }
func (p *Problem) Unwrap() error { return p.Err }

// CVSS is one CVSS assessment: the vector and the base score computed from it
// (or published with it).
type CVSS struct {
	// Version is "2.0", "3.0", "3.1" or "4.0".
	Version string  `json:"version"`
	Vector  string  `json:"vector"`
	Score   float64 `json:"score"`
	// Source is who scored it (NVD's "source" field, e.g. "nvd@nist.gov").
	Source string `json:"source,omitempty"`
	// Primary is NVD's "type": Primary (the NVD's own) or Secondary (a CNA's).
	Primary bool `json:"primary,omitempty"`
}

// NVD is what the NVD says about one CVE.
type NVD struct {
	CVE       string    `json:"cve"`
	Published time.Time `json:"published,omitzero"`
	Modified  time.Time `json:"modified,omitzero"`
	// Status is NVD's vulnStatus ("Analyzed", "Modified", "Rejected", ...).
	Status string   `json:"status,omitempty"`
	CVSS   []CVSS   `json:"cvss,omitempty"`
	CWEs   []string `json:"cwes,omitempty"`
}

// KEV is one entry of CISA's Known Exploited Vulnerabilities catalog.
type KEV struct {
	CVE       string    `json:"cve"`
	DateAdded time.Time `json:"dateAdded"`
	DueDate   time.Time `json:"dueDate,omitzero"`
	// Ransomware is knownRansomwareCampaignUse ("Known" or "Unknown").
	Ransomware     string `json:"ransomware,omitempty"`
	Vendor         string `json:"vendor,omitempty"`
	Product        string `json:"product,omitempty"`
	Name           string `json:"name,omitempty"`
	RequiredAction string `json:"requiredAction,omitempty"`
}

// EPSS is one FIRST EPSS score.
type EPSS struct {
	CVE        string    `json:"cve"`
	Score      float64   `json:"score"`
	Percentile float64   `json:"percentile"`
	Date       time.Time `json:"date,omitzero"`
	Model      string    `json:"model,omitempty"`
}
