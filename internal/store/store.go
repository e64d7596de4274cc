// Package store defines drydock's storage contracts. Storage is split in two:
//
//   - [Blobs]: content-addressed bytes (layers, configs), written through
//     two-phase [Upload]s so that nothing is visible before its digest is
//     verified. Implementations: store/fs (local filesystem); S3 later.
//   - [Meta]: the transactional metadata store (subscriptions, registries,
//     repositories, blob links, manifests, tags, referrers, upload sessions,
//     scan jobs, events). Implementation: store/sqlmeta (SQLite now, written
//     so PostgreSQL can follow).
//
// Blob bytes are stored once per installation; which repository may see a
// blob is metadata (a "link" from repository to digest), so a subscription
// never learns about another's blobs, and a blob pushed twice is stored once.
//
// Contracts are small interfaces; [Meta] composes them. Every method takes a
// context first and returns one of the sentinel errors below (wrapped) for
// conditions callers branch on.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/drydock/drydock/internal/oci"
)

// Sentinel errors. Implementations wrap them with fmt.Errorf("...: %w").
var (
	ErrNotFound            = errors.New("not found")
	ErrBlobUnknown         = fmt.Errorf("blob unknown: %w", ErrNotFound)
	ErrManifestUnknown     = fmt.Errorf("manifest unknown: %w", ErrNotFound)
	ErrRepositoryUnknown   = fmt.Errorf("repository unknown: %w", ErrNotFound)
	ErrRegistryUnknown     = fmt.Errorf("registry unknown: %w", ErrNotFound)
	ErrSubscriptionUnknown = fmt.Errorf("subscription unknown: %w", ErrNotFound)
	ErrTagUnknown          = fmt.Errorf("tag unknown: %w", ErrNotFound)
	ErrUploadUnknown       = fmt.Errorf("upload unknown: %w", ErrNotFound)
	ErrDigestMismatch      = errors.New("digest does not match content")
	ErrAlreadyExists       = errors.New("already exists")
)

// MissingReferenceError is returned by [Manifests.PutManifest] when the
// manifest refers to a blob or child manifest the repository does not hold.
type MissingReferenceError struct {
	Digest   oci.Digest
	Manifest bool // true when the missing object is a child manifest
}

func (e *MissingReferenceError) Error() string {
	if e.Manifest {
		return fmt.Sprintf("referenced manifest %s is not in the repository", e.Digest)
	}
	return fmt.Sprintf("referenced blob %s is not in the repository", e.Digest)
}

// ---------------------------------------------------------------------------
// Blob bytes

// BlobInfo describes a stored blob.
type BlobInfo struct {
	Digest  oci.Digest
	Size    int64
	ModTime time.Time
}

// Blobs is content-addressed storage for blob bytes. Contents are immutable;
// a digest names the same bytes forever.
type Blobs interface {
	// Stat returns the size of blob d, or an error wrapping ErrBlobUnknown.
	Stat(ctx context.Context, d oci.Digest) (int64, error)
	// Open returns the content of blob d positioned at offset 0. The local
	// filesystem implementation returns an *os.File so HTTP serving can use
	// sendfile. Errors wrap ErrBlobUnknown when d is not stored.
	Open(ctx context.Context, d oci.Digest) (io.ReadSeekCloser, error)
	// NewUpload starts an upload session with a fresh, unguessable id.
	NewUpload(ctx context.Context) (Upload, error)
	// ResumeUpload reopens session id for appending. Errors wrap
	// ErrUploadUnknown when no such session exists.
	ResumeUpload(ctx context.Context, id string) (Upload, error)
	// Delete removes the bytes of blob d. Deleting an absent blob is not an
	// error. Callers (GC) must hold the metadata lock for d; see
	// [Collector.DeleteBlobIfUnreferenced].
	Delete(ctx context.Context, d oci.Digest) error
	// Walk calls fn for every stored blob, in no particular order.
	Walk(ctx context.Context, fn func(BlobInfo) error) error
	// WalkUploads calls fn for every upload session with its start time.
	WalkUploads(ctx context.Context, fn func(id string, started time.Time) error) error
}

// Upload is a two-phase blob write: bytes are appended, and become visible
// under their digest only through a successful Commit.
type Upload interface {
	// ID names the session; it is stable across ResumeUpload.
	ID() string
	// Write appends p to the session.
	io.Writer
	// Size is the number of bytes received so far (across resumes).
	Size() int64
	// Commit verifies that the content hashes to want (sha256 or sha512) and
	// makes it readable as blob want; the session ends. On mismatch it returns
	// an error wrapping ErrDigestMismatch and the session is discarded.
	// Committing content that is already stored is not an error.
	Commit(ctx context.Context, want oci.Digest) (BlobInfo, error)
	// Cancel discards the session and its bytes.
	Cancel(ctx context.Context) error
	// Close releases resources but keeps the session for a later resume.
	Close() error
}

// ---------------------------------------------------------------------------
// Metadata

