package policy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/audit"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/registry"
	"github.com/drydock/drydock/internal/store"
)

// Defaults of [Config].
const (
	DefaultMaxBreakGlass = time.Hour
	DefaultCacheTTL      = 2 * time.Second
)

// Config configures [Policies]. Zero fields take the defaults.
type Config struct {
	// MaxBreakGlass is the longest a break-glass override may last.
	// Default 1h.
	MaxBreakGlass time.Duration
	// CacheTTL is how long the policies and overrides read from the store
	// are used before they are read again. Default 2s.
	CacheTTL time.Duration
}

// Store is what Policies reads and writes.
type Store interface {
	store.PullPolicies
}

// Deps are the collaborators of [Policies].
type Deps struct {
	Store Store
	// Audit receives pulls served under a break-glass override; nil
	// records nothing.
	Audit audit.Recorder
	// Logger; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Policies enforces and manages pull policies. It implements
// registry.PullPolicy.
type Policies struct {
	cfg   Config
	st    Store
	audit audit.Recorder
	log   *slog.Logger
	now   func() time.Time

	snap    atomic.Pointer[snapshot]
	loading sync.Mutex
}

var _ registry.PullPolicy = (*Policies)(nil)

// snapshot is every policy and every override in force, by registry id.
type snapshot struct {
	loadedAt time.Time
	policies map[int64]store.PullPolicy
	glass    map[int64][]store.BreakGlass
}

// New returns Policies over deps.Store.
func New(cfg Config, deps Deps) (*Policies, error) {
	if cfg.MaxBreakGlass == 0 {
		cfg.MaxBreakGlass = DefaultMaxBreakGlass
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.MaxBreakGlass < 0 || cfg.CacheTTL < 0 {
		return nil, errors.New("policy: MaxBreakGlass and CacheTTL must not be negative")
	}
	if deps.Store == nil {
		return nil, errors.New("policy: Store is required")
	}
	if deps.Audit == nil {
		deps.Audit = audit.Discard()
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &Policies{cfg: cfg, st: deps.Store, audit: deps.Audit, log: deps.Logger.With("component", "policy"), now: deps.Now}, nil
}

// MaxBreakGlass is the longest override allowed.
func (p *Policies) MaxBreakGlass() time.Duration { return p.cfg.MaxBreakGlass }

// current returns a snapshot no older than CacheTTL. One caller reloads a
// stale snapshot; the others keep using the stale one meanwhile instead of
// waiting (only the very first load makes everyone wait).
func (p *Policies) current(ctx context.Context) (*snapshot, error) {
	s := p.snap.Load()
	now := p.now()
	if s != nil && now.Sub(s.loadedAt) < p.cfg.CacheTTL && !now.Before(s.loadedAt) {
		return s, nil
	}
	if s != nil {
		if !p.loading.TryLock() {
			return s, nil
		}
	} else {
		p.loading.Lock()
	}
	defer p.loading.Unlock()
	if s2 := p.snap.Load(); s2 != s && s2 != nil {
		return s2, nil // loaded by another caller while we waited
	}
	return p.reload(ctx)
}

// reload reads the store and replaces the snapshot.
func (p *Policies) reload(ctx context.Context) (*snapshot, error) {
	at := p.now()
	pols, err := p.st.ListPullPolicies(ctx)
	if err != nil {
		return nil, fmt.Errorf("policy: load: %w", err)
	}
	glass, err := p.st.ActiveBreakGlass(ctx, at)
	if err != nil {
		return nil, fmt.Errorf("policy: load: %w", err)
	}
	s := &snapshot{loadedAt: at, policies: make(map[int64]store.PullPolicy, len(pols)), glass: map[int64][]store.BreakGlass{}}
	for _, pol := range pols {
		s.policies[pol.RegistryID] = pol
	}
	for _, b := range glass {
		s.glass[b.RegistryID] = append(s.glass[b.RegistryID], b)
	}
	p.snap.Store(s)
	return s, nil
}

// invalidate makes the next Check read the store again.
func (p *Policies) invalidate() { p.snap.Store(nil) }

// Check implements registry.PullPolicy.
func (p *Policies) Check(ctx context.Context, req registry.PullRequest) error {
	if oci.IsIndexMediaType(req.MediaType) {
		return nil
	}
	s, err := p.current(ctx)
	if err != nil {
		return err
	}
	pol, ok := s.policies[req.Repository.RegistryID]
	if !ok {
		return nil
	}
	st, found, err := p.st.ImagePullState(ctx, req.Repository.ID, req.Digest)
	if err != nil {
		return fmt.Errorf("policy: %w", err)
	}
	v := Judge(pol, st, found)
	if v.Allowed {
		return nil
	}
	now := p.now()
	for _, b := range s.glass[req.Repository.RegistryID] {
		if !b.ActiveAt(now) {
			continue
		}
		if req.Method != "HEAD" {
			actor := "anonymous"
			if id := access.FromContext(ctx); id != nil && id.Name != "" {
				actor = id.Name
			}
			p.audit.Record(ctx, audit.Event{Actor: actor, Action: audit.BreakGlassPull, Target: req.Repository.Name + "@" + req.Digest.String(),
				Subscription: req.Repository.SubscriptionID, Remote: req.Remote, Outcome: audit.OK,
				Detail: map[string]string{"breakGlass": b.ID, "registry": req.Repository.Registry, "refused": v.Reason}})
		}
		return nil
	}
	return v.denial(req)
}

// Get returns a registry's policy; a registry without one has an Off
// policy (BlockSeverity store.NoSeverityRule).
func (p *Policies) Get(ctx context.Context, registryName string) (store.PullPolicy, error) {
	pol, err := p.st.GetPullPolicy(ctx, registryName)
	if errors.Is(err, store.ErrPullPolicyUnknown) {
		return pol, nil
	}
	return pol, err
}

// Set stores a registry's policy (an Off policy removes it) and applies it
// at once in this process.
func (p *Policies) Set(ctx context.Context, pol store.PullPolicy) (store.PullPolicy, error) {
	if pol.UpdatedAt.IsZero() {
		pol.UpdatedAt = p.now()
	}
	out, err := p.st.SetPullPolicy(ctx, pol)
	p.invalidate()
	return out, err
}

// StartBreakGlass stores an override of a registry's policy from now for
// d (0 < d <= MaxBreakGlass) and applies it at once in this process.
func (p *Policies) StartBreakGlass(ctx context.Context, b store.BreakGlass, d time.Duration) (store.BreakGlass, error) {
	if d <= 0 || d > p.cfg.MaxBreakGlass {
		return b, fmt.Errorf("policy: break-glass duration %s outside (0, %s]", d, p.cfg.MaxBreakGlass)
	}
	b.CreatedAt = p.now()
	b.ExpiresAt = b.CreatedAt.Add(d)
	out, err := p.st.CreateBreakGlass(ctx, b)
	p.invalidate()
	return out, err
}

// EndBreakGlass ends a registry's overrides in force now.
func (p *Policies) EndBreakGlass(ctx context.Context, registryName, by string) (int, error) {
	n, err := p.st.EndBreakGlass(ctx, registryName, by, p.now())
	p.invalidate()
	return n, err
}

// BreakGlassHistory returns up to limit overrides of a registry, newest
// first.
func (p *Policies) BreakGlassHistory(ctx context.Context, registryName string, limit int) ([]store.BreakGlass, error) {
	return p.st.ListBreakGlass(ctx, registryName, limit)
}
