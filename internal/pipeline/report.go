package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/scan"
	"github.com/drydock/drydock/internal/scan/source"
	"github.com/drydock/drydock/internal/store"
)

// ErrNotEvaluated is returned by Report for an image that has no result
// yet (queued, or scanned for the first time).
var ErrNotEvaluated = errors.New("the image has not been scanned yet")

// Report returns the scan report of a stored image (schema
// drydock.report/v1), the report drydock scan gives of the same image
// with the same database. An image with an inventory is matched again
// from it against the current advisory database and exemptions, so the
// report shows what is known now; scannedAt is the image's last
// evaluation. A notApplicable or failed image gets a report with its
// reason (and the packages found, when its scan failed after reading its
// layers: see storedInventory.Failure).
func (p *Pipeline) Report(ctx context.Context, im store.ImageRecord) (*finding.Report, error) {
	if im.ScannedAt.IsZero() || !final(im.Status) {
		return nil, fmt.Errorf("%w (status %s)", ErrNotEvaluated, im.Status)
	}
	ref := store.ImageRef{RepositoryID: im.RepositoryID, Digest: im.Digest, ParentDigest: im.ParentDigest, Platform: im.Platform}
	db, _ := p.currentDB()
	if im.Inventory != "" {
		li, err := getInventory(ctx, p.d.Objects, im.Inventory)
		if err != nil {
			return nil, err
		}
		return p.reportFrom(ctx, db, im.SubscriptionID, im.Registry, im.Repository, ref, li.inv, li.failure, im.ScannedAt)
	}
	if im.Status == store.StatusFailed || im.Status == store.StatusNotApplicable {
		// Made as scan.ScanImage makes the report of an image it does
		// not scan or could not read: the reason, and the database.
		src := &source.Image{Repository: im.Repository, Digest: im.Digest, Platform: im.Platform}
		if im.Status == store.StatusNotApplicable {
			src.NotApplicable = cmp.Or(im.Reason, "not a container image drydock scans")
		} else {
			src.Err = errors.New(cmp.Or(im.Reason, "the scan failed"))
		}
		return scan.ScanImage(ctx, src, scan.Options{DB: db, Logger: slog.New(slog.DiscardHandler),
			Now: func() time.Time { return im.ScannedAt }})
	}
	// An image evaluated without an inventory: nothing to list.
	r := &finding.Report{
		Schema:    finding.SchemaV1,
		Image:     finding.Image{Repository: im.Repository, Digest: string(im.Digest), Platform: im.Platform},
		Reason:    im.Reason,
		ScannedAt: im.ScannedAt,
		DB:        finding.DB{Version: im.DBVersion},
		Packages:  []finding.Package{},
		Findings:  []finding.Finding{},
	}
	if err := r.Finalize(nil, finding.Conditions{NoDatabase: im.DBVersion == ""}); err != nil {
		return nil, err
	}
	return r, nil
}

// final reports whether status is a verdict.
func final(status string) bool {
	switch status {
	case store.StatusHealthy, store.StatusUnhealthy, store.StatusNotApplicable, store.StatusFailed, store.StatusPending:
		return true
	}
	return false
}

// Rescan queues scans of the manifests in scope (one image, a
// repository, a registry, a subscription) ahead of bulk work and returns
// how many were queued.
func (p *Pipeline) Rescan(ctx context.Context, scope store.ScanScope) (int, error) {
	return p.d.Queue.EnqueueScans(ctx, scope, store.ReasonRescan, store.PriorityRescan)
}
