package registry

import (
	"sync"
	"time"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/store"
)

// keyedMutex serializes requests on the same upload session within this
// process, so two PATCHes to one session cannot interleave their bytes.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyedEntry
}

type keyedEntry struct {
	mu   sync.Mutex
	refs int
}

func newKeyedMutex() *keyedMutex { return &keyedMutex{m: map[string]*keyedEntry{}} }

// lock locks key and returns its unlock function.
func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	e := k.m[key]
	if e == nil {
		e = &keyedEntry{}
		k.m[key] = e
	}
	e.refs++
	k.mu.Unlock()
	e.mu.Lock()
	return func() {
		e.mu.Unlock()
		k.mu.Lock()
		e.refs--
		if e.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
}

// deletedBlobs remembers recent explicit blob deletions (DELETE
// /v2/<name>/blobs/<digest>) so that automatic mounts on HEAD do not relink a
// blob the client just removed from that repository. Entries expire after
// ttl and the memory is bounded; an explicit upload or mount of the blob
// into the repository forgets the deletion at once.
//
// This is process-local by design: it only keeps a convenience (AutoMount)
// from contradicting an explicit delete; no correctness or tenancy property
// depends on it.
type deletedBlobs struct {
	mu  sync.Mutex
	m   map[deletedKey]time.Time
	max int
	ttl time.Duration
}

type deletedKey struct {
	repo   string
	digest oci.Digest
}

func newDeletedBlobs(max int, ttl time.Duration) *deletedBlobs {
	return &deletedBlobs{m: map[deletedKey]time.Time{}, max: max, ttl: ttl}
}

func (d *deletedBlobs) add(repo string, dg oci.Digest, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.m) >= d.max {
		for k, t := range d.m {
			if now.Sub(t) > d.ttl {
				delete(d.m, k)
			}
		}
		for k := range d.m { // still full: forget an arbitrary entry
			if len(d.m) < d.max {
				break
			}
			delete(d.m, k)
		}
	}
	d.m[deletedKey{repo, dg}] = now
}

func (d *deletedBlobs) forget(repo string, dg oci.Digest) {
	d.mu.Lock()
	delete(d.m, deletedKey{repo, dg})
	d.mu.Unlock()
}

func (d *deletedBlobs) has(repo string, dg oci.Digest, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.m[deletedKey{repo, dg}]
	if ok && now.Sub(t) > d.ttl {
		delete(d.m, deletedKey{repo, dg})
		return false
	}
	return ok
}

// repoCache remembers resolved repositories for a few seconds, so the hot
// read paths (manifest HEAD/GET, blob HEAD, tag lists) cost one metadata
// query instead of two. Only existing repositories are cached; a repository
// changes identity only when it is deleted and created again, which a
// stale entry survives for at most repoCacheTTL. It is a cache: nothing
// depends on it for correctness across processes.
type repoCache struct {
	mu  sync.Mutex
	m   map[string]repoEntry
	ttl time.Duration
	max int
}

type repoEntry struct {
	repo    store.Repository
	expires time.Time
}

func newRepoCache(max int, ttl time.Duration) *repoCache {
	return &repoCache{m: map[string]repoEntry{}, ttl: ttl, max: max}
}

func (c *repoCache) get(name string, now time.Time) (store.Repository, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[name]
	if !ok || now.After(e.expires) {
		return store.Repository{}, false
	}
	return e.repo, true
}

func (c *repoCache) put(repo store.Repository, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m) // bounded; refilled by the next requests
	}
	c.m[repo.Name] = repoEntry{repo: repo, expires: now.Add(c.ttl)}
}
