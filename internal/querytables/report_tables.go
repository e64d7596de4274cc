package querytables

import (
	"context"
	"errors"
	"slices"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/kql"
	"github.com/drydock/drydock/internal/pipeline"
	"github.com/drydock/drydock/internal/projection"
	"github.com/drydock/drydock/internal/store"
)

// reportBatch is how many images one fill of a report-backed table reads.
const reportBatch = 50

// eachReport reads the images of the scope a batch at a time, with their
// reports (images without an inventory, or without a verdict any more,
// are left out).
func (t *Tables) eachReport(ctx context.Context, sc projection.Scope, pf *store.ProjectionFilter,
	fn func(im *store.ProjectedImage, rep *finding.Report)) (done bool, err error) {
	imgs, next, err := t.p.Images(ctx, sc, *pf)
	if err != nil {
		return false, err
	}
	for i := range imgs {
		im := &imgs[i]
		if im.Inventory == "" || (pf.WithFindings && im.Summary == (store.Summary{})) {
			continue
		}
		rep, err := t.p.Report(ctx, &im.ImageRecord)
		if errors.Is(err, pipeline.ErrNotEvaluated) {
			continue
		}
		if err != nil {
			return false, err
		}
		fn(im, rep)
	}
	pf.AfterID = next
	return next == 0, nil
}

// packageColumns are the columns of packages: one row per package of an
// image's inventory (its SBOM).
var packageColumns = []kql.Column{
	col("subscriptionId", kql.TypeString), col("subscription", kql.TypeString), col("registry", kql.TypeString),
	col("repository", kql.TypeString), col("digest", kql.TypeString), col("platform", kql.TypeString),
	col("os", kql.TypeString), col("osVersion", kql.TypeString),
	col("name", kql.TypeString), col("version", kql.TypeString), col("type", kql.TypeString), col("arch", kql.TypeString),
	col("purl", kql.TypeString), col("path", kql.TypeString), col("layer", kql.TypeString), col("sourceName", kql.TypeString), col("sourceVersion", kql.TypeString),
}

func (t *Tables) packages(ctx context.Context, sc projection.Scope, f filters) (kql.RowIter, error) {
	sc, ok, err := t.narrow(ctx, sc, f)
	if err != nil || !ok {
		return empty(), err
	}
	pf := store.ProjectionFilter{Limit: reportBatch}
	return &batchIter{fill: func(ctx context.Context) ([]kql.Row, bool, error) {
		var rows []kql.Row
		done, err := t.eachReport(ctx, sc, &pf, func(im *store.ProjectedImage, rep *finding.Report) {
			for i := range rep.Packages {
				p := &rep.Packages[i]
				if !f.matches("name", p.Name) || !f.matches("type", p.Type) {
					continue
				}
				rows = append(rows, kql.Row{str(projection.SubscriptionID(im.SubscriptionID)), str(im.SubscriptionID), str(im.Registry),
					str(im.Repository), str(string(im.Digest)), str(im.Platform), str(rep.Image.OS.Family), str(rep.Image.OS.Version),
					str(p.Name), str(p.Version), str(p.Type), str(p.Arch), str(p.PURL), str(p.Path), str(p.Layer), str(p.SourceName), str(p.SourceVersion)})
			}
		})
		return rows, done, err
	}}, nil
}

// advisoryColumns are the columns of advisories: one row per advisory
// with findings in the caller's images, with what the advisory database
// says of it and how much of the caller's fleet it affects.
var advisoryColumns = []kql.Column{
	col("id", kql.TypeString), col("aliases", kql.TypeDynamic), col("title", kql.TypeString), col("description", kql.TypeString),
	col("severity", kql.TypeString), col("severitySource", kql.TypeString), col("cvssVersion", kql.TypeString),
	col("cvssScore", kql.TypeReal), col("cvssVector", kql.TypeString), col("publishedAt", kql.TypeDateTime),
	col("references", kql.TypeDynamic), col("kev", kql.TypeBool), col("epssScore", kql.TypeReal),
	col("fixAvailable", kql.TypeBool), col("images", kql.TypeLong), col("findings", kql.TypeLong), col("exempted", kql.TypeLong),
}

// advisoryAgg gathers the findings of one advisory.
type advisoryAgg struct {
	f           finding.Finding // the most severe finding seen (highest CVSS score among equals)
	fix         bool
	images      map[int64]bool
	n, exempted int
}

func (t *Tables) advisories(ctx context.Context, sc projection.Scope, f filters) (kql.RowIter, error) {
	sc, ok, err := t.narrow(ctx, sc, f)
	if err != nil || !ok {
		return empty(), err
	}
	byID := map[string]*advisoryAgg{}
	pf := store.ProjectionFilter{Limit: reportBatch, WithFindings: true}
	for done := false; !done; {
		if done, err = t.eachReport(ctx, sc, &pf, func(im *store.ProjectedImage, rep *finding.Report) {
			for i := range rep.Findings {
				x := &rep.Findings[i]
				if !f.matches("id", x.ID) {
					continue
				}
				a := byID[x.ID]
				if a == nil {
					a = &advisoryAgg{f: *x, images: map[int64]bool{}}
					byID[x.ID] = a
				} else if x.Severity > a.f.Severity || (x.Severity == a.f.Severity && score(x) > score(&a.f)) {
					a.f = *x
				}
				a.images[im.ID] = true
				a.n++
				a.fix = a.fix || x.Fixable()
				if x.Exempted {
					a.exempted++
				}
			}
		}); err != nil {
			return nil, err
		}
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	rows := make([]kql.Row, 0, len(ids))
	for _, id := range ids {
		a := byID[id]
		x := &a.f
		version, vector, cvss := "", "", kql.Null()
		if x.CVSS != nil {
			version, vector, cvss = x.CVSS.Version, x.CVSS.Vector, kql.Real(x.CVSS.Score)
		}
		epss := kql.Null()
		if x.EPSS != nil {
			epss = kql.Real(x.EPSS.Score)
		}
		rows = append(rows, kql.Row{str(x.ID), strings_(x.Aliases), str(x.Title), str(x.Description),
			str(x.Severity.String()), str(x.SeveritySource), str(version), cvss, str(vector), when(x.PublishedAt),
			strings_(x.References), kql.Bool(x.KEV), epss, kql.Bool(a.fix), long(len(a.images)), long(a.n),
			long(a.exempted)})
	}
	return &batchIter{buf: rows, done: true}, nil
}

func score(f *finding.Finding) float64 {
	if f.CVSS == nil {
		return -1
	}
	return f.CVSS.Score
}
