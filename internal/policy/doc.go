// Package policy enforces pull policies: a registry may refuse to serve a
// manifest whose scan found vulnerabilities at or above a chosen severity,
// or (optionally) one that has no verdict yet, unless a time-limited,
// audited break-glass override is in force.
//
// # Model
//
// A policy belongs to one registry (store.PullPolicy): off (no row), block
// severity >= X (active findings only: exempted findings do not count), and
// optionally block unscanned too. "Unscanned" is an image without a
// verdict: no scan result yet (queued or scanning for the first time), no
// advisory database yet (pending), or a failed scan. Images that cannot
// have findings (notApplicable: artifacts, Windows) are served. Images of a
// registry whose scanning plan is off are never scanned, so a policy that
// blocks unscanned images refuses all of them: switch the plan on first.
//
// Only image manifests are judged. An index (or Docker manifest list) is
// served: a client that resolves it pulls each platform's manifest by
// digest next, and that pull is judged by the platform's own verdict, so a
// blocked platform fails the pull while a clean one of the same index
// succeeds. Blobs are never judged (a layer is shared by images of every
// verdict; without its manifest it is not an image).
//
// A break-glass override (store.BreakGlass) lifts a registry's policy until
// it expires (at most Config.MaxBreakGlass after it started) or is ended.
// Every manifest GET served under it that the policy would have refused is
// recorded in the audit log (action breakglass.pull: who, what, when, from
// where); starting and ending overrides are recorded by the REST API.
//
// # Cost per pull
//
// [Policies.Check] runs on every manifest GET and HEAD. It reads a snapshot
// of every policy and every override in force, loaded whole from the store
// (a small table: only registries with a policy) and trusted for
// Config.CacheTTL; changes made through this process are seen at once,
// other processes' within the TTL. A registry without a policy costs a map
// lookup; one with a policy adds one probe of the images table's unique
// (repository, digest) index. Override expiry is checked against the clock
// on every pull, so an override ends on time whatever the cache.
//
// # Refusals
//
// A refusal is a *registry.PullDeniedError: 403 with OCI error code DENIED,
// a message naming the findings (count and severities) or "not yet
// scanned", and the break-glass route to call; its detail holds the same
// as data.
package policy
