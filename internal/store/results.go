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
	// to worker: a worker starting under the name of a crashed one takes
	// its jobs back at once. It returns how many were requeued.
	RequeueScanJobs(ctx context.Context, worker string) (int, error)
	// EnqueueScans queues one job per manifest in scope (at most one queued
	// job per manifest: manifests already queued are skipped) and returns
	// how many were queued. Only registries of type standard are included.
	EnqueueScans(ctx context.Context, scope ScanScope, reason string, priority int) (int, error)
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
	PackagePath    string
	PURL           string
	Severity       int // 0 Unknown .. 4 Critical (finding.Severity)
	FixedVersion   string
	FixStatus      string
	Title          string
	Layer          string
	Exempted       bool
	ExemptionID    string
	FirstSeenAt    time.Time // set by the store
}

// Key identifies a finding within an image.
func (f *FindingRecord) Key() string {
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
	// taken (notApplicable, failed).
	Inventory string
	Packages  int
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
