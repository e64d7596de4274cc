package registry

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// serveManifest answers HEAD and GET /v2/<name>/manifests/<reference>. The
// stored document is returned byte for byte with its media type; Accept is
// not negotiated (drydock never converts manifests). GETs are recorded for
// lastPulledAt and flushed in batches by Run.
func (g *Registry) serveManifest(w *responseWriter, r *http.Request, rt route) error {
	ctx := r.Context()
	repo, err := g.repoForRead(ctx, rt.Name)
	if err != nil {
		return err
	}
	rec, err := g.meta.GetManifest(ctx, repo.ID, rt.Reference())
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errManifestUnknown(rt.Reference())
		}
		return fmt.Errorf("get manifest: %w", err)
	}
	if err := g.checkPull(r, repo, rec); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", rec.MediaType)
	h.Set("Docker-Content-Digest", rec.Digest.String())
	h.Set("ETag", `"`+rec.Digest.String()+`"`)
	h.Set("Content-Length", strconv.Itoa(len(rec.Content)))
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, rec.Digest) {
		h.Del("Content-Length")
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	g.pulls.record(repo.ID, rec.Digest, g.now())
	if _, err := w.Write(rec.Content); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}

// etagMatches reports whether an If-None-Match header names digest d.
func etagMatches(header string, d oci.Digest) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || strings.Trim(t, `"`) == d.String() {
			return true
		}
	}
	return false
}

// putManifest answers PUT /v2/<name>/manifests/<reference>.
//
// The body (at most MaxManifestSize, else 413 SIZE_INVALID) must parse as a
// supported manifest (else MANIFEST_INVALID). Its digest is computed with the
// algorithm of the reference when the reference is a digest (and must equal
// it, else DIGEST_INVALID), with sha256 otherwise. Every blob and child
// manifest it references must be in the repository (MANIFEST_BLOB_UNKNOWN,
// MANIFEST_UNKNOWN), except its subject, which need not exist. With
// AutoMount, referenced blobs held by another readable repository of the
// subscription are linked first. Tags come from a tag reference and from
// ?tag= parameters (answered in OCI-Tag).
func (g *Registry) putManifest(w *responseWriter, r *http.Request, rt route) error {
	ctx := r.Context()
	max := g.cfg.MaxManifestSize
	if r.ContentLength > max {
		return errManifestTooLarge(max)
	}
	q := r.URL.Query()
	var tags []string
	if rt.Tag != "" {
		tags = append(tags, rt.Tag)
	}
	for _, t := range q["tag"] {
		if err := oci.ValidateTag(t); err != nil {
			return newError(http.StatusBadRequest, codeTagInvalid, "invalid tag parameter", err).
				withDetail(map[string]string{"tag": t})
		}
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	br := &bodyReader{r: io.LimitReader(r.Body, max+1)}
	body, err := io.ReadAll(br)
	if err != nil {
		return newError(http.StatusBadRequest, codeManifestInvalid, "reading the request body failed", err)
	}
	if int64(len(body)) > max {
		return errManifestTooLarge(max)
	}
	m, err := oci.ParseManifest(contentType(r.Header.Get("Content-Type")), body)
	if err != nil {
		return newError(http.StatusBadRequest, codeManifestInvalid, "manifest invalid", err).
			withDetail(map[string]string{"reason": err.Error()})
	}
	var d oci.Digest
	if rt.Digest != "" {
		d = rt.Digest.Algorithm().FromBytes(body)
		if d != rt.Digest {
			return errDigestInvalid("manifest digest does not match the reference", nil).
				withDetail(map[string]string{"reference": rt.Digest.String(), "computed": d.String()})
		}
	} else {
		d = digest.SHA256.FromBytes(body)
	}
	repo, err := g.repoForPush(ctx, rt.Name)
	if err != nil {
		return err
	}
	put := store.ManifestPut{Digest: d, Content: body, Manifest: m, RequireRefs: true}
	if len(tags) > 0 {
		put.Tag = tags[0]
	}
	res, err := g.putWithAutoMount(r, repo, put)
	if err != nil {
		return err
	}
	for _, t := range tags[min(1, len(tags)):] {
		put.Tag = t
		if _, err := g.meta.PutManifest(ctx, repo, put); err != nil {
			return fmt.Errorf("tag manifest %s: %w", t, err)
		}
	}
	g.metrics.manifests.WithLabelValues(strconv.FormatBool(res.Created)).Inc()
	g.logger(ctx).InfoContext(ctx, "manifest pushed", "digest", d.String(), "media_type", m.MediaType,
		"created", res.Created, "tags", tags)

	h := w.Header()
	h.Set("Location", "/v2/"+rt.Name+"/manifests/"+d.String())
	h.Set("Docker-Content-Digest", d.String())
	if m.Subject != nil {
		h.Set("OCI-Subject", m.Subject.Digest.String())
	}
	if len(q["tag"]) > 0 {
		h.Set("OCI-Tag", strings.Join(tags, ", "))
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
	return nil
}

// putWithAutoMount commits a manifest; with AutoMount, a blob reference the
// repository lacks but its subscription holds is linked and the commit
// retried (at most once per referenced blob).
func (g *Registry) putWithAutoMount(r *http.Request, repo store.Repository, put store.ManifestPut) (store.PutResult, error) {
	ctx := r.Context()
	retries := 0
	if g.cfg.AutoMount {
		retries = len(put.Manifest.BlobReferences())
	}
	for {
		res, err := g.meta.PutManifest(ctx, repo, put)
		var missing *store.MissingReferenceError
		if err == nil || !errors.As(err, &missing) || missing.Manifest || retries == 0 ||
			g.deleted.has(repo.Name, missing.Digest, g.now()) {
			if err != nil && !errors.As(err, &missing) {
				err = fmt.Errorf("put manifest: %w", err)
			}
			return res, err
		}
		retries--
		if _, ok, merr := g.autoMount(ctx, repo.Name, &repo, missing.Digest); merr != nil || !ok {
			if merr != nil {
				g.logger(ctx).WarnContext(ctx, "automatic mount for manifest failed", "blob", missing.Digest.String(), "err", merr)
			}
			return res, err
		}
	}
}

func errManifestTooLarge(max int64) *apiError {
	return newError(http.StatusRequestEntityTooLarge, codeSizeInvalid,
		fmt.Sprintf("manifest exceeds the registry's limit of %d bytes", max), nil).
		withDetail(map[string]int64{"limit": max})
}

// contentType returns the media type of a Content-Type header without
// parameters ("; charset=utf-8").
func contentType(h string) string {
	if h == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(h)
	if err != nil {
		return strings.TrimSpace(h)
	}
	return mt
}

// deleteManifest answers DELETE /v2/<name>/manifests/<reference>: by digest
// it deletes the manifest and its tags, by tag only the tag (202).
func (g *Registry) deleteManifest(w *responseWriter, r *http.Request, rt route) error {
	ctx := r.Context()
	repo, err := g.repoForRead(ctx, rt.Name)
	if err != nil {
		return err
	}
	if rt.Tag != "" {
		err = g.meta.DeleteTag(ctx, repo.ID, rt.Tag)
	} else {
		err = g.meta.DeleteManifest(ctx, repo.ID, rt.Digest)
	}
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errManifestUnknown(rt.Reference())
		}
		return fmt.Errorf("delete manifest: %w", err)
	}
	g.logger(ctx).InfoContext(ctx, "manifest deleted", "reference", rt.Reference())
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
	return nil
}
