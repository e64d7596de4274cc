package loadgen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Media types the clients push.
const (
	mtManifest = "application/vnd.oci.image.manifest.v1+json"
	mtIndex    = "application/vnd.oci.image.index.v1+json"
	mtConfig   = "application/vnd.oci.image.config.v1+json"
	mtLayer    = "application/vnd.oci.image.layer.v1.tar"
	mtEmpty    = "application/vnd.oci.empty.v1+json"
	mtSBOM     = "application/vnd.example.sbom.v1"
	acceptAll  = mtManifest + ", " + mtIndex
)

// emptyJSON is the OCI empty descriptor's content.
var emptyJSON = []byte("{}")

// blob is pushed content; data is kept only while the client may still
// check a Range of it.
type blob struct {
	digest string
	size   int64
	data   []byte
}

// image is something a client pushed.
type image struct {
	tag       string
	digest    string
	manifest  []byte
	mediaType string
	config    blob
	layer     blob   // the image's own layer
	referrer  string // digest of an SBOM artifact referring to it
}

// base is the image every client's images share a layer with.
type base struct {
	repo   string
	digest string
	layer  blob
}

// opKind is one kind of operation with its weight in the mix.
type opKind struct {
	name   string
	weight int
	run    func(c *client, ctx context.Context) error
}

var opKinds = []opKind{
	{"push", 28, (*client).push},
	{"retag", 4, (*client).retag},
	{"referrer push", 4, (*client).pushReferrer},
	{"index push", 3, (*client).pushIndex},
	{"manifest get", 16, (*client).getManifest},
	{"manifest head", 5, (*client).headManifest},
	{"base manifest get", 3, (*client).getBase},
	{"blob range", 14, (*client).blobRange},
	{"blob get", 7, (*client).blobGet},
	{"tag list", 8, (*client).tagList},
	{"referrers", 6, (*client).referrers},
	{"catalog", 2, (*client).catalog},
}

// keepLayers is how many of its latest layers a client keeps in memory
// for Range checks; keepImages how many images it pulls from.
const (
	keepLayers = 8
	keepImages = 64
)

// opStats are one client's figures for one kind of operation.
type opStats struct {
	n, errors          int64
	latency            []float32 // ms
	bytesUp, bytesDown int64
}

// client is one registry client with its own connections, token and
// repository.
type client struct {
	cfg  *Config
	id   int
	repo string
	base base
	hc   *http.Client
	ts   *tokenSource
	rng  *mrand.Rand
	errs *errorLog

	pushed   int     // images pushed (tags t000000...)
	indexes  int     // indexes pushed
	images   []image // the latest keepImages
	latest   string  // digest tagged "latest"
	hasEmpty bool    // the empty config blob is in the repository
	stats    map[string]*opStats
	reauth   int // 401s answered by fetching a new token
	cur      *opStats
}

func newClient(cfg *Config, id int, b base, errs *errorLog) *client {
	repo := fmt.Sprintf("%s/c%02d", cfg.Registry, id)
	hc := httpClient()
	return &client{
		cfg: cfg, id: id, repo: repo, base: b, hc: hc, errs: errs,
		rng:   mrand.New(mrand.NewPCG(cfg.Seed, uint64(id)+1)),
		stats: map[string]*opStats{},
		ts: &tokenSource{hc: hc, server: cfg.Server, user: cfg.User, password: cfg.Password,
			scopes: []string{"repository:" + repo + ":pull,push", "repository:" + b.repo + ":pull", "registry:catalog:*"}},
	}
}

// run performs operations until ctx ends; an operation in flight when the
// duration is over is not counted.
func (c *client) run(ctx context.Context) {
	total := 0
	for _, k := range opKinds {
		total += k.weight
	}
	for ctx.Err() == nil {
		k := c.pick(total)
		st := c.stats[k.name]
		if st == nil {
			st = &opStats{}
			c.stats[k.name] = st
		}
		c.cur = st
		t0 := time.Now()
		err := k.run(c, ctx)
		if ctx.Err() != nil {
			return // cut short by the end of the run
		}
		st.n++
		st.latency = append(st.latency, float32(time.Since(t0).Seconds()*1000))
		if err != nil {
			st.errors++
			c.errs.add(fmt.Sprintf("client %d %s", c.id, k.name), err)
		}
	}
}

