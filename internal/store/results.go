package store

import (
	"context"
	"errors"
	"time"

	"github.com/drydock/drydock/internal/oci"
)

// This file holds the contracts of the scan pipeline: the scan job queue
// with leases, the per-image scan results and findings, the scanning plan,
// usage records, registry assessments and exemptions.

// ErrExemptionUnknown is returned for an exemption id that does not exist
// (or is not in the caller's subscriptions).
var ErrExemptionUnknown = errors.New("exemption unknown: " + ErrNotFound.Error())

// Scan job states.
const (
	JobQueued  = "queued"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
	JobSkipped = "skipped" // not scanned: unsupported registry type, or scanning off
)

// Scan job priorities: push-triggered work goes ahead of bulk work.
const (
	PriorityPush   = 100
	PriorityRescan = 50
	PriorityBulk   = 0
)

// Scan job reasons.
const (
	ReasonPush   = "push"
	ReasonRescan = "rescan"
	ReasonPlan   = "plan" // scanning was switched on
	// ReasonUpgrade: what decides an inventory (the extractors, the
	// limits) changed since the image failed.
	ReasonUpgrade = "upgrade"
)

// ClaimedJob is a scan job leased to one worker.
type ClaimedJob struct {
	ScanJob
	RegistryID   int64
	Registry     string
	RegistryType string
	// ScanningEnabled is the plan for the job's registry (the registry's
	// override, else the subscription's, else the installation default).
	ScanningEnabled bool
	LeaseUntil      time.Time
}

// ScanQueue is the durable scan job queue. Every method that changes a job
// takes the worker name: a worker whose lease was taken over can no longer
// change the job (the call returns an error wrapping ErrNotFound).
type ScanQueue interface {
	// ClaimScanJob leases the next due queued job to worker until now+lease:
	// highest priority first, then oldest. ok is false when none is due.
	// defaultEnabled is the plan where none is recorded.
	ClaimScanJob(ctx context.Context, worker string, lease time.Duration, defaultEnabled bool) (job ClaimedJob, ok bool, err error)
	// PendingScanJob reports whether manifest d of repository repoID has
	// a queued or running job of its own.
	PendingScanJob(ctx context.Context, repoID int64, d oci.Digest) (bool, error)
	// HasDueScanJobs reports, from a read, whether ClaimScanJob may find a
	// job; idle workers poll it instead of taking the write lock.
	HasDueScanJobs(ctx context.Context) (bool, error)
	// ExtendScanLease renews the lease of a running job.
	ExtendScanLease(ctx context.Context, id int64, worker string, lease time.Duration) error
	// FinishScanJob ends a running job in state (JobDone, JobFailed or
	// JobSkipped) with a note (why skipped or failed).
	FinishScanJob(ctx context.Context, id int64, worker, state, note string) error
	// RetryScanJob puts a running job back in the queue, due at runAfter,
	// recording the error.
	RetryScanJob(ctx context.Context, id int64, worker string, runAfter time.Time, lastErr string) error
	// RequeueScanJobs queues again the running jobs whose lease expired
	// before now, and (when worker is not empty) every running job leased
	// to worker or to one of its sub-workers ("worker/N"): a process
	// starting under the name of a crashed one takes its jobs back at once.
	// It returns how many were requeued.
	RequeueScanJobs(ctx context.Context, worker string) (int, error)
	// EnqueueScans queues one job per manifest in scope (at most one queued
	// job per manifest: manifests already queued are skipped) and returns
	// how many were queued. Only registries of type standard are included.
	EnqueueScans(ctx context.Context, scope ScanScope, reason string, priority int) (int, error)
	// EnqueueFailedScans queues, in every subscription, one job per
	// manifest whose scan ended failed: the manifest of the failed image,
	// or the index it is a platform of. Manifests already queued and
	// registries of other types than standard are skipped. It returns how
	// many were queued.
	EnqueueFailedScans(ctx context.Context, reason string, priority int) (int, error)
}

// ScanScope selects manifests to scan. SubscriptionID is required; the
// other fields narrow it. Since, when set, keeps manifests pushed or
// pulled at or after it.
type ScanScope struct {
	SubscriptionID string
	Registry       string
	Repository     string
	Digest         oci.Digest
	Since          time.Time
}

// Image statuses (the verdict of images.status). The final ones are the
// report statuses of package finding.
const (
	StatusQueued        = "queued"
	StatusScanning      = "scanning"
	StatusHealthy       = "healthy"
	StatusUnhealthy     = "unhealthy"
	StatusNotApplicable = "notApplicable"
	StatusFailed        = "failed"
	StatusPending       = "pending"
	// StatusNotScanned is shown for manifests no job will scan: the
	// registry's type is not supported, or scanning is off.
	StatusNotScanned = "notScanned"
)

