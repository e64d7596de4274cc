package store

import (
	"context"

	"github.com/drydock/drydock/internal/oci"
)

// This file holds the read contract of the provider projection (package
// projection) and the query tables (package querytables): images with
// what the provider's resources show of them.

// ProjectedImage is a stored image with its manifest's media type and tags.
type ProjectedImage struct {
	ImageRecord
	// MediaType is the image manifest's media type ("" if the manifest row
	// is gone).
	MediaType string
	// Tags are the tags of the image's manifest, or of the index it is a
	// platform of (ParentDigest), in name order; never nil.
	Tags []string
}

// ProjectionFilter selects images for the projection. Subscriptions nil
// means every subscription; an empty non-nil slice matches nothing.
type ProjectionFilter struct {
	Subscriptions []string
	Registry      string
	Repository    string
	Digest        oci.Digest
	Status        string
	// WithFindings keeps only images with at least one finding, active or
	// exempted (the only ones with sub-assessments).
	WithFindings bool
	AfterID      int64
	Limit        int
}

// ProjectionReader reads what the projection shows.
type ProjectionReader interface {
	// ProjectedImages returns up to f.Limit images in id order after
	// f.AfterID.
	ProjectedImages(ctx context.Context, f ProjectionFilter) ([]ProjectedImage, error)
}
