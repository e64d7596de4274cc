package store

import (
	"context"
	"fmt"
	"time"

	"github.com/drydock/drydock/internal/oci"
)

// This file holds the contracts of pull policies (a registry refuses to
// serve manifests whose findings reach a severity, or that are not scanned
// yet), their time-limited break-glass overrides, and the filtered reading
// of the audit log that the REST API offers owners.

// ErrPullPolicyUnknown is returned for a registry without a pull policy.
var ErrPullPolicyUnknown = fmt.Errorf("pull policy unknown: %w", ErrNotFound)

// NoSeverityRule as PullPolicy.BlockSeverity means the policy does not
// judge findings.
const NoSeverityRule = -1

// PullPolicy is the pull policy of one registry.
type PullPolicy struct {
	RegistryID     int64
	Registry       string
	SubscriptionID string
	// BlockSeverity refuses manifests with an active (not exempted)
	// finding at or above this severity (0 Unknown .. 4 Critical, the
	// rank of finding.Severity); NoSeverityRule for none.
	BlockSeverity int
	// BlockUnscanned also refuses manifests without a verdict yet (no
	// scan result, scanning for the first time, pending an advisory
	// database, failed).
	BlockUnscanned bool
	// BlockUnchecked also refuses manifests some of whose packages could
	// not be checked against any advisory (PullState.Unchecked > 0): an
	// OS release or ecosystem the advisory database has no data for.
	BlockUnchecked bool
	UpdatedAt      time.Time
	UpdatedBy      string
}

// Off reports whether the policy blocks nothing.
func (p PullPolicy) Off() bool { return p.BlockSeverity < 0 && !p.BlockUnscanned && !p.BlockUnchecked }

// BreakGlass is a time-limited override of a registry's pull policy: until
// ExpiresAt (or EndedAt, when ended early) the registry serves what the
// policy would refuse.
type BreakGlass struct {
	ID             string
	RegistryID     int64
	Registry       string
	SubscriptionID string
	Actor          string
	Reason         string
	CreatedAt      time.Time
	ExpiresAt      time.Time
	EndedAt        time.Time // zero: not ended early
	EndedBy        string
}

// ActiveAt reports whether the override is in force at t.
func (b BreakGlass) ActiveAt(t time.Time) bool {
	return !t.Before(b.CreatedAt) && t.Before(b.ExpiresAt) && (b.EndedAt.IsZero() || t.Before(b.EndedAt))
}

// PullState is what a pull policy judges one image by: its stored scan
// verdict.
type PullState struct {
	Status    string // an image status (StatusHealthy, ...)
	Reason    string
	ScannedAt time.Time // zero before the first evaluation
	Summary   Summary
	// Packages is the image's package count, and Unchecked how many of
	// them could not be matched against any advisory, at its last
	// evaluation.
	Packages, Unchecked int
}

// PullPolicies stores pull policies and break-glass overrides.
type PullPolicies interface {
	// SetPullPolicy stores p for registry p.Registry (RegistryID and
	// SubscriptionID are filled in from it) and returns what was stored.
	// A policy that is Off removes the registry's policy. Errors wrap
	// ErrRegistryUnknown.
	SetPullPolicy(ctx context.Context, p PullPolicy) (PullPolicy, error)
	// GetPullPolicy returns the policy of a registry, or an error wrapping
	// ErrPullPolicyUnknown (the registry has none) or ErrRegistryUnknown.
	GetPullPolicy(ctx context.Context, registry string) (PullPolicy, error)
	// ListPullPolicies returns every stored policy (registries without one
	// are absent), in registry id order.
	ListPullPolicies(ctx context.Context) ([]PullPolicy, error)
	// CreateBreakGlass stores b (RegistryID and SubscriptionID are filled
	// in from b.Registry) and returns it. Errors wrap ErrRegistryUnknown
	// or ErrAlreadyExists (the id is taken).
	CreateBreakGlass(ctx context.Context, b BreakGlass) (BreakGlass, error)
	// EndBreakGlass ends, at at, every override of registry that is still
	// in force then, recording by, and returns how many it ended.
	EndBreakGlass(ctx context.Context, registry, by string, at time.Time) (int, error)
	// ListBreakGlass returns up to limit overrides of a registry, newest
	// first.
	ListBreakGlass(ctx context.Context, registry string, limit int) ([]BreakGlass, error)
	// ActiveBreakGlass returns every override in force at at (any order).
	ActiveBreakGlass(ctx context.Context, at time.Time) ([]BreakGlass, error)
	// ImagePullState returns the scan verdict of image d of repository
	// repoID (one point lookup), and false when the image has no result
	// row yet.
	ImagePullState(ctx context.Context, repoID int64, d oci.Digest) (PullState, bool, error)
}

// AuditFilter selects audit events for AuditQuery.
type AuditFilter struct {
	// Subscriptions keeps events of these subscriptions; nil means every
	// event (also those of no subscription), an empty non-nil slice none.
	Subscriptions []string
	// Action keeps events whose action equals it or starts with it
	// followed by a dot ("exemption" keeps exemption.create and
	// exemption.delete); "" keeps all.
	Action string
	// BeforeID keeps events with a smaller id (0: no bound).
	BeforeID int64
	// Limit bounds the result (at least 1).
	Limit int
}

// AuditQuery reads the audit log filtered.
type AuditQuery interface {
	// QueryAudit returns the events f selects, newest first.
	QueryAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error)
}
