// Package feed is the contract between the feed importers (one package per
// feed under feed/) and the advisory database: a [Parser] reads one file of
// its feed and sends [Record] values to an [Emit] function.
//
// Advisories are [osv.Entry] values (feeds in other formats, such as the
// Alpine secdb and the Debian security tracker, are converted). NVD, CISA
// KEV and FIRST EPSS data are enrichment keyed by CVE id: [NVD], [KEV],
// [EPSS].
//
// A parser never stops at a bad record: it emits a [Record] with Bad set
// (what and why) and goes on; the receiver decides whether that rejects the
// whole import. A parser returns an error only when the file as a whole
// cannot be read (not JSON, wrong shape) or when emit returned one.
//
// The explicit list of parsers lives in package ingest.
package feed
