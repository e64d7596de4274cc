// Package rpm extracts the packages installed by rpm (RHEL and its
// rebuilds, CentOS, Fedora, Amazon Linux, SUSE and openSUSE, Oracle
// Linux, ...) from rpm's package database. It is pure Go: no cgo, no rpm
// binary, and nothing is written to disk.
//
// # Databases
//
// rpm has kept its database in three formats; [Parse] reads all of them
// from memory, whichever the file holds ([rpmdb.Detect]):
//
//   - SQLite, rpmdb.sqlite (rpm 4.16+: Fedora 33+, RHEL 9 and its
//     rebuilds, Amazon Linux 2023): the blob column of the Packages
//     table, read with modernc.org/sqlite (the driver drydock already
//     uses) through a read-only VFS over the bytes, opened immutable;
//     the file's schema decides what SQLite runs, so Packages must be a
//     plain table and the rows read may not hold more than the file.
//   - Berkeley DB hash, Packages (RHEL/CentOS 5-8, Amazon Linux 2): read
//     by drydock's own page reader, [rpmdb.ReadBDB], both byte orders,
//     hash versions 8 to 10; encrypted or checksummed files and btrees
//     are refused with [rpmdb.ErrUnsupported].
//   - NDB, Packages.db (SUSE Linux Enterprise and openSUSE 15): read by
//     [rpmdb.ReadNDB].
//
// Each record is an rpm header blob; [rpmdb.ParseHeader] reads NAME,
// EPOCH, VERSION, RELEASE, ARCH, SOURCERPM, VENDOR and MODULARITYLABEL
// from it, checking every bound it relies on. Corrupt or truncated input
// is an error wrapping [rpmdb.ErrInvalid], never a panic (the readers and
// the header parser are fuzzed).
//
// The extractor wants the three files in var/lib/rpm, usr/lib/sysimage/rpm
// (rpm's dbpath since Fedora 36 and openSUSE; var/lib/rpm is then a link
// to it) and usr/share/rpm (rpm-ostree). It is a [layer.Reducer]: the
// layer reader hands it each version of a database as the layer streams
// and keeps only the parsed header fields (a few dozen bytes per
// package), so an image whose every layer rewrites a 30 MB Packages costs
// no more memory than its package list. When an image holds several
// databases, the newest format in the preferred directory is read (one
// with packages before an empty one) and the others are logged.
//
// # Packages
//
// A package's Version is rpm's EVR, "epoch:version-release", without
// "epoch:" when the header has no EPOCH: the form internal/version's RPM
// scheme parses and OSV advisories use. SourceName and SourceVersion come from the source
// rpm's file name ([ParseSourceRPM]; "glibc-2.28-151.el8.src.rpm" gives
// glibc and 2.28-151.el8) with the binary package's epoch, since a source
// rpm's name carries none. gpg-pubkey entries (keys rpm imported) are not
// packages and are skipped.
//
// The purl is pkg:rpm/<namespace>/<name>@<evr>?arch=..&distro=.. with the
// namespace from the os-release ID ([Namespace]: redhat, centos, rocky,
// almalinux, fedora, amzn, oracle, suse, opensuse, or the ID itself), and
// when the distribution is unknown from the package's Vendor. The source
// package goes in "upstream" as the dpkg extractor does, a module stream
// in "rpmmod" as in Red Hat's own purls.
//
// # Cost
//
// BenchmarkParse (bench_test.go), real databases in memory (2 cores under a load
// average of 9-13, so times are upper bounds; allocations are exact):
//
//	database                 size    time     allocated
//	centos7 Packages (BDB)   16.6 MB 0.5 ms   1.7 MB, 874 allocs
//	ubi8-s390x (BDB, BE)     11.1 MB 0.7 ms   1.5 MB
//	fedora35 rpmdb.sqlite     6.5 MB 2.3 ms   4.5 MB
//	sle15-bci Packages.db     1.4 MB 0.02 ms  12.5 KB
//
// The Berkeley DB reader touches only the bucket pages and the overflow
// chains of live records; the NDB reader copies nothing. The reduced form
// of the centos7 database is 10 KB. github.com/knqyf263/go-rpmdb (what
// Trivy and Syft use), on the same files under the same load: 45-80 ms and
// 64 MB (centos7), 54-102 ms and 81 MB (ubi8), 21-42 ms and 23 MB
// (fedora35), 5.5-7.3 ms and 4 MB (sle15); it opens paths only, so an
// extractor would also have to write each database to a temporary file
// first. It decodes every tag of every header (file lists, dependencies),
// and its header parser allocates from the blob's entry count before
// checking it against the blob's size.
//
// # Not read
//
// A transaction left in an SQLite database's write-ahead log
// (rpmdb.sqlite-wal) is not seen: rpm checkpoints the log and truncates it
// when it closes the database (rpm 4.18 leaves an empty rpmdb.sqlite-wal).
// The vendor is used only for the purl namespace: [pkg.Package] has no
// field for it. Signatures, file lists and dependencies are not read.
package rpm
