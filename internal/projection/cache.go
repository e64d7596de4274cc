package projection

import (
	"container/list"
	"sync"
	"time"

	"github.com/drydock/drydock/internal/finding"
)

// reportKey identifies a report: an image's evaluation (its id and last
// evaluation time) matched against one advisory database version.
type reportKey struct {
	image     int64
	scannedAt time.Time
	db        string
}

// reportCache keeps recently rendered reports, bounded by an estimate of
// their size, least recently used first out. Reports are shared: callers
// must not modify them.
type reportCache struct {
	mu    sync.Mutex
	max   int64
	size  int64
	ll    *list.List
	items map[reportKey]*list.Element
}

type cacheEntry struct {
	key  reportKey
	rep  *finding.Report
	size int64
}

func newReportCache(maxBytes int64) *reportCache {
	return &reportCache{max: maxBytes, ll: list.New(), items: map[reportKey]*list.Element{}}
}

func (c *reportCache) get(k reportKey) (*finding.Report, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok {
		return nil, false
	}
	c.ll.MoveToFront(e)
	return e.Value.(*cacheEntry).rep, true
}

func (c *reportCache) put(k reportKey, rep *finding.Report) {
	size := reportSize(rep)
	if size > c.max/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.ll.MoveToFront(e)
		return
	}
	c.items[k] = c.ll.PushFront(&cacheEntry{key: k, rep: rep, size: size})
	c.size += size
	for c.size > c.max {
		last := c.ll.Back()
		ent := last.Value.(*cacheEntry)
		c.ll.Remove(last)
		delete(c.items, ent.key)
		c.size -= ent.size
	}
}

// reportSize estimates the bytes a report holds.
func reportSize(r *finding.Report) int64 {
	n := int64(1024)
	for i := range r.Packages {
		p := &r.Packages[i]
		n += 128 + int64(len(p.Name)+len(p.Version)+len(p.PURL)+len(p.Path)+len(p.Layer))
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		n += 512 + int64(len(f.Description)+len(f.Title)+len(f.Remediation))
		for _, s := range f.References {
			n += 16 + int64(len(s))
		}
	}
	return n
}