// Repository is a resolved repository with its tenancy.
type Repository struct {
	ID             int64
	Name           string // full name, e.g. "team/app/api"
	RegistryID     int64
	Registry       string // first path element of Name
	SubscriptionID string
}

// Registry is a namespace inside a subscription.
type Registry struct {
	ID             int64
	Name           string
	Type           string // "standard" or an unsupported type such as "external"
	SubscriptionID string
	CreatedAt      time.Time
}

// Subscription is the tenant boundary.
type Subscription struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// Registry types.
const (
	RegistryTypeStandard = "standard"
	RegistryTypeExternal = "external"
)

// Subscriptions manages tenants and their registries.
type Subscriptions interface {
	// EnsureSubscription creates subscription id (named name) if absent.
	EnsureSubscription(ctx context.Context, id, name string) (Subscription, error)
	// ListSubscriptions returns every subscription ordered by id.
	ListSubscriptions(ctx context.Context) ([]Subscription, error)
	// CreateRegistry creates a registry in a subscription. Registry names are
	// unique across the installation (they are the first path element of a
	// repository). Errors wrap ErrAlreadyExists or ErrSubscriptionUnknown.
	CreateRegistry(ctx context.Context, subscriptionID, name, typ string) (Registry, error)
	// GetRegistry returns a registry by name, or ErrRegistryUnknown.
	GetRegistry(ctx context.Context, name string) (Registry, error)
	// ListRegistries lists the registries of a subscription ("" for all).
	ListRegistries(ctx context.Context, subscriptionID string) ([]Registry, error)
}

// ResolveOptions controls [Repositories.ResolveRepository].
type ResolveOptions struct {
	// Create makes the repository (and, when CreateRegistryIn is set, its
	// registry) if it does not exist. Push paths set it; pull paths do not.
	Create bool
	// CreateRegistryIn is the subscription that receives a registry created on
	// first push; empty means registries must be created explicitly and
	// resolving a repository in an unknown registry fails with
	// ErrRegistryUnknown.
	CreateRegistryIn string
}

// Repositories resolves and lists repositories.
type Repositories interface {
	// ResolveRepository looks up repository name. Without opts.Create an
	// unknown repository is ErrRepositoryUnknown.
	ResolveRepository(ctx context.Context, name string, opts ResolveOptions) (Repository, error)
	// ListRepositories returns up to n repository names in lexical order,
	// strictly after last, restricted to the given subscriptions (nil means
	// every subscription).
	ListRepositories(ctx context.Context, subscriptions []string, last string, n int) ([]string, error)
}

// BlobLinks records which repository may see which blob.
type BlobLinks interface {
	// StatBlob returns the blob d as linked into repo, or ErrBlobUnknown.
	StatBlob(ctx context.Context, repoID int64, d oci.Digest) (BlobInfo, error)
	// CommitBlob records blob d (size bytes) and links it into repo. It runs
	// commit (which makes the bytes durable, e.g. [Upload.Commit]) while
	// holding the metadata lock on d, so garbage collection cannot delete the
	// same digest concurrently. If commit fails nothing is recorded.
	CommitBlob(ctx context.Context, repo Repository, d oci.Digest, commit func() (BlobInfo, error)) (BlobInfo, error)
	// MountBlob links blob d into repo from repository from, which must be in
	// the same subscription and hold d; otherwise ErrBlobUnknown (the caller
	// then falls back to an upload, revealing nothing).
	MountBlob(ctx context.Context, repo Repository, d oci.Digest, from string) (BlobInfo, error)
	// BlobHolders returns up to limit repositories of the subscription that
	// hold blob d, for automatic mounts; the caller filters by read access.
	BlobHolders(ctx context.Context, subscriptionID string, d oci.Digest, limit int) ([]string, error)
	// UnlinkBlob removes blob d from repo (the bytes go later, through GC).
	UnlinkBlob(ctx context.Context, repoID int64, d oci.Digest) error
}

// ManifestRecord is a stored manifest.
type ManifestRecord struct {
	RepositoryID int64
	Digest       oci.Digest
	MediaType    string
	ArtifactType string
	Size         int64
	Content      []byte
	PushedAt     time.Time
}

// ManifestPut is a manifest commit.
type ManifestPut struct {
	Digest      oci.Digest
	Content     []byte
	Manifest    *oci.Manifest // parsed Content
	Tag         string        // optional tag to point at Digest
	RequireRefs bool          // verify referenced blobs and children exist in the repo
}

// PutResult reports what a manifest commit changed.
type PutResult struct {
	// Created is true when the manifest was new to the repository (a scan job
	// and an image.pushed event were recorded with it).
	Created bool
}

// Referrer is one entry of the referrers API response.
type Referrer struct {
	Digest       oci.Digest
	MediaType    string
	ArtifactType string
	Size         int64
	Annotations  map[string]string
}

// Pull records that a manifest was served.
type Pull struct {
	RepositoryID int64
	Digest       oci.Digest
	At           time.Time
}

