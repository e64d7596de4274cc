// Package ingest reads feed files into a database build: it walks the paths
// given to `drydock db import` (files, directories, zip archives, gzip
// files and database bundles), recognises each file's feed from its content
// with the explicit parser list in [Parsers], enforces the size limits that
// keep archive bombs out, and reports malformed records with file and
// reason.
//
// # Usage
//
//	inputs, err := ingest.Prepare(paths, limits)   // stat, walk, open bundles
//	b, err := store.Begin(ctx)
//	b.Keep(current, func(src string) bool { return !replaced[src] })
//	rep, err := ingest.Import(ctx, b, inputs, opts) // parse in parallel
//	res, err := b.Commit(ctx)                       // or b.Abort()
package ingest
