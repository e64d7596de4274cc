package webhook

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalid marks a request or setting that is not acceptable; the API
// answers it with 400.
var ErrInvalid = errors.New("invalid")

// Config tunes the relay and the API. The zero value of a field picks its
// default.
type Config struct {
	// Workers is the number of webhooks delivered to at once (each webhook
	// gets one request at a time, so that its events arrive in order).
	// Default 4.
	Workers int
	// Timeout bounds one delivery request, response included. Default 10s.
	Timeout time.Duration
	// ConnectTimeout bounds connecting to the receiver. Default 5s.
	ConnectTimeout time.Duration
	// MaxAttempts is the number of requests made before a delivery is
	// failed. Default 10.
	MaxAttempts int
	// BackoffBase is the wait after the first failed attempt; it doubles
	// with each further failure (with jitter) up to BackoffMax. Defaults
	// 10s and 1h.
	BackoffBase, BackoffMax time.Duration
	// PollInterval is how often the outbox and the due deliveries are
	// looked at. Default 1s.
	PollInterval time.Duration
	// BatchSize is the number of outbox events dispatched per write
	// transaction; registry writes queue behind each one, so it is kept
	// small (50 events to 3 webhooks: about 6 ms on SQLite). Default 50.
	BatchSize int
	// PerClaim is the number of due deliveries of one webhook a worker
	// takes at a time. Default 20.
	PerClaim int
	// Retention is how long dispatched events and finished deliveries are
	// kept. Default 30 days.
	Retention time.Duration
	// PruneInterval is how often expired history is deleted. Default 1h.
	PruneInterval time.Duration
	// AllowPrivateTargets permits webhook URLs on loopback, private and
	// link-local addresses (tests, or receivers inside the same network).
	AllowPrivateTargets bool
	// MaxPerSubscription bounds the webhooks of one subscription.
	// Default 100.
	MaxPerSubscription int
}

// withDefaults fills zero fields and rejects negative ones.
func (c Config) withDefaults() (Config, error) {
	ints := []struct {
		p    *int
		def  int
		name string
	}{
		{&c.Workers, 4, "Workers"}, {&c.MaxAttempts, 10, "MaxAttempts"}, {&c.BatchSize, 50, "BatchSize"},
		{&c.PerClaim, 20, "PerClaim"}, {&c.MaxPerSubscription, 100, "MaxPerSubscription"},
	}
	var errs []error
	for _, f := range ints {
		if *f.p == 0 {
			*f.p = f.def
		}
		if *f.p < 0 {
			errs = append(errs, fmt.Errorf("%s %d must not be negative", f.name, *f.p))
		}
	}
	durs := []struct {
		p    *time.Duration
		def  time.Duration
		name string
	}{
		{&c.Timeout, 10 * time.Second, "Timeout"}, {&c.ConnectTimeout, 5 * time.Second, "ConnectTimeout"},
		{&c.BackoffBase, 10 * time.Second, "BackoffBase"}, {&c.BackoffMax, time.Hour, "BackoffMax"},
		{&c.PollInterval, time.Second, "PollInterval"}, {&c.Retention, 30 * 24 * time.Hour, "Retention"},
		{&c.PruneInterval, time.Hour, "PruneInterval"},
	}
	for _, f := range durs {
		if *f.p == 0 {
			*f.p = f.def
		}
		if *f.p < 0 {
			errs = append(errs, fmt.Errorf("%s %s must not be negative", f.name, *f.p))
		}
	}
	if c.BackoffMax < c.BackoffBase {
		errs = append(errs, fmt.Errorf("BackoffMax %s is below BackoffBase %s", c.BackoffMax, c.BackoffBase))
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("webhook: config: %w", err)
	}
	return c, nil
}

// lease is how long a claim on a webhook lasts without news: longer than
// any one request, so a live worker never loses it, short enough that a
// crashed process's webhooks are taken over soon.
func (c Config) lease() time.Duration { return 2*c.Timeout + 5*time.Second }
