package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"syscall"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// Error codes of the OCI distribution spec (plus TAG_INVALID from the Docker
// registry API). Every error response under /v2/ carries one of them.
const (
	codeBlobUnknown         = "BLOB_UNKNOWN"
	codeBlobUploadInvalid   = "BLOB_UPLOAD_INVALID"
	codeBlobUploadUnknown   = "BLOB_UPLOAD_UNKNOWN"
	codeDigestInvalid       = "DIGEST_INVALID"
	codeManifestBlobUnknown = "MANIFEST_BLOB_UNKNOWN"
	codeManifestInvalid     = "MANIFEST_INVALID"
	codeManifestUnknown     = "MANIFEST_UNKNOWN"
	codeNameInvalid         = "NAME_INVALID"
	codeNameUnknown         = "NAME_UNKNOWN"
	codeSizeInvalid         = "SIZE_INVALID"
	codeTagInvalid          = "TAG_INVALID"
	codeUnauthorized        = "UNAUTHORIZED"
	codeDenied              = "DENIED"
	codeUnsupported         = "UNSUPPORTED"
	codeTooManyRequests     = "TOOMANYREQUESTS"
	codeUnknown             = "UNKNOWN" // 500: internal failures, details only in the log
)

// apiError is an error with its place in the OCI error envelope. Handlers return
// it (or a store/access sentinel that [toError] maps) and [writeError] renders
// it, so the status code and JSON body are decided in one place.
type apiError struct {
	Status  int    // HTTP status code
	Code    string // OCI error code
	Message string // human-readable, safe to show the client
	Detail  any    // optional structured detail (JSON)
	// Header holds extra response headers (Range on 416, WWW-Authenticate
	// on 401, Allow on 405).
	Header http.Header
	err    error // cause, for logs only
}

func (e *apiError) Error() string {
	if e.err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.err)
	}
	return e.Code + ": " + e.Message
}

func (e *apiError) Unwrap() error { return e.err }

// newError builds an Error; cause may be nil.
func newError(status int, code, msg string, cause error) *apiError {
	return &apiError{Status: status, Code: code, Message: msg, err: cause}
}

func (e *apiError) withDetail(d any) *apiError { e.Detail = d; return e }

func (e *apiError) withHeader(k, v string) *apiError {
	if e.Header == nil {
		e.Header = http.Header{}
	}
	e.Header.Set(k, v)
	return e
}

// Common errors.
func errNameInvalid(name string, cause error) *apiError {
	return newError(http.StatusBadRequest, codeNameInvalid, "invalid repository name", cause).
		withDetail(map[string]string{"name": name})
}

func errNameUnknown(name string, cause error) *apiError {
	return newError(http.StatusNotFound, codeNameUnknown, "repository name not known to registry", cause).
		withDetail(map[string]string{"name": name})
}

func errDigestInvalid(msg string, cause error) *apiError {
	return newError(http.StatusBadRequest, codeDigestInvalid, msg, cause)
}

func errBlobUnknown(d oci.Digest) *apiError {
	return newError(http.StatusNotFound, codeBlobUnknown, "blob unknown to registry", nil).
		withDetail(map[string]string{"digest": d.String()})
}

func errUploadUnknown(id string) *apiError {
	return newError(http.StatusNotFound, codeBlobUploadUnknown, "blob upload unknown to registry", nil).
		withDetail(map[string]string{"upload": id})
}

func errManifestUnknown(ref string) *apiError {
	return newError(http.StatusNotFound, codeManifestUnknown, "manifest unknown", nil).
		withDetail(map[string]string{"reference": ref})
}

func errUnsupported(status int, msg string) *apiError {
	return newError(status, codeUnsupported, msg, nil)
}

