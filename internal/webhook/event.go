package webhook

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/drydock/drydock/internal/store"
)

// Event types delivered to webhooks. The outbox producers (the registry,
// the scan pipeline) write them; a webhook's filter names them.
const (
	EventImagePushed       = "image.pushed"
	EventImageDeleted      = "image.deleted"
	EventScanCompleted     = "scan.completed"
	EventScanFailed        = "scan.failed"
	EventFindingNew        = "finding.new"
	EventFindingResolved   = "finding.resolved"
	EventAssessmentChanged = "assessment.changed"
	// EventPing is the test event of POST /api/v1/webhooks/{id}/ping. It
	// goes to one webhook whatever its filter.
	EventPing = "ping"
)

// EventTypes lists the event types a webhook filter may name.
var EventTypes = []string{
	EventImagePushed, EventImageDeleted, EventScanCompleted, EventScanFailed,
	EventFindingNew, EventFindingResolved, EventAssessmentChanged,
}

// AllEvents is the filter value that selects every event type.
const AllEvents = "*"

// normalizeEvents validates a filter: nil, empty or ["*"] mean every type
// (returned as nil); otherwise every entry must be a known type, and the
// result is sorted without duplicates.
func normalizeEvents(events []string) ([]string, error) {
	if len(events) == 0 || (len(events) == 1 && events[0] == AllEvents) {
		return nil, nil
	}
	out := make([]string, 0, len(events))
	for _, e := range events {
		if e == AllEvents {
			return nil, fmt.Errorf("%w: %q must be the only entry of events", ErrInvalid, AllEvents)
		}
		if !slices.Contains(EventTypes, e) {
			return nil, fmt.Errorf("%w: unknown event type %q (known: %s)", ErrInvalid, e, strings.Join(EventTypes, ", "))
		}
		out = append(out, e)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Envelope is the JSON body of every delivery.
type Envelope struct {
	// ID identifies the event; every delivery and redelivery of one event
	// carries the same id, so receivers deduplicate on it.
	ID           string          `json:"id"`
	Type         string          `json:"type"`
	Subscription string          `json:"subscription"`
	CreatedAt    time.Time       `json:"createdAt"`
	Data         json.RawMessage `json:"data"`
}

// body renders the delivery body of e. The same event always renders to
// the same bytes, so every attempt of a delivery sends the same body.
func body(e store.OutboxEvent) ([]byte, error) {
	data := json.RawMessage(e.Payload)
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	if !json.Valid(data) {
		// A producer bug must not lose the event: send its text.
		quoted, err := json.Marshal(map[string]string{"raw": string(e.Payload)})
		if err != nil {
			return nil, err
		}
		data = quoted
	}
	return json.Marshal(Envelope{
		ID:           strconv.FormatInt(e.ID, 10),
		Type:         e.Type,
		Subscription: e.SubscriptionID,
		CreatedAt:    e.CreatedAt.UTC(),
		Data:         data,
	})
}

// registryOf returns the registry an event concerns: its payload's
// "registry", else the first path element of its "repository", else "".
func registryOf(payload []byte) string {
	var p map[string]json.RawMessage
	if json.Unmarshal(payload, &p) != nil {
		return ""
	}
	str := func(k string) string {
		var s string
		if raw, ok := p[k]; ok && json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	}
	if r := str("registry"); r != "" {
		return r
	}
	if repo := str("repository"); repo != "" {
		first, _, _ := strings.Cut(repo, "/")
		return first
	}
	return ""
}

// Matches reports whether webhook w wants event e: its type passes the
// filter and, when w names a registry, the event concerns that registry.
// Subscriptions are matched by the caller (the store offers only the
// event's subscription's webhooks).
func Matches(w store.Webhook, e store.OutboxEvent) bool {
	if !w.Active || w.SubscriptionID != e.SubscriptionID {
		return false
	}
	if len(w.Events) > 0 && !slices.Contains(w.Events, e.Type) {
		return false
	}
	return w.Registry == "" || registryOf(e.Payload) == w.Registry
}

// route is the store's routing callback: the ids of the webhooks that want e.
func route(e store.OutboxEvent, hooks []store.Webhook) []string {
	var ids []string
	for _, w := range hooks {
		if Matches(w, e) {
			ids = append(ids, w.ID)
		}
	}
	return ids
}
