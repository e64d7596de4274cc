package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Webhook errors. Implementations wrap them with fmt.Errorf("...: %w").
var (
	ErrWebhookUnknown  = fmt.Errorf("webhook unknown: %w", ErrNotFound)
	ErrDeliveryUnknown = fmt.Errorf("webhook delivery unknown: %w", ErrNotFound)
	// ErrWebhookLimit is returned by [Webhooks.CreateWebhook] when the
	// subscription already has the maximum number of webhooks.
	ErrWebhookLimit = errors.New("webhook limit reached")
	// ErrDeliveryPending is returned by [Webhooks.Redeliver] for a delivery
	// that is still being retried.
	ErrDeliveryPending = errors.New("delivery is still pending")
)

// Webhook is a subscription's HTTP receiver of events.
type Webhook struct {
	ID             string // assigned by CreateWebhook
	SubscriptionID string
	URL            string
	// Secret is the HMAC-SHA256 key deliveries are signed with.
	Secret string
	// Events are the event types delivered; empty means every type.
	Events []string
	// Registry restricts deliveries to events of one registry; "" means
	// every registry (and events that concern none).
	Registry string
	// Active webhooks receive new events; an inactive one receives none and
	// its pending deliveries wait until it is active again.
	Active    bool
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// WebhookUpdate changes the fields that are not nil.
type WebhookUpdate struct {
	URL      *string
	Events   *[]string
	Registry *string
	Active   *bool
	At       time.Time // new UpdatedAt
}

// Delivery states.
const (
	// DeliveryPending deliveries are waiting for their next attempt.
	DeliveryPending = "pending"
	// DeliveryDelivered deliveries got a 2xx answer.
	DeliveryDelivered = "delivered"
	// DeliveryFailed deliveries used up their attempts.
	DeliveryFailed = "failed"
)

// WebhookDelivery is one event to be sent (or sent) to one webhook.
type WebhookDelivery struct {
	// Seq orders deliveries installation-wide (ascending = created later);
	// it is the paging cursor.
	Seq int64
	// ID is the unique delivery id sent as Drydock-Delivery; every attempt
	// of a delivery carries the same id.
	ID             string
	WebhookID      string
	SubscriptionID string
	EventID        int64
	EventType      string
	State          string // DeliveryPending, DeliveryDelivered or DeliveryFailed
	Attempts       int
	NextAttemptAt  time.Time // meaningful while pending
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Outcome of the last attempt (zero before the first).
	LastStatus  int // HTTP status; 0 when no response was received
	LastError   string
	LastLatency time.Duration
	// RedeliveryOf is the ID of the delivery this one repeats, if any.
	RedeliveryOf string
}

// DeliveryAttempt is one HTTP request of a delivery, for the delivery log.
type DeliveryAttempt struct {
	N        int // 1-based
	At       time.Time
	Status   int // 0 when no response was received
	Latency  time.Duration
	Error    string // truncated
	Response string // start of the response body, truncated
}

// OutboxEvent is an event read from the transactional outbox.
type OutboxEvent struct {
	ID             int64
	SubscriptionID string
	Type           string
	// Payload is the event's JSON data. Producers include "registry" or
	// "repository" (whose first path element is the registry) when the
	// event concerns one registry, so that registry filters apply.
	Payload   []byte
	CreatedAt time.Time
}

// DeliveryTask is a claimed delivery with everything sending it needs.
type DeliveryTask struct {
	Delivery WebhookDelivery
	URL      string
	Secret   string
	Event    OutboxEvent
}

// WebhookClaim is the exclusive right, until its lease ends, to send the
// due deliveries of one webhook, in order.
type WebhookClaim struct {
	WebhookID string
	Tasks     []DeliveryTask // ascending Seq
}

// AttemptResult is what [WebhookOutbox.RecordAttempt] stores.
type AttemptResult struct {
	Attempt DeliveryAttempt
	// State is the delivery's new state.
	State string
	// NextAttemptAt is when a still pending delivery is tried again.
	NextAttemptAt time.Time
	// LeaseUntil extends the claim on the webhook.
	LeaseUntil time.Time
}

// Webhooks manages webhook subscriptions and their delivery log (the API's
// side). Callers check tenancy: every method works on ids alone.
type Webhooks interface {
	// CreateWebhook stores w (ID, timestamps assigned) unless the
	// subscription already has max webhooks (ErrWebhookLimit). Errors wrap
	// ErrSubscriptionUnknown when the subscription does not exist.
	CreateWebhook(ctx context.Context, w Webhook, max int) (Webhook, error)
	// GetWebhook returns a webhook or ErrWebhookUnknown.
	GetWebhook(ctx context.Context, id string) (Webhook, error)
	// ListWebhooks returns the webhooks of the given subscriptions (nil
	// means every subscription) ordered by subscription and id.
	ListWebhooks(ctx context.Context, subscriptions []string) ([]Webhook, error)
	// UpdateWebhook applies u and returns the result, or ErrWebhookUnknown.
	UpdateWebhook(ctx context.Context, id string, u WebhookUpdate) (Webhook, error)
	// DeleteWebhook deletes a webhook with its deliveries and their log,
	// or returns ErrWebhookUnknown.
	DeleteWebhook(ctx context.Context, id string) error
	// ListDeliveries returns up to n deliveries of a webhook with Seq below
	// before (0: from the newest), newest first.
	ListDeliveries(ctx context.Context, webhookID string, before int64, n int) ([]WebhookDelivery, error)
	// GetDelivery returns a delivery of a webhook with its attempts in
	// order, or ErrDeliveryUnknown.
	GetDelivery(ctx context.Context, webhookID, deliveryID string) (WebhookDelivery, []DeliveryAttempt, error)
	// Redeliver queues a new delivery (new ID, RedeliveryOf set) of the
	// event of a finished delivery, due at at. A pending delivery is
	// ErrDeliveryPending.
	Redeliver(ctx context.Context, webhookID, deliveryID string, at time.Time) (WebhookDelivery, error)
	// PingWebhook records an event of type typ with payload for the
	// webhook's subscription, already dispatched, and queues its delivery
	// to this webhook only, due at at.
	PingWebhook(ctx context.Context, webhookID, typ string, payload []byte, at time.Time) (WebhookDelivery, error)
}

// WebhookOutbox is the relay's side: it turns outbox events into
// deliveries and records what sending them did.
type WebhookOutbox interface {
	// DispatchEvents takes up to limit undispatched events in id order and,
	// in one transaction per call, marks each dispatched at at and queues a
	// delivery (due at at) to every webhook id that route returns for it.
	// route gets the active webhooks of the event's subscription. An event
	// another relay dispatched meanwhile is skipped. It returns the number
	// of events dispatched.
	DispatchEvents(ctx context.Context, at time.Time, limit int, route func(OutboxEvent, []Webhook) []string) (int, error)
	// ClaimDeliveries leases up to hooks active webhooks that have due
	// pending deliveries and no live lease, for owner until at+lease, and
	// returns up to perHook due deliveries of each, oldest first. A lease
	// is what keeps deliveries of one webhook in order across workers and
	// processes.
	ClaimDeliveries(ctx context.Context, owner string, at time.Time, lease time.Duration, hooks, perHook int) ([]WebhookClaim, error)
	// RecordAttempt appends an attempt to delivery seq, sets its state and
	// next attempt, and extends owner's lease on the webhook.
	RecordAttempt(ctx context.Context, owner string, seq int64, r AttemptResult) error
	// ReleaseWebhook ends owner's lease on a webhook.
	ReleaseWebhook(ctx context.Context, owner, webhookID string) error
	// PruneWebhookHistory deletes events dispatched before before, with
	// their finished deliveries and attempts, up to limit events; events
	// with a pending delivery or one created since before are kept. It
	// returns the number of events deleted.
	PruneWebhookHistory(ctx context.Context, before time.Time, limit int) (int, error)
}
