// Package match decides which advisories affect an image's packages and
// turns them into findings.
//
// # Matchers declare, the core queries, the matcher decides
//
// A [Matcher] handles one ecosystem family: [Distro] for operating system
// packages, one [Language] value per language ecosystem (Go with the
// standard library as "stdlib", npm, PyPI, Maven, crates.io, RubyGems,
// NuGet, Packagist). [All] is the explicit list. For each package the core
// ([Match]) asks the first matcher that handles it for its [Query] keys,
// looks the advisories up in the database and lets the matcher judge each
// one ([Matcher.Affected], usually through [Evaluate], the OSV range
// evaluation).
//
// Distribution packages are matched against their release's own data: an
// Alpine 3.4 image against "Alpine:v3.4", Debian 12 against "Debian:12",
// Ubuntu 22.04 against "Ubuntu:22.04:LTS" and "Ubuntu:22.04", AlmaLinux 9
// against "AlmaLinux:9" ([ReleaseOf]). Alpine and Debian key advisories on
// the source package (apk origin, dpkg Source:), so the libssl1.0 and
// libcrypto1.0 binaries of Alpine's openssl each get the openssl
// advisories; RPM distributions name binary packages. A release the table
// does not know gets no distribution findings: another release's data
// would mislead.
//
// # Findings
//
// One finding per package and vulnerability: advisories that share an id,
// alias or upstream id (a CVE, its ALPINE-/DEBIAN- record, its GHSA and GO
// records) are merged. The finding's id is the preferred record's: for
// distribution packages the CVE (a distribution record wrapping a CVE,
// such as ALPINE-CVE-2017-3738, is shown as the CVE), for language packages
// the ecosystem's own database (GO-, PYSEC-, RUSTSEC-), then GHSA, then
// others, CVE last. Every other id becomes an alias.
//
// The fixed version is the lowest fixed event above the installed version
// among the ranges that contain it (for distribution packages, the source
// version); across merged records the preferred record that names a fix
// wins. The fix status is FixAvailable with a fixed version, NoFixAvailable
// when the affecting ranges have no fix above the installed version
// (introduced only, or a last_affected bound), WontFix when Debian's
// tracker calls an open issue unimportant, end-of-life or ignored, and
// Unknown when the advisory could not be judged: an unparseable installed
// or advisory version is reported with unknown status, never dropped.
// Withdrawn advisories never match.
//
// Severity follows the database's policy ([vulndb.DB.Rate]) for the first
// merged record it can rate; CVSS and KEV come with it, and EPSS is the
// highest score among the vulnerability's CVEs. Remediation sentences and
// the report's plan are written by package finding; [Compare] orders the
// versions of each package type for the plan.
//
// A Go module's finding is exempted (source "not-linked") when the Go
// vulnerability database names the packages (and functions) the
// vulnerability is in and the binary has code of none of them
// ([pkg.Package.GoPackages]): listed, with the reason, but not counted.
// [Options.GoScan] narrows that to packages, or turns it off ([GoScan]).
//
// # End of life
//
// [Release.EOL] carries the end of security support that the distribution
// publishes (Alpine; Debian, LTS included; Ubuntu; Red Hat and CentOS;
// Fedora; Amazon Linux; openSUSE Leap); images of a release past it are
// flagged end-of-life in reports, also where no advisory data covers the
// release (CentOS, Fedora, Amazon Linux).
package match