// pick chooses an operation; a client without images pushes first.
func (c *client) pick(total int) opKind {
	if len(c.images) < 2 {
		return opKinds[0]
	}
	n := c.rng.IntN(total)
	for _, k := range opKinds {
		if n < k.weight {
			return k
		}
		n -= k.weight
	}
	return opKinds[0]
}

// do sends a request with the client's token; a 401 fetches a new token
// and retries once. body may be nil.
func (c *client) do(ctx context.Context, method, u string, body []byte, h http.Header) (*http.Response, error) {
	if strings.HasPrefix(u, "/") {
		u = c.cfg.Server + u
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.ts.get(ctx)
		if err != nil {
			return nil, err
		}
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, rd)
		if err != nil {
			return nil, err
		}
		for k, v := range h {
			req.Header[k] = v
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		if body == nil && (method == http.MethodPut || method == http.MethodPost || method == http.MethodPatch) {
			req.ContentLength = 0
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			return nil, err
		}
		if c.cur != nil {
			c.cur.bytesUp += int64(len(body))
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			drain(resp)
			c.ts.invalidate()
			c.reauth++
			continue
		}
		return resp, nil
	}
}

// call is do that reads the body and checks the status.
func (c *client) call(ctx context.Context, method, u string, body []byte, h http.Header, want int) (http.Header, []byte, error) {
	resp, err := c.do(ctx, method, u, body, h)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	if c.cur != nil {
		c.cur.bytesDown += int64(len(rb))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: read body: %w", method, u, err)
	}
	if resp.StatusCode != want {
		return nil, nil, fmt.Errorf("%s %s: status %d, want %d: %.200s", method, u, resp.StatusCode, want, rb)
	}
	return resp.Header, rb, nil
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// ---------------------------------------------------------------------------
// Push

// push pushes a new image: config, the base layer, a new layer, manifest.
func (c *client) push(ctx context.Context) error {
	size := 1<<10 + c.rng.IntN(63<<10)
	if c.rng.IntN(20) == 0 {
		size = 64<<10 + c.rng.IntN(960<<10)
	}
	n := c.pushed
	layerData, err := randomTar(c.rng, fmt.Sprintf("c%02d/%d", c.id, n), size)
	if err != nil {
		return err
	}
	layer := blob{digest: digestOf(layerData), size: int64(len(layerData)), data: layerData}
	cfgData := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[%q,%q]},"config":{"Labels":{"client":"%d","n":"%d"}}}`,
		c.base.layer.digest, layer.digest, c.id, n))
	config := blob{digest: digestOf(cfgData), size: int64(len(cfgData)), data: cfgData}
	if err := c.upload(ctx, config.data); err != nil {
		return err
	}
	if err := c.ensureBase(ctx); err != nil {
		return err
	}
	if err := c.upload(ctx, layer.data); err != nil {
		return err
	}
	manifest := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":%q,"digest":%q,"size":%d},`+
		`"layers":[{"mediaType":%q,"digest":%q,"size":%d},{"mediaType":%q,"digest":%q,"size":%d}]}`,
		mtManifest, mtConfig, config.digest, config.size,
		mtLayer, c.base.layer.digest, c.base.layer.size, mtLayer, layer.digest, layer.size))
	tag := fmt.Sprintf("t%06d", n)
	if err := c.putManifest(ctx, tag, mtManifest, manifest); err != nil {
		return err
	}
	c.pushed++
	config.data = nil
	c.images = append(c.images, image{tag: tag, digest: digestOf(manifest), manifest: manifest, mediaType: mtManifest, config: config, layer: layer})
	if len(c.images) > keepImages {
		c.images = slices.Delete(c.images, 0, len(c.images)-keepImages)
	}
	if i := len(c.images) - 1 - keepLayers; i >= 0 {
		c.images[i].layer.data = nil
	}
	return nil
}

