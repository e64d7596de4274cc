// Package auth authenticates and authorizes every HTTP interface of
// drydock with the identities of internal/identity.
//
// [Gate] is the single implementation:
//
//   - the registry's access.Authorizer and access.Challenger. /v2/ speaks
//     the Docker registry token flow: a request without credentials gets
//     401 with `WWW-Authenticate: Bearer realm="<scheme>://<host>/auth/token",
//     service="drydock",scope="repository:<name>:pull,push"`; the client
//     fetches a token from [Gate.TokenHandler] and retries with it. Basic
//     credentials (password or API token) and API tokens as bearer tokens
//     are accepted directly too. A signed token whose access claims do not
//     cover a request is answered 401 with the scope it needs (clients then
//     fetch a wider token); an authenticated caller without the right is
//     answered 403.
//   - the token endpoint (GET with Basic or anonymous; POST with
//     grant_type=password or refresh_token for OAuth2 clients). Access
//     tokens are JWTs signed with Ed25519 (EdDSA), valid TokenTTL (5
//     minutes), carrying the Docker `access` claim
//     [{"type":"repository","name":"team/app","actions":["pull"]}], the
//     account (uid) and the API token they were issued through (tid).
//     Refresh tokens are JWTs with their own audience ("drydock:refresh").
//     Every signed token is re-checked against the account on use: a
//     disabled account, a password change, or a revoked or expired API
//     token ends it at once (within identity's cache TTL across processes).
//     The signing key is generated once under the data directory (mode
//     0600; see [LoadOrCreateKey]).
//   - [Gate.Middleware] for every other interface (REST and provider APIs,
//     query, events, console, metrics): the same credentials, problem JSON
//     errors, a body size limit, the caller's access.Identity in the
//     context, and [PrincipalFromContext]/[Allowed] for finer decisions.
//   - [Gate.RegistryGuard] around /v2/: throttled clients are refused with
//     429 TOOMANYREQUESTS and Retry-After before the registry works, and
//     deletes are audited.
//
// # Throttling
//
// Failed authentications are counted per client address and per user name
// ([Throttle]); MaxFailures within FailureWindow block the address (or the
// name) for Lockout, everywhere: 429 with Retry-After. A blocked name can
// be abused to lock a user out for Lockout at a time; that is the price of
// slowing password guessing from many addresses. Successful Basic sign-ins
// are not audited one by one (clients send them on every request); token
// endpoint sign-ins and every failure are.
//
// # Tenancy
//
// A repository's subscription is its registry's. Grants are evaluated
// against it before the registry runs; a registry that does not exist yet
// is judged by the subscription a push would create it in. Listings are
// filtered by the access.Identity the Gate derives (see
// identity.Grants.Identity).
package auth
