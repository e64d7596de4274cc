package access

import "net/http"

// Open returns an Authorizer that allows every request and gives it an
// anonymous Identity that sees every subscription. It is what the server
// runs with until identities exist.
func Open() Authorizer { return openAuthorizer{} }

type openAuthorizer struct{}

// Authorize implements [Authorizer].
func (openAuthorizer) Authorize(r *http.Request, _ []Request) (*http.Request, error) {
	return r.WithContext(WithIdentity(r.Context(), &Identity{})), nil
}
