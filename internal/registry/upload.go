package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// startUpload answers POST /v2/<name>/blobs/uploads/:
//
//   - ?mount=<digest>[&from=<repo>]: cross-repository mount (201), falling
//     back to a new session (202) when the blob cannot be linked;
//   - ?digest=<digest> with the blob as body: monolithic upload (201);
//   - otherwise: a new upload session (202 with its Location).
func (g *Registry) startUpload(w *responseWriter, r *http.Request, rt route) error {
	ctx := r.Context()
	q := r.URL.Query()
	repo, err := g.repoForPush(ctx, rt.Name)
	if err != nil {
		return err
	}
	if q.Has("mount") {
		d, err := oci.ParseDigest(q.Get("mount"))
		if err != nil {
			return errDigestInvalid("invalid mount digest", err)
		}
		info, ok, err := g.mount(r, repo, d, q.Get("from"))
		if err != nil {
			return err
		}
		if ok {
			return blobCreated(w, rt.Name, info.Digest)
		}
		return g.newSession(w, r, rt, repo)
	}
	if q.Has("digest") {
		d, err := oci.ParseDigest(q.Get("digest"))
		if err != nil {
			return errDigestInvalid("invalid digest parameter", err)
		}
		return g.monolithic(w, r, rt, repo, d)
	}
	return g.newSession(w, r, rt, repo)
}

// mount links d into repo without an upload: from the named repository when
// the caller may pull from it and it holds d, else (with AutoMount) from any
// readable repository of the subscription. ok is false when nothing could be
// linked; the client then uploads, and learns nothing about other
// repositories.
func (g *Registry) mount(r *http.Request, repo store.Repository, d oci.Digest, from string) (store.BlobInfo, bool, error) {
	ctx := r.Context()
	if info, err := g.meta.StatBlob(ctx, repo.ID, d); err == nil {
		return info, true, nil
	} else if !errors.Is(err, store.ErrBlobUnknown) {
		return store.BlobInfo{}, false, fmt.Errorf("stat blob: %w", err)
	}
	if from != "" && from != repo.Name && oci.ValidateName(from) == nil && g.may(r, from, access.ActionPull) {
		info, err := g.meta.MountBlob(ctx, repo, d, from)
		switch {
		case err == nil:
			g.metrics.mounts.WithLabelValues("explicit").Inc()
			g.deleted.forget(repo.Name, d)
			g.logger(ctx).InfoContext(ctx, "blob mounted", "from", from, "blob", d.String())
			return info, true, nil
		case errors.Is(err, store.ErrNotFound):
			// not visible there: fall through
		default:
			return store.BlobInfo{}, false, fmt.Errorf("mount blob from %s: %w", from, err)
		}
	}
	if !g.cfg.AutoMount {
		return store.BlobInfo{}, false, nil
	}
	info, ok, err := g.autoMount(ctx, repo.Name, &repo, d)
	if ok {
		g.deleted.forget(repo.Name, d)
	}
	return info, ok, err
}

// newSession starts a resumable upload session (202).
func (g *Registry) newSession(w *responseWriter, r *http.Request, rt route, repo store.Repository) error {
	ctx := r.Context()
	up, err := g.blobs.NewUpload(ctx)
	if err != nil {
		return fmt.Errorf("new upload: %w", err)
	}
	id := up.ID()
	if err := g.meta.CreateUpload(ctx, repo.ID, id, g.now()); err != nil {
		_ = up.Cancel(context.WithoutCancel(ctx))
		return fmt.Errorf("record upload: %w", err)
	}
	if err := up.Close(); err != nil {
		return fmt.Errorf("close upload: %w", err)
	}
	g.logger(ctx).DebugContext(ctx, "upload started", "upload", id)
	return uploadAccepted(w, http.StatusAccepted, rt.Name, id, 0)
}

// monolithic stores the request body as blob d in one request (201).
func (g *Registry) monolithic(w *responseWriter, r *http.Request, rt route, repo store.Repository, d oci.Digest) error {
	ctx := r.Context()
	up, err := g.blobs.NewUpload(ctx)
	if err != nil {
		return fmt.Errorf("new upload: %w", err)
	}
	s := &session{up: up}
	defer s.release(ctx)
	if err := g.receive(r, s, nil); err != nil {
		s.cancel(ctx)
		return err
	}
	info, err := g.commit(ctx, repo, s, d)
	if err != nil {
		return err
	}
	return blobCreated(w, rt.Name, info.Digest)
}

