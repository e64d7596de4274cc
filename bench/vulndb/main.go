// Command vulndb benchmarks the advisory database (see run.sh):
//
//  1. `drydock db import` of all of shared/testdata/vulndb (target < 5 s);
//  2. `drydock db import` of a generated OSV corpus (default 500,000
//     records in one all.zip; target < 60 s and peak RSS < 1 GiB, read from
//     the child's rusage ru_maxrss, which is its VmHWM);
//  3. lookups in-process on the corpus database: first the matching path
//     (Candidates: the compact affected entries of a package, iterated to
//     the end; open time and memory; then the same stream with the version
//     check and the decoding of the matching advisories), then Lookup
//     (whole advisories) for each lookup cache size (-cache-mib). Each
//     measures packages with no advisory, every package once (cold), every
//     package a second time, and a scan-like stream after a warm-up
//     (p50/p99/p99.9/max, lookups per second; target p99 < 10 µs).
//
// Imports run in a child process so that their peak RSS is measured alone.
package main

import (
	"archive/zip"
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/drydock/drydock/internal/scan/match"
	"github.com/drydock/drydock/internal/vulndb"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/vulndb:", err)
		os.Exit(1)
	}
}

func run() error {
	bin := flag.String("drydock", "", "drydock binary to run imports with (required)")
	testdata := flag.String("testdata", "../shared/testdata/vulndb", "real advisory data")
	records := flag.Int("records", 500000, "generated corpus size")
	work := flag.String("work", "", "work directory (default: a temporary one, removed at the end)")
	repeat := flag.Int("repeat", 3, "runs of the real-data import (the median is reported)")
	lookups := flag.Int("lookups", 1000000, "warm lookups")
	caches := flag.String("cache-mib", "64,256", "lookup cache sizes to measure (MiB, comma-separated)")
	corpusOnly := flag.String("corpus-only", "", "only write the generated corpus (-records) to this zip file, and stop (bench/scan's real-size database)")
	flag.Parse()
	if *corpusOnly != "" {
		keys, size, err := generate(*corpusOnly, *records)
		if err != nil {
			return err
		}
		fmt.Printf("generated %d OSV records (%d distinct packages): %d MiB zip\n", *records, len(keys), size>>20)
		return nil
	}
	var cacheSizes []int
	for _, c := range strings.Split(*caches, ",") {
		var n int
		if _, err := fmt.Sscan(c, &n); err != nil {
			return fmt.Errorf("-cache-mib: %w", err)
		}
		cacheSizes = append(cacheSizes, n)
	}
	if *bin == "" {
		return errors.New("-drydock is required")
	}
	dir := *work
	if dir == "" {
		d, err := os.MkdirTemp("", "bench-vulndb-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	fmt.Printf("machine: %d CPUs (GOMAXPROCS %d), %s/%s, %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, loadAvg())

	// 1. Real data.
	var runs []measure
	for i := range *repeat {
		data := filepath.Join(dir, fmt.Sprintf("real-%d", i))
		m, err := importRun(*bin, data, *testdata)
		if err != nil {
			return err
		}
		runs = append(runs, m)
		os.RemoveAll(data)
	}
	slices.SortFunc(runs, func(a, b measure) int { return int(a.wall - b.wall) })
	med := runs[len(runs)/2]
	fmt.Printf("real data import (%d runs, median): wall %.2f s, user %.2f s, sys %.2f s, peak RSS %d MiB\n",
		*repeat, med.wall.Seconds(), med.user.Seconds(), med.sys.Seconds(), med.maxRSS>>20)
	fmt.Printf("  %s\n", med.summary)

	// 2. Generated corpus.
	corpus := filepath.Join(dir, "corpus", "all.zip")
	t0 := time.Now()
	keys, size, err := generate(corpus, *records)
	if err != nil {
		return err
	}
	fmt.Printf("generated %d OSV records (%d distinct packages) in %s: %d MiB zip\n", *records, len(keys), time.Since(t0).Round(time.Millisecond), size>>20)
	big := filepath.Join(dir, "big")
	m, err := importRun(*bin, big, corpus)
	if err != nil {
		return err
	}
	fmt.Printf("corpus import: wall %.2f s, user %.2f s, sys %.2f s, peak RSS (VmHWM) %d MiB\n",
		m.wall.Seconds(), m.user.Seconds(), m.sys.Seconds(), m.maxRSS>>20)
	fmt.Printf("  %s\n", m.summary)
	if fi, err := filepath.Glob(filepath.Join(vulndb.Dir(big), "vulndb-*.db")); err == nil && len(fi) == 1 {
		if st, err := os.Stat(fi[0]); err == nil {
			fmt.Printf("  database file: %d MiB\n", st.Size()>>20)
		}
	}

	// 3. Lookups: the matching path, then Lookup once per cache size.
	fmt.Printf("thread CPU time of an empty measurement (clock reads): %s\n", clockOverhead())
	if err := candidatesBench(vulndb.Dir(big), keys, *lookups); err != nil {
		return err
	}
	for _, mib := range cacheSizes {
		if err := lookupBench(vulndb.Dir(big), keys, mib, *lookups); err != nil {
			return err
		}
	}
	fmt.Printf("bench process VmHWM after lookups: %s\n", vmHWM())
	return nil
}

type measure struct {
	wall, user, sys time.Duration
	maxRSS          int64
	summary         string
}

// importRun runs `drydock --data data db import path` and measures it.
func importRun(bin, data, path string) (measure, error) {
	cmd := exec.Command(bin, "--data", data, "db", "import", path)
	var out strings.Builder
	cmd.Stdout = &out
	cmd.Stderr = nil
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return measure{}, fmt.Errorf("%v: %w\n%s", cmd.Args, err, out.String())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	return measure{
		wall:    time.Since(t0),
		user:    cmd.ProcessState.UserTime(),
		sys:     cmd.ProcessState.SystemTime(),
		maxRSS:  ru.Maxrss << 10, // KiB on Linux
		summary: strings.Join(lines, "\n  "),
	}, nil
}

func report(what string, d []time.Duration) {
	slices.Sort(d)
	q := func(p float64) time.Duration { return d[min(len(d)-1, int(p*float64(len(d))))] }
	fmt.Printf("%s: n=%d p50 %s p99 %s p99.9 %s max %s\n", what, len(d), q(0.50), q(0.99), q(0.999), d[len(d)-1])
}

func vmHWM() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "unknown"
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load unknown"
	}
	return "load " + strings.Join(strings.Fields(string(b))[:3], " ")
}

