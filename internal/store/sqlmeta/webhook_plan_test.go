package sqlmeta

import (
	"testing"
)

// TestWebhookQueryPlans checks that the relay's and the delivery log's
// queries are index probes or range scans. The one sort allowed is that of
// a webhook's due deliveries into delivery order: a top-N sort of rows the
// pending-only index returned.
func TestWebhookQueryPlans(t *testing.T) {
	checkPlans(t, []planCase{
		{name: "webhook by id", query: qWebhookByID, args: []any{"x"}},
		{name: "webhooks of a subscription", query: qWebhooksOf, args: []any{"s"}, wantIndex: "webhooks_subscription"},
		{name: "active webhooks of a subscription", query: qActiveWebhooksOf, args: []any{"s"}, wantIndex: "webhooks_subscription"},
		{name: "delivery log page", query: qDeliveriesOf, args: []any{"w", 100, 50}, wantIndex: "webhook_deliveries_webhook"},
		{name: "delivery by id", query: qDeliveryByID, args: []any{"d", "w"}},
		{name: "attempts", query: qAttemptsOf, args: []any{1}},
		{name: "undispatched events", query: qUndispatched, args: []any{100}, wantIndex: "events_undelivered"},
		{name: "due webhooks", query: qDueWebhooks, args: []any{1, 1, 10}, wantIndex: "webhooks_due"},
		{name: "next due of a webhook", query: qNextDue, args: []any{"w"}, wantIndex: "webhook_deliveries_due"},
		{name: "due deliveries of a webhook", query: qDueDeliveriesOf, args: []any{"w", 1, 10}, wantIndex: "webhook_deliveries_due", allowSort: true},
		{name: "prunable events", query: qPrunableEvents, args: []any{1, -1, -1, 0, 100}, wantIndex: "events_undelivered"},
		{name: "event kept", query: qEventKept, args: []any{1, 1, 1}, wantIndex: "webhook_deliveries_event"},
	})
}
