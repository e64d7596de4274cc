package webhook

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/store"
)

func TestNormalizeEvents(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
		err  error
	}{
		{name: "nil is all", in: nil, want: nil},
		{name: "empty is all", in: []string{}, want: nil},
		{name: "star is all", in: []string{"*"}, want: nil},
		{name: "sorted, deduplicated", in: []string{"scan.failed", "image.pushed", "scan.failed"}, want: []string{"image.pushed", "scan.failed"}},
		{name: "unknown", in: []string{"image.pushed", "image.pulled"}, err: ErrInvalid},
		{name: "star among others", in: []string{"*", "image.pushed"}, err: ErrInvalid},
		{name: "ping is not a filter", in: []string{"ping"}, err: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := normalizeEvents(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	ev := func(typ, payload string) store.OutboxEvent {
		return store.OutboxEvent{SubscriptionID: "s1", Type: typ, Payload: []byte(payload)}
	}
	hook := func(events []string, registry string) store.Webhook {
		return store.Webhook{SubscriptionID: "s1", Active: true, Events: events, Registry: registry}
	}
	tests := []struct {
		name string
		w    store.Webhook
		e    store.OutboxEvent
		want bool
	}{
		{"all types", hook(nil, ""), ev("scan.completed", `{}`), true},
		{"type listed", hook([]string{"scan.failed", "image.pushed"}, ""), ev("image.pushed", `{}`), true},
		{"type not listed", hook([]string{"scan.failed"}, ""), ev("image.pushed", `{}`), false},
		{"registry from repository", hook(nil, "team"), ev("image.pushed", `{"repository":"team/a/b"}`), true},
		{"registry field wins", hook(nil, "team"), ev("assessment.changed", `{"registry":"team","repository":"other/x"}`), true},
		{"other registry", hook(nil, "team"), ev("image.pushed", `{"repository":"teamx/a"}`), false},
		{"event without registry", hook(nil, "team"), ev("image.pushed", `{"digest":"sha256:x"}`), false},
		{"registry not a string", hook(nil, "team"), ev("image.pushed", `{"registry":{"name":"team"}}`), false},
		{"payload not JSON", hook(nil, "team"), ev("image.pushed", `team/a`), false},
		{"other subscription", hook(nil, ""), store.OutboxEvent{SubscriptionID: "s2", Type: "image.pushed"}, false},
		{"inactive", store.Webhook{SubscriptionID: "s1"}, ev("image.pushed", `{}`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Matches(tt.w, tt.e); got != tt.want {
				t.Errorf("Matches = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBody(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.FixedZone("X", 3600))
	tests := []struct {
		name    string
		payload string
		want    string
	}{
		{"object", `{"repository":"a/b"}`, `{"id":"42","type":"image.pushed","subscription":"s1","createdAt":"2026-01-02T02:04:05.000006Z","data":{"repository":"a/b"}}`},
		{"empty", ``, `{"id":"42","type":"image.pushed","subscription":"s1","createdAt":"2026-01-02T02:04:05.000006Z","data":{}}`},
		{"not JSON is kept as text", `a "b"`, `{"id":"42","type":"image.pushed","subscription":"s1","createdAt":"2026-01-02T02:04:05.000006Z","data":{"raw":"a \"b\""}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := body(store.OutboxEvent{ID: 42, SubscriptionID: "s1", Type: "image.pushed", Payload: []byte(tt.payload), CreatedAt: at})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(b)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