// ensureBase links the base layer into the repository: a HEAD (which
// drydock answers by linking it when the caller may push), or an explicit
// cross-repository mount.
func (c *client) ensureBase(ctx context.Context) error {
	d := c.base.layer.digest
	if c.rng.IntN(2) == 0 {
		resp, err := c.do(ctx, http.MethodHead, "/v2/"+c.repo+"/blobs/"+d, nil, nil)
		if err != nil {
			return fmt.Errorf("HEAD base layer: %w", err)
		}
		drain(resp)
		if resp.StatusCode == http.StatusOK {
			return nil
		}
		if resp.StatusCode != http.StatusNotFound {
			return fmt.Errorf("HEAD base layer: status %d", resp.StatusCode)
		}
	}
	u := "/v2/" + c.repo + "/blobs/uploads/?mount=" + url.QueryEscape(d) + "&from=" + url.QueryEscape(c.base.repo)
	h, _, err := c.call(ctx, http.MethodPost, u, nil, nil, http.StatusCreated)
	if err != nil {
		return fmt.Errorf("mount base layer: %w", err)
	}
	if got := h.Get("Docker-Content-Digest"); got != d {
		return fmt.Errorf("mount base layer: Docker-Content-Digest %q, want %s", got, d)
	}
	return nil
}

// upload pushes b into the client's repository through a random flow:
// monolithic POST, POST then PUT, a streamed PATCH, or Content-Range chunks.
func (c *client) upload(ctx context.Context, b []byte) error {
	return uploadBlob(ctx, c, c.repo, b, c.rng.IntN(4))
}

// requester is what uploadBlob needs from a client.
type requester interface {
	call(ctx context.Context, method, u string, body []byte, h http.Header, want int) (http.Header, []byte, error)
}

func uploadBlob(ctx context.Context, c requester, repo string, b []byte, flow int) error {
	d := digestOf(b)
	oct := http.Header{"Content-Type": {"application/octet-stream"}}
	var h http.Header
	var err error
	if flow == 0 {
		h, _, err = c.call(ctx, http.MethodPost, "/v2/"+repo+"/blobs/uploads/?digest="+url.QueryEscape(d), b, oct, http.StatusCreated)
		if err != nil {
			return err
		}
		return checkDigestHeader(h, d)
	}
	if h, _, err = c.call(ctx, http.MethodPost, "/v2/"+repo+"/blobs/uploads/", nil, nil, http.StatusAccepted); err != nil {
		return err
	}
	loc := h.Get("Location")
	var final []byte
	switch flow {
	case 1:
		final = b
	case 2:
		if h, _, err = c.call(ctx, http.MethodPatch, loc, b, oct, http.StatusAccepted); err != nil {
			return err
		}
		loc = h.Get("Location")
	default:
		half := len(b) / 2
		for _, r := range [][2]int{{0, half}, {half, len(b)}} {
			ch := http.Header{"Content-Type": oct["Content-Type"], "Content-Range": {fmt.Sprintf("%d-%d", r[0], r[1]-1)}}
			if h, _, err = c.call(ctx, http.MethodPatch, loc, b[r[0]:r[1]], ch, http.StatusAccepted); err != nil {
				return err
			}
			if want := fmt.Sprintf("0-%d", r[1]-1); h.Get("Range") != want {
				return fmt.Errorf("PATCH chunk: Range %q, want %q", h.Get("Range"), want)
			}
			loc = h.Get("Location")
		}
	}
	if loc == "" {
		return errors.New("upload response without Location")
	}
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	h, _, err = c.call(ctx, http.MethodPut, loc+sep+"digest="+url.QueryEscape(d), final, oct, http.StatusCreated)
	if err != nil {
		return err
	}
	return checkDigestHeader(h, d)
}

