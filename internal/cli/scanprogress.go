package cli

import (
	"context"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/drydock/drydock/internal/scan/cache"
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/source"
)

// progressDelay is how long an image's layers are read before its bar
// appears: a scan answered from the layer cache, or of a small image,
// shows none.
const progressDelay = 300 * time.Millisecond

// withScanProgress wraps an image inventory (nil: the plain layer read) so
// that, while an image's layers are read, w shows a bar of the layer bytes
// read against their total, cleared once the inventory is done. runScan
// uses it when standard error is a terminal; the report is unchanged.
// Images whose layer sizes are unknown (dir: sources) show no bar.
func withScanProgress(w io.Writer, next cache.InventoryFunc, delay time.Duration) cache.InventoryFunc {
	return func(ctx context.Context, im *source.Image, read func(context.Context) (*extract.Inventory, error)) (*extract.Inventory, error) {
		inventory := func() (*extract.Inventory, error) {
			if next == nil {
				return read(ctx)
			}
			return next(ctx, im, read)
		}
		var total int64
		for _, l := range im.Layers {
			if l.Size < 0 {
				return inventory()
			}
			total += l.Size
		}
		if total == 0 {
			return inventory()
		}
		var done atomic.Int64
		im.CountReads(func(n int64) { done.Add(n) })
		// Made now (it draws nothing yet) so that its rate counts from the
		// start.
		bar := progressbar.NewOptions64(total, progressbar.OptionSetWriter(w),
			progressbar.OptionShowBytes(true), progressbar.OptionShowCount(),
			progressbar.OptionSetDescription(progressLabel(im)),
			progressbar.OptionSetPredictTime(false), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish())
		bar.StartWithoutRender()
		stop, stopped := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(stopped)
			select {
			case <-time.After(delay):
			case <-stop:
				return
			}
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				// Layers replayed from the cache are not read: the bar
				// may end short of its total.
				_ = bar.Set64(min(done.Load(), total))
				select {
				case <-tick.C:
				case <-stop:
					_ = bar.Clear()
					return
				}
			}
		}()
		inv, err := inventory()
		close(stop)
		<-stopped
		return inv, err
	}
}

// progressLabel names the image a bar is for.
func progressLabel(im *source.Image) string {
	parts := []string{"reading", im.Repository}
	if im.Platform != "" {
		parts = append(parts, im.Platform)
	}
	return strings.Join(parts, " ")
}
