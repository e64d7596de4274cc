package sqlmeta

import (
	"context"
	"fmt"
	"strings"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

var _ store.ProjectionReader = (*Store)(nil)

// maxProjectedImages bounds one ProjectedImages call (its second query
// names every manifest of the batch).
const maxProjectedImages = 500

// ProjectedImages returns images with their manifest media type and tags:
// one query for the images, one for the manifests of the batch (the
// image's own, and the index of a platform image, whose tags it shows).
func (s *Store) ProjectedImages(ctx context.Context, f store.ProjectionFilter) ([]store.ProjectedImage, error) {
	w, ok := scoped("i.id", "i.subscription_id", f.Subscriptions, f.AfterID, f.Registry, f.Repository, f.Digest)
	if !ok || f.Limit == 0 {
		return []store.ProjectedImage{}, nil
	}
	if f.Limit < 0 || f.Limit > maxProjectedImages {
		f.Limit = maxProjectedImages
	}
	if f.Status != "" {
		w.add("i.status = ?", f.Status)
	}
	if f.WithFindings {
		w.add("i.critical + i.high + i.medium + i.low + i.unknown + i.exempted > 0")
	}
	imgs, err := s.images(ctx, selectImage+w.String()+` ORDER BY i.id`+limitQ, append(w.args, limitArg(f.Limit))...)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: projected images: %w", err)
	}
	out := make([]store.ProjectedImage, len(imgs))
	if len(imgs) == 0 {
		return out, nil
	}
	type key struct {
		repo   int64
		digest oci.Digest
	}
	var conds []string
	var args []any
	seen := map[key]bool{}
	for _, im := range imgs {
		for _, d := range []oci.Digest{im.Digest, im.ParentDigest} {
			if k := (key{im.RepositoryID, d}); d != "" && !seen[k] {
				seen[k] = true
				conds = append(conds, "(m.repository_id = ? AND m.digest = ?)")
				args = append(args, im.RepositoryID, string(d))
			}
		}
	}
	rows, err := query(ctx, s.rq, `SELECT m.repository_id, m.digest, m.media_type, COALESCE(t.name, '')
		FROM manifests m LEFT JOIN tags t ON t.manifest_id = m.id
		WHERE `+strings.Join(conds, " OR ")+` ORDER BY m.repository_id, m.digest, t.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlmeta: projected images: %w", err)
	}
	defer rows.Close()
	media := map[key]string{}
	tags := map[key][]string{}
	for rows.Next() {
		var k key
		var digest, mt, tag string
		if err := rows.Scan(&k.repo, &digest, &mt, &tag); err != nil {
			return nil, fmt.Errorf("sqlmeta: projected images: %w", err)
		}
		k.digest = oci.Digest(digest)
		media[k] = mt
		if tag != "" {
			tags[k] = append(tags[k], tag)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlmeta: projected images: %w", err)
	}
	for i, im := range imgs {
		own := key{im.RepositoryID, im.Digest}
		t := tags[own]
		if im.ParentDigest != "" {
			t = tags[key{im.RepositoryID, im.ParentDigest}]
		}
		if t == nil {
			t = []string{}
		}
		out[i] = store.ProjectedImage{ImageRecord: im, MediaType: media[own], Tags: t}
	}
	return out, nil
}
