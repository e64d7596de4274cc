package kql

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
)

// maxRequestBytes bounds the body of a query request.
const maxRequestBytes = 1 << 20

// HandlerOption configures [Handler].
type HandlerOption func(*handler)

// WithLogger makes the handler log failures that are not the caller's
// fault (internal errors, catalog failures).
func WithLogger(l *slog.Logger) HandlerOption { return func(h *handler) { h.log = l } }

type handler struct {
	catalogFor func(*http.Request) (Catalog, error)
	limits     Limits
	log        *slog.Logger
}

// StatusCoder is implemented by errors from catalogFor that choose the HTTP
// status (e.g. 401 or 403 from the caller's authorization).
type StatusCoder interface{ StatusCode() int }

// Handler serves the query API: POST {"query": "..."} returns
// {"columns": [...], "rows": [...]} (see [WriteJSON]). catalogFor returns
// the tables the request's caller may see; it runs for every request, so
// that each query sees only its caller's rows.
//
// Errors are problem JSON (RFC 9457, application/problem+json). Mistakes in
// the query are 400 with "line" and "column" members; queries that pass
// their time, row or memory limit are 400 too (the query has to change);
// a request body over 1 MiB is 413.
func Handler(catalogFor func(*http.Request) (Catalog, error), limits Limits, opts ...HandlerOption) http.Handler {
	h := &handler{catalogFor: catalogFor, limits: limits, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(h)
	}
	return h
}

// problem is an RFC 9457 problem document.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

func writeProblem(w http.ResponseWriter, p problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

type queryRequest struct {
	Query string `json:"query"`
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeProblem(w, problem{Title: "Method not allowed", Status: http.StatusMethodNotAllowed, Detail: "send the query with POST"})
		return
	}
	var req queryRequest
	body := http.MaxBytesReader(w, r.Body, maxRequestBytes)
	if err := json.NewDecoder(body).Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeProblem(w, problem{Title: "Request too large", Status: http.StatusRequestEntityTooLarge, Detail: "the request body is over 1 MiB"})
			return
		}
		writeProblem(w, problem{Title: "Bad request", Status: http.StatusBadRequest, Detail: `the body must be JSON: {"query": "..."}`})
		return
	}
	if strings.TrimSpace(req.Query) == "" {
		writeProblem(w, problem{Title: "Bad request", Status: http.StatusBadRequest, Detail: `the "query" member is missing or empty`})
		return
	}
	cat, err := h.catalogFor(r)
	if err != nil {
		var sc StatusCoder
		if errors.As(err, &sc) && sc.StatusCode() >= 400 && sc.StatusCode() < 500 {
			writeProblem(w, problem{Title: http.StatusText(sc.StatusCode()), Status: sc.StatusCode(), Detail: err.Error()})
			return
		}
		h.log.ErrorContext(r.Context(), "query catalog", "err", err)
		writeProblem(w, problem{Title: "Internal server error", Status: http.StatusInternalServerError, Detail: "the query tables are unavailable"})
		return
	}
	res, err := Run(r.Context(), req.Query, cat, h.limits)
	if err != nil {
		h.queryError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if err := WriteJSON(w, res); err != nil {
		h.log.DebugContext(r.Context(), "write query result", "err", err)
	}
}

func (h *handler) queryError(w http.ResponseWriter, r *http.Request, err error) {
	var qe *Error
	switch {
	case errors.As(err, &qe):
		title := "Invalid query"
		if errors.Is(err, ErrSyntax) {
			title = "Query syntax error"
		}
		writeProblem(w, problem{Title: title, Status: http.StatusBadRequest, Detail: qe.Error(), Line: qe.Pos.Line, Column: qe.Pos.Col})
	case errors.Is(err, ErrTimeout):
		writeProblem(w, problem{Title: "Query time limit exceeded", Status: http.StatusBadRequest, Detail: err.Error()})
	case errors.Is(err, ErrRowLimit):
		writeProblem(w, problem{Title: "Query result too large", Status: http.StatusBadRequest, Detail: err.Error()})
	case errors.Is(err, ErrMemoryLimit):
		writeProblem(w, problem{Title: "Query memory limit exceeded", Status: http.StatusBadRequest, Detail: err.Error()})
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// the client went away; nobody reads an answer
	default:
		h.log.ErrorContext(r.Context(), "query failed", "err", err)
		writeProblem(w, problem{Title: "Internal server error", Status: http.StatusInternalServerError, Detail: "the query failed on the server"})
	}
}
