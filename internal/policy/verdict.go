package policy

import (
	"fmt"
	"strings"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/registry"
	"github.com/drydock/drydock/internal/store"
)

// Verdict is what a policy says about one image.
type Verdict struct {
	Allowed bool
	// Unscanned is true when the image is refused for having no verdict.
	Unscanned bool
	// Unchecked is true when it is refused for packages that could not
	// be checked (BlockUnchecked).
	Unchecked bool
	// Blocking counts the active findings at or above the policy's
	// severity, by severity name (Critical ... Unknown), when refused for
	// them.
	Blocking map[string]int
	// Reason says why, in a few words ("20 findings at or above High
	// (3 Critical, 17 High)", "not yet scanned").
	Reason string
	Policy store.PullPolicy
	State  store.PullState
	Found  bool
}

// Judge applies pol to an image's stored verdict (found is false when the
// image has no result row yet). It is pure: no I/O.
func Judge(pol store.PullPolicy, st store.PullState, found bool) Verdict {
	v := Verdict{Allowed: true, Policy: pol, State: st, Found: found}
	if pol.Off() {
		return v
	}
	status := st.Status
	if !found {
		status = store.StatusQueued
	}
	switch {
	case status == store.StatusNotApplicable:
		return v
	case status == store.StatusHealthy || status == store.StatusUnhealthy:
	case !st.ScannedAt.IsZero() && (status == store.StatusQueued || status == store.StatusScanning):
		// A rescan in flight keeps the last verdict; a status without
		// one is unscanned below.
	default:
		if pol.BlockUnscanned {
			v.Allowed, v.Unscanned = false, true
			switch status {
			case store.StatusPending:
				v.Reason = "not yet scanned: no advisory database is loaded"
			case store.StatusFailed:
				v.Reason = "not scanned: its scan failed"
				if st.Reason != "" {
					v.Reason += " (" + st.Reason + ")"
				}
			default:
				v.Reason = "not yet scanned"
			}
		}
		return v
	}
	if v = judgeFindings(v, pol, st); !v.Allowed {
		return v
	}
	if pol.BlockUnchecked && st.Unchecked > 0 {
		v.Allowed, v.Unchecked = false, true
		v.Reason = fmt.Sprintf("%d of %d packages not checked against any advisory (the report's unchecked says why)", st.Unchecked, st.Packages)
	}
	return v
}

// judgeFindings refuses an image with an active finding at or above the
// policy's severity.
func judgeFindings(v Verdict, pol store.PullPolicy, st store.PullState) Verdict {
	if pol.BlockSeverity < 0 {
		return v
	}
	counts := []struct {
		sev finding.Severity
		n   int
	}{{finding.Critical, st.Summary.Critical}, {finding.High, st.Summary.High}, {finding.Medium, st.Summary.Medium},
		{finding.Low, st.Summary.Low}, {finding.Unknown, st.Summary.Unknown}}
	total := 0
	var parts []string
	for _, c := range counts {
		if int(c.sev) < pol.BlockSeverity || c.n == 0 {
			continue
		}
		if v.Blocking == nil {
			v.Blocking = map[string]int{}
		}
		v.Blocking[c.sev.String()] = c.n
		total += c.n
		parts = append(parts, fmt.Sprintf("%d %s", c.n, c.sev))
	}
	if total == 0 {
		return v
	}
	noun := "findings"
	if total == 1 {
		noun = "finding"
	}
	v.Allowed = false
	v.Reason = fmt.Sprintf("%d %s at or above %s (%s)", total, noun, finding.Severity(pol.BlockSeverity), strings.Join(parts, ", "))
	return v
}

// BreakGlassRoute is the REST route that starts an override for registry.
func BreakGlassRoute(registryName string) string {
	return "POST /api/v1/registries/" + registryName + "/breakglass"
}

// denial is the registry's refusal of req.
func (v Verdict) denial(req registry.PullRequest) error {
	what, next := "has "+v.Reason, "fix or exempt them"
	switch {
	case v.Unscanned:
		what, next = "is "+v.Reason, "retry when its scan has completed"
	case v.Unchecked:
		what, next = "has "+v.Reason, "import advisory data that covers them"
	}
	msg := fmt.Sprintf("pull policy of registry %s: %s@%s %s; %s, or ask an owner or contributor for a time-limited break-glass override (%s)",
		req.Repository.Registry, req.Repository.Name, req.Digest, what, next, BreakGlassRoute(req.Repository.Registry))
	pol := map[string]any{"blockUnscanned": v.Policy.BlockUnscanned, "blockUnchecked": v.Policy.BlockUnchecked}
	if v.Policy.BlockSeverity >= 0 {
		pol["blockSeverity"] = finding.Severity(v.Policy.BlockSeverity).String()
	}
	detail := map[string]any{"registry": req.Repository.Registry, "repository": req.Repository.Name, "digest": req.Digest.String(),
		"policy": pol, "reason": v.Reason, "breakGlass": BreakGlassRoute(req.Repository.Registry)}
	if v.Found {
		detail["status"] = v.State.Status
	}
	if v.Blocking != nil {
		detail["findings"] = v.Blocking
	}
	if v.Unchecked {
		detail["unchecked"] = v.State.Unchecked
	}
	return &registry.PullDeniedError{Message: msg, Detail: detail}
}
