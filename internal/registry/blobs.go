package registry

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/store"
)

// serveBlob answers HEAD and GET /v2/<name>/blobs/<digest>.
//
// GET goes through http.ServeContent on the store's io.ReadSeekCloser, which
// gives Range (206, 416), If-None-Match on the ETag, and sendfile when the
// store hands out an *os.File.
//
// With AutoMount, a HEAD for a blob this repository does not link, from a
// caller who may push here, links it from another readable repository of the
// same subscription and answers 200: that is the existence check clients make
// before uploading a layer, so such a layer is never uploaded again.
func (g *Registry) serveBlob(w *responseWriter, r *http.Request, rt route) error {
	ctx := r.Context()
	repo, err := g.repoForRead(ctx, rt.Name)
	var info store.BlobInfo
	switch {
	case err == nil:
		info, err = g.meta.StatBlob(ctx, repo.ID, rt.Digest)
		if err != nil && errors.Is(err, store.ErrBlobUnknown) && g.canAutoMountOnHead(r, rt) {
			var ok bool
			info, ok, err = g.autoMount(ctx, rt.Name, &repo, rt.Digest)
			if err == nil && !ok {
				err = errBlobUnknown(rt.Digest)
			}
		}
	case isCode(err, codeNameUnknown) && g.canAutoMountOnHead(r, rt):
		var ok bool
		info, ok, err = g.autoMount(ctx, rt.Name, nil, rt.Digest)
		if err == nil && !ok {
			err = errBlobUnknown(rt.Digest)
		}
	}
	if err != nil {
		if errors.Is(err, store.ErrBlobUnknown) {
			return errBlobUnknown(rt.Digest)
		}
		return err
	}

	h := w.Header()
	h.Set("Docker-Content-Digest", rt.Digest.String())
	h.Set("ETag", `"`+rt.Digest.String()+`"`)
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Cache-Control", "max-age=31536000") // content-addressed: never changes
	h.Set("Accept-Ranges", "bytes")
	if r.Method == http.MethodHead {
		h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
		w.WriteHeader(http.StatusOK)
		return nil
	}
	f, err := g.blobs.Open(ctx, rt.Digest)
	if err != nil {
		if errors.Is(err, store.ErrBlobUnknown) {
			// Linked in metadata but the bytes are gone: report it loudly
			// to operators, and as unknown to the client.
			g.logger(ctx).ErrorContext(ctx, "linked blob missing from blob store", "err", err)
			return errBlobUnknown(rt.Digest)
		}
		return fmt.Errorf("open blob: %w", err)
	}
	defer f.Close()
	before := w.written
	http.ServeContent(w, r, "", time.Time{}, f)
	g.metrics.bytesOut.Add(float64(w.written - before))
	return nil
}

// canAutoMountOnHead reports whether a HEAD may link the blob automatically:
// AutoMount is on, the client did not just delete it here, and the caller
// may push to the repository.
func (g *Registry) canAutoMountOnHead(r *http.Request, rt route) bool {
	return r.Method == http.MethodHead && g.cfg.AutoMount &&
		!g.deleted.has(rt.Name, rt.Digest, g.now()) &&
		g.may(r, rt.Name, access.ActionPull, access.ActionPush)
}

// deleteBlob answers DELETE /v2/<name>/blobs/<digest>: it unlinks the blob
// from the repository (202). The bytes go later, through garbage collection,
// once no repository links them.
func (g *Registry) deleteBlob(w *responseWriter, r *http.Request, rt route) error {
	ctx := r.Context()
	repo, err := g.repoForRead(ctx, rt.Name)
	if err != nil {
		return err
	}
	if err := g.meta.UnlinkBlob(ctx, repo.ID, rt.Digest); err != nil {
		if errors.Is(err, store.ErrBlobUnknown) || errors.Is(err, store.ErrNotFound) {
			return errBlobUnknown(rt.Digest)
		}
		return fmt.Errorf("unlink blob: %w", err)
	}
	g.deleted.add(rt.Name, rt.Digest, g.now())
	g.logger(ctx).InfoContext(ctx, "blob unlinked")
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// isCode reports whether err is an *apiError with the given OCI code.
func isCode(err error, code string) bool {
	var e *apiError
	return errors.As(err, &e) && e.Code == code
}