// session is an open store.Upload and whether it is still ours to close.
type session struct {
	up   store.Upload
	done bool // committed or cancelled: nothing left to close
}

// release closes the upload, keeping it for a later resume.
func (s *session) release(ctx context.Context) {
	if !s.done {
		s.done = true
		_ = s.up.Close()
	}
}

func (s *session) cancel(ctx context.Context) {
	if !s.done {
		s.done = true
		_ = s.up.Cancel(context.WithoutCancel(ctx))
	}
}

// contentRange is a parsed Content-Range header of a chunk.
type contentRange struct{ start, end int64 } // inclusive

// parseContentRange accepts "start-end", "bytes start-end" and
// "bytes=start-end", each optionally followed by "/total" or "/*".
func parseContentRange(s string) (contentRange, error) {
	v := strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(v, "bytes"); ok {
		v = strings.TrimLeft(rest, " =")
	}
	if i := strings.IndexByte(v, '/'); i >= 0 {
		v = v[:i]
	}
	a, b, ok := strings.Cut(v, "-")
	if !ok {
		return contentRange{}, fmt.Errorf("Content-Range %q is not start-end", s)
	}
	start, err1 := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
	end, err2 := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start {
		return contentRange{}, fmt.Errorf("Content-Range %q is not a valid byte range", s)
	}
	return contentRange{start, end}, nil
}

// bodyReader remembers the error of reading the request body, to tell a
// client's broken upload (400) from a storage failure (500).
type bodyReader struct {
	r   io.Reader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// receive appends the request body to the session, enforcing MaxBlobSize and,
// when cr is set, that the body is exactly the announced range.
func (g *Registry) receive(r *http.Request, s *session, cr *contentRange) error {
	before := s.up.Size()
	if cr != nil && r.ContentLength >= 0 && r.ContentLength != cr.end-cr.start+1 {
		return newError(http.StatusBadRequest, codeSizeInvalid, "Content-Length does not match Content-Range", nil)
	}
	max := g.cfg.MaxBlobSize
	if max > 0 && r.ContentLength > 0 && before+r.ContentLength > max {
		s.cancel(r.Context())
		return errTooLarge(max)
	}
	src := io.Reader(r.Body)
	if max > 0 {
		src = io.LimitReader(src, max-before+1)
	}
	br := &bodyReader{r: src}
	_, err := io.Copy(s.up, br)
	got := s.up.Size() - before
	g.metrics.bytesIn.Add(float64(got))
	if err != nil {
		if br.err != nil {
			if errors.Is(r.Context().Err(), context.Canceled) {
				return fmt.Errorf("read upload body: %w", context.Canceled)
			}
			return newError(http.StatusBadRequest, codeBlobUploadInvalid, "reading the request body failed", br.err)
		}
		// Storage refused the bytes (a full disk, say): the session's tail
		// is in doubt and its bytes hold space, so it is discarded; the
		// client starts the upload again. toError answers 507 for a full disk.
		s.cancel(r.Context())
		return fmt.Errorf("write upload: %w", err)
	}
	if max > 0 && s.up.Size() > max {
		s.cancel(r.Context())
		return errTooLarge(max)
	}
	if cr != nil && got != cr.end-cr.start+1 {
		return newError(http.StatusBadRequest, codeBlobUploadInvalid,
			fmt.Sprintf("received %d bytes for Content-Range %d-%d", got, cr.start, cr.end), nil)
	}
	return nil
}

func errTooLarge(max int64) *apiError {
	return newError(http.StatusRequestEntityTooLarge, codeSizeInvalid,
		fmt.Sprintf("blob exceeds the registry's limit of %d bytes", max), nil).
		withDetail(map[string]int64{"limit": max})
}

// commit verifies and publishes the session as blob d, linked into repo.
func (g *Registry) commit(ctx context.Context, repo store.Repository, s *session, d oci.Digest) (store.BlobInfo, error) {
	if max := g.cfg.MaxBlobSize; max > 0 && s.up.Size() > max {
		s.cancel(ctx)
		return store.BlobInfo{}, errTooLarge(max)
	}
	info, err := g.meta.CommitBlob(ctx, repo, d, func() (store.BlobInfo, error) {
		s.done = true // Commit ends the session whatever its outcome
		return s.up.Commit(ctx, d)
	})
	if err != nil {
		if errors.Is(err, store.ErrDigestMismatch) {
			return store.BlobInfo{}, errDigestInvalid("provided digest did not match uploaded content", err).
				withDetail(map[string]string{"digest": d.String()})
		}
		return store.BlobInfo{}, fmt.Errorf("commit blob: %w", err)
	}
	g.deleted.forget(repo.Name, d)
	g.logger(ctx).InfoContext(ctx, "blob committed", "digest", d.String(), "size", info.Size)
	return info, nil
}

// openSession checks that upload id belongs to the repository and has not
// expired, and reopens it. The caller must hold the session lock.
func (g *Registry) openSession(ctx context.Context, rt route) (store.Repository, *session, error) {
	repo, err := g.repoForRead(ctx, rt.Name)
	if err != nil {
		if isCode(err, codeNameUnknown) {
			return store.Repository{}, nil, errUploadUnknown(rt.Upload)
		}
		return store.Repository{}, nil, err
	}
	sess, err := g.meta.GetUpload(ctx, rt.Upload)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return store.Repository{}, nil, errUploadUnknown(rt.Upload)
		}
		return store.Repository{}, nil, fmt.Errorf("get upload: %w", err)
	}
	if sess.RepositoryID != repo.ID {
		return store.Repository{}, nil, errUploadUnknown(rt.Upload)
	}
	if g.now().Sub(sess.StartedAt) > g.cfg.UploadExpiry {
		g.expireUpload(ctx, rt.Upload)
		return store.Repository{}, nil, errUploadUnknown(rt.Upload)
	}
	up, err := g.blobs.ResumeUpload(ctx, rt.Upload)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			// Metadata without bytes (e.g. lost in a crash): forget it.
			_ = g.meta.DeleteUpload(ctx, rt.Upload)
			return store.Repository{}, nil, errUploadUnknown(rt.Upload)
		}
		return store.Repository{}, nil, fmt.Errorf("resume upload: %w", err)
	}
	return repo, &session{up: up}, nil
}

