// Package dpkg extracts the packages installed by dpkg (Debian, Ubuntu and
// their derivatives) from var/lib/dpkg/status, and from the one-file-per-
// package var/lib/dpkg/status.d/ of distroless images.
//
// Format: deb-status(5), RFC 822-style stanzas of "Field: value" lines with
// continuation lines starting with a space. The extractor reads Package,
// Status, Version, Architecture and Source ("name" or "name (version)").
//
// Which packages count: those whose Status state has their files unpacked
// (installed, unpacked, half-configured, triggers-awaiting,
// triggers-pending); not-installed, config-files and half-installed entries
// are skipped. status.d stanzas have no Status field (they are control
// files) and are all installed.
package dpkg