func checkDigestHeader(h http.Header, d string) error {
	if got := h.Get("Docker-Content-Digest"); got != d {
		return fmt.Errorf("Docker-Content-Digest %q, want %s", got, d)
	}
	return nil
}

// putManifest pushes a manifest by tag and checks the answer.
func (c *client) putManifest(ctx context.Context, tag, mediaType string, body []byte) error {
	h, _, err := c.call(ctx, http.MethodPut, "/v2/"+c.repo+"/manifests/"+tag, body, http.Header{"Content-Type": {mediaType}}, http.StatusCreated)
	if err != nil {
		return err
	}
	return checkDigestHeader(h, digestOf(body))
}

// anyImage returns one of the client's recent images.
func (c *client) anyImage() *image { return &c.images[c.rng.IntN(len(c.images))] }

// retag points "latest" at one of the client's images.
func (c *client) retag(ctx context.Context) error {
	im := c.anyImage()
	if err := c.putManifest(ctx, "latest", im.mediaType, im.manifest); err != nil {
		return err
	}
	c.latest = im.digest
	return nil
}

// pushReferrer pushes an SBOM artifact whose subject is one of the
// client's images.
func (c *client) pushReferrer(ctx context.Context) error {
	im := c.anyImage()
	if !c.hasEmpty {
		if err := uploadBlob(ctx, c, c.repo, emptyJSON, 0); err != nil {
			return err
		}
		c.hasEmpty = true
	}
	sbom := []byte(fmt.Sprintf(`{"spdxVersion":"SPDX-2.3","name":%q,"n":%d}`, im.digest, c.rng.Uint64()))
	if err := c.upload(ctx, sbom); err != nil {
		return err
	}
	art := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"artifactType":%q,"config":{"mediaType":%q,"digest":%q,"size":2},`+
		`"layers":[{"mediaType":"application/spdx+json","digest":%q,"size":%d}],"subject":{"mediaType":%q,"digest":%q,"size":%d}}`,
		mtManifest, mtSBOM, mtEmpty, digestOf(emptyJSON), digestOf(sbom), len(sbom), im.mediaType, im.digest, len(im.manifest)))
	d := digestOf(art)
	h, _, err := c.call(ctx, http.MethodPut, "/v2/"+c.repo+"/manifests/"+d, art, http.Header{"Content-Type": {mtManifest}}, http.StatusCreated)
	if err != nil {
		return err
	}
	if h.Get("OCI-Subject") != im.digest {
		return fmt.Errorf("PUT artifact: OCI-Subject %q, want %s", h.Get("OCI-Subject"), im.digest)
	}
	im.referrer = d
	return nil
}

// pushIndex pushes an index of two of the client's images.
func (c *client) pushIndex(ctx context.Context) error {
	a, b := c.anyImage(), c.anyImage()
	idx := []byte(fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"manifests":[`+
		`{"mediaType":%q,"digest":%q,"size":%d,"platform":{"os":"linux","architecture":"amd64"}},`+
		`{"mediaType":%q,"digest":%q,"size":%d,"platform":{"os":"linux","architecture":"arm64"}}]}`,
		mtIndex, a.mediaType, a.digest, len(a.manifest), b.mediaType, b.digest, len(b.manifest)))
	tag := fmt.Sprintf("i%06d", c.indexes)
	if err := c.putManifest(ctx, tag, mtIndex, idx); err != nil {
		return err
	}
	c.indexes++
	c.images = append(c.images, image{tag: tag, digest: digestOf(idx), manifest: idx, mediaType: mtIndex})
	return nil
}

// ---------------------------------------------------------------------------
// Pull

