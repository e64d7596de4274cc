package registry

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// PullPolicy decides whether a stored manifest may be served. The registry
// asks it on every manifest GET and HEAD, after the manifest was found and
// before anything is written, so it must be cheap (see internal/policy,
// the implementation drydock serve wires in). The registry knows nothing
// of scans or findings: the policy does.
type PullPolicy interface {
	// Check returns nil to serve the manifest, an error wrapping a
	// *PullDeniedError to refuse it (403 DENIED with its message and
	// detail), or another error (500).
	Check(ctx context.Context, req PullRequest) error
}

// PullRequest is a manifest about to be served.
type PullRequest struct {
	Repository store.Repository
	Digest     oci.Digest
	MediaType  string
	// Method is http.MethodGet or http.MethodHead.
	Method string
	// Remote is the client address without port (for audit records).
	Remote string
}

// PullDeniedError refuses a pull. The registry answers it as 403 with the
// OCI error code DENIED, Message as the message and Detail as the detail.
type PullDeniedError struct {
	Message string
	Detail  map[string]any
}

func (e *PullDeniedError) Error() string { return "pull denied: " + e.Message }

// Unwrap makes errors.Is(err, access.ErrDenied) hold.
func (e *PullDeniedError) Unwrap() error { return access.ErrDenied }

// checkPull asks the pull policy, if any, about rec and turns a refusal into
// the OCI error the client sees.
func (g *Registry) checkPull(r *http.Request, repo store.Repository, rec store.ManifestRecord) error {
	if g.policy == nil {
		return nil
	}
	err := g.policy.Check(r.Context(), PullRequest{Repository: repo, Digest: rec.Digest, MediaType: rec.MediaType,
		Method: r.Method, Remote: remoteHost(r)})
	if err == nil {
		return nil
	}
	var denied *PullDeniedError
	if errors.As(err, &denied) {
		e := newError(http.StatusForbidden, codeDenied, denied.Message, err)
		if denied.Detail != nil {
			e = e.withDetail(denied.Detail)
		}
		return e
	}
	return err
}

// remoteHost is the client address of r without its port.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
