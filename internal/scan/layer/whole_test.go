package layer

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

// TestReadWhole: small files reuse the reader's scratch buffer; large
// ones take their size from the budget shared by all readers, and wait
// while it is spent.
func TestReadWhole(t *testing.T) {
	var scratch []byte
	small := bytes.Repeat([]byte("s"), 1000)
	data, done, err := ReadWhole(t.Context(), bytes.NewReader(small), int64(len(small)), &scratch)
	if err != nil || !bytes.Equal(data, small) || cap(scratch) < len(small) || &scratch[0] != &data[0] {
		t.Fatalf("small file: err %v, scratch reused %v", err, len(scratch) > 0 && &scratch[0] == &data[0])
	}
	done()

	n := int64(20 << 20)
	large := bytes.Repeat([]byte("L"), int(n))
	// Another reader holds most of the budget: a 20 MiB file waits.
	if err := wholeFiles.Acquire(t.Context(), wholeBudget-(10<<20)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	_, _, err = ReadWhole(ctx, bytes.NewReader(large), n, &scratch)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a large file read while the budget is spent: %v, want it to wait", err)
	}
	wholeFiles.Release(wholeBudget - (10 << 20))

	data, done, err = ReadWhole(t.Context(), bytes.NewReader(large), n, &scratch)
	if err != nil || !bytes.Equal(data, large) || int64(cap(scratch)) >= n {
		t.Fatalf("large file: err %v, scratch grew to %d", err, cap(scratch))
	}
	// Held: the budget has only wholeBudget-20 MiB left until done.
	if wholeFiles.TryAcquire(wholeBudget - n + 1) {
		t.Fatal("the budget was not taken by the large file")
	}
	done()
	if !wholeFiles.TryAcquire(wholeBudget) {
		t.Fatal("done did not give the budget back")
	}
	wholeFiles.Release(wholeBudget)

	// A short file gives its budget back too.
	if _, _, err := ReadWhole(t.Context(), bytes.NewReader(large[:100]), n, &scratch); err == nil {
		t.Fatal("short read: no error")
	}
	if !wholeFiles.TryAcquire(wholeBudget) {
		t.Fatal("a failed read kept its budget")
	}
	wholeFiles.Release(wholeBudget)
}
