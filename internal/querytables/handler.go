package querytables

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/kql"
)

// QueryPattern is the mux pattern of the query API (method-qualified, so
// it wins over the /api/v1/ catch-all).
const QueryPattern = "POST /api/v1/query"

// Handler serves the query API (kql.Handler) over the tables of each
// request's caller: the access.Identity the server's guard put in the
// context, else what auth says (access.Open() when authentication is off).
func (t *Tables) Handler(auth access.Authorizer, limits kql.Limits, log *slog.Logger) http.Handler {
	return kql.Handler(func(r *http.Request) (kql.Catalog, error) {
		id := access.FromContext(r.Context())
		if id == nil {
			r2, err := auth.Authorize(r, nil)
			if err != nil {
				return nil, statusErr(err)
			}
			if id = access.FromContext(r2.Context()); id == nil {
				return nil, statusErr(fmt.Errorf("%w: no identity", access.ErrUnauthenticated))
			}
		}
		return t.Catalog(id, r.Host), nil
	}, limits, kql.WithLogger(log))
}

// authError gives an authorization failure its HTTP status.
type authError struct {
	err  error
	code int
}

func (e *authError) Error() string   { return e.err.Error() }
func (e *authError) Unwrap() error   { return e.err }
func (e *authError) StatusCode() int { return e.code }

func statusErr(err error) error {
	switch {
	case errors.Is(err, access.ErrUnauthenticated):
		return &authError{err, http.StatusUnauthorized}
	case errors.Is(err, access.ErrDenied):
		return &authError{err, http.StatusForbidden}
	case errors.Is(err, access.ErrTooManyRequests):
		return &authError{err, http.StatusTooManyRequests}
	}
	return err
}
