// Package pipeline connects the registry and the scanner: every image
// pushed is scanned at once, and its result stays true as the advisory
// data changes.
//
// # Jobs
//
// The registry records a durable scan job with each new manifest, in the
// manifest's transaction (store/sqlmeta.PutManifest). Workers inside
// drydock serve ([Pipeline.Run]) poll for due jobs with a read and claim
// one with a single UPDATE (highest priority first: push 100, rescan 50,
// bulk 0; then oldest). A claimed job is leased to the worker and the
// lease renewed every Config.Lease/3; a job whose lease ran out (its
// process died) is queued again, and a process restarting under the same
// Config.WorkerName takes its jobs back at once. A failure worth retrying
// (the blob or metadata store failed, the time budget ran out) queues the
// job again after an exponential backoff; after Config.MaxAttempts its
// images are recorded failed with the reason.
//
// # Scans
//
// A job's manifest is resolved from the store (scan/source.NewStored: one
// image per platform of an index, artifacts and Windows images
// notApplicable) and each image scanned with scan.ScanImage, whose
// inventory comes from package layercache (per-layer skeletons, a base
// layer read once). The inventory is stored per image digest (package
// objects): it is the image's SBOM and what re-evaluation matches. A scan
// that failed after reading the layers (an extractor could not read a
// file) stores what the other extractors found, with the reason: its
// report, like drydock scan's, fails and lists those packages. The
// evaluation (status, summary, findings) is saved with its findings
// difference, usage record, registry assessment and outbox events in one
// transaction (store.ScanResults.SaveEvaluation).
//
// Platforms of an index pushed after its children were scanned by the
// children's own jobs and are not scanned twice. Registries of a type other
// than standard, and registries whose plan is off, are not scanned: their
// jobs end skipped. Switching a plan on ([Pipeline.SetPlan]) queues the
// images pushed or pulled within Config.PlanWindow.
//
// # Re-evaluation
//
// [Pipeline.DBChanged] (wired to the advisory database service) and a
// schedule (Config.Reevaluate) start [Pipeline.Reevaluate]: every image
// whose recorded database version differs from the current one, or that is
// marked stale, is matched again from its stored inventory, without reading
// layers, in batches on all workers. An image whose fingerprint (status and
// findings) is unchanged only gets the new version; a changed one is saved
// with its differences (finding.new, finding.resolved, assessment.changed).
// With no database loaded, scans record inventories with status pending,
// and the first database brings them their verdict.
//
// At start, the pipeline compares what decides inventories and verdicts
// (its extractors' names and versions, its limits, match.Revision) with
// what the last start on the same data recorded. When they differ, every
// stored image is marked stale (re-evaluation then scans again the images
// whose inventories other extractors made) and every failed image is
// queued for a new scan.
//
// # Reports
//
// [Pipeline.Report] renders a stored image's report (schema
// drydock.report/v1) from its inventory against the current database.
package pipeline
