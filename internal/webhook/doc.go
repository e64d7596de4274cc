// Package webhook delivers drydock's events to HTTP receivers: the relay
// that drains the transactional outbox, and the /api/v1/webhooks API that
// manages webhook subscriptions and shows their delivery log.
//
// # Flow
//
//	producer transaction ──▶ events (outbox row, delivered_at NULL)
//	                             │ Relay.Dispatch: one transaction per batch
//	                             ▼
//	    events.delivered_at set + one webhook_deliveries row per matching webhook
//	                             │ Relay workers: lease one webhook at a time
//	                             ▼
//	    POST, signed ──▶ receiver;  webhook_attempts row per request;
//	    2xx: delivered · otherwise pending with backoff · MaxAttempts: failed
//
// Producers (the registry's manifest commits, the scan pipeline) only insert
// outbox rows inside their own transactions: nothing on their path waits
// for a receiver. A webhook matches an event when it is active, belongs to
// the event's subscription, its event filter admits the type ([EventTypes];
// empty means all) and, when it names a registry, the event's payload
// names that registry (its "registry" field, or the first path element of
// its "repository").
//
// # Delivery
//
// Every request is a POST of an [Envelope]
//
//	{"id":"42","type":"image.pushed","subscription":"default",
//	 "createdAt":"2026-01-02T03:04:05.123Z","data":{...the event's payload...}}
//
// with these headers:
//
//	Content-Type:      application/json
//	Drydock-Event:     image.pushed
//	Drydock-Delivery:  5a0c0e6e-...   (the same on every attempt of the delivery)
//	Drydock-Timestamp: 1767323045     (Unix seconds of this attempt)
//	Drydock-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// Receivers recompute the signature over the raw body bytes with the
// webhook's secret, compare in constant time, and reject timestamps far
// from their clock ([Verify] does all three). A 2xx answer within Timeout
// marks the delivery delivered; anything else (an error, a timeout, a
// redirect, a non-2xx status) is retried after an exponential [Backoff]
// with jitter (a receiver's Retry-After is honoured up to BackoffMax), and
// the delivery is failed after MaxAttempts. Each attempt's status, latency,
// error and the start of the answer are kept in the delivery log.
//
// Delivery is at least once. A process that dies between a receiver's
// answer and recording it leaves the delivery pending; once its lease on
// the webhook expires another relay (or the restarted one) sends it again
// with the same Drydock-Delivery id. A redelivery asked through the API is
// a new delivery (new id, redeliveryOf set) of the same event (same
// envelope id). Receivers deduplicate on the envelope id.
//
// Order: one worker at a time holds a webhook (a lease row in the store,
// so this holds across processes) and sends its due deliveries in the
// order the events were dispatched. A delivery waiting for a retry does not
// hold back later ones, so after a failure a receiver may see events out of
// order; createdAt and id tell the original order.
//
// # Targets
//
// Webhook URLs must be http or https without credentials. Unless
// Config.AllowPrivateTargets is set, loopback, private, link-local,
// multicast and other internal addresses are refused: literal addresses
// when the webhook is registered, and every resolved address when a
// delivery connects (so a name that later resolves inside the network is
// refused too). Proxies from the environment are not used and redirects
// are not followed.
//
// # Retention
//
// Dispatched events and finished deliveries older than Config.Retention
// (default 30 days) are deleted with their attempts; an event is kept while
// one of its deliveries is pending or was created within the period.
package webhook