// ImageRef names one platform image of a job.
type ImageRef struct {
	RepositoryID int64
	Digest       oci.Digest
	// ParentDigest is the index the platform was found in, empty if none.
	ParentDigest oci.Digest
	Platform     string
}

// Severity counts of an image's active findings.
type Summary struct {
	Critical, High, Medium, Low, Unknown, Exempted int
}

// FindingRecord is one stored finding of an image.
type FindingRecord struct {
	AdvisoryID     string
	PackageType    string
	PackageName    string
	PackageVersion string
	// PackageArch is the package's architecture when its database records
	// one: libc6:amd64 and libc6:i386 of a multi-arch image share name,
	// version and path, and are two findings. Empty for findings stored
	// before the architecture was recorded, until their image is
	// re-evaluated.
	PackageArch  string
	PackagePath  string
	PURL         string
	Severity     int // 0 Unknown .. 4 Critical (finding.Severity)
	FixedVersion string
	FixStatus    string
	Title        string
	Layer        string
	Exempted     bool
	ExemptionID  string
	FirstSeenAt  time.Time // set by the store
}

// Key identifies a finding within an image: the advisory and the
// package's full identity (as pkg.Package.Key: type, name, version,
// architecture and path). Without an architecture it is LocationKey, so
// that the keys (and the pipeline's fingerprints) of findings of language
// packages are what they were before architectures were recorded.
func (f *FindingRecord) Key() string {
	if f.PackageArch == "" {
		return f.LocationKey()
	}
	return f.LocationKey() + "\x00" + f.PackageArch
}

// LocationKey is Key without the architecture: what identified a finding
// before the architecture was recorded. Only packages that differ by
// architecture alone share it.
func (f *FindingRecord) LocationKey() string {
	return f.AdvisoryID + "\x00" + f.PackageType + "\x00" + f.PackageName + "\x00" + f.PackageVersion + "\x00" + f.PackagePath
}

// Evaluation is the outcome of scanning or re-matching one image.
type Evaluation struct {
	Image     ImageRef
	Status    string // StatusHealthy ... StatusPending
	Reason    string
	OSFamily  string
	OSVersion string
	OSEOL     bool
	// Inventory names the stored inventory object; empty when none was
	// taken (notApplicable; failed before the layers were read, or on a
	// time limit). A failed scan whose extractor could not read a file
	// keeps what the others found.
	Inventory string
	Packages  int
	// Unchecked counts the packages that could not be matched against
	// any advisory (the report's "unchecked").
	Unchecked int
	Summary   Summary
	Findings  []FindingRecord
	// Fingerprint summarizes Status and Findings; an evaluation whose
	// fingerprint equals the stored one changes nothing but the times.
	Fingerprint string
	DBVersion   string
	At          time.Time
	// Scan is true for a scan (not a re-match): it meters the image and
	// emits scan.completed or scan.failed.
	Scan     bool
	Attempts int
	// Base, for a re-match, is the image's ScannedAt when its inventory
	// was read (EvalTarget.ScannedAt). A re-match of an image evaluated
	// since (a scan landed meanwhile, with a newer inventory) is not
	// saved: it was made from what the scan replaced.
	Base time.Time
}

// EvaluationResult reports what SaveEvaluation changed.
type EvaluationResult struct {
	ImageID        int64
	PreviousStatus string // "" for a new image
	NewFindings    int
	Resolved       int
	Metered        bool // a usage record was written
	// Assessment is the registry's assessment after the change, and
	// AssessmentChanged whether it moved.
	Assessment        string
	AssessmentChanged bool
}

// EvalTarget is a stored image due for re-evaluation.
type EvalTarget struct {
	ImageID        int64
	Ref            ImageRef
	Repository     string
	Registry       string
	SubscriptionID string
	Status         string
	Inventory      string
	Fingerprint    string
	ScannedAt      time.Time
}

