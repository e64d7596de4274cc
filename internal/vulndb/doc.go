// Package vulndb stores drydock's advisory database and answers lookups
// by (ecosystem, package name). Advisories are OSV records ([osv.Entry]);
// NVD, CISA KEV and FIRST EPSS data are kept as [Enrichment] per CVE.
//
// # Usage
//
//	store, _ := vulndb.NewStore(vulndb.Dir(dataDir), log)
//	b, _ := store.Begin(ctx)              // one writer at a time (flock)
//	b.Keep(current, keepSource)           // sources not re-imported
//	b.Add(b.Source("file:/feeds/go"), "osv", feed.Record{Advisory: e})
//	res, _ := b.Commit(ctx)               // new version, switched to atomically
//
//	db, _ := vulndb.Open(vulndb.Dir(dataDir))
//	c := db.Candidates("Debian:12", "openssl") // what a version check needs
//	for c.Next() {
//		if affected(c.Entry()) {               // the package's affected entries only
//			e, _ := db.Advisory(c.Ref())       // the whole advisory, for a match
//			rating, _ := db.Rate(e, &e.Affected[c.Index(i)])
//		}
//	}
//	entries, err := db.Lookup("Debian:12", "openssl") // whole advisories, cached
//
// A server keeps a [Watcher] running (package live wraps it with
// scheduled updates): it polls the store's pointer file and switches to a
// new version when an import or update installs one.
//
// # Versions and sources
//
// A version is one immutable file; its [DB.Version] is the SHA-256 of its
// content (records, indexes, counts; not the build time), so equal data has
// an equal version on every machine, and `db export` + `db import`
// reproduces it. A build writes a new file and swaps the `current` pointer by
// rename: readers see the old version or the new one, never a mix, and a
// failed build changes nothing (the layout is drawn in store.go, the file
// format in format.go).
//
// Every record belongs to a source: an imported path ("file:/abs/path") or
// an update URL. Importing a source again replaces all of its records; other
// sources are carried over from the current version. When two sources hold
// the same advisory id, the most recently modified record is the one lookups
// see. Records converted from non-OSV feeds (Alpine secdb, the Debian
// tracker) are fragments: fragments with the same id from the same source
// are merged, and the same id from different sources (Alpine releases
// imported one by one) all stay visible, each for its own packages.
//
// Withdrawn advisories are stored (and counted) but never returned by
// [DB.Lookup]. Affected entries whose ranges are all GIT ranges are stored
// and counted ([Meta].GitOnly) but not indexed: they cannot match a package
// version.
//
// # Lookups
//
// Matching does not need whole advisories: titles, details, references and
// ratings matter only for the few that affect the installed version. So a
// build also writes, per package, its candidates: for each advisory naming
// the package, the record number, the id and only that package's affected
// entries (ranges and events, versions, ecosystem_specific). When a file is
// opened the package index is checked and becomes a sorted table of where
// each (ecosystem, normalized name) key and its run of candidates are in
// the file (32 bytes a package on the heap); the rest stays in the
// memory-mapped file. Opened [Options].Sparse (drydock scan), the mapping
// is read a page at a time, but for the sections every lookup uses
// (index, tables, meta), which are read ahead as the file opens: a scan
// reads the pages it needs, not the file. [DB.Candidates] decodes a run
// into pooled scratch space without allocating, about 55 ns of CPU per
// candidate; the caller checks versions and asks [DB.Advisory] for the
// whole record of those that match, decoded from the memory-mapped file.
// [DB.Lookup] still returns whole advisories (decoded on demand, recent
// results cached, bounded), for callers that want them all.
//
// # Age
//
// A database is as old as its data, not as its file: [Status].UpdatedAt is
// the newest modification time found in the records (advisories'
// modified, NVD lastModified, KEV dateAdded, EPSS dates), per source never
// later than the source's last fetch; sources whose records carry no
// dates (Alpine's secdb) count by their fetch time only when no source is
// dated (see [Status.DataTime]). Scan reports carry it as db.updatedAt;
// `drydock db status` shows it with each source's data time and fetch
// time.
//
// # Severity policy
//
// [Rate] gives each advisory, for one affected package, a normalized
// [Level] (Critical, High, Medium, Low or Unknown), the raw value it came
// from and its source:
//
//  1. Operating-system packages (Alpine, AlmaLinux, Debian, Red Hat, Rocky
//     Linux, SUSE, Ubuntu, Wolfi, Chainguard, ...): the distribution's own
//     rating wins when it has one. Debian: the tracker's urgency (unimportant
//     and low are Low, medium Medium, high High; "not yet assigned" and
//     end-of-life are no rating). Red Hat family (AlmaLinux, Rocky, Red Hat):
//     severity in ecosystem_specific or database_specific, else the
//     advisory title's prefix (Critical, Important = High, Moderate = Medium,
//     Low). Ubuntu: the "Ubuntu" severity (negligible = Low). Alpine has no
//     rating of its own.
//  2. Otherwise CVSS: the advisory's own vectors (the affected entry's
//     severity first, then the record's), newest CVSS version first (v4.0,
//     then v3.1/v3.0, then v2.0); else NVD's assessment of the advisory's
//     CVEs (aliases; for distribution advisories without CVE aliases, the
//     related CVEs), newest version first, NVD's own (Primary) before a
//     CNA's. Base scores are computed from the vectors (package cvss) and
//     mapped with FIRST's ranges (v2.0 has no Critical).
//  3. Otherwise, for language packages, the advisory's own word
//     (database_specific.severity, e.g. GHSA's MODERATE).
//  4. Otherwise Unknown.
//
// A CVE listed in CISA's KEV catalog sets [Rating].KEV (with the date it was
// added) whatever the level; the CVSS assessment used or, when a
// distribution's rating won, the best available one is returned alongside.
package vulndb
