package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/drydock/drydock/internal/access"
)

// cloudError is an error answered in the provider's error shape
// ({"error": {"code", "message"}}) with an HTTP status.
type cloudError struct {
	status  int
	code    string
	message string
}

func (e *cloudError) Error() string { return e.code + ": " + e.message }

func errorf(status int, code, format string, args ...any) *cloudError {
	return &cloudError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// errorBody is the provider's CloudError.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError answers err in the provider's error shape.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var ce *cloudError
	switch {
	case errors.As(err, &ce):
	case errors.Is(err, access.ErrUnauthenticated):
		ce = errorf(http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed: sign in with a password, an API token or a bearer token.")
	case errors.Is(err, access.ErrDenied):
		ce = errorf(http.StatusForbidden, "AuthorizationFailed", "The client does not have authorization to perform this action.")
	case errors.Is(err, access.ErrTooManyRequests):
		ce = errorf(http.StatusTooManyRequests, "TooManyRequests", "Too many requests; retry later.")
	default:
		h.log.ErrorContext(r.Context(), "provider request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		ce = errorf(http.StatusInternalServerError, "InternalServerError", "The server encountered an internal error; retry the request.")
	}
	var body errorBody
	body.Error.Code, body.Error.Message = ce.code, ce.message
	writeJSON(w, ce.status, body)
}

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"InternalServerError","message":"The response could not be encoded."}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
