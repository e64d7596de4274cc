package projection

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/pipeline"
	"github.com/drydock/drydock/internal/store"
)

// ErrNotFound is wrapped by errors for resources that do not exist or are
// not the caller's (the two are not told apart).
var ErrNotFound = errors.New("not found")

// Store is what the projector reads (store/sqlmeta implements it).
type Store interface {
	store.ProjectionReader
	Assessments(ctx context.Context, subscriptions []string) ([]store.Assessment, error)
	GetPlan(ctx context.Context, subscriptionID string) (store.Plan, error)
	ListFindings(ctx context.Context, f store.FindingFilter) ([]store.FindingRow, error)
	ListSubscriptions(ctx context.Context) ([]store.Subscription, error)
}

// Reports renders the report of a stored image (pipeline.Pipeline.Report:
// its inventory matched against the current advisory database and
// exemptions). An image without a verdict yet answers an error wrapping
// pipeline.ErrNotEvaluated.
type Reports interface {
	Report(ctx context.Context, im store.ImageRecord) (*finding.Report, error)
}

// Deps are what a Projector works with.
type Deps struct {
	Store   Store
	Reports Reports
	// Details, optional, adds NVD's last modification date and CWEs.
	Details Details
	// DBVersion, optional, is the current advisory database version; with
	// it reports are cached per image evaluation and database version.
	DBVersion func() string
	// CacheBytes bounds the report cache (default 64 MiB).
	CacheBytes int64
	Logger     *slog.Logger
}

// Projector computes the provider's resources from drydock's findings: the
// one place the REST routes (package provider) and the securityresources
// query table (package querytables) get them from.
type Projector struct {
	cfg   Config
	d     Deps
	cache *reportCache
}

// New returns a Projector.
func New(cfg Config, d Deps) (*Projector, error) {
	if d.Store == nil || d.Reports == nil || d.Logger == nil {
		return nil, errors.New("projection: Store, Reports and Logger are required")
	}
	if d.CacheBytes <= 0 {
		d.CacheBytes = 64 << 20
	}
	return &Projector{cfg: cfg.withDefaults(), d: d, cache: newReportCache(d.CacheBytes)}, nil
}

// Config returns the configuration with its defaults applied.
func (p *Projector) Config() Config { return p.cfg }

// Scope is what one read may see: first what the caller's identity may
// read, then the narrowing asked for. Every read of the Projector starts
// from it, so no caller can widen it.
type Scope struct {
	// Identity is the caller; nil sees nothing.
	Identity *access.Identity
	// Subscription (drydock's id), Registry, Repository and Digest narrow
	// the scope; empty does not.
	Subscription string
	Registry     string
	Repository   string
	Digest       oci.Digest
	// RegistryHost is artifactDetails.registryHost when Config has none.
	RegistryHost string
}

// Subscriptions returns the subscriptions of the scope, for store reads
// that take a subscription list: nil for every one, an empty non-nil
// slice for none.
func (sc *Scope) Subscriptions() []string {
	id := sc.Identity
	switch {
	case id == nil:
		return []string{}
	case sc.Subscription != "":
		if !id.InSubscription(sc.Subscription) {
			return []string{}
		}
		return []string{sc.Subscription}
	case id.AllSubscriptions():
		return nil
	}
	return slices.Clone(id.Subscriptions)
}

func (p *Projector) host(sc *Scope) string { return cmp.Or(p.cfg.RegistryHost, sc.RegistryHost) }

// Subscriptions returns the subscriptions the identity may read, by id.
func (p *Projector) Subscriptions(ctx context.Context, id *access.Identity) ([]store.Subscription, error) {
	all, err := p.d.Store.ListSubscriptions(ctx)
	if err != nil {
		return nil, fmt.Errorf("projection: subscriptions: %w", err)
	}
	out := []store.Subscription{}
	for _, s := range all {
		if id.InSubscription(s.ID) {
			out = append(out, s)
		}
	}
	return out, nil
}

// ResolveSubscription maps a {sub} of a provider path (the provider id,
// case-insensitively, or drydock's own id) to a subscription the identity
// may read; otherwise the error wraps ErrNotFound.
func (p *Projector) ResolveSubscription(ctx context.Context, id *access.Identity, sub string) (store.Subscription, error) {
	subs, err := p.Subscriptions(ctx, id)
	if err != nil {
		return store.Subscription{}, err
	}
	for _, s := range subs {
		if s.ID == sub || strings.EqualFold(SubscriptionID(s.ID), sub) {
			return s, nil
		}
	}
	return store.Subscription{}, fmt.Errorf("subscription %q: %w", sub, ErrNotFound)
}

