package match

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/vulndb"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// candidateDB is the fast path a [DB] may offer (*vulndb.DB does): the
// advisories naming a package in the compact form a version check needs,
// and whole advisories only for those that matched.
type candidateDB interface {
	// Candidates iterates over the advisories naming (ecosystem, name);
	// see [vulndb.DB.Candidates].
	Candidates(ecosystem, name string) vulndb.Candidates
	// Advisory decodes a candidate's whole advisory.
	Advisory(r vulndb.Ref) (*osv.Entry, error)
}

var _ candidateDB = (*vulndb.DB)(nil)

// judgeCandidates is judge over candidates: each advisory is judged on its
// entries for the queried package, and decoded whole only when it affects
// p. Judgements agree with judging whole advisories: an advisory not
// affecting p under one query is judged again under the next (the
// matcher's other queries may name other entries of it), as a whole
// advisory would have been judged on all of them at once.
func judgeCandidates(ctx context.Context, db candidateDB, m Matcher, p *pkg.Package, qs []Query, log *slog.Logger) ([]hit, error) {
	var seen map[string]bool
	var hits []hit
	for _, q := range qs {
		c := db.Candidates(q.Ecosystem, q.Name)
		for c.Next() {
			e := c.Entry()
			if seen[e.ID] {
				continue
			}
			v, err := m.Affected(ctx, p, e)
			if err != nil {
				log.WarnContext(ctx, "advisory not judged; reported with unknown fix status",
					"advisory", e.ID, "ecosystem", q.Ecosystem, "package", q.Name, "version", q.Version, "err", err)
				v = Verdict{Affected: true, Status: finding.FixStatusUnknown, Index: -1}
			}
			if !v.Affected {
				continue
			}
			if v.Index >= 0 {
				v.Index = c.Index(v.Index)
			}
			full, err := db.Advisory(c.Ref())
			if err != nil {
				return nil, fmt.Errorf("match: lookup %s/%s: %w", q.Ecosystem, q.Name, err)
			}
			if seen == nil {
				seen = make(map[string]bool)
			}
			seen[e.ID] = true
			hits = append(hits, hit{e: full, v: v})
		}
		if err := c.Err(); err != nil {
			return nil, fmt.Errorf("match: lookup %s/%s: %w", q.Ecosystem, q.Name, err)
		}
	}
	return hits, nil
}
