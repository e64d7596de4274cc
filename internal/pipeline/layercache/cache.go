package layercache

import (
	"cmp"
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/pipeline/objects"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/layer"
	"github.com/drydock/drydock/internal/scan/osinfo"
	"github.com/drydock/drydock/internal/scan/source"
)

// osinfoKey is the cache key of the OS release selector, which has no
// version of its own: bump it when osinfo.Selector starts wanting other
// files.
const osinfoKey = "osinfo@1"

// Config configures a [Cache]. Zero fields take defaults.
type Config struct {
	// Limits are the layer reader limits of the scans (scan.Options.Limits).
	Limits layer.Config
	// MaxEntries caps the tar entries of a layer the cache records; a
	// larger layer is read the ordinary way every time. Default: the
	// reader's own cap over all layers (Limits.MaxEntries), so that every
	// layer a scan can read is recorded once (a skeleton costs about 25
	// bytes per entry in memory; see [Skeleton]).
	MaxEntries int
	// MemoryBytes bounds the decoded skeletons kept in memory. Default
	// 64 MiB.
	MemoryBytes int64
	// Parallel caps the layers recorded at once, over all the cache's
	// scans: the layers of one image are recorded side by side (each on
	// its own core: decompression is most of the work). Default
	// GOMAXPROCS, at most maxDefaultParallel.
	Parallel int
	// StoreLater stores each recorded skeleton in the background, so
	// that the scan that recorded it replays it at once; [Cache.Wait]
	// waits for those stores. A store keeps its recording's slot (see
	// Parallel) until it is done, so memory stays as bounded as with
	// stores in line. drydock scan sets it: encoding and writing the last
	// layer's skeleton (12 ms of a 200 ms cold scan of the Debian image)
	// then overlaps the replay, the matching and the report.
	StoreLater bool
}

// maxDefaultParallel bounds the default Parallel: a recording holds ~15-25
// MiB (stream buffers, files extractors read whole, the skeleton's zstd
// encoder), and more cores should not mean unbounded memory. Scanning the
// 2 GB bench image with GOMAXPROCS=8 peaked at 112 MiB with 2 at once, 119-127
// with 3, 143-162 with 4 and 164 with 8 (drydock scan uses 2, see
// cli/scan.go); a single large gzip layer still uses more cores, through
// the layer reader's decoder.
const maxDefaultParallel = 4

// Stats count what the cache did.
type Stats struct {
	// Recorded counts layer blobs read to record a skeleton.
	Recorded int64
	// Reused counts layers served from a stored skeleton.
	Reused int64
	// Replays counts images whose inventory came from skeletons.
	Replays int64
	// Fallbacks counts images read the ordinary way (a layer that cannot
	// be recorded, a replay that needed contents left out twice).
	Fallbacks int64
	// Pins counts entries whose contents a replay found it needed.
	Pins int64
}

// Cache produces image inventories from per-layer skeletons; see the
// package documentation. It is safe for concurrent use.
type Cache struct {
	objs objects.Store
	exs  []extract.Extractor
	sels []selector
	keys []string
	lim  limits
	cfg  layer.Config
	log  *slog.Logger
	mem  *lru

	mu     sync.Mutex
	flight map[oci.Digest]*call
	slots  chan struct{} // one per recording in progress (Config.Parallel)
	later  bool          // Config.StoreLater
	stores sync.WaitGroup
	// With StoreLater a layer recorded again (pins added) may be stored
	// while its first recording still is: each recording of a layer
	// takes the next generation (storeGen, under mu), stores are made
	// one at a time (storeMu), and one that is no longer its layer's
	// latest generation is dropped, so the last recording is the one
	// kept. (An entry a layer, for the cache's life: drydock scan's.)
	storeMu  sync.Mutex
	storeGen map[oci.Digest]uint64

	recorded, reused, replays, fallbacks, pins atomic.Int64
}

// call is a recording in flight, shared by the scans that need it.
type call struct {
	done chan struct{}
	sk   *Skeleton
	err  error
}

