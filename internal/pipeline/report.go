package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/store"
)

// ErrNotEvaluated is returned by Report for an image that has no result
// yet (queued, or scanned for the first time).
var ErrNotEvaluated = errors.New("the image has not been scanned yet")

// Report returns the scan report of a stored image (schema
// drydock.report/v1). An image with an inventory is matched again from it
// against the current advisory database and exemptions, so the report
// shows what is known now; scannedAt is the image's last evaluation. A
// notApplicable or failed image gets a report with its reason.
func (p *Pipeline) Report(ctx context.Context, im store.ImageRecord) (*finding.Report, error) {
	if im.ScannedAt.IsZero() || !final(im.Status) {
		return nil, fmt.Errorf("%w (status %s)", ErrNotEvaluated, im.Status)
	}
	ref := store.ImageRef{RepositoryID: im.RepositoryID, Digest: im.Digest, ParentDigest: im.ParentDigest, Platform: im.Platform}
	if im.Inventory != "" {
		db, _ := p.currentDB()
		inv, _, err := getInventory(ctx, p.d.Objects, im.Inventory)
		if err != nil {
			return nil, err
		}
		return p.reportFrom(ctx, db, im.SubscriptionID, im.Registry, im.Repository, ref, inv, im.ScannedAt)
	}
	r := &finding.Report{
		Schema:    finding.SchemaV1,
		Image:     finding.Image{Repository: im.Repository, Digest: string(im.Digest), Platform: im.Platform},
		Reason:    im.Reason,
		ScannedAt: im.ScannedAt,
		DB:        finding.DB{Version: im.DBVersion},
		Packages:  []finding.Package{},
		Findings:  []finding.Finding{},
	}
	c := finding.Conditions{Failed: im.Status == store.StatusFailed, NotApplicable: im.Status == store.StatusNotApplicable,
		NoDatabase: im.DBVersion == ""}
	if err := r.Finalize(nil, c); err != nil {
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
