package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Figure keys.
const (
	figBigPush      = "big_push_s"
	figBigPull      = "big_pull_s"
	figBigPushGBs   = "big_push_gib_s"
	figBigPullGBs   = "big_pull_gib_s"
	figSmallPush    = "small_push_ms"
	figSmallPull    = "small_pull_ms"
	figHeadRPS      = "manifest_head_rps"
	figGetRPS       = "manifest_get_rps"
	figTagsRPS      = "tags_list_rps"
	figRepoCreate   = "repo_create_per_s"
	figCatalogFirst = "catalog_first_ms"
	figCatalog      = "catalog_ms"
	figPeakRSS      = "peak_rss_push_mib"
	figRSSEnd       = "peak_rss_end_mib"
)

// figure describes how to print one figure and which way is better.
type figure struct {
	key, label, unit string
	higherIsBetter   bool
	format           string
}

var figures = []figure{
	{figBigPush, "push big image (median)", "s", false, "%.2f"},
	{figBigPushGBs, "push big image throughput", "GiB/s", true, "%.2f"},
	{figBigPull, "pull big image (median)", "s", false, "%.2f"},
	{figBigPullGBs, "pull big image throughput", "GiB/s", true, "%.2f"},
	{figSmallPush, "push small image (median)", "ms", false, "%.1f"},
	{figSmallPull, "pull small image (median)", "ms", false, "%.1f"},
	{figHeadRPS, "manifest HEAD", "req/s", true, "%.0f"},
	{figGetRPS, "manifest GET", "req/s", true, "%.0f"},
	{figTagsRPS, "tag list", "req/s", true, "%.0f"},
	{figRepoCreate, "repositories created", "repo/s", true, "%.0f"},
	{figCatalogFirst, "_catalog of all repos, first", "ms", false, "%.1f"},
	{figCatalog, "_catalog of all repos (median)", "ms", false, "%.1f"},
	{figPeakRSS, "peak RSS after big pushes", "MiB", false, "%.1f"},
	{figRSSEnd, "peak RSS at the end", "MiB", false, "%.1f"},
}

// results is one benchmark run.
type results struct {
	Started  time.Time      `json:"started"`
	Finished time.Time      `json:"finished"`
	Options  map[string]any `json:"options"`
	Servers  []serverResult `json:"servers"`
}

type serverResult struct {
	Name    string             `json:"name"`
	Figures map[string]float64 `json:"figures"`
}

func (r *results) server(name string) (map[string]float64, bool) {
	for _, s := range r.Servers {
		if s.Name == name {
			return s.Figures, true
		}
	}
	return nil, false
}

// table renders the results as a Markdown table. ratio is drydock's
// advantage: drydock/distribution where higher is better, the inverse where
// lower is better, so >= 1.00 always means drydock is as good or better.
func (r *results) table() string {
	var b strings.Builder
	dd, hasDD := r.server("drydock")
	di, hasDI := r.server("distribution")
	fmt.Fprintf(&b, "| figure | unit | drydock | distribution | ratio (>= 1: drydock as good or better) |\n")
	fmt.Fprintf(&b, "| --- | --- | ---: | ---: | ---: |\n")
	for _, f := range figures {
		cell := func(m map[string]float64, ok bool) string {
			if v, found := m[f.key]; ok && found {
				return fmt.Sprintf(f.format, v)
			}
			return "-"
		}
		ratio := "-"
		if hasDD && hasDI && dd[f.key] > 0 && di[f.key] > 0 {
			v := dd[f.key] / di[f.key]
			if !f.higherIsBetter {
				v = di[f.key] / dd[f.key]
			}
			ratio = fmt.Sprintf("%.2f", v)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", f.label, f.unit, cell(dd, hasDD), cell(di, hasDI), ratio)
	}
	return b.String()
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