// Assessments returns the assessments of the registries in scope, for one
// key or (key "") both, ordered by subscription, registry and key.
func (p *Projector) Assessments(ctx context.Context, sc Scope, key string) ([]Resource, error) {
	as, err := p.d.Store.Assessments(ctx, sc.Subscriptions())
	if err != nil {
		return nil, fmt.Errorf("projection: assessments: %w", err)
	}
	slices.SortFunc(as, func(a, b store.Assessment) int {
		return cmp.Or(cmp.Compare(a.SubscriptionID, b.SubscriptionID), cmp.Compare(a.Registry, b.Registry))
	})
	plans := map[string]store.Plan{}
	out := []Resource{}
	for _, a := range as {
		if sc.Registry != "" && a.Registry != sc.Registry {
			continue
		}
		plan, ok := plans[a.SubscriptionID]
		if !ok {
			if plan, err = p.d.Store.GetPlan(ctx, a.SubscriptionID); err != nil {
				return nil, fmt.Errorf("projection: assessments: %w", err)
			}
			plans[a.SubscriptionID] = plan
		}
		scanning := p.cfg.ScanningEnabledByDefault
		if plan.Enabled != nil {
			scanning = *plan.Enabled
		}
		if on, ok := plan.Registries[a.Registry]; ok {
			scanning = on
		}
		for _, k := range Keys() {
			if key == "" || key == k {
				out = append(out, p.cfg.Assessment(k, a, scanning))
			}
		}
	}
	return out, nil
}

// Position is a place in the listing of sub-assessments, which is ordered
// by image, then by key, then by finding in report order. The zero value
// is the start.
type Position struct {
	ImageID int64
	Index   int
}

// ErrStop, returned by the function given to EachSubAssessment, ends the
// listing without an error.
var ErrStop = errors.New("stop")

// imageBatch is how many images one store read returns.
const imageBatch = 100

// EachSubAssessment calls fn with every sub-assessment in scope of the
// given keys (nil: both) from position from on, and the position after it.
// Only images the identity may read are rendered.
func (p *Projector) EachSubAssessment(ctx context.Context, sc Scope, keys []string, from Position,
	fn func(r Resource, next Position) error) error {
	if keys == nil {
		keys = Keys()
	}
	return p.eachImage(ctx, sc, true, from.ImageID, func(im *store.ProjectedImage, rep *finding.Report) error {
		img := ImageOf(im, p.host(&sc))
		var rs []Resource
		for _, k := range keys {
			rs = append(rs, p.cfg.SubAssessments(k, img, rep, p.d.Details)...)
		}
		start := 0
		if im.ID == from.ImageID {
			start = from.Index
		}
		for i := start; i < len(rs); i++ {
			if err := fn(rs[i], Position{ImageID: im.ID, Index: i + 1}); err != nil {
				return err
			}
		}
		return nil
	})
}

// EachReport calls fn with every evaluated image in scope that has an
// inventory, and its report.
func (p *Projector) EachReport(ctx context.Context, sc Scope, fn func(im *store.ProjectedImage, rep *finding.Report) error) error {
	return p.eachImage(ctx, sc, false, 0, fn)
}

// eachImage walks the images in scope from id fromID on (with findings
// only, or with an inventory), with their reports.
func (p *Projector) eachImage(ctx context.Context, sc Scope, withFindings bool, fromID int64,
	fn func(im *store.ProjectedImage, rep *finding.Report) error) error {
	f := store.ProjectionFilter{Subscriptions: sc.Subscriptions(), Registry: sc.Registry, Repository: sc.Repository,
		Digest: sc.Digest, WithFindings: withFindings, AfterID: max(fromID-1, 0), Limit: imageBatch}
	for {
		imgs, next, err := p.Images(ctx, sc, f)
		if err != nil {
			return err
		}
		for i := range imgs {
			im := &imgs[i]
			if im.Inventory == "" || (withFindings && im.Summary == (store.Summary{})) {
				continue
			}
			rep, err := p.Report(ctx, &im.ImageRecord)
			if errors.Is(err, pipeline.ErrNotEvaluated) {
				continue // evaluated again while we read; it has no verdict now
			}
			if err != nil {
				return err
			}
			if err := fn(im, rep); err != nil {
				if errors.Is(err, ErrStop) {
					return nil
				}
				return err
			}
		}
		if next == 0 {
			return nil
		}
		f.AfterID = next
	}
}