// uploadStatus answers GET on an upload URL: 204 with the Range received.
func (g *Registry) uploadStatus(w *responseWriter, r *http.Request, rt route) error {
	ctx := r.Context()
	defer g.locks.lock(rt.Upload)()
	_, s, err := g.openSession(ctx, rt)
	if err != nil {
		return err
	}
	defer s.release(ctx)
	return uploadAccepted(w, http.StatusNoContent, rt.Name, rt.Upload, s.up.Size())
}

// patchUpload answers PATCH on an upload URL: a chunk (with Content-Range,
// which must start where the session ends, else 416) or a stream (without).
func (g *Registry) patchUpload(w *responseWriter, r *http.Request, rt route) error {
	ctx := r.Context()
	defer g.locks.lock(rt.Upload)()
	_, s, err := g.openSession(ctx, rt)
	if err != nil {
		return err
	}
	defer s.release(ctx)
	cr, err := chunkRange(r, rt, s)
	if err != nil {
		return err
	}
	if err := g.receive(r, s, cr); err != nil {
		if s.done { // cancelled (size limit): forget the session too
			_ = g.meta.DeleteUpload(context.WithoutCancel(ctx), rt.Upload)
		}
		return err
	}
	return uploadAccepted(w, http.StatusAccepted, rt.Name, rt.Upload, s.up.Size())
}

// chunkRange parses and checks the Content-Range of a chunk, if any.
func chunkRange(r *http.Request, rt route, s *session) (*contentRange, error) {
	h := r.Header.Get("Content-Range")
	if h == "" {
		return nil, nil
	}
	cr, err := parseContentRange(h)
	if err != nil {
		return nil, rangeNotSatisfiable(rt, s.up.Size(), err.Error())
	}
	if cr.start != s.up.Size() {
		return nil, rangeNotSatisfiable(rt, s.up.Size(),
			fmt.Sprintf("chunk starts at %d but the upload has %d bytes", cr.start, s.up.Size()))
	}
	return &cr, nil
}

