package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// peers are the tools drydock's speed is compared with.
var peers = []string{"syft", "trivy", "osv-scanner"}

// table reads the timing records of run.sh (TSV: image, tool, run, wall
// seconds, peak RSS KiB, CPU seconds) and prints, per image and tool, the
// median wall time with its range, the median CPU time (user + system: less
// sensitive to other load on the machine than wall time) and the median
// peak RSS, then drydock's speed-up over each peer and over the fastest
// (target >= 2) and its ratio to the decompression floor, the fastest
// "floor*" row (target <= 1.25), and, for reference, to the fastest
// "verify*" row (decompression and the diff_id hash).
func table(args []string) error {
	fl := flag.NewFlagSet("table", flag.ContinueOnError)
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() != 1 {
		return errors.New("usage: table TIMINGS.tsv")
	}
	f, err := os.Open(fl.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	type key struct{ image, tool string }
	walls, rss, cpus := map[key][]float64{}, map[key][]float64{}, map[key][]float64{}
	var images []string
	tools := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 6 {
			continue
		}
		w, err1 := strconv.ParseFloat(c[3], 64)
		m, err2 := strconv.ParseFloat(c[4], 64)
		cpu, err3 := strconv.ParseFloat(c[5], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return fmt.Errorf("bad record %q", sc.Text())
		}
		k := key{c[0], c[1]}
		if !slices.Contains(images, c[0]) {
			images = append(images, c[0])
		}
		if !slices.Contains(tools[c[0]], c[1]) {
			tools[c[0]] = append(tools[c[0]], c[1])
		}
		walls[k] = append(walls[k], w)
		rss[k] = append(rss[k], m/1024)
		cpus[k] = append(cpus[k], cpu)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	fmt.Println("| image | tool | wall s, median (min-max) | CPU s, median | peak RSS MiB, median | drydock speed-up (wall) | wall / floor |")
	fmt.Println("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
	var verdicts []string
	for _, im := range images {
		dd := median(walls[key{im, "drydock"}])
		fastest, fastestName := math.Inf(1), ""
		for _, p := range peers {
			if v := median(walls[key{im, p}]); v > 0 && v < fastest {
				fastest, fastestName = v, p
			}
		}
		fl, flName := math.Inf(1), ""
		vf, vfName := math.Inf(1), ""
		lib, libName := math.Inf(1), "" // the fastest floor with a library's decoder
		for _, t := range tools[im] {
			if v := median(walls[key{im, t}]); strings.HasPrefix(t, "floor") && v < fl {
				fl, flName = v, t
			}
			if v := median(walls[key{im, t}]); strings.HasPrefix(t, "floor") && !strings.HasSuffix(t, "-drydock") && !strings.HasSuffix(t, "-read") && v < lib {
				lib, libName = v, t
			}
			if v := median(walls[key{im, t}]); strings.HasPrefix(t, "verify") && v < vf {
				vf, vfName = v, t
			}
		}
		for _, t := range tools[im] {
			k := key{im, t}
			w := walls[k]
			speedup, vsFloor := "", ""
			if slices.Contains(peers, t) && dd > 0 {
				speedup = fmt.Sprintf("%.2fx", median(w)/dd)
			}
			if !math.IsInf(fl, 1) && fl > 0 {
				vsFloor = fmt.Sprintf("%.2f", median(w)/fl)
			}
			fmt.Printf("| %s | %s | %.2f (%.2f-%.2f) | %.2f | %.1f | %s | %s |\n", im, t, median(w), slices.Min(w), slices.Max(w), median(cpus[k]), median(rss[k]), speedup, vsFloor)
		}
		if dd > 0 && fastestName != "" {
			v := fmt.Sprintf("%s: drydock %.2f s is %.2fx faster than the fastest peer (%s, %.2f s; target >= 2x)", im, dd, fastest/dd, fastestName, fastest)
			if flName != "" {
				v += fmt.Sprintf(" and takes %.2fx the decompression floor (%s, %.2f s; target <= 1.25x)", dd/fl, flName, fl)
			}
			if vfName != "" {
				v += fmt.Sprintf("; decompressing and hashing the layers (the diff_id check) takes %.2f s (%s, %.2fx the floor), and drydock %.2fx that (for reference: no target)", vf, vfName, vf/fl, dd/vf)
			}
			if libName != "" && libName != flName {
				v += fmt.Sprintf("; the fastest floor with a library's decoder is %s, %.2f s, and drydock %.2fx that", libName, lib, dd/lib)
			}
			verdicts = append(verdicts, v+".")
		}
	}
	fmt.Println()
	for _, v := range verdicts {
		fmt.Println("- " + v)
	}
	return nil
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