// New returns a cache storing skeletons in objs for the extractors exs
// (the scan's extractors, in the scan's order).
func New(cfg Config, objs objects.Store, exs []extract.Extractor, log *slog.Logger) (*Cache, error) {
	if objs == nil || log == nil {
		return nil, errors.New("layercache: objects and logger are required")
	}
	if err := cfg.Limits.Validate(); err != nil {
		return nil, fmt.Errorf("layercache: %w", err)
	}
	if cfg.MaxEntries < 0 || cfg.MemoryBytes < 0 || cfg.Parallel < 0 {
		return nil, errors.New("layercache: negative MaxEntries, MemoryBytes or Parallel")
	}
	if cfg.Parallel == 0 {
		cfg.Parallel = min(runtime.GOMAXPROCS(0), maxDefaultParallel)
	}
	if cfg.MaxEntries == 0 {
		cfg.MaxEntries = int(min(cmp.Or(cfg.Limits.MaxEntries, layer.DefaultMaxEntries), math.MaxInt32))
	}
	if cfg.MemoryBytes == 0 {
		cfg.MemoryBytes = 64 << 20
	}
	c := &Cache{objs: objs, exs: slices.Clone(exs), cfg: cfg.Limits, log: log, mem: newLRU(cfg.MemoryBytes),
		flight: map[oci.Digest]*call{}, slots: make(chan struct{}, cfg.Parallel), later: cfg.StoreLater,
		storeGen: map[oci.Digest]uint64{}}
	c.sels = append(c.sels, selector{key: osinfoKey, sel: osinfo.Selector{}})
	for _, ex := range exs {
		s := selector{key: fmt.Sprintf("%s@%d", ex.Name(), ex.Version()), sel: ex}
		if red, ok := ex.(layer.Reducer); ok {
			s.red = red
		}
		c.sels = append(c.sels, s)
	}
	for _, s := range c.sels {
		c.keys = append(c.keys, s.key)
	}
	l := cfg.Limits
	def := func(v, d int64) int64 {
		if v == 0 {
			return d
		}
		return v
	}
	c.lim = limits{
		fileBytes:   def(l.MaxFileBytes, layer.DefaultMaxFileBytes),
		reduceBytes: def(l.MaxReduceBytes, layer.DefaultMaxReduceBytes),
		keptBytes:   def(l.MaxKeptBytes, layer.DefaultMaxKeptBytes),
		maxEntries:  cfg.MaxEntries,
	}
	return c, nil
}

// Wait waits for the skeletons being stored in the background (see
// Config.StoreLater).
func (c *Cache) Wait() { c.stores.Wait() }

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	return Stats{Recorded: c.recorded.Load(), Reused: c.reused.Load(), Replays: c.replays.Load(),
		Fallbacks: c.fallbacks.Load(), Pins: c.pins.Load()}
}

// objectName is where the skeleton of layer d is stored. The suffix keeps
// the file from passing for the blob's bytes (named by the bare hex).
func objectName(d oci.Digest) string {
	enc := d.Encoded()
	if len(enc) < 2 {
		return "layers/" + string(d.Algorithm()) + "/" + enc + ".skeleton"
	}
	return "layers/" + string(d.Algorithm()) + "/" + enc[:2] + "/" + enc + ".skeleton"
}

// Inventory returns the inventory of im, assembled from the skeletons of
// its layers (recording those it has not seen), or the result of read
// (the ordinary layer read) when that cannot be done exactly. It has the
// signature of scan.Options.Inventory.
func (c *Cache) Inventory(ctx context.Context, im *source.Image, read func(context.Context) (*extract.Inventory, error)) (*extract.Inventory, error) {
	if len(im.Layers) == 0 {
		return read(ctx)
	}
	for _, l := range im.Layers {
		if _, err := oci.ParseDigest(string(l.Digest)); err != nil {
			c.fallbacks.Add(1)
			return read(ctx)
		}
	}
	sks, err := c.skeletons(ctx, im)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !errors.Is(err, errUnsupported) && failsLayer(err) {
			// The ordinary read would fail the same way, after reading
			// (and decompressing) as much again.
			return nil, err
		}
		c.log.DebugContext(ctx, "layer not cached; reading the image", "err", err)
		c.fallbacks.Add(1)
		return read(ctx)
	}
	// A replay stops at the first layer needing contents left out; each
	// round pins what it found and records that layer again. A round that
	// pins nothing new would loop: the image is read instead.
	for round := 0; ; round++ {
		inv, pins, err := replay(ctx, im, sks, c.exs, c.sels, c.cfg, c.log)
		if err == nil {
			c.replays.Add(1)
			return inv, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !errors.Is(err, errInexact) || round > len(sks)+4 {
			c.log.DebugContext(ctx, "replay failed; reading the image", "err", err)
			c.fallbacks.Add(1)
			return read(ctx)
		}
		byLayer := map[int]map[string]bool{}
		for _, p := range pins {
			if byLayer[p.layer] == nil {
				byLayer[p.layer] = map[string]bool{}
			}
			byLayer[p.layer][p.name] = true
		}
		for i, names := range byLayer {
			if pinnedAll(sks[i], names) {
				c.log.DebugContext(ctx, "replay needs contents of pinned entries; reading the image", "layer", im.Layers[i].Digest)
				c.fallbacks.Add(1)
				return read(ctx)
			}
			c.pins.Add(int64(len(names)))
			sk, err := c.rerecord(ctx, im, i, sks[i], names)
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				c.fallbacks.Add(1)
				return read(ctx)
			}
			sks[i] = sk
		}
	}
}

