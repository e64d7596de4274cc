package vulndb

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/drydock/drydock/internal/vulndb/feed"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// Record flags, stored in each record's body.
const (
	flagMerge = 1 << iota // a fragment of a converted record (feed.Record.Merge)
	flagLive              // this copy is the one lookups see
)

// pending is one stored record while a build runs.
type pending struct {
	id       string
	src      int
	modified time.Time
	sum      uint64 // tie-breaker between records with equal modified
	merge    bool
	off      int64  // offset in the spill file, or -1 when mem is used
	n        int    // length of the encoded entry
	mem      []byte // merge fragments stay in memory: they are merged again
}

// part is one enrichment part while a build runs.
type part struct {
	src  int
	kind byte
	at   time.Time
	sum  uint64
	b    []byte
}

type buildSource struct {
	meta  SourceMeta
	stamp SourceStamp
	feeds map[string]bool
}

// Builder collects the records of a new database version. Create one with
// [Store.Begin]; Add and Keep may be called from several goroutines; finish
// with [Builder.Commit] or [Builder.Abort].
type Builder struct {
	store  *Store
	unlock func()
	tmp    string

	mu      sync.Mutex
	spill   *os.File
	spillW  *bufio.Writer
	spillN  int64
	recs    map[string]*pending // key: id "\x00" source index
	parts   map[string][]*part  // key: CVE
	sources []*buildSource
	srcIdx  map[string]int
	done    bool
}

// Source registers a source by name (see [SourceMeta.Name]) and returns its
// index for Add. Registering a name twice returns the same index.
func (b *Builder) Source(name string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sourceLocked(name)
}

func (b *Builder) sourceLocked(name string) int {
	if i, ok := b.srcIdx[name]; ok {
		return i
	}
	b.sources = append(b.sources, &buildSource{meta: SourceMeta{Name: name}, stamp: SourceStamp{Name: name}, feeds: map[string]bool{}})
	b.srcIdx[name] = len(b.sources) - 1
	return len(b.sources) - 1
}

// SetStamp records the fetch/import state of source src (its Name is
// ignored: the source keeps its own).
func (b *Builder) SetStamp(src int, st SourceStamp) {
	b.mu.Lock()
	defer b.mu.Unlock()
	st.Name = b.sources[src].meta.Name
	b.sources[src].stamp = st
}

func fnvSum(p []byte) uint64 {
	h := fnv.New64a()
	h.Write(p)
	return h.Sum64()
}

// newer reports whether (t1, s1) wins over (t2, s2): later time, then the
// larger checksum, so the choice does not depend on arrival order.
func newer(t1 time.Time, s1 uint64, t2 time.Time, s2 uint64) bool {
	if !t1.Equal(t2) {
		return t1.After(t2)
	}
	return s1 > s2
}

// Add stores one parser record from source src found in a file of feed
// feedName. Bad records are not accepted here (the caller reports them).
func (b *Builder) Add(src int, feedName string, rec feed.Record) error {
	switch {
	case rec.Advisory != nil:
		return b.addAdvisory(src, feedName, rec.Advisory, rec.Merge)
	case rec.NVD != nil:
		return b.addPart(src, feedName, rec.NVD.CVE, partNVD, rec.NVD.Modified, encodeNVD(nil, rec.NVD))
	case rec.KEV != nil:
		return b.addPart(src, feedName, rec.KEV.CVE, partKEV, rec.KEV.DateAdded, encodeKEV(nil, rec.KEV))
	case rec.EPSS != nil:
		return b.addPart(src, feedName, rec.EPSS.CVE, partEPSS, rec.EPSS.Date, encodeEPSS(nil, rec.EPSS))
	case rec.Bad != nil:
		return fmt.Errorf("vulndb: malformed record passed to Add: %w", rec.Bad)
	}
	return errors.New("vulndb: empty record")
}

func (b *Builder) addAdvisory(src int, feedName string, e *osv.Entry, merge bool) error {
	enc := encodeEntry(nil, e)
	sum := fnvSum(enc)
	key := e.ID + "\x00" + fmt.Sprint(src)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return errors.New("vulndb: builder already finished")
	}
	b.sources[src].feeds[feedName] = true
	old := b.recs[key]
	if old != nil && merge && old.merge {
		prev, err := decodeEntry(old.mem)
		if err != nil {
			return err
		}
		mergeEntries(prev, e)
		old.mem = encodeEntry(nil, prev)
		old.n = len(old.mem)
		old.modified = prev.Modified
		old.sum = fnvSum(old.mem)
		return nil
	}
	if old != nil && !newer(e.Modified, sum, old.modified, old.sum) {
		return nil
	}
	p := &pending{id: e.ID, src: src, modified: e.Modified, sum: sum, merge: merge, off: -1, n: len(enc)}
	if merge {
		p.mem = enc
	} else if err := b.spillLocked(p, enc); err != nil {
		return err
	}
	b.recs[key] = p
	return nil
}

