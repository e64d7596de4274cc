package vulndb

import (
	"slices"
	"sync"

	"github.com/drydock/drydock/internal/vulndb/osv"
)

// lookupCache keeps the decoded result of recent lookups, so that a package
// asked for again (the same package in many images) costs a map access and
// a slice copy instead of decoding all its advisories. It is bounded by the
// encoded size of the cached records and evicts with the CLOCK algorithm
// (a key looked up since the hand last passed gets a second chance), so hot
// packages stay cached while one-off lookups come and go. The lock is held
// only for map and ring updates.
type lookupCache struct {
	mu    sync.Mutex
	max   int
	m     map[string]*cacheItem
	ring  []*cacheItem
	hand  int
	bytes int
}

type cacheItem struct {
	key     string
	entries []*osv.Entry
	size    int
	ref     bool
}

func newLookupCache(max int) *lookupCache {
	return &lookupCache{max: max, m: map[string]*cacheItem{}}
}

// get returns the cached slice, shared: its capacity is its length, so an
// append by a caller copies it.
func (c *lookupCache) get(key []byte) ([]*osv.Entry, bool) {
	c.mu.Lock()
	it, ok := c.m[string(key)]
	if ok {
		it.ref = true
	}
	c.mu.Unlock()
	if !ok {
		return nil, false
	}
	return it.entries, true
}

// put caches entries, whose records take size encoded bytes.
func (c *lookupCache) put(key string, entries []*osv.Entry, size int) {
	if size > c.max/4 {
		return // one huge key must not flush everything else
	}
	it := &cacheItem{key: key, entries: slices.Clip(entries), size: size}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; ok {
		return
	}
	for c.bytes+size > c.max && len(c.ring) > 0 {
		if c.hand >= len(c.ring) {
			c.hand = 0
		}
		old := c.ring[c.hand]
		if old.ref {
			old.ref = false
			c.hand++
			continue
		}
		// Evict: move the last item into this slot.
		delete(c.m, old.key)
		c.bytes -= old.size
		last := len(c.ring) - 1
		c.ring[c.hand] = c.ring[last]
		c.ring[last] = nil
		c.ring = c.ring[:last]
	}
	c.m[key] = it
	c.ring = append(c.ring, it)
	c.bytes += size
}
