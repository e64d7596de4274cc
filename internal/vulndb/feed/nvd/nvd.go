package nvd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/drydock/drydock/internal/vulndb/cvss"
	"github.com/drydock/drydock/internal/vulndb/feed"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// Parser reads NVD CVE API 2.0 JSON.
type Parser struct{}

var _ feed.Parser = Parser{}

// Name implements [feed.Parser].
func (Parser) Name() string { return "nvd" }

// Sniff implements [feed.Parser].
func (Parser) Sniff(_ string, head []byte) bool {
	return bytes.Contains(head, []byte(`"NVD_CVE"`)) ||
		(bytes.Contains(head, []byte(`"vulnerabilities"`)) && bytes.Contains(head, []byte(`"cve"`)) && bytes.Contains(head, []byte(`"lastModified"`)))
}

// ErrFormat is wrapped when the document is not NVD CVE API 2.0 JSON.
var ErrFormat = errors.New("nvd: not CVE API 2.0 JSON")

type metric struct {
	Source   string `json:"source"`
	Type     string `json:"type"`
	CVSSData struct {
		Version      string      `json:"version"`
		VectorString string      `json:"vectorString"`
		BaseScore    json.Number `json:"baseScore"`
	} `json:"cvssData"`
}

type item struct {
	CVE struct {
		ID           string `json:"id"`
		Published    string `json:"published"`
		LastModified string `json:"lastModified"`
		VulnStatus   string `json:"vulnStatus"`
		Metrics      struct {
			V40 []metric `json:"cvssMetricV40"`
			V31 []metric `json:"cvssMetricV31"`
			V30 []metric `json:"cvssMetricV30"`
			V2  []metric `json:"cvssMetricV2"`
		} `json:"metrics"`
		Weaknesses []struct {
			Description []struct {
				Value string `json:"value"`
			} `json:"description"`
		} `json:"weaknesses"`
	} `json:"cve"`
}

// Parse implements [feed.Parser].
func (Parser) Parse(ctx context.Context, name string, r io.Reader, emit feed.Emit) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("%w: want a JSON object", ErrFormat)
	}
	found := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%w: %w", ErrFormat, err)
		}
		if t != "vulnerabilities" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("%w: %w", ErrFormat, err)
			}
			continue
		}
		found = true
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return fmt.Errorf("%w: vulnerabilities is not an array", ErrFormat)
		}
		for i := 0; dec.More(); i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			var it item
			if err := dec.Decode(&it); err != nil {
				var te *json.UnmarshalTypeError
				if !errors.As(err, &te) {
					return fmt.Errorf("%w: vulnerabilities[%d]: %w", ErrFormat, i, err)
				}
				if err := emit(feed.Record{Bad: &feed.Problem{Record: fmt.Sprintf("vulnerabilities[%d]", i), Err: err}}); err != nil {
					return err
				}
				continue
			}
			rec, err := convert(&it)
			if err != nil {
				where := it.CVE.ID
				if where == "" {
					where = fmt.Sprintf("vulnerabilities[%d]", i)
				}
				if err := emit(feed.Record{Bad: &feed.Problem{Record: where, Err: err}}); err != nil {
					return err
				}
				continue
			}
			if err := emit(feed.Record{NVD: rec}); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return fmt.Errorf("%w: %w", ErrFormat, err)
		}
	}
	if !found {
		return fmt.Errorf("%w: no vulnerabilities array", ErrFormat)
	}
	return nil
}

func convert(it *item) (*feed.NVD, error) {
	c := &it.CVE
	if !osv.IsCVE(c.ID) {
		return nil, fmt.Errorf("id %q is not a CVE id", c.ID)
	}
	rec := &feed.NVD{CVE: c.ID, Status: c.VulnStatus}
	var err error
	if c.Published != "" {
		if rec.Published, err = osv.ParseTime(c.Published); err != nil {
			return nil, fmt.Errorf("published: %w", err)
		}
	}
	if c.LastModified != "" {
		if rec.Modified, err = osv.ParseTime(c.LastModified); err != nil {
			return nil, fmt.Errorf("lastModified: %w", err)
		}
	}
	for _, group := range [][]metric{c.Metrics.V40, c.Metrics.V31, c.Metrics.V30, c.Metrics.V2} {
		for _, m := range group {
			s, err := cvss.Parse(m.CVSSData.VectorString)
			if err != nil {
				return nil, err
			}
			score := s.Base
			if m.CVSSData.BaseScore != "" {
				if score, err = strconv.ParseFloat(string(m.CVSSData.BaseScore), 64); err != nil || score < 0 || score > 10 {
					return nil, fmt.Errorf("baseScore %q out of range", m.CVSSData.BaseScore)
				}
			}
			rec.CVSS = append(rec.CVSS, feed.CVSS{Version: s.Version, Vector: s.Vector, Score: score, Source: m.Source, Primary: m.Type == "Primary"})
		}
	}
	seen := map[string]bool{}
	for _, w := range c.Weaknesses {
		for _, d := range w.Description {
			if d.Value != "" && !seen[d.Value] {
				seen[d.Value] = true
				rec.CWEs = append(rec.CWEs, d.Value)
			}
		}
	}
	return rec, nil
}