func (b *Builder) spillLocked(p *pending, enc []byte) error {
	if _, err := b.spillW.Write(enc); err != nil {
		return fmt.Errorf("vulndb: spill: %w", err)
	}
	p.off = b.spillN
	b.spillN += int64(len(enc))
	return nil
}

// mergeEntries joins fragment e into dst: affected entries and aliases are
// unions, in a canonical order so the result does not depend on the order
// fragments arrived in.
func mergeEntries(dst, e *osv.Entry) {
	for _, a := range e.Affected {
		if !slices.ContainsFunc(dst.Affected, func(x osv.Affected) bool { return reflect.DeepEqual(x, a) }) {
			dst.Affected = append(dst.Affected, a)
		}
	}
	slices.SortStableFunc(dst.Affected, func(x, y osv.Affected) int {
		if c := cmp.Compare(x.Package.Ecosystem, y.Package.Ecosystem); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Package.Name, y.Package.Name); c != 0 {
			return c
		}
		one := osv.Entry{Affected: []osv.Affected{x}}
		two := osv.Entry{Affected: []osv.Affected{y}}
		return bytes.Compare(encodeEntry(nil, &one), encodeEntry(nil, &two))
	})
	for _, a := range e.Aliases {
		if !slices.Contains(dst.Aliases, a) {
			dst.Aliases = append(dst.Aliases, a)
		}
	}
	slices.Sort(dst.Aliases)
	for _, r := range e.References {
		if !slices.Contains(dst.References, r) {
			dst.References = append(dst.References, r)
		}
	}
	slices.SortFunc(dst.References, func(x, y osv.Reference) int {
		return cmp.Or(cmp.Compare(x.URL, y.URL), cmp.Compare(x.Type, y.Type))
	})
	if e.Modified.After(dst.Modified) {
		dst.Modified = e.Modified
	}
	if e.Details > dst.Details { // deterministic choice between differing texts
		dst.Details = e.Details
	}
	if e.Summary > dst.Summary {
		dst.Summary = e.Summary
	}
}

func (b *Builder) addPart(src int, feedName, cve string, kind byte, at time.Time, enc []byte) error {
	sum := fnvSum(enc)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return errors.New("vulndb: builder already finished")
	}
	b.sources[src].feeds[feedName] = true
	list := b.parts[cve]
	for _, p := range list {
		if p.src == src && p.kind == kind {
			if newer(at, sum, p.at, p.sum) {
				p.at, p.sum, p.b = at, sum, enc
			}
			return nil
		}
	}
	b.parts[cve] = append(list, &part{src: src, kind: kind, at: at, sum: sum, b: enc})
	return nil
}

// Keep copies into the build everything db holds from the sources for
// which keep returns true, with their stamps; the rest of db is left out.
func (b *Builder) Keep(db *DB, keep func(source string) bool) error {
	srcMap := map[int]int{}
	for i, s := range db.meta.Sources {
		if keep(s.Name) {
			ni := b.Source(s.Name)
			srcMap[i] = ni
			for _, st := range db.stamp.Sources {
				if st.Name == s.Name {
					b.SetStamp(ni, st)
				}
			}
			b.mu.Lock()
			for _, f := range s.Feeds {
				b.sources[ni].feeds[f] = true
			}
			b.mu.Unlock()
		}
	}
	if len(srcMap) == 0 {
		return nil
	}
	defer keepAlive(db)
	for i := 0; i < db.numRecords(); i++ {
		src, flags, enc, err := db.recordBody(i)
		if err != nil {
			return err
		}
		ni, ok := srcMap[src]
		if !ok {
			continue
		}
		r := decoder{b: enc}
		id := r.strCopy()
		_ = r.bytes()
		mod := r.time()
		if r.err != nil {
			return r.err
		}
		p := &pending{id: id, src: ni, modified: mod, sum: fnvSum(enc), merge: flags&flagMerge != 0, off: -1, n: len(enc)}
		b.mu.Lock()
		var err2 error
		if p.merge {
			p.mem = bytes.Clone(enc)
		} else {
			err2 = b.spillLocked(p, enc)
		}
		b.recs[id+"\x00"+fmt.Sprint(ni)] = p
		b.mu.Unlock()
		if err2 != nil {
			return err2
		}
	}
	for i := 0; i < db.numEnrichment(); i++ {
		cve, parts, err := db.enrichmentParts(i)
		if err != nil {
			return err
		}
		for _, pt := range parts {
			ni, ok := srcMap[pt.src]
			if !ok {
				continue
			}
			var en Enrichment
			if err := decodePart(pt.b, &en); err != nil {
				return err
			}
			at := time.Time{}
			switch {
			case en.NVD != nil:
				at = en.NVD.Modified
			case en.KEV != nil:
				at = en.KEV.DateAdded
			case en.EPSS != nil:
				at = en.EPSS.Date
			}
			b.mu.Lock()
			b.parts[cve] = append(b.parts[cve], &part{src: ni, kind: pt.b[0], at: at, sum: fnvSum(pt.b), b: bytes.Clone(pt.b)})
			b.mu.Unlock()
		}
	}
	return nil
}