// getManifest GETs a manifest by tag, digest or "latest" and checks it.
func (c *client) getManifest(ctx context.Context) error {
	im := c.anyImage()
	ref, want := im.tag, im.digest
	switch {
	case c.rng.IntN(3) == 0:
		ref = im.digest
	case c.latest != "" && c.rng.IntN(5) == 0:
		ref, want = "latest", c.latest
	}
	h, body, err := c.call(ctx, http.MethodGet, "/v2/"+c.repo+"/manifests/"+ref, nil, http.Header{"Accept": {acceptAll}}, http.StatusOK)
	if err != nil {
		return err
	}
	if got := digestOf(body); got != want {
		return fmt.Errorf("GET manifest %s: content hashes to %s, want %s", ref, got, want)
	}
	if err := checkDigestHeader(h, want); err != nil {
		return fmt.Errorf("GET manifest %s: %w", ref, err)
	}
	if ct := h.Get("Content-Type"); ref != "latest" && ct != im.mediaType {
		return fmt.Errorf("GET manifest %s: Content-Type %q, want %q", ref, ct, im.mediaType)
	}
	return nil
}

// headManifest HEADs a manifest by tag.
func (c *client) headManifest(ctx context.Context) error {
	im := c.anyImage()
	h, _, err := c.call(ctx, http.MethodHead, "/v2/"+c.repo+"/manifests/"+im.tag, nil, http.Header{"Accept": {acceptAll}}, http.StatusOK)
	if err != nil {
		return err
	}
	if h.Get("Content-Length") != strconv.Itoa(len(im.manifest)) {
		return fmt.Errorf("HEAD manifest %s: Content-Length %q, want %d", im.tag, h.Get("Content-Length"), len(im.manifest))
	}
	return checkDigestHeader(h, im.digest)
}

// getBase GETs the shared base image, which every client reads.
func (c *client) getBase(ctx context.Context) error {
	_, body, err := c.call(ctx, http.MethodGet, "/v2/"+c.base.repo+"/manifests/v1", nil, http.Header{"Accept": {acceptAll}}, http.StatusOK)
	if err != nil {
		return err
	}
	if got := digestOf(body); got != c.base.digest {
		return fmt.Errorf("GET base manifest: content hashes to %s, want %s", got, c.base.digest)
	}
	return nil
}

// layerImage returns a recent image whose layer bytes are kept.
func (c *client) layerImage() *image {
	for range 8 {
		if im := c.anyImage(); im.layer.data != nil {
			return im
		}
	}
	for i := len(c.images) - 1; i >= 0; i-- {
		if c.images[i].layer.data != nil {
			return &c.images[i]
		}
	}
	return nil
}

// blobRange GETs a Range of a layer (the client's own or the base layer)
// and checks the bytes.
func (c *client) blobRange(ctx context.Context) error {
	b := c.base.layer
	if im := c.layerImage(); im != nil && c.rng.IntN(4) != 0 {
		b = im.layer
	}
	start := c.rng.Int64N(b.size)
	end := min(start+c.rng.Int64N(64<<10)+1, b.size) - 1
	h, body, err := c.call(ctx, http.MethodGet, "/v2/"+c.repo+"/blobs/"+b.digest, nil,
		http.Header{"Range": {fmt.Sprintf("bytes=%d-%d", start, end)}}, http.StatusPartialContent)
	if err != nil {
		return err
	}
	if want := fmt.Sprintf("bytes %d-%d/%d", start, end, b.size); h.Get("Content-Range") != want {
		return fmt.Errorf("GET blob range: Content-Range %q, want %q", h.Get("Content-Range"), want)
	}
	if !bytes.Equal(body, b.data[start:end+1]) {
		return fmt.Errorf("GET blob %s range %d-%d: %d bytes differ from what was pushed", b.digest, start, end, len(body))
	}
	return nil
}

// blobGet GETs a whole layer or config and checks its digest.
func (c *client) blobGet(ctx context.Context) error {
	im := c.anyImage()
	b := im.layer
	if im.mediaType == mtIndex || c.rng.IntN(3) == 0 {
		b = c.base.layer
	} else if c.rng.IntN(3) == 0 {
		b = im.config
	}
	h, body, err := c.call(ctx, http.MethodGet, "/v2/"+c.repo+"/blobs/"+b.digest, nil, nil, http.StatusOK)
	if err != nil {
		return err
	}
	if int64(len(body)) != b.size || digestOf(body) != b.digest {
		return fmt.Errorf("GET blob %s: %d bytes hashing to %s", b.digest, len(body), digestOf(body))
	}
	return checkDigestHeader(h, b.digest)
}

