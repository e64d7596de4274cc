package loadgen

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Report is the outcome of a [Run].
type Report struct {
	Clients     int           `json:"clients"`
	Duration    time.Duration `json:"duration"` // the clients' working time
	Ops         int64         `json:"ops"`
	Errors      int64         `json:"errors"`
	FirstErrors []string      `json:"firstErrors,omitempty"`
	BytesUp     int64         `json:"bytesUp"`
	BytesDown   int64         `json:"bytesDown"`
	Tokens      int           `json:"tokens"`     // tokens fetched
	Reauth      int           `json:"reauth"`     // 401s answered with a new token
	PerOp       []OpReport    `json:"perOp"`      // by descending count
	Series      []Sample      `json:"series"`     // every sample
	RSS         Drift         `json:"rss"`        // bytes
	Goroutines  Drift         `json:"goroutines"` // count
	Window      time.Duration `json:"window"`     // drift window
	Tolerance   [2]float64    `json:"tolerance"`  // RSS, goroutines
}

// OpReport are the figures of one kind of operation.
type OpReport struct {
	Name   string  `json:"name"`
	N      int64   `json:"n"`
	Errors int64   `json:"errors"`
	PerSec float64 `json:"perSec"`
	P50    float64 `json:"p50ms"`
	P99    float64 `json:"p99ms"`
}

// Drift summarizes one sampled series.
type Drift struct {
	First, Last, Max float64
	// Base is the mean over the second window, Final over the last one;
	// Limit is the most Final may be.
	Base, Final, Limit float64
	// Samples in the two windows.
	BaseN, FinalN int
}

// OK reports whether the series stayed within its limit.
func (d Drift) OK() bool { return d.BaseN > 0 && d.FinalN > 0 && d.Final <= d.Limit }

func newReport(cfg *Config, elapsed time.Duration, clients []*client, series []Sample, errs *errorLog) *Report {
	r := &Report{Clients: cfg.Clients, Duration: elapsed, Series: series,
		Tolerance: [2]float64{cfg.RSSTolerance, cfg.GoroutineTolerance}}
	merged := map[string]*opStats{}
	for _, c := range clients {
		r.Tokens += c.ts.fetched
		r.Reauth += c.reauth
		for name, st := range c.stats {
			m := merged[name]
			if m == nil {
				m = &opStats{}
				merged[name] = m
			}
			m.n += st.n
			m.errors += st.errors
			m.bytesUp += st.bytesUp
			m.bytesDown += st.bytesDown
			m.latency = append(m.latency, st.latency...)
		}
	}
	for name, m := range merged {
		r.Ops += m.n
		r.BytesUp += m.bytesUp
		r.BytesDown += m.bytesDown
		slices.Sort(m.latency)
		r.PerOp = append(r.PerOp, OpReport{Name: name, N: m.n, Errors: m.errors,
			PerSec: float64(m.n) / elapsed.Seconds(), P50: quantile(m.latency, 0.50), P99: quantile(m.latency, 0.99)})
	}
	sort.Slice(r.PerOp, func(i, j int) bool { return r.PerOp[i].N > r.PerOp[j].N })
	errs.mu.Lock()
	r.Errors, r.FirstErrors = errs.n, append([]string(nil), errs.first...)
	errs.mu.Unlock()

	r.Window = min(time.Minute, cfg.Duration/3)
	r.RSS = drift(series, r.Window, cfg.Duration, cfg.RSSTolerance, 16<<20, func(s Sample) float64 { return float64(s.RSS) })
	r.Goroutines = drift(series, r.Window, cfg.Duration, cfg.GoroutineTolerance, 20, func(s Sample) float64 { return float64(s.Goroutines) })
	return r
}

func quantile(sorted []float32, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[min(int(q*float64(len(sorted))), len(sorted)-1)])
}

// drift compares the mean of the samples in [d-w, end] with the mean of
// those in [w, 2w).
func drift(series []Sample, w, d time.Duration, tol, slack float64, v func(Sample) float64) Drift {
	var out Drift
	var base, final float64
	for i, s := range series {
		x := v(s)
		if i == 0 {
			out.First = x
		}
		out.Last = x
		out.Max = max(out.Max, x)
		if s.At >= w && s.At < 2*w {
			base += x
			out.BaseN++
		}
		if s.At >= d-w {
			final += x
			out.FinalN++
		}
	}
	if out.BaseN > 0 {
		out.Base = base / float64(out.BaseN)
	}
	if out.FinalN > 0 {
		out.Final = final / float64(out.FinalN)
	}
	out.Limit = out.Base*(1+tol) + slack
	return out
}