// ScanResults records scan and re-match outcomes.
type ScanResults interface {
	// MarkScanning records that a scan of the image started (creating its
	// row, status scanning, when it has none).
	MarkScanning(ctx context.Context, ref ImageRef, at time.Time) error
	// ImageEvaluated reports whether the image already has a final status
	// with an inventory taken (or notApplicable), so a job for it may skip
	// the scan.
	ImageEvaluated(ctx context.Context, repoID int64, d oci.Digest) (bool, error)
	// SaveEvaluation writes an evaluation in one transaction: the image's
	// row, the difference between its stored and new findings (recorded in
	// finding_changes), the usage record on the first scan, the registry's
	// assessment, and the events (scan.completed or scan.failed,
	// finding.new, finding.resolved, assessment.changed). finding.new is
	// raised only for images evaluated before: a first scan reports its
	// findings in scan.completed.
	SaveEvaluation(ctx context.Context, ev Evaluation) (EvaluationResult, error)
	// SaveEvaluations is SaveEvaluation for a batch, in one transaction;
	// evaluations of manifests deleted meanwhile are skipped (their result
	// has ImageID 0).
	SaveEvaluations(ctx context.Context, evs []Evaluation) ([]EvaluationResult, error)
	// TouchEvaluations records that images ids were re-evaluated against
	// dbVersion at at without any change.
	TouchEvaluations(ctx context.Context, ids []int64, dbVersion string, at time.Time) error
	// DueEvaluations returns up to limit images with an inventory whose
	// db_version differs from dbVersion or that are marked stale, in id
	// order after afterID.
	DueEvaluations(ctx context.Context, dbVersion string, afterID int64, limit int) ([]EvalTarget, error)
	// MarkStale asks for the re-evaluation of every image of a
	// subscription ("" = all) and returns how many were marked.
	MarkStale(ctx context.Context, subscriptionID string) (int, error)
	// CountDueEvaluations counts what DueEvaluations would return in all.
	CountDueEvaluations(ctx context.Context, dbVersion string) (int64, error)
}

// Assessments of a registry ("container registry images should have
// vulnerability findings resolved").
const (
	AssessmentHealthy       = "Healthy"
	AssessmentUnhealthy     = "Unhealthy"
	AssessmentNotApplicable = "NotApplicable"
)

// ImageRecord is the stored scan state of one image.
type ImageRecord struct {
	ID             int64
	SubscriptionID string
	Registry       string
	RepositoryID   int64
	Repository     string
	Digest         oci.Digest
	ParentDigest   oci.Digest
	Platform       string
	Status         string
	Reason         string
	ScanState      string // idle | scanning
	OSFamily       string
	OSVersion      string
	OSEOL          bool
	Inventory      string
	Packages       int
	Unchecked      int // packages not matched against any advisory
	Summary        Summary
	DBVersion      string
	Attempts       int
	QueuedAt       time.Time
	StartedAt      time.Time
	ScannedAt      time.Time // zero before the first evaluation
	FirstScannedAt time.Time
	PushedAt       time.Time
	LastPulledAt   time.Time // zero if never pulled
}

// ImageFilter selects images. Subscriptions nil means every
// subscription; an empty non-nil slice matches nothing.
type ImageFilter struct {
	Subscriptions []string
	Registry      string
	Repository    string
	Digest        oci.Digest
	Status        string
	AfterID       int64
	Limit         int
}

// ManifestState is a manifest of a repository with its scan state: its own
// image row (a single-platform image or an artifact), or its platforms'
// rows (an index; the attestation manifests it lists are no platforms and
// are left out, see [oci.IsAttestation]); Job is the state of its latest
// scan job ("" if none) and JobNote why it was skipped or failed.
type ManifestState struct {
	RepositoryID   int64
	Repository     string
	Registry       string
	RegistryType   string
	SubscriptionID string
	Digest         oci.Digest
	MediaType      string
	ArtifactType   string
	Index          bool
	PushedAt       time.Time
	LastPulledAt   time.Time
	Tags           []string
	Job            string
	JobNote        string
	Images         []ImageRecord
}

// FindingRow is a stored finding with its image.
type FindingRow struct {
	ID int64
	FindingRecord
	SubscriptionID string
	Registry       string
	Repository     string
	Digest         oci.Digest
	Platform       string
}

// FindingFilter selects findings across images. Empty fields do not
// restrict.
type FindingFilter struct {
	Subscriptions []string
	Registry      string
	Repository    string
	Digest        oci.Digest
	Severities    []int // ranks
	AdvisoryID    string
	Package       string
	FixAvailable  *bool
	Exempted      *bool
	AfterID       int64
	Limit         int
}

// FindingChange is one recorded appearance or disappearance of a finding.
type FindingChange struct {
	ID             int64
	SubscriptionID string
	Repository     string
	Digest         oci.Digest
	Change         string // new | resolved
	AdvisoryID     string
	PackageType    string
	PackageName    string
	PackageVersion string
	PackageArch    string
	Severity       int
	DBVersion      string
	At             time.Time
}

// UsageRow counts billable image scans of one registry on one day.
type UsageRow struct {
	SubscriptionID string
	Registry       string
	Day            string // YYYY-MM-DD
	Images         int
}

// UsageFilter selects usage; From and To are inclusive days (YYYY-MM-DD),
// empty for no bound.
type UsageFilter struct {
	Subscriptions []string
	Registry      string
	From, To      string
}

