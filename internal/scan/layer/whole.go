package layer

import (
	"context"
	"io"

	"golang.org/x/sync/semaphore"
)

// Files that reducers read whole (Go and Rust binaries, archives) are the
// largest buffers of a layer read. Up to smallWhole bytes, a reader reuses
// one buffer of its own. Larger ones take their size from wholeFiles,
// shared by every reader in the process (at most wholeBudget, so a file
// larger than that is read while no other large one is held), and are
// dropped once reduced. Two layers read side by side, each with a large
// binary, would otherwise hold both at once, and a buffer once grown stayed
// for the rest of the read: on the 2 GB bench image that was 26 + 15 MB of
// a ~100 MiB peak.
const (
	smallWhole  = 1 << 20
	wholeBudget = 32 << 20
)

var wholeFiles = semaphore.NewWeighted(wholeBudget)

// ReadWhole reads the n bytes of the current file of r for reducers: into
// *scratch when it is small enough (growing it; the result aliases it),
// else into a buffer of its own under the process-wide budget, which done
// gives back (call it once the reducers are done). Errors are r's, or
// ctx's while waiting for the budget.
func ReadWhole(ctx context.Context, r io.Reader, n int64, scratch *[]byte) (data []byte, done func(), err error) {
	done = func() {}
	if n <= smallWhole {
		if int64(cap(*scratch)) < n {
			*scratch = nil // not live while its successor is allocated
			*scratch = make([]byte, n)
		}
		data = (*scratch)[:n]
	} else {
		w := min(n, wholeBudget)
		if err := wholeFiles.Acquire(ctx, w); err != nil {
			return nil, done, err
		}
		done = func() { wholeFiles.Release(w) }
		data = make([]byte, n)
	}
	if _, err := io.ReadFull(r, data); err != nil {
		done()
		return nil, func() {}, err
	}
	return data, done, nil
}
