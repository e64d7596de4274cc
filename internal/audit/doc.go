// Package audit records who did what, when and from where: sign-ins
// (successful and failed), API token creation and revocation, user and role
// changes, and deletes. Every event becomes one structured log line
// (message "audit") and one row of the audit log in the metadata store
// (store.AuditLog), so that it can be read back after the logs rotated.
//
// # Usage
//
// Components depend on the one-method [Recorder] interface; [New] returns
// the implementation backed by a store, [Discard] one that records
// nothing (tests, tools).
//
//	rec.Record(ctx, audit.Event{Actor: "alice", Action: audit.TokenCreate,
//		Target: "tok_1a2b3c", Remote: "10.0.0.7", Outcome: audit.OK})
package audit
