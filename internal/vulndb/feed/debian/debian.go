package debian

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"

	"github.com/drydock/drydock/internal/vulndb/feed"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// Releases maps Debian codenames to the release numbers OSV ecosystems use.
var Releases = map[string]string{
	"buzz": "1.1", "rex": "1.2", "bo": "1.3", "hamm": "2.0", "slink": "2.1",
	"potato": "2.2", "woody": "3.0", "sarge": "3.1", "etch": "4", "lenny": "5",
	"squeeze": "6", "wheezy": "7", "jessie": "8", "stretch": "9", "buster": "10",
	"bullseye": "11", "bookworm": "12", "trixie": "13", "forky": "14", "duke": "15",
}

// unnumbered are suites without a release number; they are skipped.
var unnumbered = map[string]bool{"sid": true, "experimental": true, "unstable": true}

// Parser reads the tracker JSON.
type Parser struct{}

var _ feed.Parser = Parser{}

// Name implements [feed.Parser].
func (Parser) Name() string { return "debian" }

// Sniff implements [feed.Parser].
func (Parser) Sniff(_ string, head []byte) bool {
	t := bytes.TrimLeft(head, " \t\r\n\ufeff")
	return len(t) > 0 && t[0] == '{' && bytes.Contains(head, []byte(`"releases"`)) &&
		(bytes.Contains(head, []byte(`"status"`)) || bytes.Contains(head, []byte(`"urgency"`)))
}

// ErrFormat is wrapped when the document is not tracker JSON.
var ErrFormat = errors.New("debian: not security tracker JSON")

type issue struct {
	Description string             `json:"description"`
	Scope       string             `json:"scope"`
	Releases    map[string]release `json:"releases"`
}

type release struct {
	Status       string            `json:"status"`
	Repositories map[string]string `json:"repositories"`
	FixedVersion string            `json:"fixed_version"`
	Urgency      string            `json:"urgency"`
	NoDSA        string            `json:"nodsa"`
	NoDSAReason  string            `json:"nodsa_reason"`
}

type specific struct {
	Status      string `json:"status"`
	Urgency     string `json:"urgency,omitempty"`
	NoDSA       string `json:"nodsa,omitempty"`
	NoDSAReason string `json:"nodsa_reason,omitempty"`
}

var issueRe = regexp.MustCompile(`^(CVE-\d{4}-\d{4,}|TEMP-\d+-[0-9A-Fa-f]+)$`)

// Parse implements [feed.Parser]. The document is read as a stream, one
// source package at a time.
func (Parser) Parse(ctx context.Context, name string, r io.Reader, emit feed.Emit) error {
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("%w: want a JSON object", ErrFormat)
	}
	byID := map[string]*osv.Entry{}
	bad := func(rec string, err error) error {
		return emit(feed.Record{Bad: &feed.Problem{Record: rec, Err: err}})
	}
	for dec.More() {
		if err := ctx.Err(); err != nil {
			return err
		}
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%w: %w", ErrFormat, err)
		}
		pkg, _ := t.(string)
		var issues map[string]json.RawMessage
		if err := dec.Decode(&issues); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				if err := bad(pkg, fmt.Errorf("package value: %w", err)); err != nil {
					return err
				}
				continue
			}
			return fmt.Errorf("%w: package %q: %w", ErrFormat, pkg, err)
		}
		if pkg == "" {
			if err := bad("(empty package name)", errors.New("empty source package name")); err != nil {
				return err
			}
			continue
		}
		ids := make([]string, 0, len(issues))
		for id := range issues {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			rec := pkg + "/" + id
			if !issueRe.MatchString(id) {
				if err := bad(rec, fmt.Errorf("issue id %q is neither CVE-… nor TEMP-…", id)); err != nil {
					return err
				}
				continue
			}
			var is issue
			if err := json.Unmarshal(issues[id], &is); err != nil {
				if err := bad(rec, err); err != nil {
					return err
				}
				continue
			}
			affected, err := convert(pkg, is)
			if err != nil {
				if err := bad(rec, err); err != nil {
					return err
				}
				continue
			}
			if len(affected) == 0 {
				continue
			}
			oid := "DEBIAN-" + id
			e := byID[oid]
			if e == nil {
				e = &osv.Entry{ID: oid, Details: is.Description,
					References: []osv.Reference{{Type: "ADVISORY", URL: "https://security-tracker.debian.org/tracker/" + id}}}
				if osv.IsCVE(id) {
					e.Aliases = []string{id}
				}
				byID[oid] = e
			}
			e.Affected = append(e.Affected, affected...)
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("%w: %w", ErrFormat, err)
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		e := byID[id]
		sort.SliceStable(e.Affected, func(i, j int) bool {
			a, b := e.Affected[i].Package, e.Affected[j].Package
			if a.Ecosystem != b.Ecosystem {
				return a.Ecosystem < b.Ecosystem
			}
			return a.Name < b.Name
		})
		if err := e.Validate(); err != nil {
			if err := bad(id, err); err != nil {
				return err
			}
			continue
		}
		if err := emit(feed.Record{Advisory: e, Merge: true}); err != nil {
			return err
		}
	}
	return nil
}

// convert turns one issue of one source package into affected entries, one
// per numbered release the issue affects, in codename order.
func convert(pkg string, is issue) ([]osv.Affected, error) {
	names := make([]string, 0, len(is.Releases))
	for n := range is.Releases {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []osv.Affected
	for _, codename := range names {
		rel := is.Releases[codename]
		if unnumbered[codename] {
			continue
		}
		num, ok := Releases[codename]
		if !ok {
			return nil, fmt.Errorf("unknown release codename %q", codename)
		}
		var events []osv.Event
		switch rel.Status {
		case "resolved":
			switch rel.FixedVersion {
			case "0":
				continue // not affected
			case "":
				return nil, fmt.Errorf("%s: resolved without fixed_version", codename)
			}
			events = []osv.Event{{Introduced: "0"}, {Fixed: rel.FixedVersion}}
		case "open", "undetermined":
			events = []osv.Event{{Introduced: "0"}}
		case "not-affected", "not_affected":
			continue
		default:
			return nil, fmt.Errorf("%s: unknown status %q", codename, rel.Status)
		}
		spec, err := json.Marshal(specific{Status: rel.Status, Urgency: rel.Urgency, NoDSA: rel.NoDSA, NoDSAReason: rel.NoDSAReason})
		if err != nil {
			return nil, err
		}
		out = append(out, osv.Affected{
			Package:           osv.Package{Ecosystem: "Debian:" + num, Name: pkg},
			Ranges:            []osv.Range{{Type: osv.RangeEcosystem, Events: events}},
			EcosystemSpecific: spec,
		})
	}
	return out, nil
}