// The corpus: ecosystems weighted roughly like OSV.dev, package names drawn
// per ecosystem from a pool with a Zipf distribution (s=1.07, v=100: the
// most affected language packages carry a few hundred advisories, most carry
// one or two), plus a "linux" package in each OS ecosystem carrying 5% of its
// advisories (thousands, like the kernel in Debian and Ubuntu), 1-3 affected
// packages, 1-2 ranges with 2-4 events, CVSS v3
// vectors, aliases, references and text of realistic length.

type key struct {
	eco, name string
	n         int // advisories naming it
}

var ecosystems = []struct {
	name   string
	weight int
	pool   int
	rtype  string
	os     bool
}{
	{"npm", 22, 40000, "SEMVER", false}, {"PyPI", 12, 20000, "ECOSYSTEM", false}, {"Maven", 10, 20000, "ECOSYSTEM", false},
	{"Go", 8, 15000, "SEMVER", false}, {"crates.io", 4, 5000, "SEMVER", false}, {"RubyGems", 4, 5000, "ECOSYSTEM", false},
	{"NuGet", 4, 5000, "ECOSYSTEM", false}, {"Packagist", 4, 5000, "ECOSYSTEM", false}, {"Debian:12", 12, 15000, "ECOSYSTEM", true},
	{"Ubuntu:22.04:LTS", 8, 15000, "ECOSYSTEM", true}, {"Alpine:v3.19", 5, 3000, "ECOSYSTEM", true}, {"AlmaLinux:9", 5, 5000, "ECOSYSTEM", true},
}

const lorem = "A flaw was found in the handling of crafted input. A remote attacker could send a specially crafted request " +
	"that causes out-of-bounds memory access, leading to a denial of service or possibly code execution. " +
	"Users are advised to upgrade to a fixed release; no workaround is known. "

