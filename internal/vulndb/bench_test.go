//go:build unix

package vulndb

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/drydock/drydock/internal/vulndb/feed"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

func BenchmarkDecodeEntry(b *testing.B) {
	for _, f := range []string{"osv/testdata/GO-2024-3228.json", "osv/testdata/GHSA-jfh8-c2jp-5v3q.json"} {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		e, err := osv.Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		enc := encodeEntry(nil, e)
		b.Run(e.ID, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				if _, err := decodeEntry(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCandidates measures a lookup of the matching path: Candidates
// iterated to the end, for packages with 1, 10 and 100 advisories.
func BenchmarkCandidates(b *testing.B) {
	s, err := NewStore(b.TempDir(), discard)
	if err != nil {
		b.Fatal(err)
	}
	bld, err := s.Begin(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	src := bld.Source("bench")
	sizes := []int{1, 10, 100}
	for _, n := range sizes {
		for i := range n {
			e := adv(fmt.Sprintf("GHSA-%d-%d", n, i), day(1), fmt.Sprintf("npm/pkg-%d", n))
			e.Affected[0].Ranges[0].Events = append(e.Affected[0].Ranges[0].Events, osv.Event{Introduced: "2.0.0"}, osv.Event{Fixed: "2.4.1"})
			e.Details = strings.Repeat("details ", 100)
			if err := bld.Add(src, "osv", feed.Record{Advisory: e}); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := bld.Commit(b.Context()); err != nil {
		b.Fatal(err)
	}
	db, err := s.Open()
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, n := range sizes {
		name := fmt.Sprintf("pkg-%d", n)
		b.Run(fmt.Sprintf("candidates=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			// CPU time of this thread, which other processes on a busy
			// machine do not inflate as they do wall time.
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var ru0, ru1 syscall.Rusage
			syscall.Getrusage(1, &ru0) // RUSAGE_THREAD
			for b.Loop() {
				c := db.Candidates("npm", name)
				for c.Next() {
				}
				if c.Err() != nil {
					b.Fatal(c.Err())
				}
			}
			syscall.Getrusage(1, &ru1)
			cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
