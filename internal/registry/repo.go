package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// repoForRead resolves an existing repository the caller may see. A
// repository of a subscription the caller cannot see is reported exactly
// like one that does not exist.
func (g *Registry) repoForRead(ctx context.Context, name string) (store.Repository, error) {
	repo, err := g.resolve(ctx, name)
	if err != nil {
		if errors.Is(err, store.ErrRepositoryUnknown) || errors.Is(err, store.ErrRegistryUnknown) {
			return store.Repository{}, errNameUnknown(name, err)
		}
		return store.Repository{}, fmt.Errorf("resolve repository %s: %w", name, err)
	}
	if !access.FromContext(ctx).InSubscription(repo.SubscriptionID) {
		return store.Repository{}, errNameUnknown(name, nil)
	}
	return repo, nil
}

// repoForPush resolves repository name for a push, creating it (and, with
// AutoCreateRegistries, its registry) when needed. Pushing into a registry
// of a subscription the caller cannot see is DENIED.
func (g *Registry) repoForPush(ctx context.Context, name string) (store.Repository, error) {
	ident := access.FromContext(ctx)
	repo, err := g.resolve(ctx, name)
	switch {
	case err == nil:
		if !ident.InSubscription(repo.SubscriptionID) {
			return store.Repository{}, errDenied(name)
		}
		return repo, nil
	case errors.Is(err, store.ErrRepositoryUnknown), errors.Is(err, store.ErrRegistryUnknown):
	default:
		return store.Repository{}, fmt.Errorf("resolve repository %s: %w", name, err)
	}
	regName := oci.RegistryOf(name)
	reg, err := g.meta.GetRegistry(ctx, regName)
	switch {
	case err == nil:
		if !ident.InSubscription(reg.SubscriptionID) {
			return store.Repository{}, errDenied(name)
		}
	case errors.Is(err, store.ErrRegistryUnknown):
		if !g.cfg.AutoCreateRegistries {
			return store.Repository{}, newError(http.StatusNotFound, codeNameUnknown,
				fmt.Sprintf("registry %q does not exist; create it before pushing", regName), err).
				withDetail(map[string]string{"name": name})
		}
		if !ident.InSubscription(g.pushSubscription(ctx)) {
			return store.Repository{}, errDenied(name)
		}
	default:
		return store.Repository{}, fmt.Errorf("get registry %s: %w", regName, err)
	}
	opts := store.ResolveOptions{Create: true}
	if g.cfg.AutoCreateRegistries {
		opts.CreateRegistryIn = g.pushSubscription(ctx)
	}
	repo, err = g.meta.ResolveRepository(ctx, name, opts)
	if errors.Is(err, store.ErrSubscriptionUnknown) && opts.CreateRegistryIn != "" {
		// First push into a fresh installation: make the subscription.
		if _, serr := g.meta.EnsureSubscription(ctx, opts.CreateRegistryIn, opts.CreateRegistryIn); serr != nil {
			return store.Repository{}, fmt.Errorf("ensure subscription %s: %w", opts.CreateRegistryIn, serr)
		}
		repo, err = g.meta.ResolveRepository(ctx, name, opts)
	}
	if err != nil {
		if errors.Is(err, store.ErrRegistryUnknown) {
			return store.Repository{}, errNameUnknown(name, err)
		}
		return store.Repository{}, fmt.Errorf("create repository %s: %w", name, err)
	}
	if !ident.InSubscription(repo.SubscriptionID) { // a concurrent creation elsewhere
		return store.Repository{}, errDenied(name)
	}
	return repo, nil
}

// resolve looks up an existing repository, through the short-lived cache.
func (g *Registry) resolve(ctx context.Context, name string) (store.Repository, error) {
	now := g.now()
	if repo, ok := g.repos.get(name, now); ok {
		return repo, nil
	}
	repo, err := g.meta.ResolveRepository(ctx, name, store.ResolveOptions{})
	if err != nil {
		return store.Repository{}, err
	}
	g.repos.put(repo, now)
	return repo, nil
}

// pushSubscription is the subscription a registry created on first push
// belongs to: the caller's only subscription, or DefaultSubscription.
func (g *Registry) pushSubscription(ctx context.Context) string {
	if id := access.FromContext(ctx); id != nil && len(id.Subscriptions) == 1 {
		return id.Subscriptions[0]
	}
	return g.cfg.DefaultSubscription
}

func errDenied(name string) *apiError {
	return newError(http.StatusForbidden, codeDenied, "requested access to the resource is denied", nil).
		withDetail(map[string]string{"name": name})
}

// may reports whether the caller of r may perform actions on repo. It is
// for optional access only (the source of a mount, push rights before an
// automatic mount on HEAD): a refusal narrows what the handler does and is
// never reported to the client.
func (g *Registry) may(r *http.Request, repo string, actions ...access.Action) bool {
	_, err := g.auth.Authorize(r, []access.Request{{Repository: repo, Actions: actions}})
	return err == nil
}

// autoMount links blob d into repository name from another repository of the
// same subscription that holds it and that the caller may read. repo is the
// resolved target, or nil when it does not exist yet (it is then created).
// It reports whether d is now linked. It reveals nothing about other
// subscriptions: candidates come only from the target's own subscription.
func (g *Registry) autoMount(ctx context.Context, name string, repo *store.Repository, d oci.Digest) (store.BlobInfo, bool, error) {
	ident := access.FromContext(ctx)
	var sub string
	if repo != nil {
		sub = repo.SubscriptionID
	} else {
		reg, err := g.meta.GetRegistry(ctx, oci.RegistryOf(name))
		switch {
		case err == nil:
			sub = reg.SubscriptionID
		case errors.Is(err, store.ErrRegistryUnknown) && g.cfg.AutoCreateRegistries:
			sub = g.pushSubscription(ctx)
		case errors.Is(err, store.ErrRegistryUnknown):
			return store.BlobInfo{}, false, nil
		default:
			return store.BlobInfo{}, false, fmt.Errorf("get registry of %s: %w", name, err)
		}
	}
	if !ident.InSubscription(sub) {
		return store.BlobInfo{}, false, nil
	}
	holders, err := g.meta.BlobHolders(ctx, sub, d, maxAutoMountCandidates)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return store.BlobInfo{}, false, nil
		}
		return store.BlobInfo{}, false, fmt.Errorf("blob holders of %s: %w", d, err)
	}
	for _, from := range holders {
		if from == name || !ident.CanRead(sub, from) {
			continue
		}
		if repo == nil {
			r, err := g.repoForPush(ctx, name)
			if err != nil {
				return store.BlobInfo{}, false, err
			}
			repo = &r
		}
		info, err := g.meta.MountBlob(ctx, *repo, d, from)
		if errors.Is(err, store.ErrBlobUnknown) {
			continue // the holder lost it meanwhile; try the next
		}
		if err != nil {
			return store.BlobInfo{}, false, fmt.Errorf("mount %s from %s: %w", d, from, err)
		}
		g.metrics.mounts.WithLabelValues("auto").Inc()
		g.logger(ctx).InfoContext(ctx, "blob mounted automatically", "from", from, "blob", d.String())
		return info, true, nil
	}
	return store.BlobInfo{}, false, nil
}
