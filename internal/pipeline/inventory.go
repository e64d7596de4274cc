package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/drydock/drydock/internal/oci"
	"github.com/drydock/drydock/internal/pipeline/objects"
	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/match"
	"github.com/drydock/drydock/internal/store"
)

// storedInventory is the part of an inventory the pipeline keeps per
// image: what matching needs. It is the image's SBOM.
type storedInventory struct {
	Schema string `json:"schema"`
	// Extractors are the extractors that made it ("name@version",
	// sorted); an inventory made by others is out of date: the image is
	// scanned again (see Pipeline.Run). Inventories stored before drydock
	// recorded them have none.
	Extractors []string `json:"extractors,omitempty"`
	// Failure is the reason the scan that took the inventory failed,
	// empty when it did not: an extractor could not read a file (a
	// corrupt rpm database, say), so the inventory holds what the others
	// found. Its report fails with this reason and lists those packages,
	// as drydock scan's report of the image does.
	Failure  string        `json:"failure,omitempty"`
	Distro   *pkg.Distro   `json:"distro,omitempty"`
	Packages []pkg.Package `json:"packages"`
}

// loadedInventory is a stored inventory read back.
type loadedInventory struct {
	inv *extract.Inventory
	// extractors made it (see storedInventory.Extractors).
	extractors []string
	// failure is storedInventory.Failure.
	failure string
}

// extractorKeys names extractors as stored inventories record them.
func extractorKeys(exs []extract.Extractor) []string {
	keys := make([]string, len(exs))
	for i, ex := range exs {
		keys[i] = fmt.Sprintf("%s@%d", ex.Name(), ex.Version())
	}
	slices.Sort(keys)
	return keys
}

const inventorySchema = "drydock.inventory/v1"

// failedInventorySchema is the schema of an inventory with a Failure: a
// drydock that predates Failure (after a downgrade) does not know it, and
// takes the inventory for lost, scanning the image again, not for a
// complete one that would turn the failed image healthy.
const failedInventorySchema = inventorySchema + "+failure"

// inventoryName is the object holding the inventory of image d. An
// image's inventory depends only on its content (and the extractors), so
// images of the same digest share it.
func inventoryName(d oci.Digest) string {
	enc := d.Encoded()
	if len(enc) < 2 {
		return "inventories/" + string(d.Algorithm()) + "/" + enc + ".inventory"
	}
	return "inventories/" + string(d.Algorithm()) + "/" + enc[:2] + "/" + enc + ".inventory"
}

var (
	invEncoders = sync.Pool{New: func() any {
		e, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
		return e
	}}
	invDecoders = sync.Pool{New: func() any {
		d, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(256<<20))
		return d
	}}
)

// putInventory stores the inventory of image d, made by the extractors
// named, and returns its name. failure is the reason its scan failed,
// empty when it did not (see storedInventory.Failure).
func putInventory(ctx context.Context, objs objects.Store, d oci.Digest, inv *extract.Inventory, extractors []string, failure string) (string, error) {
	schema := inventorySchema
	if failure != "" {
		schema = failedInventorySchema
	}
	b, err := json.Marshal(storedInventory{Schema: schema, Extractors: extractors, Failure: failure,
		Distro: inv.Distro, Packages: inv.Packages})
	if err != nil {
		return "", fmt.Errorf("pipeline: encode inventory of %s: %w", d, err)
	}
	enc := invEncoders.Get().(*zstd.Encoder)
	z := enc.EncodeAll(b, nil)
	invEncoders.Put(enc)
	name := inventoryName(d)
	if err := objs.Put(ctx, name, z); err != nil {
		return "", fmt.Errorf("pipeline: store inventory of %s: %w", d, err)
	}
	return name, nil
}

// errInventoryLost reports a stored inventory that is gone or unreadable:
// the image must be scanned again.
var errInventoryLost = errors.New("pipeline: stored inventory lost")

// getInventory reads a stored inventory.
func getInventory(ctx context.Context, objs objects.Store, name string) (*loadedInventory, error) {
	z, err := objs.Get(ctx, name)
	if errors.Is(err, objects.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", errInventoryLost, name)
	}
	if err != nil {
		return nil, err
	}
	dec := invDecoders.Get().(*zstd.Decoder)
	b, err := dec.DecodeAll(z, nil)
	invDecoders.Put(dec)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errInventoryLost, name, err)
	}
	var s storedInventory
	if err := json.Unmarshal(b, &s); err != nil || (s.Schema != inventorySchema && s.Schema != failedInventorySchema) {
		return nil, fmt.Errorf("%w: %s: not an inventory (%v)", errInventoryLost, name, err)
	}
	if s.Packages == nil {
		s.Packages = []pkg.Package{}
	}
	return &loadedInventory{inv: &extract.Inventory{Distro: s.Distro, Packages: s.Packages}, extractors: s.Extractors,
		failure: s.Failure}, nil
}

// scanConfigObject records what decided the inventories and verdicts of
// the last drydock serve to start on this data: its extractors (their
// keys, one per line), its limits, its matching rules' revision and how
// closely it judges Go binaries.
const scanConfigObject = "pipeline/extractors"

// scanConfig is what scanConfigObject records for this pipeline.
func (p *Pipeline) scanConfig() (string, error) {
	lim, err := json.Marshal(p.cfg.Limits)
	if err != nil {
		return "", fmt.Errorf("limits: %w", err)
	}
	return fmt.Sprintf("%s\nlimits %s\nmatching %d\ngo-scan %s", strings.Join(p.extractors, "\n"), lim, match.Revision, p.cfg.GoScan), nil
}

// checkScanConfig compares the scan's extractors, limits and matching
// rules with those the last start recorded. When they differ (drydock was
// upgraded and an extractor reads more, or differently, or a version
// comparison was fixed; or the limits were changed):
//   - every stored image is marked for re-evaluation (matched again from
//     its inventory, with the current rules), which scans again
//     the images whose inventories other extractors made (see
//     reevaluateBatch). Those scans read only the layers holding files a
//     changed extractor wants: the layer cache replays the rest;
//   - every image whose scan failed is scanned again: most have no
//     inventory to compare, and what failed it (a limit, an extractor's
//     error) may be what changed.
func (p *Pipeline) checkScanConfig(ctx context.Context) {
	want, err := p.scanConfig()
	if err != nil {
		p.log.WarnContext(ctx, "scan configuration", "err", err)
		return
	}
	had, err := p.d.Objects.Get(ctx, scanConfigObject)
	switch {
	case err == nil && string(had) == want:
		return
	case err != nil && !errors.Is(err, objects.ErrNotFound):
		p.log.WarnContext(ctx, "read the scan configuration of the last start", "err", err)
		return
	}
	n, err := p.d.Results.MarkStale(ctx, "")
	if err != nil {
		p.log.WarnContext(ctx, "scan configuration changed: mark images for re-evaluation", "err", err)
		return
	}
	failed, err := p.d.Queue.EnqueueFailedScans(ctx, store.ReasonUpgrade, store.PriorityBulk)
	if err != nil {
		// The marker is not written: the next start tries again.
		p.log.WarnContext(ctx, "scan configuration changed: queue the failed images", "err", err)
		return
	}
	if err := p.d.Objects.Put(ctx, scanConfigObject, []byte(want)); err != nil {
		p.log.WarnContext(ctx, "record the scan configuration", "err", err)
	}
	if n > 0 || failed > 0 {
		p.log.InfoContext(ctx, "extractors, limits or matching rules changed since the last start: stored images are matched again; those whose inventories other extractors made, and failed ones, are scanned again",
			"images", n, "failed_queued", failed)
	}
}
