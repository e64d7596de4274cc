// Package access is the single place where authentication and authorization
// plug into drydock's HTTP interfaces.
//
// A handler describes what a request wants as a list of [Request]s (a
// repository and the [Action]s on it) and asks an [Authorizer] once, before it
// does any work. The Authorizer either returns the request with the caller's
// [Identity] in its context, or an error:
//
//   - [ErrUnauthenticated]: the caller must sign in (HTTP 401). An Authorizer
//     that also implements [Challenger] supplies the WWW-Authenticate
//     challenge that tells the client how.
//   - [ErrDenied]: the caller is known but may not do this (HTTP 403).
//   - [ErrTooManyRequests]: the caller is over a rate limit (HTTP 429).
//
// Later code filters listings (catalog, automatic blob mounts) with the
// [Identity] found by [FromContext].
//
// # Usage
//
// Until identities exist the server runs with [Open], which allows everything
// and gives every request an identity that can see every subscription.
//
// This package is a leaf: it imports nothing of drydock's.
package access