// rangeNotSatisfiable is the 416 for an out-of-order chunk; it tells the
// client where the session stands so that it can resume.
func rangeNotSatisfiable(rt route, size int64, msg string) *apiError {
	return newError(http.StatusRequestedRangeNotSatisfiable, codeBlobUploadInvalid, msg, nil).
		withHeader("Location", uploadLocation(rt.Name, rt.Upload)).
		withHeader("Range", rangeHeader(size)).
		withHeader("Docker-Upload-UUID", rt.Upload)
}

// finishUpload answers PUT on an upload URL: an optional last chunk, then
// the commit under ?digest= (201).
func (g *Registry) finishUpload(w *responseWriter, r *http.Request, rt route) error {
	ctx := r.Context()
	q := r.URL.Query()
	if !q.Has("digest") {
		return errDigestInvalid("the digest parameter is required to complete an upload", nil)
	}
	d, err := oci.ParseDigest(q.Get("digest"))
	if err != nil {
		return errDigestInvalid("invalid digest parameter", err)
	}
	defer g.locks.lock(rt.Upload)()
	repo, s, err := g.openSession(ctx, rt)
	if err != nil {
		return err
	}
	defer s.release(ctx)
	if r.ContentLength != 0 {
		cr, err := chunkRange(r, rt, s)
		if err != nil {
			return err
		}
		if err := g.receive(r, s, cr); err != nil {
			if s.done {
				_ = g.meta.DeleteUpload(context.WithoutCancel(ctx), rt.Upload)
			}
			return err
		}
	}
	info, err := g.commit(ctx, repo, s, d)
	if s.done {
		if derr := g.meta.DeleteUpload(context.WithoutCancel(ctx), rt.Upload); derr != nil && !errors.Is(derr, store.ErrNotFound) {
			g.logger(ctx).WarnContext(ctx, "forget finished upload", "upload", rt.Upload, "err", derr)
		}
	}
	if err != nil {
		return err
	}
	return blobCreated(w, rt.Name, info.Digest)
}

// cancelUpload answers DELETE on an upload URL (204).
func (g *Registry) cancelUpload(w *responseWriter, r *http.Request, rt route) error {
	ctx := r.Context()
	defer g.locks.lock(rt.Upload)()
	_, s, err := g.openSession(ctx, rt)
	if err != nil {
		return err
	}
	s.cancel(ctx)
	if err := g.meta.DeleteUpload(ctx, rt.Upload); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("forget upload: %w", err)
	}
	g.logger(ctx).DebugContext(ctx, "upload cancelled", "upload", rt.Upload)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// expireUpload discards an expired session, bytes and metadata.
func (g *Registry) expireUpload(ctx context.Context, id string) {
	ctx = context.WithoutCancel(ctx)
	if up, err := g.blobs.ResumeUpload(ctx, id); err == nil {
		_ = up.Cancel(ctx)
	}
	_ = g.meta.DeleteUpload(ctx, id)
	g.metrics.swept.Inc()
}

func uploadLocation(name, id string) string { return "/v2/" + name + "/blobs/uploads/" + id }

// rangeHeader is the Range of an upload of size bytes: "0-<last byte>", and
// "0-0" for an empty session as every registry answers.
func rangeHeader(size int64) string {
	if size <= 0 {
		return "0-0"
	}
	return "0-" + strconv.FormatInt(size-1, 10)
}

// uploadAccepted writes the response of a session request that leaves it open.
func uploadAccepted(w *responseWriter, status int, name, id string, size int64) error {
	h := w.Header()
	h.Set("Location", uploadLocation(name, id))
	h.Set("Range", rangeHeader(size))
	h.Set("Docker-Upload-UUID", id)
	h.Set("Content-Length", "0")
	w.WriteHeader(status)
	return nil
}

// blobCreated writes the 201 of a committed or mounted blob.
func blobCreated(w *responseWriter, name string, d oci.Digest) error {
	h := w.Header()
	h.Set("Location", "/v2/"+name+"/blobs/"+d.String())
	h.Set("Docker-Content-Digest", d.String())
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
	return nil
}