// tagList checks a page of the tag list: after tag k-1 comes tag k, and
// the Link header announces more while there is more.
func (c *client) tagList(ctx context.Context) error {
	k := c.rng.IntN(c.pushed)
	last := "s" // after "latest" and the index tags, before t000000
	if k > 0 {
		last = fmt.Sprintf("t%06d", k-1)
	}
	h, body, err := c.call(ctx, http.MethodGet, "/v2/"+c.repo+"/tags/list?n=2&last="+last, nil, nil, http.StatusOK)
	if err != nil {
		return err
	}
	var tl struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal(body, &tl); err != nil {
		return fmt.Errorf("tag list: %w: %.200s", err, body)
	}
	want := []string{fmt.Sprintf("t%06d", k)}
	if k+1 < c.pushed {
		want = append(want, fmt.Sprintf("t%06d", k+1))
	}
	if tl.Name != c.repo || !slices.Equal(tl.Tags, want) {
		return fmt.Errorf("tag list after %s: %s %v, want %s %v", last, tl.Name, tl.Tags, c.repo, want)
	}
	if more := h.Get("Link") != ""; more != (k+2 < c.pushed) {
		return fmt.Errorf("tag list after %s: Link %q with %d tags pushed", last, h.Get("Link"), c.pushed)
	}
	return nil
}

// referrers lists the referrers of an image with an SBOM artifact, with
// and without the artifactType filter.
func (c *client) referrers(ctx context.Context) error {
	var im *image
	for i := len(c.images) - 1; i >= 0; i-- {
		if c.images[i].referrer != "" {
			im = &c.images[i]
			if c.rng.IntN(2) == 0 {
				break
			}
		}
	}
	if im == nil {
		return c.pushReferrer(ctx)
	}
	q := ""
	filter := c.rng.IntN(2) == 0
	if filter {
		q = "?artifactType=" + url.QueryEscape(mtSBOM)
	}
	h, body, err := c.call(ctx, http.MethodGet, "/v2/"+c.repo+"/referrers/"+im.digest+q, nil, nil, http.StatusOK)
	if err != nil {
		return err
	}
	if ct := h.Get("Content-Type"); ct != mtIndex {
		return fmt.Errorf("referrers: Content-Type %q", ct)
	}
	if filter && h.Get("OCI-Filters-Applied") != "artifactType" {
		return fmt.Errorf("referrers: OCI-Filters-Applied %q", h.Get("OCI-Filters-Applied"))
	}
	var idx struct {
		Manifests []struct {
			Digest       string `json:"digest"`
			ArtifactType string `json:"artifactType"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(body, &idx); err != nil {
		return fmt.Errorf("referrers: %w", err)
	}
	for _, m := range idx.Manifests {
		if m.Digest == im.referrer {
			if m.ArtifactType != mtSBOM {
				return fmt.Errorf("referrers of %s: artifactType %q", im.digest, m.ArtifactType)
			}
			return nil
		}
	}
	return fmt.Errorf("referrers of %s: %d entries without the artifact %s", im.digest, len(idx.Manifests), im.referrer)
}

// catalog reads a page of the catalog.
func (c *client) catalog(ctx context.Context) error {
	_, body, err := c.call(ctx, http.MethodGet, "/v2/_catalog?n=20", nil, nil, http.StatusOK)
	if err != nil {
		return err
	}
	var cat struct {
		Repositories []string `json:"repositories"`
	}
	if err := json.Unmarshal(body, &cat); err != nil || len(cat.Repositories) == 0 {
		return fmt.Errorf("catalog: %v: %.200s", err, body)
	}
	return nil
}
