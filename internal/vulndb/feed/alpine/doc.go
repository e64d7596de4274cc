// Package alpine imports the Alpine Linux security database (secdb): the
// per-release, per-repository documents published at
// https://secdb.alpinelinux.org/<release>/<repo>.json (and the YAML form the
// old alpine-secdb repository kept), and converts them to OSV records.
//
// # Document format
//
//	{"distroversion": "v3.11", "reponame": "main",
//	 "packages": [{"pkg": {"name": "openssl",
//	   "secfixes": {"1.1.1d-r2": ["CVE-2019-1547", "CVE-2019-1549"]}}}]}
//
// secfixes maps the version that fixed an issue (the Alpine package version,
// pkgver-rN) to the issues it fixed. The database says nothing about when an
// issue was introduced, so every version before the fix is affected.
//
// # Conversion
//
// One OSV record per identifier, id "ALPINE-<identifier>" (as OSV.dev names
// them), with the identifier as alias. Each (package, fixed version) becomes
// an affected entry: package {"Alpine:<distroversion>", origin package name},
// one ECOSYSTEM range {introduced "0", fixed <version>}. Records from several
// files (releases, repositories) are fragments merged by the database.
//
// A fixed version "0" means the package was never affected in that release:
// no affected entry is written for it. An identifier string is the Alpine
// maintainers' free text; CVE ids are recognised in their common misspellings
// ("CVE_2019-2426", "CVE 2018-16859", "CVE-2019-19451.patch"), other ids
// (XSA-207, TALOS-2019-0844, wnpa-sec-2017-18, upper-cased) become the
// record id when there is no CVE and aliases otherwise, notes in parentheses
// are dropped. A string with no
// identifier at all ("CVE-????-?????") is a malformed record.
package alpine
