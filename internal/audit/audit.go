package audit

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/drydock/drydock/internal/store"
)

// Actions recorded. Others may be added; these names are stable.
const (
	Login              = "login"
	TokenIssue         = "token.issue" // a signed registry token was issued
	TokenCreate        = "token.create"
	TokenRevoke        = "token.revoke"
	UserCreate         = "user.create"
	UserUpdate         = "user.update"
	RoleGrant          = "role.grant"
	RoleRevoke         = "role.revoke"
	SubscriptionCreate = "subscription.create"
	AnonymousPull      = "anonymous-pull.change"
	ManifestDelete     = "manifest.delete"
	TagDelete          = "tag.delete"
	BlobDelete         = "blob.delete"
	UploadCancel       = "upload.cancel"
	// Settings and scans changed through the REST API, and pull policies.
	PlanChange      = "plan.change"
	Rescan          = "rescan"
	ExemptionCreate = "exemption.create"
	ExemptionDelete = "exemption.delete"
	PolicyChange    = "policy.change"
	BreakGlassStart = "breakglass.start"
	BreakGlassEnd   = "breakglass.end"
	// BreakGlassPull is a manifest served under a break-glass override
	// that the pull policy would have refused.
	BreakGlassPull = "breakglass.pull"
)

// Outcomes.
const (
	OK     = "ok"
	Failed = "failed"
	Denied = "denied"
)

// Event is one audited action.
type Event struct {
	// Actor is the user name, "anonymous" or "system" (drydock admin on the
	// command line records the operating-system user as "cli:<name>").
	Actor string
	// Action is one of the constants above.
	Action string
	// Target is what was acted on (user, token id, repository@digest).
	Target string
	// Subscription is the tenant concerned, if any.
	Subscription string
	// Remote is the client address ("" for the command line).
	Remote string
	// Outcome is OK, Failed or Denied.
	Outcome string
	// Detail holds more fields (method, reason, scopes); never secrets.
	Detail map[string]string
}

// Recorder records audit events. Record never fails the caller: a failure
// to store the event is logged.
type Recorder interface {
	Record(ctx context.Context, e Event)
}

// Log is the Recorder backed by a store and a logger.
type Log struct {
	st  store.AuditLog
	log *slog.Logger
	now func() time.Time
}

// New returns a Recorder writing to st (nil: log lines only) and log.
func New(st store.AuditLog, log *slog.Logger) *Log {
	return &Log{st: st, log: log, now: time.Now}
}

// Record implements Recorder.
func (l *Log) Record(ctx context.Context, e Event) {
	at := l.now().UTC()
	attrs := []any{"actor", e.Actor, "action", e.Action, "target", e.Target, "outcome", e.Outcome}
	if e.Subscription != "" {
		attrs = append(attrs, "subscription", e.Subscription)
	}
	if e.Remote != "" {
		attrs = append(attrs, "remote", e.Remote)
	}
	for _, k := range slices.Sorted(maps.Keys(e.Detail)) {
		attrs = append(attrs, k, e.Detail[k])
	}
	l.log.InfoContext(ctx, "audit", attrs...)
	if l.st == nil {
		return
	}
	detail := ""
	if len(e.Detail) > 0 {
		b, err := json.Marshal(e.Detail)
		if err == nil {
			detail = string(b)
		}
	}
	// The event is stored even when the request that caused it was
	// cancelled: an aborted client must not erase its tracks.
	if err := l.st.AppendAudit(context.WithoutCancel(ctx), store.AuditEvent{
		At: at, Actor: e.Actor, Action: e.Action, Target: e.Target, SubscriptionID: e.Subscription,
		Remote: e.Remote, Outcome: e.Outcome, Detail: detail,
	}); err != nil {
		l.log.ErrorContext(ctx, "audit event not stored", "action", e.Action, "actor", e.Actor, "err", err)
	}
}

// Discard returns a Recorder that records nothing.
func Discard() Recorder { return discard{} }

type discard struct{}

func (discard) Record(context.Context, Event) {}

// Remote returns the client address of r without the port.
func Remote(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
