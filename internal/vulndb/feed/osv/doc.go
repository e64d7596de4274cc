// Package osv imports OSV records: one record per JSON or YAML file. The
// ingest package walks directories and the per-ecosystem all.zip archives
// the OSV project publishes and hands each file to this parser.
package osv