// failsLayer reports whether err, from recording a layer, says the
// layer's content fails the scan: a limit crossed, data that does not
// decompress, a diff_id mismatch.
func failsLayer(err error) bool {
	return errors.Is(err, layer.ErrLimit) || errors.Is(err, layer.ErrCorrupt) || errors.Is(err, layer.ErrDiffIDMismatch)
}

// pinnedAll reports whether every entry named is already pinned in sk.
func pinnedAll(sk *Skeleton, names map[string]bool) bool {
	pinned := map[string]bool{}
	for _, e := range sk.All() {
		if e.Pinned {
			pinned[e.Name] = true
		}
	}
	for n := range names {
		if !pinned[n] {
			return false
		}
	}
	return true
}

// skeletons returns the skeletons of im's layers, those it must record
// recorded side by side (up to Config.Parallel over the whole cache),
// largest first so that the longest recording does not start last. The
// first error stops the others.
func (c *Cache) skeletons(ctx context.Context, im *source.Image) ([]*Skeleton, error) {
	sks := make([]*Skeleton, len(im.Layers))
	order := make([]int, len(im.Layers))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(im.Layers[b].Size, im.Layers[a].Size) })
	// Workers take the layers in that order (goroutines started one per
	// layer would run in no particular order).
	var next atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for range min(cap(c.slots), len(order)) {
		g.Go(func() error {
			for {
				k := int(next.Add(1)) - 1
				if k >= len(order) {
					return nil
				}
				i := order[k]
				sk, err := c.skeleton(gctx, im, i)
				if err != nil {
					return layer.Named(i, string(im.Layers[i].Digest), err)
				}
				sks[i] = sk
			}
		})
	}
	return sks, g.Wait()
}

// skeleton returns the skeleton of layer i of im that holds what the
// cache's selectors need, recording it if there is none.
func (c *Cache) skeleton(ctx context.Context, im *source.Image, i int) (*Skeleton, error) {
	l := im.Layers[i]
	if sk := c.mem.get(l.Digest); sk != nil && c.usable(sk, l) {
		c.reused.Add(1)
		return sk, nil
	}
	b, err := c.objs.Get(ctx, objectName(l.Digest))
	switch {
	case err == nil:
		sk, err := Unmarshal(b)
		if err == nil && c.fits(ctx, l.Digest, sk) && c.usable(sk, l) {
			c.mem.put(l.Digest, sk)
			c.reused.Add(1)
			return sk, nil
		}
		if err != nil {
			c.log.WarnContext(ctx, "unreadable layer skeleton; recording it again", "layer", l.Digest, "err", err)
		}
	case !errors.Is(err, objects.ErrNotFound):
		return nil, err
	}
	return c.record(ctx, im, i)
}

// usable reports whether sk can stand for layer l: recorded for the
// cache's selectors, and from content matching l's diff_id.
func (c *Cache) usable(sk *Skeleton, l source.Layer) bool {
	return slices.Equal(sk.Selectors, c.keys) && (l.DiffID == "" || string(l.DiffID) == sk.DiffID)
}

// fits brings a stored skeleton recorded for other selectors (an
// extractor added, removed or at a new version) up to date when it holds
// all the new selectors need, without reading the layer again.
func (c *Cache) fits(ctx context.Context, d oci.Digest, sk *Skeleton) bool {
	if slices.Equal(sk.Selectors, c.keys) {
		return true
	}
	if !complete(sk, c.sels, c.lim) {
		return false
	}
	markUnwanted(sk, c.sels)
	sk.Selectors = slices.Clone(c.keys)
	if err := c.objs.Put(ctx, objectName(d), sk.Marshal()); err != nil {
		c.log.WarnContext(ctx, "store layer skeleton", "layer", d, "err", err)
	}
	return true
}