func generate(path string, n int) ([]key, int64, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, 0, err
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	zw := zip.NewWriter(bw)
	rng := rand.New(rand.NewPCG(1, 2))
	total := 0
	for _, e := range ecosystems {
		total += e.weight
	}
	zipfs := make([]*rand.Zipf, len(ecosystems))
	for i, e := range ecosystems {
		zipfs[i] = rand.NewZipf(rng, 1.07, 100, uint64(e.pool-1))
	}
	counts := map[[2]string]int{}
	for i := range n {
		id := fmt.Sprintf("BENCH-%07d", i)
		r := rng.IntN(total)
		ei := 0
		for r >= ecosystems[ei].weight {
			r -= ecosystems[ei].weight
			ei++
		}
		eco := ecosystems[ei]
		rec := map[string]any{
			"schema_version": "1.6.0",
			"id":             id,
			"modified":       time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute).Format(time.RFC3339),
			"published":      time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute).Format(time.RFC3339),
			"aliases":        []string{fmt.Sprintf("CVE-%d-%d", 2015+i%10, 10000+i)},
			"summary":        fmt.Sprintf("Out-of-bounds access in component %d", rng.IntN(1000)),
			"details":        lorem[:100+rng.IntN(len(lorem)-100)] + lorem[:rng.IntN(len(lorem))],
			"severity":       []map[string]string{{"type": "CVSS_V3", "score": vectors[rng.IntN(len(vectors))]}},
			"references": []map[string]string{
				{"type": "ADVISORY", "url": "https://example.org/advisories/" + id},
				{"type": "WEB", "url": fmt.Sprintf("https://example.org/issues/%d", rng.IntN(1000000))},
			},
			"database_specific": map[string]any{"source": "generated", "cwe_ids": []string{"CWE-787"}},
		}
		var affected []map[string]any
		for j := range 1 + rng.IntN(3) {
			name := fmt.Sprintf("%s-pkg-%05d", strings.ToLower(strings.Fields(strings.ReplaceAll(eco.name, ":", " "))[0]), zipfs[ei].Uint64())
			if j == 0 && eco.os && rng.IntN(20) == 0 {
				name = "linux" // 5% of OS advisories are about the kernel, as in Debian and Ubuntu
			}
			k := [2]string{eco.name, name}
			dup := false
			for _, a := range affected {
				if a["package"].(map[string]string)["name"] == name {
					dup = true
				}
			}
			if dup {
				continue
			}
			counts[k]++
			maj := rng.IntN(10)
			events := []map[string]string{{"introduced": "0"}, {"fixed": fmt.Sprintf("%d.%d.%d", maj, rng.IntN(20), rng.IntN(30))}}
			if rng.IntN(3) == 0 {
				events = append(events, map[string]string{"introduced": fmt.Sprintf("%d.0.0", maj+1)}, map[string]string{"fixed": fmt.Sprintf("%d.%d.1", maj+1, rng.IntN(9))})
			}
			affected = append(affected, map[string]any{
				"package": map[string]string{"ecosystem": eco.name, "name": name},
				"ranges":  []map[string]any{{"type": eco.rtype, "events": events}},
			})
		}
		rec["affected"] = affected
		w, err := zw.Create(id + ".json")
		if err != nil {
			return nil, 0, err
		}
		if err := json.NewEncoder(w).Encode(rec); err != nil {
			return nil, 0, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, 0, err
	}
	if err := bw.Flush(); err != nil {
		return nil, 0, err
	}
	keys := make([]key, 0, len(counts))
	for k, c := range counts {
		keys = append(keys, key{eco: k[0], name: k[1], n: c})
	}
	slices.SortFunc(keys, func(a, b key) int { return strings.Compare(a.eco+a.name, b.eco+b.name) })
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	return keys, st.Size(), nil
}

var vectors = []string{
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H",
	"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
	"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:N",
}

// stream returns a scan-like stream of n packages. How often a package
// appears in images does not depend on how many advisories it has:
// packages are drawn with a Zipf law over a random order of all packages.
func stream(keys []key, n int, seed uint64) []key {
	rng := rand.New(rand.NewPCG(seed, seed))
	z := rand.NewZipf(rng, 1.1, 10, uint64(len(keys)-1))
	order := slices.Clone(keys)
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	out := make([]key, n)
	for i := range out {
		out[i] = order[z.Uint64()]
	}
	return out
}

// timeEach runs f on every key and reports the distribution of its wall
// time and of the CPU time of the thread running it. On a machine shared
// with other work the wall time includes waits for a CPU; the CPU time
// does not (it includes the clock reads themselves, see clockOverhead).
func timeEach(what string, keys []key, f func(k key) error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	wall := make([]time.Duration, 0, len(keys))
	cpu := make([]time.Duration, 0, len(keys))
	start := time.Now()
	for _, k := range keys {
		c0 := threadCPU()
		s := time.Now()
		err := f(k)
		wall = append(wall, time.Since(s))
		cpu = append(cpu, threadCPU()-c0)
		if err != nil {
			return err
		}
	}
	total := time.Since(start)
	report(what, wall)
	report("    thread CPU time", cpu)
	fmt.Printf("    throughput: %.0f per second on one goroutine\n", float64(len(keys))/total.Seconds())
	return nil
}

