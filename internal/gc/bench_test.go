package gc_test

import (
	"fmt"
	"testing"

	"github.com/drydock/drydock/internal/gc"
)

// BenchmarkRunOnceIdle measures a run that finds nothing to collect in a
// store of n images (2n blobs): the metadata steps cost what changed (here
// nothing); the orphan sweep costs one stat and one lookup per stored file.
func BenchmarkRunOnceIdle(b *testing.B) {
	for _, n := range []int{500, 5000} {
		b.Run(fmt.Sprintf("blobs=%d", 2*n), func(b *testing.B) {
			r := newRig(b)
			repo := r.repo("team/app")
			for i := range n {
				r.push(repo, fmt.Sprintf("image %d", i), fmt.Sprintf("v%d", i))
			}
			g := r.gc(gc.Config{GracePeriod: gc.NoGrace, DeleteUntagged: true})
			if _, err := g.RunOnce(r.ctx); err != nil { // settle the candidates of the pushes
				b.Fatal(err)
			}
			for b.Loop() {
				st, err := g.RunOnce(r.ctx)
				if err != nil || st.BlobsDeleted+st.LinksPruned+st.ManifestsDeleted+st.OrphansDeleted != 0 {
					b.Fatal(st, err)
				}
			}
		})
	}
}
