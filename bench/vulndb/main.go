// Command vulndb benchmarks the advisory database (see run.sh):
//
//  1. `drydock db import` of all of shared/testdata/vulndb (target < 5 s);
//  2. `drydock db import` of a generated OSV corpus (default 500,000
//     records in one all.zip; target < 60 s and peak RSS < 1 GiB, read from
//     the child's rusage ru_maxrss, which is its VmHWM);
//  3. lookups in-process on the corpus database, for each lookup cache size
//     (-cache-mib): Open time, then Lookup latency for packages with no
//     advisory, for every package once (cold: nothing cached), for every
//     package a second time, and for a scan-like stream after a warm-up
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
	flag.Parse()
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

	// 3. Lookups, once per cache size.
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

// lookupBench opens the database with a cache of mib MiB and measures
// lookups: absent packages, every package once (cold), every package again,
// and a scan-like stream after a warm-up.
func lookupBench(dir string, keys []key, mib, lookups int) error {
	runtime.GC()
	t0 := time.Now()
	db, err := vulndb.OpenWith(dir, vulndb.Options{CacheBytes: mib << 20})
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Printf("lookup cache %d MiB: open (verify checksum, load index) %s\n", mib, time.Since(t0).Round(time.Millisecond))
	absent := make([]time.Duration, 0, len(keys))
	for _, k := range keys {
		s := time.Now()
		es, err := db.Lookup(k.eco, k.name+"-absent")
		absent = append(absent, time.Since(s))
		if err != nil || len(es) != 0 {
			return fmt.Errorf("absent package found: %v %v", es, err)
		}
	}
	report("  packages with no advisory", absent)
	cold := make([]time.Duration, 0, len(keys))
	for _, k := range keys {
		s := time.Now()
		es, err := db.Lookup(k.eco, k.name)
		d := time.Since(s)
		if err != nil {
			return err
		}
		if len(es) != k.n {
			return fmt.Errorf("%s/%s: %d advisories, generated %d", k.eco, k.name, len(es), k.n)
		}
		cold = append(cold, d)
	}
	report("  every package once (nothing cached)", cold)
	again := make([]time.Duration, 0, len(keys))
	for _, k := range keys {
		s := time.Now()
		if _, err := db.Lookup(k.eco, k.name); err != nil {
			return err
		}
		again = append(again, time.Since(s))
	}
	report("  every package a second time", again)

	// A scan-like stream. How often a package appears in images does not
	// depend on how many advisories it has: packages are drawn with a Zipf
	// law over a random order of all packages.
	rng := rand.New(rand.NewPCG(7, 7))
	z := rand.NewZipf(rng, 1.1, 10, uint64(len(keys)-1))
	order := slices.Clone(keys)
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	for range lookups { // warm-up: the server has seen this traffic before
		k := order[z.Uint64()]
		if _, err := db.Lookup(k.eco, k.name); err != nil {
			return err
		}
	}
	warm := make([]time.Duration, 0, lookups)
	start := time.Now()
	for range lookups {
		k := order[z.Uint64()]
		s := time.Now()
		if _, err := db.Lookup(k.eco, k.name); err != nil {
			return err
		}
		warm = append(warm, time.Since(s))
	}
	total := time.Since(start)
	report("  scan-like stream after a warm-up (Zipf s=1.1 over packages in random order)", warm)
	fmt.Printf("    throughput: %.0f lookups/s on one goroutine\n", float64(lookups)/total.Seconds())
	return nil
}