// record reads layer i of im and stores its skeleton; concurrent scans of
// images sharing the layer wait for one recording.
func (c *Cache) record(ctx context.Context, im *source.Image, i int) (*Skeleton, error) {
	d := im.Layers[i].Digest
	c.mu.Lock()
	if cl, ok := c.flight[d]; ok {
		c.mu.Unlock()
		select {
		case <-cl.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if cl.err == nil && c.usable(cl.sk, im.Layers[i]) {
			c.reused.Add(1)
			return cl.sk, nil
		}
		return c.recordNow(ctx, im, i, nil)
	}
	cl := &call{done: make(chan struct{})}
	c.flight[d] = cl
	c.mu.Unlock()
	cl.sk, cl.err = c.recordNow(ctx, im, i, nil)
	c.mu.Lock()
	delete(c.flight, d)
	c.mu.Unlock()
	close(cl.done)
	return cl.sk, cl.err
}

// rerecord records layer i again, keeping the pinned entries of prev and
// names.
func (c *Cache) rerecord(ctx context.Context, im *source.Image, i int, prev *Skeleton, names map[string]bool) (*Skeleton, error) {
	for _, e := range prev.All() {
		if e.Pinned {
			names[e.Name] = true
		}
	}
	return c.recordNow(ctx, im, i, names)
}

func (c *Cache) recordNow(ctx context.Context, im *source.Image, i int, pinned map[string]bool) (*Skeleton, error) {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// The slot is released on return (also by a panic), unless a store
	// in the background took it over.
	handedOver := false
	defer func() {
		if !handedOver {
			<-c.slots
		}
	}()
	l := im.Layers[i]
	sk, err := c.recordSlot(ctx, im, i, pinned)
	if err != nil {
		return nil, err
	}
	c.recorded.Add(1)
	c.mem.put(l.Digest, sk)
	// A store that keeps nothing (drydock scan --no-cache) is not handed
	// an encoding to throw away.
	if _, discard := c.objs.(objects.Discard); discard {
		return sk, nil
	}
	if !c.later {
		c.store(ctx, l.Digest, sk.Marshal())
		return sk, nil
	}
	c.mu.Lock()
	c.storeGen[l.Digest]++
	gen := c.storeGen[l.Digest]
	c.mu.Unlock()
	// The skeleton is not changed once recorded: the replay and the
	// encoding read it side by side.
	handedOver = true
	c.stores.Add(1)
	go func() {
		defer c.stores.Done()
		defer func() { <-c.slots }()
		data := sk.Marshal()
		c.storeMu.Lock()
		defer c.storeMu.Unlock()
		c.mu.Lock()
		latest := c.storeGen[l.Digest] == gen
		c.mu.Unlock()
		if latest {
			c.store(context.WithoutCancel(ctx), l.Digest, data)
		}
	}()
	return sk, nil
}

// store puts the encoded skeleton of layer d, logging a failure (the
// cache only loses it).
func (c *Cache) store(ctx context.Context, d oci.Digest, data []byte) {
	if err := c.objs.Put(ctx, objectName(d), data); err != nil {
		c.log.WarnContext(ctx, "store layer skeleton", "layer", d, "err", err)
	}
}

// recordSlot records layer i of im, in a recording slot.
func (c *Cache) recordSlot(ctx context.Context, im *source.Image, i int, pinned map[string]bool) (*Skeleton, error) {
	l := im.Layers[i]
	rc, err := im.OpenLayer(ctx, i)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return recordLayer(ctx, i, rc, layer.Desc{Digest: l.Digest, DiffID: l.DiffID}, c.cfg, c.sels, c.lim, pinned)
}

// lru keeps decoded skeletons up to a byte budget.
type lru struct {
	mu    sync.Mutex
	max   int64
	size  int64
	order *list.List // front: most recent
	items map[oci.Digest]*list.Element
}

type lruItem struct {
	d    oci.Digest
	sk   *Skeleton
	size int64
}

func newLRU(max int64) *lru {
	return &lru{max: max, order: list.New(), items: map[oci.Digest]*list.Element{}}
}

func (l *lru) get(d oci.Digest) *Skeleton {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.items[d]; ok {
		l.order.MoveToFront(el)
		return el.Value.(*lruItem).sk
	}
	return nil
}

func (l *lru) put(d oci.Digest, sk *Skeleton) {
	n := sk.size()
	if n > l.max/4 {
		return // one huge layer would evict everything
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.items[d]; ok {
		it := el.Value.(*lruItem)
		l.size += n - it.size
		it.sk, it.size = sk, n
		l.order.MoveToFront(el)
	} else {
		l.items[d] = l.order.PushFront(&lruItem{d: d, sk: sk, size: n})
		l.size += n
	}
	for l.size > l.max && l.order.Len() > 0 {
		el := l.order.Back()
		it := el.Value.(*lruItem)
		l.order.Remove(el)
		delete(l.items, it.d)
		l.size -= it.size
	}
}
