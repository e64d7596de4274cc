package osv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/drydock/drydock/internal/vulndb/feed"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// Parser reads OSV JSON and YAML files.
type Parser struct{}

var _ feed.Parser = Parser{}

// Name implements [feed.Parser].
func (Parser) Name() string { return "osv" }

var osvKeys = []string{"id", "modified", "affected", "schema_version", "aliases", "published"}

// Sniff implements [feed.Parser]: a JSON object or YAML mapping with a
// top-level OSV field near its start.
func (Parser) Sniff(name string, head []byte) bool {
	head = bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(head) > 0 && head[0] == '{' {
		for _, k := range osvKeys {
			if bytes.Contains(head, []byte(`"`+k+`"`)) {
				return true
			}
		}
		return false
	}
	if !isYAMLName(name) {
		return false
	}
	for _, line := range bytes.Split(head, []byte("\n")) {
		for _, k := range osvKeys {
			if bytes.HasPrefix(line, []byte(k+":")) {
				return true
			}
		}
	}
	return false
}

func isYAMLName(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// Parse implements [feed.Parser]. A file holds exactly one record; a record
// that does not decode or validate is emitted as Bad.
func (Parser) Parse(ctx context.Context, name string, r io.Reader, emit feed.Emit) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("osv: read %s: %w", name, err)
	}
	j, err := toJSON(name, data)
	if err == nil {
		var e *osv.Entry
		if e, err = osv.Parse(j); err == nil {
			return emit(feed.Record{Advisory: e})
		}
	}
	id := guessID(j)
	if id == "" {
		id = path.Base(name)
	}
	return emit(feed.Record{Bad: &feed.Problem{Record: id, Err: err}})
}

// Decode parses one OSV record in JSON, or in YAML when name ends in .yaml
// or .yml and the data is not a JSON object.
func Decode(name string, data []byte) (*osv.Entry, error) {
	j, err := toJSON(name, data)
	if err != nil {
		return nil, err
	}
	return osv.Parse(j)
}

func toJSON(name string, data []byte) ([]byte, error) {
	trim := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trim) > 0 && trim[0] == '{' {
		return data, nil
	}
	if !isYAMLName(name) {
		return nil, fmt.Errorf("%w: not a JSON object", osv.ErrInvalid)
	}
	j, err := feed.YAMLToJSON(data, "database_specific", "ecosystem_specific")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", osv.ErrInvalid, err)
	}
	return j, nil
}

// guessID returns the record's id when the data is at least that readable.
func guessID(data []byte) string {
	var v struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(data, &v) == nil && len(v.ID) < 200 {
		return v.ID
	}
	return ""
}
