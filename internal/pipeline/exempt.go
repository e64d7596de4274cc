package pipeline

import (
	"context"
	"path"
	"slices"
	"sync"
	"time"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/scan"
	"github.com/drydock/drydock/internal/store"
)

// rules serves the exemption rules of each subscription as scan
// exempters, from a short-lived cache (changes made through this process
// clear it at once; other processes' within rulesTTL).
type rules struct {
	store store.Exemptions
	now   func() time.Time
	mu    sync.Mutex
	cache map[string]cachedRules
}

type cachedRules struct {
	rules  []store.Exemption
	loaded time.Time
}

const rulesTTL = 2 * time.Second

func (r *rules) forSubscription(ctx context.Context, sub string) ([]store.Exemption, error) {
	r.mu.Lock()
	c, ok := r.cache[sub]
	r.mu.Unlock()
	if ok && r.now().Sub(c.loaded) < rulesTTL {
		return c.rules, nil
	}
	all, err := r.store.ListExemptions(ctx, []string{sub})
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.cache[sub] = cachedRules{rules: all, loaded: r.now()}
	r.mu.Unlock()
	return all, nil
}

func (r *rules) forget(sub string) {
	r.mu.Lock()
	delete(r.cache, sub)
	r.mu.Unlock()
}

// ExemptersFor implements [Exempters]: the rules of the image's
// subscription that are in force at the evaluation time and whose scope
// holds the image.
func (r *rules) ExemptersFor(ctx context.Context, img ImageScope) ([]scan.Exempter, error) {
	all, err := r.forSubscription(ctx, img.SubscriptionID)
	if err != nil {
		return nil, err
	}
	now := r.now()
	var out []scan.Exempter
	for _, e := range all {
		if !e.ExpiresAt.IsZero() && !now.Before(e.ExpiresAt) {
			continue
		}
		if inScope(e, img) {
			out = append(out, rule(e))
		}
	}
	return out, nil
}

// inScope reports whether the image is in the rule's scope (the package
// scope holds every image; the rule then matches on the package name).
func inScope(e store.Exemption, img ImageScope) bool {
	switch e.Scope {
	case store.ExemptScopeSubscription, store.ExemptScopePackage:
		return true
	case store.ExemptScopeRegistry:
		return e.Registry == img.Registry
	case store.ExemptScopeRepository:
		ok, err := path.Match(e.Repository, img.Repository)
		return err == nil && ok
	case store.ExemptScopeImage:
		return e.Digest == img.Digest || (img.Parent != "" && e.Digest == img.Parent)
	}
	return false
}

// rule is one exemption as a scan.Exempter.
type rule store.Exemption

// Exempt implements scan.Exempter.
func (r rule) Exempt(_ *finding.Image, f *finding.Finding) bool {
	e := store.Exemption(r)
	if e.Scope == store.ExemptScopePackage && f.Package.Name != e.Package {
		return false
	}
	switch {
	case e.AdvisoryID != "":
		if f.ID != e.AdvisoryID && !slices.Contains(f.Aliases, e.AdvisoryID) {
			return false
		}
	case e.MaxSeverity >= 0:
		if int(f.Severity) > e.MaxSeverity {
			return false
		}
	case e.NoFix:
		if f.Fixable() {
			return false
		}
	default:
		return false
	}
	f.Exempted = true
	f.Exemption = &finding.Exemption{ID: e.ID, Source: finding.ExemptionRule, Scope: e.Scope, Reason: e.Reason,
		Author: e.Author, ExpiresAt: e.ExpiresAt}
	return true
}

// ExemptionsChanged forgets the cached rules of a subscription and starts
// the re-evaluation of its images (the store marked them when the rule
// changed).
func (p *Pipeline) ExemptionsChanged(subscriptionID string) {
	if p.rules != nil {
		p.rules.forget(subscriptionID)
	}
	p.kick()
}
