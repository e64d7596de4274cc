// Package live keeps a running server's advisory database current: it
// serves the store's current version, switches to a new one as soon as an
// import or update installs it (in this process or another, through
// [vulndb.Watcher]), and, when automatic updates are on, updates the
// database from its sources in the background.
//
// # Usage
//
//	m, _ := live.New(live.Config{Dir: vulndb.Dir(data), AutoUpdate: true}, log)
//	m.OnChange(func(db *vulndb.DB) { rematch(db) }) // before Run
//	go m.Run(ctx)                                   // returns when ctx ends
//	db := m.DB()                                    // nil until a version is loaded
//	st := m.Status()                                // for /api/v1/db/status
//
// # Schedule
//
// Run never blocks the server's start: it loads the current version (if
// any) and then, with AutoUpdate:
//
//   - with no database, it updates at once from the configured sources
//     (the public feeds by default);
//   - with one, it updates when UpdateInterval has passed since any of its
//     sources was last fetched (so a restart does not refetch everything);
//   - after a success it waits UpdateInterval; after a failure (offline,
//     a feed down) RetryInterval.
//
// Updates keep what a failing source had (partial updates): one feed down
// does not hold back the others. Each attempt ends with one log line: INFO
// when the database was updated or is up to date, one WARN otherwise,
// saying whether the server has a database at all and when it retries;
// the per-source details of the update are logged at DEBUG. [Status] says
// the same for the API and the console.
package live