// toError maps any error a handler returns to an *apiError.
func toError(err error) *apiError {
	var e *apiError
	if errors.As(err, &e) {
		return e
	}
	var missing *store.MissingReferenceError
	switch {
	case errors.As(err, &missing):
		if missing.Manifest {
			return newError(http.StatusBadRequest, codeManifestUnknown, "manifest references a manifest the repository does not hold", err).
				withDetail(map[string]string{"digest": missing.Digest.String()})
		}
		return newError(http.StatusBadRequest, codeManifestBlobUnknown, "manifest references a blob the repository does not hold", err).
			withDetail(map[string]string{"digest": missing.Digest.String()})
	case errors.Is(err, access.ErrUnauthenticated):
		return newError(http.StatusUnauthorized, codeUnauthorized, "authentication required", err)
	case errors.Is(err, access.ErrDenied):
		return newError(http.StatusForbidden, codeDenied, "requested access to the resource is denied", err)
	case errors.Is(err, access.ErrTooManyRequests):
		return newError(http.StatusTooManyRequests, codeTooManyRequests, "too many requests", err)
	case errors.Is(err, store.ErrRepositoryUnknown), errors.Is(err, store.ErrRegistryUnknown):
		return newError(http.StatusNotFound, codeNameUnknown, "repository name not known to registry", err)
	case errors.Is(err, store.ErrBlobUnknown):
		return newError(http.StatusNotFound, codeBlobUnknown, "blob unknown to registry", err)
	case errors.Is(err, store.ErrManifestUnknown), errors.Is(err, store.ErrTagUnknown):
		return newError(http.StatusNotFound, codeManifestUnknown, "manifest unknown", err)
	case errors.Is(err, store.ErrUploadUnknown):
		return newError(http.StatusNotFound, codeBlobUploadUnknown, "blob upload unknown to registry", err)
	case errors.Is(err, store.ErrDigestMismatch):
		return newError(http.StatusBadRequest, codeDigestInvalid, "provided digest did not match uploaded content", err)
	case errors.Is(err, oci.ErrInvalidManifest):
		return newError(http.StatusBadRequest, codeManifestInvalid, "manifest invalid", err).
			withDetail(map[string]string{"reason": err.Error()})
	case errors.Is(err, oci.ErrInvalidName):
		return newError(http.StatusBadRequest, codeNameInvalid, "invalid repository name", err)
	case errors.Is(err, oci.ErrInvalidTag):
		return newError(http.StatusBadRequest, codeTagInvalid, "invalid tag", err)
	case errors.Is(err, oci.ErrInvalidDigest), errors.Is(err, oci.ErrUnsupportedAlgo):
		return newError(http.StatusBadRequest, codeDigestInvalid, "invalid digest", err).
			withDetail(map[string]string{"reason": err.Error()})
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		// RFC 4918's 507: the server cannot store what the request needs,
		// for now. The spec has no code for it; UNKNOWN is its catch-all.
		return newError(http.StatusInsufficientStorage, codeUnknown, "insufficient storage: the registry cannot store this upload now; retry later", err)
	}
	return newError(http.StatusInternalServerError, codeUnknown, "internal error", err)
}

type envelopeEntry struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail,omitempty"`
}

type envelope struct {
	Errors []envelopeEntry `json:"errors"`
}

// writeError renders err as the OCI error envelope, unless the response has
// already started (then it can only be logged). It logs server-side
// failures at error level and client errors at debug level.
func writeError(w *responseWriter, r *http.Request, rl *requestLogger, err error) {
	e := toError(err)
	ctx := r.Context()
	switch {
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		if rl.base.Enabled(ctx, slog.LevelDebug) {
			rl.get().DebugContext(ctx, "client went away", "err", err)
		}
		if !w.wroteHeader {
			w.WriteHeader(499) // nginx's "client closed request", for logs and metrics only
		}
		return
	case e.Status >= 500:
		rl.get().ErrorContext(ctx, "request failed", "status", e.Status, "err", err)
	default:
		if rl.base.Enabled(ctx, slog.LevelDebug) {
			rl.get().DebugContext(ctx, "request refused", "status", e.Status, "code", e.Code, "err", err)
		}
	}
	if w.wroteHeader {
		return
	}
	h := w.Header()
	for k, v := range e.Header {
		h[k] = v
	}
	body, merr := json.Marshal(envelope{Errors: []envelopeEntry{{Code: e.Code, Message: e.Message, Detail: e.Detail}}})
	if merr != nil { // Detail is always our own plain data; this cannot happen.
		body = []byte(`{"errors":[{"code":"UNKNOWN","message":"internal error"}]}`)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	h.Del("Docker-Content-Digest")
	h.Del("ETag")
	w.WriteHeader(e.Status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(append(body, '\n'))
	}
}
