package webhook

import (
	"math/rand/v2"
	"time"
)

// Backoff computes the delay before retry n of a delivery: exponential
// from Base, capped at Max, with "equal jitter" (a random point in the
// upper half of the step), so that retries of many deliveries spread out
// but still grow with every failure.
type Backoff struct {
	Base, Max time.Duration
	// Rand returns a float in [0, 1); nil means math/rand/v2.
	Rand func() float64
}

// Delay returns the wait after the n-th failed attempt (n >= 1).
func (b Backoff) Delay(n int) time.Duration {
	d := b.Base
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	r := rand.Float64
	if b.Rand != nil {
		r = b.Rand
	}
	half := d / 2
	return half + time.Duration(r()*float64(d-half))
}
