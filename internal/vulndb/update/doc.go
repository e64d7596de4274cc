// Package update implements `drydock db update`: it asks each configured
// source for changes with a conditional HTTP request (If-None-Match with the
// last ETag, If-Modified-Since with the last Last-Modified), downloads the
// ones that changed, and builds a new database version from them plus the
// unchanged sources' records carried over from the current version.
//
// When no source can be reached (offline), or any source fails and partial
// updates are not allowed, the current version is left untouched and the
// error says so. When every source answers "not modified" no new version is
// built.
package update