// Check returns an error when any operation failed or memory or
// goroutines drifted beyond the tolerance.
func (r *Report) Check() error {
	var errs []error
	if r.Errors > 0 {
		errs = append(errs, fmt.Errorf("%d errors; first: %s", r.Errors, strings.Join(r.FirstErrors, "; ")))
	}
	if r.Ops == 0 {
		errs = append(errs, errors.New("no operation completed"))
	}
	if r.RSS.BaseN+r.RSS.FinalN > 0 && r.RSS.First > 0 && !r.RSS.OK() {
		errs = append(errs, fmt.Errorf("server RSS drifted: last window mean %.1f MiB (%d samples) > limit %.1f MiB (second window mean %.1f MiB, %d samples)",
			r.RSS.Final/(1<<20), r.RSS.FinalN, r.RSS.Limit/(1<<20), r.RSS.Base/(1<<20), r.RSS.BaseN))
	}
	if !r.Goroutines.OK() {
		errs = append(errs, fmt.Errorf("server goroutines drifted: last window mean %.0f (%d samples) > limit %.0f (second window mean %.0f, %d samples)",
			r.Goroutines.Final, r.Goroutines.FinalN, r.Goroutines.Limit, r.Goroutines.Base, r.Goroutines.BaseN))
	}
	return errors.Join(errs...)
}

// Markdown renders the report as the bench/RESULTS.md tables.
func (r *Report) Markdown() string {
	var b strings.Builder
	secs := r.Duration.Seconds()
	verdict := "pass"
	if err := r.Check(); err != nil {
		verdict = "FAIL: " + err.Error()
	}
	fmt.Fprintf(&b, "| figure | value |\n| --- | ---: |\n")
	fmt.Fprintf(&b, "| clients | %d |\n", r.Clients)
	fmt.Fprintf(&b, "| duration | %s |\n", r.Duration.Round(time.Second))
	fmt.Fprintf(&b, "| operations | %d (%.1f/s) |\n", r.Ops, float64(r.Ops)/secs)
	fmt.Fprintf(&b, "| errors | %d |\n", r.Errors)
	fmt.Fprintf(&b, "| pushed / pulled | %.1f MiB (%.2f MiB/s) / %.1f MiB (%.2f MiB/s) |\n",
		float64(r.BytesUp)/(1<<20), float64(r.BytesUp)/(1<<20)/secs, float64(r.BytesDown)/(1<<20), float64(r.BytesDown)/(1<<20)/secs)
	fmt.Fprintf(&b, "| tokens fetched / 401s answered with a new token | %d / %d |\n", r.Tokens, r.Reauth)
	mib := func(x float64) string { return fmt.Sprintf("%.1f", x/(1<<20)) }
	n := func(x float64) string { return fmt.Sprintf("%.0f", x) }
	for _, s := range []struct {
		name string
		d    Drift
		f    func(float64) string
	}{{"server RSS, MiB", r.RSS, mib}, {"server goroutines", r.Goroutines, n}} {
		fmt.Fprintf(&b, "| %s: first / last / max | %s / %s / %s |\n", s.name, s.f(s.d.First), s.f(s.d.Last), s.f(s.d.Max))
		fmt.Fprintf(&b, "| %s: mean of window 2 / last window (limit) | %s / %s (%s) |\n", s.name, s.f(s.d.Base), s.f(s.d.Final), s.f(s.d.Limit))
	}
	if len(r.Series) > 0 {
		last := r.Series[len(r.Series)-1]
		fmt.Fprintf(&b, "| scan jobs done / still queued at the end | %d / %d |\n", last.Done, last.Queued)
	}
	fmt.Fprintf(&b, "| drift window, tolerance (RSS, goroutines) | %s, +%.0f%% + 16 MiB, +%.0f%% + 20 |\n",
		r.Window, r.Tolerance[0]*100, r.Tolerance[1]*100)
	fmt.Fprintf(&b, "| verdict | %s |\n\n", verdict)

	fmt.Fprintf(&b, "| operation | count | per s | errors | p50 ms | p99 ms |\n| --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, o := range r.PerOp {
		fmt.Fprintf(&b, "| %s | %d | %.1f | %d | %.1f | %.1f |\n", o.Name, o.N, o.PerSec, o.Errors, o.P50, o.P99)
	}
	b.WriteString("\nSeries (s: RSS MiB, goroutines, scan jobs queued):")
	for i, s := range r.Series {
		if i%max(1, len(r.Series)/30) != 0 && i != len(r.Series)-1 {
			continue // at most about 30 points
		}
		fmt.Fprintf(&b, " %.0f: %.0f, %d, %d;", s.At.Seconds(), float64(s.RSS)/(1<<20), s.Goroutines, s.Queued)
	}
	b.WriteString("\n")
	return b.String()
}
