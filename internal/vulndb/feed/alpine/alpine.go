package alpine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/drydock/drydock/internal/vulndb/feed"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// Parser reads Alpine secdb documents (JSON or YAML).
type Parser struct{}

var _ feed.Parser = Parser{}

// Name implements [feed.Parser].
func (Parser) Name() string { return "alpine" }

// Sniff implements [feed.Parser].
func (Parser) Sniff(_ string, head []byte) bool {
	return bytes.Contains(head, []byte(`"distroversion"`)) ||
		bytes.HasPrefix(bytes.TrimLeft(head, "-\r\n "), []byte("distroversion:")) ||
		bytes.Contains(head, []byte("\ndistroversion:"))
}

type document struct {
	DistroVersion string `json:"distroversion"`
	RepoName      string `json:"reponame"`
	Packages      []struct {
		Pkg struct {
			Name     string               `json:"name"`
			SecFixes map[string][]*string `json:"secfixes"`
		} `json:"pkg"`
	} `json:"packages"`
}

var releaseRe = regexp.MustCompile(`^(v\d+\.\d+|edge)$`)

// ErrFormat is wrapped when a document is not a secdb document.
var ErrFormat = errors.New("alpine: not a secdb document")

// Parse implements [feed.Parser].
func (Parser) Parse(ctx context.Context, name string, r io.Reader, emit feed.Emit) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("alpine: read %s: %w", name, err)
	}
	if t := bytes.TrimLeft(data, " \t\r\n\ufeff"); len(t) == 0 || t[0] != '{' {
		if data, err = feed.YAMLToJSON(data); err != nil {
			return fmt.Errorf("%w: %w", ErrFormat, err)
		}
	}
	var doc document
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if !releaseRe.MatchString(doc.DistroVersion) {
		return fmt.Errorf("%w: distroversion %q is not vX.Y or edge", ErrFormat, doc.DistroVersion)
	}
	eco := "Alpine:" + doc.DistroVersion
	byID := map[string]*osv.Entry{}
	for i, p := range doc.Packages {
		if err := ctx.Err(); err != nil {
			return err
		}
		pkg := p.Pkg.Name
		if pkg == "" || strings.ContainsAny(pkg, " \t\n/") {
			if err := emit(feed.Record{Bad: &feed.Problem{Record: fmt.Sprintf("packages[%d]", i), Err: fmt.Errorf("bad package name %q", pkg)}}); err != nil {
				return err
			}
			continue
		}
		fixes := make([]string, 0, len(p.Pkg.SecFixes))
		for v := range p.Pkg.SecFixes {
			fixes = append(fixes, v)
		}
		sort.Strings(fixes)
		for _, fixed := range fixes {
			where := pkg + " " + fixed
			if fixed == "" || strings.ContainsAny(fixed, " \t\n") {
				if err := emit(feed.Record{Bad: &feed.Problem{Record: where, Err: fmt.Errorf("bad fixed version %q", fixed)}}); err != nil {
					return err
				}
				continue
			}
			for _, s := range p.Pkg.SecFixes[fixed] {
				if s == nil {
					continue
				}
				ids := Identifiers(*s)
				if len(ids) == 0 {
					if err := emit(feed.Record{Bad: &feed.Problem{Record: where, Err: fmt.Errorf("no advisory identifier in %q", *s)}}); err != nil {
						return err
					}
					continue
				}
				if fixed == "0" {
					continue // never affected in this release
				}
				id := "ALPINE-" + ids[0]
				e := byID[id]
				if e == nil {
					e = &osv.Entry{ID: id, Aliases: ids}
					if osv.IsCVE(ids[0]) {
						e.References = []osv.Reference{{Type: "ADVISORY", URL: "https://security.alpinelinux.org/vuln/" + ids[0]}}
					}
					byID[id] = e
				} else {
					e.Aliases = addUnique(e.Aliases, ids...)
				}
				a := osv.Affected{
					Package: osv.Package{Ecosystem: eco, Name: pkg},
					Ranges:  []osv.Range{{Type: osv.RangeEcosystem, Events: []osv.Event{{Introduced: "0"}, {Fixed: fixed}}}},
				}
				if !hasAffected(e.Affected, a) {
					e.Affected = append(e.Affected, a)
				}
			}
		}
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		e := byID[id]
		if err := e.Validate(); err != nil {
			if err := emit(feed.Record{Bad: &feed.Problem{Record: id, Err: err}}); err != nil {
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

func hasAffected(list []osv.Affected, a osv.Affected) bool {
	for _, b := range list {
		if b.Package == a.Package && b.Ranges[0].Events[1] == a.Ranges[0].Events[1] {
			return true
		}
	}
	return false
}

func addUnique(list []string, s ...string) []string {
	for _, x := range s {
		found := false
		for _, y := range list {
			if x == y {
				found = true
				break
			}
		}
		if !found {
			list = append(list, x)
		}
	}
	return list
}

var (
	cveRe   = regexp.MustCompile(`(?i)\bCVE[-_ ](\d{4})-(\d{4,})`)
	parenRe = regexp.MustCompile(`\([^)]*\)`)
	otherRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)+$`)
)

// Identifiers extracts advisory identifiers from one secfixes string: CVE
// ids first (normalised to CVE-YYYY-NNNN), then other ids; empty when there
// is none.
func Identifiers(s string) []string {
	var ids []string
	s = parenRe.ReplaceAllString(s, " ")
	for _, m := range cveRe.FindAllStringSubmatch(s, -1) {
		ids = addUnique(ids, "CVE-"+m[1]+"-"+m[2])
	}
	rest := cveRe.ReplaceAllString(s, " ")
	for _, tok := range strings.Fields(rest) {
		tok = strings.TrimRight(tok, ".,;:")
		if strings.HasPrefix(strings.ToUpper(tok), "CVE") {
			continue // a mangled or placeholder CVE ("CVE-????-?????", "-1" suffixes)
		}
		if otherRe.MatchString(tok) && strings.ContainsAny(tok, "0123456789") {
			ids = addUnique(ids, strings.ToUpper(tok))
		}
	}
	return ids
}