// Assessment is a registry's assessment with its image counts.
type Assessment struct {
	SubscriptionID string
	Registry       string
	RegistryType   string
	Status         string
	ChangedAt      time.Time // zero when never assessed
	Healthy        int
	Unhealthy      int
	Other          int // notApplicable, failed, pending, in progress
}

// Plan is the scanning switch of a subscription and its registries'
// overrides; nil means not set (the installation default applies).
type Plan struct {
	SubscriptionID string
	Enabled        *bool
	Registries     map[string]bool
}

// ScanReader reads scan results for the APIs. Every listing takes the
// subscriptions the caller may see.
type ScanReader interface {
	// GetImage returns the image digest d of repository repoID, or an
	// error wrapping ErrNotFound.
	GetImage(ctx context.Context, repoID int64, d oci.Digest) (ImageRecord, error)
	// ListImages returns images in id order after f.AfterID.
	ListImages(ctx context.Context, f ImageFilter) ([]ImageRecord, error)
	// ManifestStates returns the manifests of a repository in digest
	// order after after (all of them when d is empty, else just d).
	ManifestStates(ctx context.Context, repoID int64, d oci.Digest, after string, limit int) ([]ManifestState, error)
	// ListFindings returns findings in id order after f.AfterID.
	ListFindings(ctx context.Context, f FindingFilter) ([]FindingRow, error)
	// FindingChanges returns recorded finding changes in id order after
	// afterID.
	FindingChanges(ctx context.Context, subscriptions []string, repository string, afterID int64, limit int) ([]FindingChange, error)
	// Usage counts billable scans per subscription, registry and day.
	Usage(ctx context.Context, f UsageFilter) ([]UsageRow, error)
	// Assessments returns the assessment of every registry of the
	// subscriptions.
	Assessments(ctx context.Context, subscriptions []string) ([]Assessment, error)
	// CountImages counts images by status within the subscriptions.
	CountImages(ctx context.Context, subscriptions []string) (map[string]int, error)
}

// Plans records the scanning switch.
type Plans interface {
	// GetPlan returns the plan of a subscription (ErrSubscriptionUnknown
	// if it does not exist).
	GetPlan(ctx context.Context, subscriptionID string) (Plan, error)
	// SetPlan sets the scanning switch of a subscription (registry "") or
	// overrides it for one of its registries; enabled nil removes the
	// setting (the subscription's, or the installation default, applies).
	// Errors wrap ErrSubscriptionUnknown or ErrRegistryUnknown.
	SetPlan(ctx context.Context, subscriptionID, registry string, enabled *bool) error
}

// Exemption scopes.
const (
	ExemptScopeSubscription = "subscription"
	ExemptScopeRegistry     = "registry"
	ExemptScopeRepository   = "repository" // Repository is a pattern: path.Match syntax, "team/*"
	ExemptScopeImage        = "image"
	ExemptScopePackage      = "package"
)

// Exemption is a rule that silences findings: those of the images in its
// scope that match AdvisoryID, or have a severity at or below MaxSeverity,
// or (NoFix) have no fixed version. Exactly one of the three is set.
type Exemption struct {
	ID             string
	SubscriptionID string
	Scope          string
	Registry       string // registry scope
	Repository     string // repository scope: a pattern
	Digest         oci.Digest
	Package        string // package scope: a package name
	AdvisoryID     string
	MaxSeverity    int // -1 unless matching by severity (0 Unknown .. 4 Critical)
	NoFix          bool
	Reason         string
	Author         string
	CreatedAt      time.Time
	ExpiresAt      time.Time // zero: never
}

// Exemptions stores exemption rules.
type Exemptions interface {
	// CreateExemption stores e (its ID and CreatedAt set by the caller)
	// and marks the subscription's images for re-evaluation, in one
	// transaction.
	CreateExemption(ctx context.Context, e Exemption) error
	// ListExemptions returns the exemptions of the subscriptions (nil: all)
	// in creation order, expired ones included.
	ListExemptions(ctx context.Context, subscriptions []string) ([]Exemption, error)
	// GetExemption returns one exemption or ErrExemptionUnknown.
	GetExemption(ctx context.Context, id string) (Exemption, error)
	// DeleteExemption removes one exemption and marks its subscription's
	// images for re-evaluation; ErrExemptionUnknown if absent.
	DeleteExemption(ctx context.Context, id string) error
	// ExpireExemptions marks for re-evaluation the images of every
	// subscription with an exemption that expired in (after, until], and
	// returns the next expiry after until (zero if none).
	ExpireExemptions(ctx context.Context, after, until time.Time) (next time.Time, err error)
}