// threadCPU is the CPU time used by the calling thread.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// clockOverhead is the median CPU time of an empty measurement.
func clockOverhead() time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	d := make([]time.Duration, 100000)
	for i := range d {
		c0 := threadCPU()
		s := time.Now()
		_ = time.Since(s)
		d[i] = threadCPU() - c0
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// candidatesBench measures the matching path: Candidates (the compact
// per-package entries, copied out of the file mapping per lookup)
// iterated to the end, which is everything a version check needs. It reports the open
// time and what the open added to the process.
func candidatesBench(dir string, keys []key, lookups int) error {
	runtime.GC()
	rss0, heap0 := vmRSS(), heapInUse()
	t0 := time.Now()
	db, err := vulndb.OpenWith(dir, vulndb.Options{CacheBytes: -1})
	if err != nil {
		return err
	}
	defer db.Close()
	open := time.Since(t0)
	runtime.GC()
	fmt.Printf("candidates: open (framing, version, package index checked) %s; heap +%d MiB, RSS +%d MiB\n",
		open.Round(time.Millisecond), (heapInUse()-heap0)>>20, (vmRSS()-rss0)>>20)
	count := func(k key, name string) (int, error) {
		c := db.Candidates(k.eco, name)
		n := 0
		for c.Next() {
			n++
		}
		return n, c.Err()
	}
	if err := timeEach("  packages with no advisory", keys, func(k key) error {
		if n, err := count(k, k.name+"-absent"); err != nil || n != 0 {
			return fmt.Errorf("absent package found: %d %v", n, err)
		}
		return nil
	}); err != nil {
		return err
	}
	all := func(k key) error {
		n, err := count(k, k.name)
		if err == nil && n != k.n {
			err = fmt.Errorf("%s/%s: %d candidates, generated %d", k.eco, k.name, n, k.n)
		}
		return err
	}
	if err := timeEach("  every package once", keys, all); err != nil {
		return err
	}
	if err := timeEach("  every package a second time", keys, all); err != nil {
		return err
	}
	warm := stream(keys, 2*lookups, 7)
	for _, k := range warm[:lookups] { // the same warm-up as the Lookup rows
		if err := all(k); err != nil {
			return err
		}
	}
	if err := timeEach("  scan-like stream after a warm-up (Zipf s=1.1 over packages in random order)", warm[lookups:], all); err != nil {
		return err
	}
	// The whole matching step for one installed version: candidates,
	// the version check of each (match.Evaluate), and the whole advisory
	// decoded for each one that matched.
	hits, judged := 0, 0
	if err := timeEach("  scan-like stream, candidates + version check (5.0.0) + decode of the matching advisories", warm[lookups:], func(k key) error {
		c := db.Candidates(k.eco, k.name)
		for c.Next() {
			judged++
			v, err := match.Evaluate(c.Entry(), k.eco, k.name, "5.0.0")
			if err != nil || v.Affected {
				hits++
				if _, err := db.Advisory(c.Ref()); err != nil {
					return err
				}
			}
		}
		return c.Err()
	}); err != nil {
		return err
	}
	fmt.Printf("    %d of %d candidates matched and were decoded\n", hits, judged)
	return nil
}

// lookupBench opens the database with a cache of mib MiB and measures
// Lookup, which returns whole advisories: absent packages, every package
// once (cold: nothing cached), every package again, and a scan-like stream
// after a warm-up.
func lookupBench(dir string, keys []key, mib, lookups int) error {
	runtime.GC()
	t0 := time.Now()
	db, err := vulndb.OpenWith(dir, vulndb.Options{CacheBytes: mib << 20})
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Printf("Lookup (whole advisories), cache %d MiB: open %s\n", mib, time.Since(t0).Round(time.Millisecond))
	if err := timeEach("  packages with no advisory", keys, func(k key) error {
		es, err := db.Lookup(k.eco, k.name+"-absent")
		if err == nil && len(es) != 0 {
			err = fmt.Errorf("absent package found: %v", es)
		}
		return err
	}); err != nil {
		return err
	}
	all := func(k key) error {
		es, err := db.Lookup(k.eco, k.name)
		if err == nil && len(es) != k.n {
			err = fmt.Errorf("%s/%s: %d advisories, generated %d", k.eco, k.name, len(es), k.n)
		}
		return err
	}
	if err := timeEach("  every package once (nothing cached)", keys, all); err != nil {
		return err
	}
	if err := timeEach("  every package a second time", keys, all); err != nil {
		return err
	}
	warm := stream(keys, 2*lookups, 7)
	for _, k := range warm[:lookups] { // warm-up: the server has seen this traffic before
		if err := all(k); err != nil {
			return err
		}
	}
	return timeEach("  scan-like stream after a warm-up (Zipf s=1.1 over packages in random order)", warm[lookups:], all)
}

func vmRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kb)
			return kb << 10
		}
	}
	return 0
}

func heapInUse() int64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}
