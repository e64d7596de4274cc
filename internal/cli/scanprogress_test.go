package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/source"
)

// syncBuffer is a bytes.Buffer for one writer and one reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// progressImage opens the app layout's image.
func progressImage(t *testing.T, ref string) *source.Image {
	t.Helper()
	src, err := source.Open(t.Context(), ref, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	ims, err := src.Images(t.Context())
	if err != nil || len(ims) != 1 {
		t.Fatalf("%d images, %v", len(ims), err)
	}
	return ims[0]
}

// readLayers reads every layer blob of im whole and returns the bytes read.
func readLayers(ctx context.Context, im *source.Image) (int64, error) {
	var n int64
	for i := range im.Layers {
		rc, err := im.OpenLayer(ctx, i)
		if err != nil {
			return n, err
		}
		k, err := io.Copy(io.Discard, rc)
		rc.Close()
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func TestScanProgress(t *testing.T) {
	ref := "oci:" + appLayout(t)
	want := &extract.Inventory{}

	t.Run("bar while reading, cleared after", func(t *testing.T) {
		im := progressImage(t, ref)
		var total int64
		for _, l := range im.Layers {
			total += l.Size
		}
		var out syncBuffer
		var counted atomic.Int64
		im.CountReads(func(n int64) { counted.Add(n) })
		inv, err := withScanProgress(&out, nil, 0)(t.Context(), im, func(ctx context.Context) (*extract.Inventory, error) {
			// Part of the first layer, a pause for the bar (drawn every
			// 100 ms), then the rest.
			rc, err := im.OpenLayer(ctx, 0)
			if err != nil {
				return nil, err
			}
			defer rc.Close()
			if _, err := io.CopyN(io.Discard, rc, 100); err != nil {
				return nil, err
			}
			for end := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "reading") && time.Now().Before(end); {
				time.Sleep(10 * time.Millisecond)
			}
			k, _ := io.Copy(io.Discard, rc)
			n, err := readLayers(ctx, im)
			if err != nil || n != total || 100+k != im.Layers[0].Size {
				t.Errorf("read %d bytes of %d, %d of layer 0: %v", n, total, 100+k, err)
			}
			return want, nil
		})
		if inv != want || err != nil {
			t.Fatalf("inventory %p, %v; want %p", inv, err, want)
		}
		if got := counted.Load(); got != im.Layers[0].Size+total {
			t.Errorf("CountReads counted %d bytes, want %d", got, im.Layers[0].Size+total)
		}
		s := out.String()
		if !strings.Contains(s, "reading demo/app linux/amd64 ") || !strings.Contains(s, "kB") {
			t.Errorf("no bar for the image in %q", s)
		}
		// Cleared: the last bar drawn is followed by a line of spaces.
		if i := strings.LastIndex(s, "reading"); strings.TrimSpace(s[i:][strings.Index(s[i:], "\r"):]) != "" {
			t.Errorf("the bar is not cleared at the end: %q", s)
		}
	})

	t.Run("quick: no bar", func(t *testing.T) {
		im := progressImage(t, ref)
		var out bytes.Buffer
		boom := errors.New("boom")
		_, err := withScanProgress(&out, nil, time.Hour)(t.Context(), im, func(ctx context.Context) (*extract.Inventory, error) {
			_, _ = readLayers(ctx, im)
			return nil, boom
		})
		if !errors.Is(err, boom) || out.Len() != 0 {
			t.Errorf("err %v, output %q; want boom and nothing", err, out.String())
		}
	})

	t.Run("next inventory and unknown sizes", func(t *testing.T) {
		im := progressImage(t, "dir:"+t.TempDir())
		var out bytes.Buffer
		called := false
		next := func(ctx context.Context, im *source.Image, read func(context.Context) (*extract.Inventory, error)) (*extract.Inventory, error) {
			called = true
			return want, nil
		}
		inv, err := withScanProgress(&out, next, 0)(t.Context(), im, nil)
		if !called || inv != want || err != nil || out.Len() != 0 {
			t.Errorf("next called %v, inventory %p, %v, output %q", called, inv, err, out.String())
		}
	})
}
