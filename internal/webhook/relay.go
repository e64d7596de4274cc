package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/drydock/drydock/internal/store"
)

// maxResponseKept is how much of a receiver's answer goes into the
// delivery log; maxResponseRead is how much is read at all (so that the
// connection can be reused) before it is closed.
const (
	maxResponseKept = 1 << 10
	maxResponseRead = 64 << 10
)

// userAgent identifies deliveries.
const userAgent = "drydock-webhook/1"

// RelayDeps are what a [Relay] needs.
type RelayDeps struct {
	// Store is the outbox and delivery log (a sqlmeta.Store).
	Store store.WebhookOutbox
	// Logger receives delivery failures and relay errors.
	Logger *slog.Logger
	// Now is the clock deliveries are scheduled and signed with; nil means
	// time.Now. Tests pass a fake clock and drive [Relay.Deliver].
	Now func() time.Time
	// Client sends deliveries; nil builds one from the Config (timeouts,
	// no proxy, no redirects, internal targets refused unless allowed).
	Client *http.Client
	// Rand is the jitter source of the backoff; nil means math/rand/v2.
	Rand func() float64
	// Metrics, when set, receives the relay's counters.
	Metrics prometheus.Registerer
}

// Relay moves events from the outbox to webhooks: it dispatches each
// outbox event into deliveries, sends due deliveries (signed, one request
// at a time per webhook, in order), retries failures with exponential
// backoff and records every attempt. It never touches the registry's write
// path: producers only insert outbox rows in their own transactions.
type Relay struct {
	cfg     Config
	store   store.WebhookOutbox
	log     *slog.Logger
	now     func() time.Time
	client  *http.Client
	backoff Backoff
	owner   string // lease owner: unique per Relay

	dispatched prometheus.Counter
	attempts   *prometheus.CounterVec
	latency    prometheus.Histogram
}

// NewRelay validates cfg and deps.
func NewRelay(cfg Config, deps RelayDeps) (*Relay, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if deps.Store == nil || deps.Logger == nil {
		return nil, errors.New("webhook: NewRelay needs a Store and a Logger")
	}
	r := &Relay{
		cfg:     cfg,
		store:   deps.Store,
		log:     deps.Logger,
		now:     deps.Now,
		client:  deps.Client,
		backoff: Backoff{Base: cfg.BackoffBase, Max: cfg.BackoffMax, Rand: deps.Rand},
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.client == nil {
		r.client = newClient(cfg)
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("webhook: relay id: %w", err)
	}
	host, _ := os.Hostname()
	r.owner = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	r.dispatched = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "drydock_webhook_events_dispatched_total",
		Help: "Outbox events dispatched into webhook deliveries.",
	})
	r.attempts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "drydock_webhook_attempts_total",
		Help: "Webhook delivery attempts by outcome (delivered, retry, failed).",
	}, []string{"outcome"})
	r.latency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "drydock_webhook_attempt_duration_seconds",
		Help:    "Duration of webhook delivery requests.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 9),
	})
	if deps.Metrics != nil {
		for _, c := range []prometheus.Collector{r.dispatched, r.attempts, r.latency} {
			if err := deps.Metrics.Register(c); err != nil {
				return nil, fmt.Errorf("webhook: register metrics: %w", err)
			}
		}
	}
	return r, nil
}

