// Package apk extracts the packages installed by apk (Alpine, Wolfi,
// Chainguard) from its database, lib/apk/db/installed.
//
// Format: https://wiki.alpinelinux.org/wiki/Apk_spec#Installed_Database_V2 —
// one stanza per package, separated by blank lines, of "K:value" lines. The
// extractor reads P (name), V (version), A (arch) and o (origin: the source
// package that distro advisories name).
package apk
