package querytables

import (
	"context"
	"time"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/kql"
	"github.com/drydock/drydock/internal/projection"
	"github.com/drydock/drydock/internal/store"
)

// storeBatch is how many rows one store read returns.
const storeBatch = 500

// imageColumns are the columns of images: one row per platform image.
var imageColumns = []kql.Column{
	col("subscriptionId", kql.TypeString), col("subscription", kql.TypeString), col("registry", kql.TypeString),
	col("repository", kql.TypeString), col("digest", kql.TypeString), col("parentDigest", kql.TypeString),
	col("platform", kql.TypeString), col("mediaType", kql.TypeString), col("tags", kql.TypeDynamic),
	col("status", kql.TypeString), col("reason", kql.TypeString), col("os", kql.TypeString), col("osVersion", kql.TypeString),
	col("osEol", kql.TypeBool), col("packages", kql.TypeLong), col("unchecked", kql.TypeLong), col("critical", kql.TypeLong), col("high", kql.TypeLong),
	col("medium", kql.TypeLong), col("low", kql.TypeLong), col("unknown", kql.TypeLong), col("exempted", kql.TypeLong),
	col("dbVersion", kql.TypeString), col("pushedAt", kql.TypeDateTime), col("lastPulledAt", kql.TypeDateTime),
	col("scannedAt", kql.TypeDateTime), col("firstScannedAt", kql.TypeDateTime),
}

func (t *Tables) images(ctx context.Context, sc projection.Scope, f filters) (kql.RowIter, error) {
	sc, ok, err := t.narrow(ctx, sc, f)
	if err != nil || !ok {
		return empty(), err
	}
	pf := store.ProjectionFilter{Limit: storeBatch}
	pf.Status, _ = f.str("status")
	return &batchIter{fill: func(ctx context.Context) ([]kql.Row, bool, error) {
		imgs, next, err := t.p.Images(ctx, sc, pf)
		if err != nil {
			return nil, false, err
		}
		rows := make([]kql.Row, 0, len(imgs))
		for i := range imgs {
			im := &imgs[i]
			s := im.Summary
			rows = append(rows, kql.Row{str(projection.SubscriptionID(im.SubscriptionID)), str(im.SubscriptionID), str(im.Registry),
				str(im.Repository), str(string(im.Digest)), str(string(im.ParentDigest)), str(im.Platform), str(im.MediaType),
				strings_(im.Tags), str(im.Status), str(im.Reason), str(im.OSFamily), str(im.OSVersion), kql.Bool(im.OSEOL),
				long(im.Packages), long(im.Unchecked), long(s.Critical), long(s.High), long(s.Medium), long(s.Low), long(s.Unknown), long(s.Exempted),
				str(im.DBVersion), when(im.PushedAt), when(im.LastPulledAt), when(im.ScannedAt), when(im.FirstScannedAt)})
		}
		pf.AfterID = next
		return rows, next == 0, nil
	}}, nil
}

// findingColumns are the columns of findings: one row per stored finding
// (advisory x package x image; arch tells apart packages that differ by
// architecture alone, as libc6:amd64 and libc6:i386).
var findingColumns = []kql.Column{
	col("subscriptionId", kql.TypeString), col("subscription", kql.TypeString), col("registry", kql.TypeString),
	col("repository", kql.TypeString), col("digest", kql.TypeString), col("platform", kql.TypeString),
	col("id", kql.TypeString), col("package", kql.TypeString), col("version", kql.TypeString), col("type", kql.TypeString),
	col("arch", kql.TypeString), col("path", kql.TypeString), col("purl", kql.TypeString), col("fixedVersion", kql.TypeString), col("fixStatus", kql.TypeString),
	col("severity", kql.TypeString), col("title", kql.TypeString), col("layer", kql.TypeString), col("exempted", kql.TypeBool),
	col("exemptionId", kql.TypeString), col("firstSeenAt", kql.TypeDateTime),
}

func (t *Tables) findings(ctx context.Context, sc projection.Scope, f filters) (kql.RowIter, error) {
	sc, ok, err := t.narrow(ctx, sc, f)
	if err != nil || !ok {
		return empty(), err
	}
	ff := store.FindingFilter{Subscriptions: sc.Subscriptions(), Registry: sc.Registry, Repository: sc.Repository, Digest: sc.Digest,
		Limit: storeBatch}
	ff.AdvisoryID, _ = f.str("id")
	ff.Package, _ = f.str("package")
	if v, ok := f.str("severity"); ok {
		sev, err := finding.ParseSeverity(v)
		if err != nil || sev.String() != v {
			return empty(), nil // the column only holds the five names
		}
		ff.Severities = []int{int(sev)}
	}
	if v, ok := f.bools["exempted"]; ok {
		ff.Exempted = &v
	}
	return &batchIter{fill: func(ctx context.Context) ([]kql.Row, bool, error) {
		fs, err := t.st.ListFindings(ctx, ff)
		if err != nil {
			return nil, false, err
		}
		rows := make([]kql.Row, 0, len(fs))
		for i := range fs {
			x := &fs[i]
			if !sc.Identity.CanReadRepository(x.Repository) {
				continue
			}
			rows = append(rows, kql.Row{str(projection.SubscriptionID(x.SubscriptionID)), str(x.SubscriptionID), str(x.Registry),
				str(x.Repository), str(string(x.Digest)), str(x.Platform), str(x.AdvisoryID), str(x.PackageName),
				str(x.PackageVersion), str(x.PackageType), str(x.PackageArch), str(x.PackagePath), str(x.PURL), str(x.FixedVersion), str(x.FixStatus),
				str(finding.Severity(x.Severity).String()), str(x.Title), str(x.Layer), kql.Bool(x.Exempted), str(x.ExemptionID),
				when(x.FirstSeenAt)})
		}
		if len(fs) < ff.Limit {
			return rows, true, nil
		}
		ff.AfterID = fs[len(fs)-1].ID
		return rows, false, nil
	}}, nil
}

// usageColumns are the columns of usage: billable image scans per
// registry and day.
var usageColumns = []kql.Column{
	col("subscriptionId", kql.TypeString), col("subscription", kql.TypeString), col("registry", kql.TypeString),
	col("day", kql.TypeDateTime), col("images", kql.TypeLong),
}

func (t *Tables) usage(ctx context.Context, sc projection.Scope, f filters) (kql.RowIter, error) {
	sc, ok, err := t.narrow(ctx, sc, f)
	if err != nil || !ok {
		return empty(), err
	}
	us, err := t.st.Usage(ctx, store.UsageFilter{Subscriptions: sc.Subscriptions(), Registry: sc.Registry})
	if err != nil {
		return nil, err
	}
	rows := make([]kql.Row, 0, len(us))
	for _, u := range us {
		day, err := time.Parse(time.DateOnly, u.Day)
		if err != nil {
			return nil, err
		}
		rows = append(rows, kql.Row{str(projection.SubscriptionID(u.SubscriptionID)), str(u.SubscriptionID), str(u.Registry),
			kql.DateTime(day), long(u.Images)})
	}
	return &batchIter{buf: rows, done: true}, nil
}