// Images returns one batch of images of the scope (f's subscriptions are
// replaced by the scope's; its other fields narrow the scope further),
// leaving out those of repositories the identity may not read, and the
// AfterID of the next batch (0 after the last).
func (p *Projector) Images(ctx context.Context, sc Scope, f store.ProjectionFilter) (imgs []store.ProjectedImage, next int64, err error) {
	if conflicts(sc.Registry, f.Registry) || conflicts(sc.Repository, f.Repository) || conflicts(string(sc.Digest), string(f.Digest)) {
		return []store.ProjectedImage{}, 0, nil
	}
	f.Subscriptions = sc.Subscriptions()
	f.Registry, f.Repository, f.Digest = cmp.Or(sc.Registry, f.Registry), cmp.Or(sc.Repository, f.Repository), cmp.Or(sc.Digest, f.Digest)
	all, err := p.d.Store.ProjectedImages(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("projection: images: %w", err)
	}
	if len(all) == f.Limit && f.Limit > 0 {
		next = all[len(all)-1].ID
	}
	imgs = all[:0]
	for _, im := range all {
		if sc.Identity.CanReadRepository(im.Repository) {
			imgs = append(imgs, im)
		}
	}
	return imgs, next, nil
}

// conflicts reports whether two narrowings leave nothing.
func conflicts(a, b string) bool { return a != "" && b != "" && a != b }

// Report returns the report of an image, from the cache when the image
// and the advisory database did not change since it was rendered.
func (p *Projector) Report(ctx context.Context, im *store.ImageRecord) (*finding.Report, error) {
	var k reportKey
	if p.d.DBVersion != nil {
		k = reportKey{image: im.ID, scannedAt: im.ScannedAt, db: p.d.DBVersion()}
		if rep, ok := p.cache.get(k); ok {
			return rep, nil
		}
	}
	rep, err := p.d.Reports.Report(ctx, *im)
	if err != nil {
		return nil, fmt.Errorf("projection: report of %s@%s: %w", im.Repository, im.Digest, err)
	}
	if p.d.DBVersion != nil && rep.DB.Version == k.db {
		p.cache.put(k, rep)
	}
	return rep, nil
}

// SubAssessment returns sub-assessment name of assessment key in scope, or
// an error wrapping ErrNotFound.
func (p *Projector) SubAssessment(ctx context.Context, sc Scope, key, name string) (Resource, error) {
	f := store.FindingFilter{Subscriptions: sc.Subscriptions(), Registry: sc.Registry, Repository: sc.Repository,
		Digest: sc.Digest, Limit: 1000}
	for {
		rows, err := p.d.Store.ListFindings(ctx, f)
		if err != nil {
			return Resource{}, fmt.Errorf("projection: sub-assessment: %w", err)
		}
		for i := range rows {
			row := &rows[i]
			// The row's name has its architecture or not depending on the
			// image's other findings: try both, the report decides.
			if SubAssessmentName(row.Repository, string(row.Digest), &row.FindingRecord, false) != name &&
				SubAssessmentName(row.Repository, string(row.Digest), &row.FindingRecord, true) != name {
				continue
			}
			var found *Resource
			in := sc
			in.Repository, in.Digest = row.Repository, row.Digest
			err := p.eachImage(ctx, in, true, 0, func(im *store.ProjectedImage, rep *finding.Report) error {
				for _, r := range p.cfg.SubAssessments(key, ImageOf(im, p.host(&sc)), rep, p.d.Details) {
					if r.Name == name {
						found = &r
						return ErrStop
					}
				}
				return nil
			})
			if err != nil {
				return Resource{}, err
			}
			if found != nil {
				return *found, nil
			}
		}
		if len(rows) < f.Limit {
			return Resource{}, fmt.Errorf("sub-assessment %s: %w", name, ErrNotFound)
		}
		f.AfterID = rows[len(rows)-1].ID
	}
}
