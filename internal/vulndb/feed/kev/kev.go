package kev

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/drydock/drydock/internal/vulndb/feed"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// Parser reads the KEV catalog.
type Parser struct{}

var _ feed.Parser = Parser{}

// Name implements [feed.Parser].
func (Parser) Name() string { return "kev" }

// Sniff implements [feed.Parser].
func (Parser) Sniff(_ string, head []byte) bool {
	return bytes.Contains(head, []byte(`"catalogVersion"`)) ||
		(bytes.Contains(head, []byte(`"cveID"`)) && bytes.Contains(head, []byte(`"dateAdded"`)))
}

// ErrFormat is wrapped when the document is not a KEV catalog.
var ErrFormat = errors.New("kev: not a KEV catalog")

type entry struct {
	CVE            string `json:"cveID"`
	Vendor         string `json:"vendorProject"`
	Product        string `json:"product"`
	Name           string `json:"vulnerabilityName"`
	DateAdded      string `json:"dateAdded"`
	RequiredAction string `json:"requiredAction"`
	DueDate        string `json:"dueDate"`
	Ransomware     string `json:"knownRansomwareCampaignUse"`
}

// Parse implements [feed.Parser].
func (Parser) Parse(ctx context.Context, name string, r io.Reader, emit feed.Emit) error {
	var doc struct {
		CatalogVersion  string            `json:"catalogVersion"`
		Vulnerabilities []json.RawMessage `json:"vulnerabilities"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if doc.Vulnerabilities == nil {
		return fmt.Errorf("%w: no vulnerabilities array", ErrFormat)
	}
	for i, raw := range doc.Vulnerabilities {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, where, err := convert(raw)
		if err != nil {
			if where == "" {
				where = fmt.Sprintf("vulnerabilities[%d]", i)
			}
			if err := emit(feed.Record{Bad: &feed.Problem{Record: where, Err: err}}); err != nil {
				return err
			}
			continue
		}
		if err := emit(feed.Record{KEV: rec}); err != nil {
			return err
		}
	}
	return nil
}

func convert(raw json.RawMessage) (*feed.KEV, string, error) {
	var e entry
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, "", err
	}
	if !osv.IsCVE(e.CVE) {
		return nil, e.CVE, fmt.Errorf("cveID %q is not a CVE id", e.CVE)
	}
	if e.DateAdded == "" {
		return nil, e.CVE, errors.New("missing dateAdded")
	}
	added, err := osv.ParseTime(e.DateAdded)
	if err != nil {
		return nil, e.CVE, fmt.Errorf("dateAdded: %w", err)
	}
	rec := &feed.KEV{CVE: e.CVE, DateAdded: added, Ransomware: e.Ransomware, Vendor: e.Vendor,
		Product: e.Product, Name: e.Name, RequiredAction: e.RequiredAction}
	if e.DueDate != "" {
		if rec.DueDate, err = osv.ParseTime(e.DueDate); err != nil {
			return nil, e.CVE, fmt.Errorf("dueDate: %w", err)
		}
	}
	return rec, e.CVE, nil
}
