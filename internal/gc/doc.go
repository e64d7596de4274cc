// Package gc is drydock's online garbage collector: it removes untagged
// manifests (when configured), blob links no manifest uses, blob bytes no
// repository links, and orphan files the metadata does not know, while the
// registry keeps serving pushes and pulls.
//
// # Usage
//
//	c, err := gc.New(gc.Config{DeleteUntagged: true}, meta, blobs, logger)
//	...
//	go c.Run(ctx, 0) // every Config.Interval until ctx is done
//	stats, err := c.RunOnce(ctx) // or on demand
//
// # One run
//
//  1. prune untagged manifests (Config.DeleteUntagged), older than the grace
//     period: [store.Collector.PruneUntaggedManifests];
//  2. prune blob links no manifest of the repository references:
//     [store.Collector.PruneBlobLinks];
//  3. delete the bytes of blobs no repository links and no manifest
//     references, each under the metadata lock on its digest:
//     [store.Collector.DeleteBlobIfUnreferenced] with [store.Blobs.Delete];
//  4. sweep orphan files: stored blobs older than the grace period whose
//     digest the metadata does not know (bytes renamed into place by an
//     upload whose metadata transaction never committed, e.g. a crash), again
//     through DeleteBlobIfUnreferenced so the check and the removal happen
//     under the same lock as [store.BlobLinks.CommitBlob];
//  5. expire upload sessions older than Config.UploadTTL (when set), in the
//     blob store and in the metadata;
//  6. with [WithCache], remove the scan pipeline's cached objects nothing
//     uses any more, older than the grace period: layer skeletons of blobs
//     the metadata no longer knows, and inventories no stored image names
//     (deleted images).
//
// Why this is safe against concurrent pushes is argued in the metadata
// store's documentation (package store/sqlmeta, "Garbage collection"): bytes
// are only removed inside a metadata write transaction that has just
// re-checked that nothing links or references them, and bytes only become
// visible inside a metadata write transaction that links them. The grace
// period is not what makes collection safe; it spares pushes in progress
// (blobs uploaded minutes before the manifest that references them) a
// "blob unknown" error.
package gc