// Abort discards the build; the current version stays as it was. It is safe
// to call after Commit (it does nothing then).
func (b *Builder) Abort() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.finishLocked()
}

func (b *Builder) finishLocked() {
	if b.done {
		return
	}
	b.done = true
	if b.spill != nil {
		b.spill.Close()
	}
	os.RemoveAll(b.tmp)
	b.unlock()
}

// Result describes a committed version.
type Result struct {
	Version string
	Path    string
	// Changed is false when the new version has the same content as the
	// previous one (only the stamp changed).
	Changed bool
	Meta    Meta
}

// Commit writes the new version, makes it current atomically and removes
// versions older than the previous one. On error nothing changes.
func (b *Builder) Commit(ctx context.Context) (Result, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return Result{}, errors.New("vulndb: builder already finished")
	}
	defer b.finishLocked()
	if err := b.spillW.Flush(); err != nil {
		return Result{}, fmt.Errorf("vulndb: spill: %w", err)
	}
	out := filepath.Join(b.tmp, "out.db")
	version, meta, err := b.write(ctx, out)
	if err != nil {
		return Result{}, err
	}
	prev := b.store.currentVersion()
	path, err := b.store.install(out, version)
	if err != nil {
		return Result{}, err
	}
	return Result{Version: version, Path: path, Changed: prev != version, Meta: meta}, nil
}