// Manifests stores manifests, tags and referrers.
type Manifests interface {
	// GetManifest returns the manifest that ref (a tag or a digest) names in
	// repo, or ErrManifestUnknown.
	GetManifest(ctx context.Context, repoID int64, ref string) (ManifestRecord, error)
	// PutManifest commits a manifest in one transaction: the manifest, its
	// references (blobs, children, subject), the optional tag, and, when the
	// manifest is new to the repository, a durable scan job and an
	// image.pushed event. With RequireRefs, missing references fail with
	// *MissingReferenceError and nothing is written.
	PutManifest(ctx context.Context, repo Repository, p ManifestPut) (PutResult, error)
	// DeleteManifest deletes manifest d and every tag pointing at it, with its
	// scan state; ErrManifestUnknown if absent.
	DeleteManifest(ctx context.Context, repoID int64, d oci.Digest) error
	// DeleteTag removes a tag; ErrTagUnknown if absent.
	DeleteTag(ctx context.Context, repoID int64, tag string) error
	// ListTags returns up to n tags in lexical order strictly after last.
	// n < 0 means no limit.
	ListTags(ctx context.Context, repoID int64, last string, n int) ([]string, error)
	// Referrers lists manifests in repo whose subject is d, optionally only
	// those of artifactType.
	Referrers(ctx context.Context, repoID int64, d oci.Digest, artifactType string) ([]Referrer, error)
	// RecordPulls stores lastPulledAt for a batch of pulls in one write.
	RecordPulls(ctx context.Context, pulls []Pull) error
}

// UploadSession is the metadata of an upload in progress.
type UploadSession struct {
	ID           string
	RepositoryID int64
	StartedAt    time.Time
}

// Uploads tracks which repository an upload belongs to.
type Uploads interface {
	// CreateUpload records that upload id belongs to repo.
	CreateUpload(ctx context.Context, repoID int64, id string, started time.Time) error
	// GetUpload returns the session or ErrUploadUnknown.
	GetUpload(ctx context.Context, id string) (UploadSession, error)
	// DeleteUpload forgets the session (after commit or cancel).
	DeleteUpload(ctx context.Context, id string) error
	// ExpiredUploads returns the ids of sessions started before t.
	ExpiredUploads(ctx context.Context, before time.Time, limit int) ([]string, error)
}

// ScanJob is a durable request to scan one manifest.
type ScanJob struct {
	ID             int64
	SubscriptionID string
	RepositoryID   int64
	Repository     string
	Digest         oci.Digest
	Reason         string // "push", "rescan", "plan", ...
	Priority       int    // higher first; push = 100, bulk = 0
	State          string // "queued", "running", "done", "failed"
	Attempts       int
	CreatedAt      time.Time
}

// ScanJobs reads the durable scan job queue.
type ScanJobs interface {
	// ListScanJobs returns jobs for a manifest digest in a repository
	// (repoID 0 = any), newest first.
	ListScanJobs(ctx context.Context, repoID int64, d oci.Digest) ([]ScanJob, error)
	// CountScanJobs returns the number of jobs in a state ("" = all).
	CountScanJobs(ctx context.Context, state string) (int64, error)
}

// GCOptions tunes garbage collection.
type GCOptions struct {
	// GracePeriod protects recently written objects: nothing younger is
	// collected, so a push in flight never loses a blob it just uploaded.
	GracePeriod time.Duration
	// DeleteUntagged also removes manifests that no tag, index or live
	// subject keeps alive.
	DeleteUntagged bool
	// BatchSize bounds each transaction.
	BatchSize int
}

// Collector is the metadata half of online garbage collection.
type Collector interface {
	// PruneUntaggedManifests deletes untagged, unreferenced manifests older
	// than the grace period and returns how many went.
	PruneUntaggedManifests(ctx context.Context, olderThan time.Time, limit int) (int, error)
	// PruneBlobLinks removes links of blobs no manifest of the repository
	// references, older than olderThan.
	PruneBlobLinks(ctx context.Context, olderThan time.Time, limit int) (int, error)
	// UnreferencedBlobs returns blobs no repository links, recorded before
	// olderThan.
	UnreferencedBlobs(ctx context.Context, olderThan time.Time, limit int) ([]oci.Digest, error)
	// DeleteBlobIfUnreferenced re-checks, under the metadata lock on d, that
	// d is still unreferenced and older than olderThan; if so it runs remove
	// (which deletes the bytes) and forgets d. It reports whether d went.
	DeleteBlobIfUnreferenced(ctx context.Context, d oci.Digest, olderThan time.Time, remove func() error) (bool, error)
	// KnownBlob reports whether d is recorded at all (any repository), for
	// sweeping bytes whose metadata is gone.
	KnownBlob(ctx context.Context, d oci.Digest) (bool, error)
}

// Meta is the whole metadata store.
type Meta interface {
	Subscriptions
	Repositories
	BlobLinks
	Manifests
	Uploads
	ScanJobs
	Collector
	// Ping checks the store is reachable (readiness).
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}
