// Package identity holds drydock's accounts and what they may do: users
// (people, with argon2id password hashes), robot accounts (API tokens
// only), API tokens (a random secret shown once and stored as a hash,
// scoped to repository patterns and actions, with expiry and revocation),
// and roles (owner, contributor, reader) per subscription or per registry.
//
// # Model
//
//   - A [Role] grants [Actions]: reader pulls; contributor pulls, pushes and
//     deletes; owner also administers (users, tokens, exemptions, plan).
//   - A role is bound to a whole subscription or to one registry of it
//     (store.RoleBinding). Installation administrators (store.User.Admin)
//     may do everything everywhere.
//   - An API token acts for its user, restricted to its [Scope]s
//     (`repository:team/*:pull,push`); no scope means everything the user
//     may do. A token never grants more than its user has.
//   - Anonymous callers may pull the repositories matching the open
//     patterns (configuration plus store.Identities.AnonymousPull) and
//     nothing else.
//
// [Grants] evaluates all of this for one caller without I/O, and turns it
// into the access.Identity that the registry and the APIs filter listings
// with. [Service] is the storage-backed side: creating users and tokens,
// checking passwords and token secrets, loading a caller's grants.
//
// # Password hashes
//
// Passwords are hashed with argon2id (RFC 9106) and stored in the PHC
// string format, parameters included, so that they can be raised later
// without invalidating stored hashes:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt, base64 no padding>$<key, base64 no padding>
//
// The defaults (19 MiB, 2 passes, 1 lane, 16-byte salt, 32-byte key) are
// OWASP's recommended minimum for argon2id. Verification recomputes the key
// with the stored parameters and compares in constant time. At most
// GOMAXPROCS hashes run at once, bounding memory under a flood of sign-ins;
// a short-lived cache of successful verifications (keyed by an HMAC of name
// and password under a per-process key) spares clients that send Basic
// credentials on every request from paying the hash each time.
package identity
