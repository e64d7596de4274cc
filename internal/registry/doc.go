// Package registry serves the OCI Distribution Specification v1.1 (and the
// Docker Registry HTTP API V2 it grew from) under /v2/: pull, push, content
// discovery and content management, on top of the storage contracts of
// package store.
//
// Spec: https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md
//
// # Usage
//
//	reg, err := registry.New(registry.DefaultConfig(), registry.Deps{
//		Meta: meta, Blobs: blobs, Auth: access.Open(), Logger: log,
//	})
//	mux.Handle("/v2/", reg)
//	go reg.Run(ctx) // batched lastPulledAt writes, expired upload sweeps
//
// # Endpoints
//
//	GET    /v2/                                   200 {} (version check)
//	GET    /v2/_catalog?n=&last=                  repositories the caller may read, Link to next page
//	HEAD   /v2/<name>/blobs/<digest>              200 | 404 BLOB_UNKNOWN (AutoMount may link, see Config)
//	GET    /v2/<name>/blobs/<digest>              200 | 206 | 416 (Range), sendfile for local files
//	DELETE /v2/<name>/blobs/<digest>              202 (unlinks from the repository)
//	POST   /v2/<name>/blobs/uploads/              202 session | ?digest= monolithic 201 | ?mount=&from= 201 or 202
//	GET    /v2/<name>/blobs/uploads/<id>          204 Range: 0-<end>
//	PATCH  /v2/<name>/blobs/uploads/<id>          202 (stream, or chunk with Content-Range; 416 when out of order)
//	PUT    /v2/<name>/blobs/uploads/<id>?digest=  201 (optional last chunk)
//	DELETE /v2/<name>/blobs/uploads/<id>          204
//	HEAD   /v2/<name>/manifests/<ref>             200 | 404 MANIFEST_UNKNOWN
//	GET    /v2/<name>/manifests/<ref>             200 (stored bytes and media type)
//	PUT    /v2/<name>/manifests/<ref>[?tag=]      201 Location, Docker-Content-Digest, OCI-Subject, OCI-Tag
//	DELETE /v2/<name>/manifests/<digest|tag>      202 (by tag: the tag only)
//	GET    /v2/<name>/tags/list?n=&last=          200, Link to next page
//	GET    /v2/<name>/referrers/<digest>          200 image index; ?artifactType= filters (OCI-Filters-Applied)
//
// Paths are parsed by hand from their end, since repository names contain
// '/' (see parseRoute). Every request computes the access it needs and asks
// the access.Authorizer once, before any handler runs; optional access (a
// mount's source repository, push rights for an automatic mount) is asked
// separately and only narrows what the handler does.
//
// # Errors
//
// Handlers return errors; one adapter (writeError) renders every failure as
// the OCI envelope {"errors":[{"code","message","detail"}]}:
//
//	400 NAME_INVALID, TAG_INVALID, DIGEST_INVALID (bad digest or mismatch),
//	    MANIFEST_INVALID, MANIFEST_BLOB_UNKNOWN / MANIFEST_UNKNOWN (a pushed
//	    manifest references a blob / child manifest the repository lacks),
//	    BLOB_UPLOAD_INVALID (broken body), SIZE_INVALID (Content-Length does
//	    not match Content-Range), UNSUPPORTED (bad n)
//	401 UNAUTHORIZED (with the Authorizer's WWW-Authenticate challenge)
//	403 DENIED (also a manifest GET or HEAD refused by the PullPolicy,
//	    with its message and detail)
//	404 NAME_UNKNOWN, BLOB_UNKNOWN, MANIFEST_UNKNOWN, BLOB_UPLOAD_UNKNOWN
//	    (also for an upload id of another repository, or an expired one),
//	    UNSUPPORTED (no such endpoint)
//	405 UNSUPPORTED (method, with Allow)
//	413 SIZE_INVALID (MaxManifestSize, MaxBlobSize)
//	416 BLOB_UPLOAD_INVALID (chunk out of order; Range says where the upload is)
//	429 TOOMANYREQUESTS
//	500 UNKNOWN (details only in the log)
//	507 UNKNOWN "insufficient storage" (the disk is full: ENOSPC or EDQUOT;
//	    the upload session is discarded, so no partial bytes hold space and
//	    nothing becomes visible; the client starts the upload again)
//
// # Storage and tenancy
//
// Blob bytes are written through two-phase uploads and published by
// Meta.CommitBlob, which runs Upload.Commit (digest verification, sha256 or
// sha512) under the metadata lock of the digest, so garbage collection never
// races a push. Upload sessions are recorded with Meta.CreateUpload and tied
// to their repository. Repositories of subscriptions the caller's
// access.Identity cannot see answer exactly like absent ones; automatic
// mounts only consider repositories of the target's own subscription that
// the caller may read.
//
// Manifest pulls are counted in memory and written with Meta.RecordPulls in
// batches (Run, FlushPulls), so a pull costs no write of its own.
package registry