// newClient builds the delivery client: per-request timeout, connect
// timeout, no proxy (a proxy would hide the real target from the guard),
// no redirects (a 3xx is a failed attempt), and the internal-address guard
// on every connection unless cfg allows private targets.
func newClient(cfg Config) *http.Client {
	dialer := &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second}
	if !cfg.AllowPrivateTargets {
		dialer.Control = dialControl
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   cfg.ConnectTimeout,
		ResponseHeaderTimeout: cfg.Timeout,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Run dispatches and delivers until ctx ends: it polls the outbox and the
// due deliveries every PollInterval (and at once whenever a worker frees
// up), hands each claimed webhook to one of Workers goroutines, and prunes
// history every PruneInterval. A request cut short by the end of ctx is not
// recorded: its delivery is sent again, with the same delivery id, by the
// next relay to claim the webhook (at-least-once).
func (r *Relay) Run(ctx context.Context) {
	claims := make(chan store.WebhookClaim)
	done := make(chan struct{}, r.cfg.Workers)
	var wg sync.WaitGroup
	for range r.cfg.Workers {
		wg.Go(func() {
			for c := range claims {
				r.deliverClaim(ctx, c)
				done <- struct{}{}
			}
		})
	}
	defer func() {
		close(claims)
		wg.Wait()
	}()
	poll := time.NewTicker(r.cfg.PollInterval)
	defer poll.Stop()
	prune := time.NewTicker(r.cfg.PruneInterval)
	defer prune.Stop()
	busy := 0
	for {
		if _, err := r.Dispatch(ctx); err != nil && ctx.Err() == nil {
			r.log.ErrorContext(ctx, "webhook dispatch failed", "err", err)
		}
		if free := r.cfg.Workers - busy; free > 0 && ctx.Err() == nil {
			cs, err := r.store.ClaimDeliveries(ctx, r.owner, r.now(), r.cfg.lease(), free, r.cfg.PerClaim)
			if err != nil && ctx.Err() == nil {
				r.log.ErrorContext(ctx, "webhook claim failed", "err", err)
			}
			for _, c := range cs {
				busy++
				claims <- c
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-done:
			busy--
		case <-poll.C:
		case <-prune.C:
			r.prune(ctx)
		}
	}
}

func (r *Relay) prune(ctx context.Context) {
	n, err := r.Prune(ctx)
	if err != nil && ctx.Err() == nil {
		r.log.ErrorContext(ctx, "webhook history prune failed", "err", err)
	} else if n > 0 {
		r.log.InfoContext(ctx, "webhook history pruned", "events", n)
	}
}

// Dispatch turns every undispatched outbox event into deliveries, in
// batches of BatchSize events per transaction, and returns how many events
// it dispatched.
func (r *Relay) Dispatch(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := r.store.DispatchEvents(ctx, r.now(), r.cfg.BatchSize, route)
		total += n
		r.dispatched.Add(float64(n))
		if err != nil {
			return total, fmt.Errorf("webhook: dispatch: %w", err)
		}
		if n < r.cfg.BatchSize {
			return total, nil
		}
	}
}

// Deliver sends, one at a time, every delivery due now, and returns the
// number of attempts made. Run does the same with Workers goroutines; tests
// with a fake clock call Deliver directly.
func (r *Relay) Deliver(ctx context.Context) (int, error) {
	total := 0
	for {
		cs, err := r.store.ClaimDeliveries(ctx, r.owner, r.now(), r.cfg.lease(), r.cfg.Workers, r.cfg.PerClaim)
		if err != nil {
			return total, fmt.Errorf("webhook: deliver: %w", err)
		}
		if len(cs) == 0 {
			return total, nil
		}
		for _, c := range cs {
			total += r.deliverClaim(ctx, c)
		}
		if ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}

// Prune deletes events dispatched, and deliveries finished, more than
// Retention ago.
func (r *Relay) Prune(ctx context.Context) (int, error) {
	n, err := r.store.PruneWebhookHistory(ctx, r.now().Add(-r.cfg.Retention), 1000)
	if err != nil {
		return n, fmt.Errorf("webhook: prune: %w", err)
	}
	return n, nil
}

// deliverClaim sends a claimed webhook's deliveries in order, records each
// attempt, then releases the webhook. It returns the attempts recorded.
func (r *Relay) deliverClaim(ctx context.Context, c store.WebhookClaim) int {
	n := 0
	for _, t := range c.Tasks {
		if ctx.Err() != nil {
			break
		}
		res := r.attempt(ctx, t)
		if ctx.Err() != nil {
			break // cut short by shutdown: not an attempt; sent again later
		}
		if err := r.store.RecordAttempt(ctx, r.owner, t.Delivery.Seq, res); err != nil {
			if errors.Is(err, store.ErrDeliveryUnknown) {
				continue // its webhook was deleted meanwhile
			}
			r.log.ErrorContext(ctx, "webhook attempt not recorded", "webhook", c.WebhookID, "delivery", t.Delivery.ID, "err", err)
			break // the lease expires and the delivery is sent again
		}
		n++
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := r.store.ReleaseWebhook(rctx, r.owner, c.WebhookID); err != nil {
		r.log.WarnContext(ctx, "webhook lease not released", "webhook", c.WebhookID, "err", err)
	}
	return n
}

// attempt makes one request of delivery t and decides what follows.
func (r *Relay) attempt(ctx context.Context, t store.DeliveryTask) store.AttemptResult {
	now := r.now()
	a := store.DeliveryAttempt{N: t.Delivery.Attempts + 1, At: now}
	status, retryAfter, resp, err := r.send(ctx, t, now, &a.Latency)
	a.Status, a.Response = status, resp
	if err != nil {
		a.Error = err.Error()
	}
	res := store.AttemptResult{Attempt: a, LeaseUntil: r.now().Add(r.cfg.lease())}
	log := r.log.With("webhook", t.Delivery.WebhookID, "delivery", t.Delivery.ID, "event", t.Event.Type,
		"attempt", a.N, "status", status, "latency", a.Latency)
	switch {
	case err == nil:
		res.State = store.DeliveryDelivered
		r.attempts.WithLabelValues("delivered").Inc()
		log.DebugContext(ctx, "webhook delivered")
	case a.N >= r.cfg.MaxAttempts:
		res.State = store.DeliveryFailed
		r.attempts.WithLabelValues("failed").Inc()
		log.WarnContext(ctx, "webhook delivery failed", "err", a.Error)
	default:
		wait := max(r.backoff.Delay(a.N), min(retryAfter, r.cfg.BackoffMax))
		res.State, res.NextAttemptAt = store.DeliveryPending, now.Add(wait)
		r.attempts.WithLabelValues("retry").Inc()
		log.DebugContext(ctx, "webhook attempt failed", "err", a.Error, "retry_in", wait)
	}
	return res
}

// send POSTs the signed body of t. It returns the HTTP status (0 without a
// response), the receiver's Retry-After, the start of the response body,
// and an error unless the status was 2xx.
func (r *Relay) send(ctx context.Context, t store.DeliveryTask, now time.Time, latency *time.Duration) (int, time.Duration, string, error) {
	b, err := body(t.Event)
	if err != nil {
		return 0, 0, "", fmt.Errorf("render body: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(b))
	if err != nil {
		return 0, 0, "", fmt.Errorf("build request: %w", err)
	}
	ts := now.Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(HeaderEvent, t.Event.Type)
	req.Header.Set(HeaderDelivery, t.Delivery.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(t.Secret, ts, b))
	start := time.Now()
	resp, err := r.client.Do(req)
	if err != nil {
		*latency = time.Since(start)
		r.latency.Observe(latency.Seconds())
		return 0, 0, "", err
	}
	defer resp.Body.Close()
	kept, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseKept))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseRead))
	*latency = time.Since(start)
	r.latency.Observe(latency.Seconds())
	var retryAfter time.Duration
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		retryAfter = time.Duration(s) * time.Second
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, retryAfter, string(kept), fmt.Errorf("HTTP %s", resp.Status)
	}
	return resp.StatusCode, 0, string(kept), nil
}
