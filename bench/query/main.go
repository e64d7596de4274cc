// Command query benchmarks the query engine (internal/kql) on generated
// tables held in memory (see run.sh and gen.go):
//
//  1. where + summarize over 1,000,000 findings (target < 1 s);
//  2. mv-expand + join over 100,000 sub-assessments (target < 2 s);
//
// and reports memory: the process's peak RSS (VmHWM), the heap the data
// set takes, and the extra heap each query reaches while it runs (sampled
// every 2 ms).
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/drydock/drydock/internal/kql"
)

// The benchmark queries (also run by bench_test.go).
var queries = []struct {
	name, text string
}{
	{"where + count (scan speed)", `findings
| where severity == "Critical"
| count`},
	{"where + summarize by 2 keys (40 groups), dcount", `findings
| where severity in ("Critical", "High") and fixStatus == "FixAvailable" and not(exempted)
| summarize findings = count(), advisories = dcount(id), worst = max(cvssScore) by registry, severity`},
	{"where + summarize by repository (5,000 groups) + top", `findings
| where cvssScore >= 7.0
| summarize n = count(), latest = max(publishedAt) by repository
| top 10 by n desc`},
	{"mv-expand + join + summarize", `securityresources
| where type == "microsoft.security/assessments/subassessments"
| mv-expand properties.additionalData.cve
| extend digest = tostring(properties.additionalData.imageDigest), cve = tostring(properties_additionalData_cve.title)
| join kind=inner (images | project digest, os) on digest
| summarize findings = count(), cves = dcount(cve) by os`},
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/query:", err)
		os.Exit(1)
	}
}

func run() error {
	nFindings := flag.Int("findings", 1_000_000, "findings rows")
	nSub := flag.Int("subassessments", 100_000, "securityresources rows")
	nImages := flag.Int("images", 20_000, "images rows")
	repeat := flag.Int("repeat", 5, "runs of each query (median, min and max are reported)")
	flag.Parse()
	fmt.Printf("machine: %d CPUs (GOMAXPROCS %d), %s/%s, %s, %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0),
		runtime.GOOS, runtime.GOARCH, runtime.Version(), loadAvg())

	heap0 := heapNow()
	start := time.Now()
	cat := kql.MapCatalog{
		"findings":          genFindings(*nFindings, 1),
		"images":            genImages(*nImages, 2),
		"securityresources": genSubAssessments(*nSub, *nImages, 3),
	}
	gen := time.Since(start)
	runtime.GC()
	data := heapNow() - heap0
	fmt.Printf("data set: %d findings, %d sub-assessments, %d images generated in %s; %d MiB of heap; peak RSS so far %d MiB\n\n",
		*nFindings, *nSub, *nImages, gen.Round(time.Millisecond), data>>20, vmHWM()>>20)

	fmt.Println("| query | input rows | result rows | median | min | max | CPU (median) | extra heap (peak) |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, q := range queries {
		var walls, cpus []time.Duration
		var peak int64
		var rows int
		for i := 0; i < *repeat; i++ {
			runtime.GC()
			base := heapNow()
			stop := sampleHeap()
			c0 := cpuTime()
			t0 := time.Now()
			res, err := kql.Run(context.Background(), q.text, cat, kql.Limits{Timeout: time.Minute, MaxMemory: 4 << 30})
			wall := time.Since(t0)
			cpu := cpuTime() - c0
			max := stop()
			if err != nil {
				return fmt.Errorf("%s: %w", q.name, err)
			}
			rows = len(res.Rows)
			walls, cpus = append(walls, wall), append(cpus, cpu)
			peak = maxOf(peak, max-base)
		}
		input := *nFindings
		if strings.HasPrefix(q.text, "securityresources") {
			input = *nSub
		}
		slices.Sort(walls)
		slices.Sort(cpus)
		fmt.Printf("| %s | %d | %d | %s | %s | %s | %s | %d MiB |\n", q.name, input, rows,
			ms(walls[len(walls)/2]), ms(walls[0]), ms(walls[len(walls)-1]), ms(cpus[len(cpus)/2]), peak>>20)
	}
	fmt.Printf("\npeak RSS of the whole run (VmHWM): %d MiB\n", vmHWM()>>20)
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func maxOf(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

func heapNow() int64 {
	metrics.Read(heapSample)
	return int64(heapSample[0].Value.Uint64())
}

// sampleHeap samples the live heap until the returned function is called,
// which returns the largest sample.
func sampleHeap() func() int64 {
	done := make(chan struct{})
	var wg sync.WaitGroup
	var max int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(s)
			max = maxOf(max, int64(s[0].Value.Uint64()))
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(done)
		wg.Wait()
		return maxOf(max, heapNow())
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// vmHWM is the process's peak resident set size in bytes.
func vmHWM() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load average unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "load average unknown"
	}
	return "load average " + strings.Join(f[:3], " ")
}