// write produces the database file at path and returns its version.
func (b *Builder) write(ctx context.Context, path string) (string, Meta, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return "", Meta{}, fmt.Errorf("vulndb: create %s: %w", path, err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	cw := &countingWriter{w: bw, file: sha256.New(), content: sha256.New()}
	if _, err := io.WriteString(cw, magicStart); err != nil {
		return "", Meta{}, err
	}
	var ft footer
	ft.format = formatVersion
	cw.inContent = true
	begin := func(i int) { ft.sections[i].off = cw.n }
	end := func(i int) {
		ft.sections[i].n = cw.n - ft.sections[i].off
		var l [8]byte
		binary.LittleEndian.PutUint64(l[:], ft.sections[i].n)
		cw.content.Write(l[:]) // section boundaries are part of the content
	}

	// Order the records by (id, source) and choose, per id, what lookups see.
	keys := make([]*pending, 0, len(b.recs))
	for _, p := range b.recs {
		keys = append(keys, p)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].id != keys[j].id {
			return keys[i].id < keys[j].id
		}
		return keys[i].src < keys[j].src
	})
	live := make([]bool, len(keys))
	for i := 0; i < len(keys); {
		j := i
		for j < len(keys) && keys[j].id == keys[i].id {
			j++
		}
		best := -1
		for k := i; k < j; k++ {
			if !keys[k].merge && (best < 0 || newer(keys[k].modified, keys[k].sum, keys[best].modified, keys[best].sum)) {
				best = k
			}
		}
		if best >= 0 {
			live[best] = true
		} else {
			for k := i; k < j; k++ {
				live[k] = true
			}
		}
		i = j
	}

	meta := Meta{Ecosystems: map[string]int{}}
	srcRecords := make([]map[string]bool, len(b.sources))
	for i := range srcRecords {
		srcRecords[i] = map[string]bool{}
	}
	// runs holds each package's candidates (candidates.go) until the
	// records are written.
	type run struct {
		b    []byte
		n    int
		last uint32 // ordinal of the last candidate
	}
	runs := map[string]*run{}
	newest := make([]time.Time, len(b.sources))
	offsets := make([]uint64, 0, len(keys))
	var buf, body []byte
	var lastID string
	var idEcos map[string]bool
	flushEcos := func() {
		for e := range idEcos {
			meta.Ecosystems[e]++
		}
	}
	begin(secRecords)
	for i, p := range keys {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return "", Meta{}, err
			}
		}
		enc := p.mem
		if enc == nil {
			if cap(buf) < p.n {
				buf = make([]byte, p.n)
			}
			enc = buf[:p.n]
			if _, err := b.spill.ReadAt(enc, p.off); err != nil {
				return "", Meta{}, fmt.Errorf("vulndb: read spill: %w", err)
			}
		}
		var flags byte
		if p.merge {
			flags |= flagMerge
		}
		if live[i] {
			flags |= flagLive
		}
		offsets = append(offsets, cw.n-ft.sections[secRecords].off)
		var hdr [2 * binary.MaxVarintLen64]byte
		h := binary.PutUvarint(hdr[:], uint64(len(enc)+1+uvarintLen(uint64(p.src))))
		h += binary.PutUvarint(hdr[h:], uint64(p.src))
		hdr[h] = flags
		h++
		if _, err := cw.Write(hdr[:h]); err != nil {
			return "", Meta{}, fmt.Errorf("vulndb: write: %w", err)
		}
		if _, err := cw.Write(enc); err != nil {
			return "", Meta{}, fmt.Errorf("vulndb: write: %w", err)
		}
		srcRecords[p.src][p.id] = true
		if p.modified.After(newest[p.src]) {
			newest[p.src] = p.modified
		}
		if p.id != lastID {
			flushEcos()
			idEcos = map[string]bool{}
			lastID = p.id
			meta.Records++
		}
		if !live[i] {
			continue
		}
		e, err := decodeEntry(enc)
		if err != nil {
			return "", Meta{}, err
		}
		if e.IsWithdrawn() {
			meta.Withdrawn++
			continue
		}
		// The affected entries of each package the record names, in order
		// of first appearance.
		var pkgKeys []string
		byKey := map[string][]int{}
		for ai := range e.Affected {
			a := &e.Affected[ai]
			if a.GitOnly() {
				meta.GitOnly++
				continue
			}
			if a.Package.Ecosystem == "" || a.Package.Name == "" {
				continue
			}
			idEcos[a.Package.Ecosystem] = true
			k := indexKey(a.Package.Ecosystem, a.Package.Name)
			if _, ok := byKey[k]; !ok {
				pkgKeys = append(pkgKeys, k)
			}
			byKey[k] = append(byKey[k], ai)
		}
		ord := uint32(len(offsets) - 1)
		for _, k := range pkgKeys {
			r := runs[k]
			if r == nil {
				r = &run{}
				runs[k] = r
			} else if keys[r.last].id == p.id {
				// Two sources converted the same issue for the same package:
				// lookups see the first copy only.
				continue
			}
			body = appendCandidate(body[:0], e, byKey[k])
			r.b = binary.AppendUvarint(r.b, uint64(ord-r.last))
			r.b = binary.AppendUvarint(r.b, uint64(len(body)))
			r.b = append(r.b, body...)
			r.n++
			r.last = ord
		}
	}
	flushEcos()
	end(secRecords)

	begin(secRecordTable)
	var u8 [8]byte
	for _, o := range offsets {
		binary.LittleEndian.PutUint64(u8[:], o)
		if _, err := cw.Write(u8[:]); err != nil {
			return "", Meta{}, err
		}
	}
	end(secRecordTable)

	begin(secPackageIndex)
	ikeys := make([]string, 0, len(runs))
	for k := range runs {
		ikeys = append(ikeys, k)
	}
	sort.Strings(ikeys)
	meta.Packages = len(ikeys)
	buf = binary.AppendUvarint(buf[:0], uint64(len(ikeys)))
	for _, k := range ikeys {
		buf = binary.AppendUvarint(buf, uint64(len(k)))
		buf = append(buf, k...)
		buf = binary.AppendUvarint(buf, uint64(runs[k].n))
		buf = binary.AppendUvarint(buf, uint64(len(runs[k].b)))
		if len(buf) > 1<<16 {
			if _, err := cw.Write(buf); err != nil {
				return "", Meta{}, err
			}
			buf = buf[:0]
		}
	}
	if _, err := cw.Write(buf); err != nil {
		return "", Meta{}, err
	}
	end(secPackageIndex)

	begin(secCandidates)
	for _, k := range ikeys {
		if _, err := cw.Write(runs[k].b); err != nil {
			return "", Meta{}, err
		}
		delete(runs, k) // let the collector have it while the rest is written
	}
	end(secCandidates)

	// Enrichment: per CVE, parts ordered by (source, kind).
	cves := make([]string, 0, len(b.parts))
	for c := range b.parts {
		cves = append(cves, c)
	}
	sort.Strings(cves)
	eoffs := make([]uint64, 0, len(cves))
	begin(secEnrichment)
	srcEnr := make([][3]int, len(b.sources))
	for _, c := range cves {
		parts := b.parts[c]
		sort.Slice(parts, func(i, j int) bool {
			if parts[i].src != parts[j].src {
				return parts[i].src < parts[j].src
			}
			return parts[i].kind < parts[j].kind
		})
		body := binary.AppendUvarint(buf[:0], uint64(len(c)))
		body = append(body, c...)
		body = binary.AppendUvarint(body, uint64(len(parts)))
		var kinds [3]bool
		for _, pt := range parts {
			body = binary.AppendUvarint(body, uint64(pt.src))
			body = binary.AppendUvarint(body, uint64(len(pt.b)))
			body = append(body, pt.b...)
			k := kindIndex(pt.kind)
			kinds[k] = true
			srcEnr[pt.src][k]++
			if pt.at.After(newest[pt.src]) {
				newest[pt.src] = pt.at
			}
		}
		if kinds[0] {
			meta.NVD++
		}
		if kinds[1] {
			meta.KEV++
		}
		if kinds[2] {
			meta.EPSS++
		}
		eoffs = append(eoffs, cw.n-ft.sections[secEnrichment].off)
		var hdr [binary.MaxVarintLen64]byte
		if _, err := cw.Write(hdr[:binary.PutUvarint(hdr[:], uint64(len(body)))]); err != nil {
			return "", Meta{}, err
		}
		if _, err := cw.Write(body); err != nil {
			return "", Meta{}, err
		}
		buf = body
	}
	end(secEnrichment)
	begin(secEnrichTable)
	for _, o := range eoffs {
		binary.LittleEndian.PutUint64(u8[:], o)
		if _, err := cw.Write(u8[:]); err != nil {
			return "", Meta{}, err
		}
	}
	end(secEnrichTable)

	stamp := Stamp{BuiltAt: time.Now().UTC()}
	for i, s := range b.sources {
		s.meta.Records = len(srcRecords[i])
		s.meta.NVD, s.meta.KEV, s.meta.EPSS = srcEnr[i][0], srcEnr[i][1], srcEnr[i][2]
		s.meta.Newest = newest[i].UTC()
		s.meta.Feeds = nil
		for f := range s.feeds {
			s.meta.Feeds = append(s.meta.Feeds, f)
		}
		sort.Strings(s.meta.Feeds)
		meta.Sources = append(meta.Sources, s.meta)
		stamp.Sources = append(stamp.Sources, s.stamp)
	}
	begin(secMeta)
	mj, err := json.Marshal(meta)
	if err != nil {
		return "", Meta{}, err
	}
	if _, err := cw.Write(mj); err != nil {
		return "", Meta{}, err
	}
	end(secMeta)
	cw.inContent = false
	begin(secStamp)
	sj, err := json.Marshal(stamp)
	if err != nil {
		return "", Meta{}, err
	}
	if _, err := cw.Write(sj); err != nil {
		return "", Meta{}, err
	}
	ft.sections[secStamp].n = cw.n - ft.sections[secStamp].off
	copy(ft.content[:], cw.content.Sum(nil))
	if _, err := cw.Write(ft.marshalPrefix()); err != nil {
		return "", Meta{}, err
	}
	sum := cw.file.Sum(nil)
	if _, err := bw.Write(sum); err != nil {
		return "", Meta{}, err
	}
	if _, err := bw.WriteString(magicEnd); err != nil {
		return "", Meta{}, err
	}
	if err := bw.Flush(); err != nil {
		return "", Meta{}, fmt.Errorf("vulndb: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return "", Meta{}, fmt.Errorf("vulndb: sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", Meta{}, fmt.Errorf("vulndb: close %s: %w", path, err)
	}
	return ft.version(), meta, nil
}

func kindIndex(k byte) int {
	switch k {
	case partNVD:
		return 0
	case partKEV:
		return 1
	}
	return 2
}

func uvarintLen(v uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], v)
}
