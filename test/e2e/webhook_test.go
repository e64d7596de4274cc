//go:build e2e

package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// hookRequest is one delivery a test receiver got.
type hookRequest struct {
	event, delivery, timestamp, signature string
	body                                  []byte
	env                                   struct {
		ID           string          `json:"id"`
		Type         string          `json:"type"`
		Subscription string          `json:"subscription"`
		CreatedAt    time.Time       `json:"createdAt"`
		Data         json.RawMessage `json:"data"`
	}
	status int // what the receiver answered
}

// hookReceiver is a webhook receiver on loopback that records every
// request and answers status() (200 by default).
type hookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []hookRequest
	status func() int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	rc := &hookReceiver{status: func() int { return http.StatusOK }}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		req := hookRequest{event: r.Header.Get("Drydock-Event"), delivery: r.Header.Get("Drydock-Delivery"),
			timestamp: r.Header.Get("Drydock-Timestamp"), signature: r.Header.Get("Drydock-Signature"), body: b}
		if err := json.Unmarshal(b, &req.env); err != nil {
			t.Errorf("receiver: body is not an event envelope: %v: %s", err, b)
		}
		rc.mu.Lock()
		req.status = rc.status()
		rc.got = append(rc.got, req)
		rc.mu.Unlock()
		w.WriteHeader(req.status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *hookReceiver) setStatus(code int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.status = func() int { return code }
}

func (rc *hookReceiver) requests() []hookRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hookRequest(nil), rc.got...)
}

// waitFor polls the receiver until cond holds for its requests.
func (rc *hookReceiver) waitFor(t *testing.T, what string, timeout time.Duration, cond func([]hookRequest) bool) []hookRequest {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := rc.requests()
		if cond(got) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook receiver: no %s within %s; got %d requests", what, timeout, len(got))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// verifySignature checks a delivery the way the README tells receivers to,
// without drydock's code: HMAC-SHA256 over timestamp "." body.
func verifySignature(secret string, r hookRequest) error {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(r.timestamp + "." + string(r.body)))
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(r.signature)) {
		return fmt.Errorf("signature %q, want %q", r.signature, want)
	}
	return nil
}

// apiJSON calls drydock's REST API and decodes the JSON answer into out.
func apiJSON(t *testing.T, srv *server, method, path string, body any, wantStatus int, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(t.Context(), method, srv.url(path), rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e2eHTTP.Do(req) // signs in as the administrator
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, wantStatus, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

type e2eWebhook struct {
	ID     string   `json:"id"`
	Secret string   `json:"secret"`
	Events []string `json:"events"`
}

// pushDistinct pushes a small image with unique content and returns its digest.
func pushDistinct(t *testing.T, srv *server, ref string, n int) string {
	t.Helper()
	layer := writeFile(t, t.TempDir(), "layer.tar", layerTar(t, realFileSets[0], 1024+n))
	runTool(t, nil, "crane", "--insecure", "append", "--oci-empty-base", "-t", srv.addr+"/"+ref, "-f", layer)
	return strings.TrimSpace(string(runTool(t, nil, "crane", "--insecure", "digest", srv.addr+"/"+ref)))
}

var webhookEnv = []string{
	"DRYDOCK_WEBHOOKS_ALLOWPRIVATETARGETS=true", // the receiver listens on loopback
	"DRYDOCK_WEBHOOKS_POLLINTERVAL=100ms",
	"DRYDOCK_WEBHOOKS_TIMEOUT=2s",
	"DRYDOCK_WEBHOOKS_BACKOFFBASE=500ms",
	"DRYDOCK_WEBHOOKS_BACKOFFMAX=2s",
}

// TestWebhookPush registers a webhook through the API, pushes an image
// with crane, and receives a signed image.pushed; then a ping and an
// image.deleted, and reads the delivery log back.
func TestWebhookPush(t *testing.T) {
	rc := newHookReceiver(t)
	srv := startServer(t, "", webhookEnv...)
	var hook e2eWebhook
	apiJSON(t, srv, "POST", "/api/v1/webhooks", map[string]any{
		"subscription": "default", "url": rc.URL + "/drydock", "events": []string{"image.pushed", "image.deleted"},
	}, 201, &hook)
	if hook.Secret == "" {
		t.Fatal("no secret in the creation answer")
	}
	apiJSON(t, srv, "POST", "/api/v1/webhooks", map[string]any{"subscription": "default", "url": "http://[::1]:1/"}, 201, nil) // allowed by config

	digest := pushDistinct(t, srv, "e2e/hooks/app:v1", 0)
	got := rc.waitFor(t, "image.pushed", 20*time.Second, func(rs []hookRequest) bool { return len(rs) >= 1 })
	r := got[0]
	var data struct {
		Repository, Digest, Tag, MediaType string
	}
	if err := json.Unmarshal(r.env.Data, &data); err != nil {
		t.Fatal(err)
	}
	if r.event != "image.pushed" || r.env.Type != "image.pushed" || r.env.Subscription != "default" ||
		data.Repository != "e2e/hooks/app" || data.Digest != digest || data.Tag != "v1" || r.delivery == "" {
		t.Fatalf("delivery: event %q, envelope %+v, data %+v", r.event, r.env, data)
	}
	if err := verifySignature(hook.Secret, r); err != nil {
		t.Fatal(err)
	}
	if ts, err := strconv.ParseInt(r.timestamp, 10, 64); err != nil || time.Since(time.Unix(ts, 0)).Abs() > time.Minute {
		t.Fatalf("Drydock-Timestamp %q is not the Unix time of the delivery (%v)", r.timestamp, err)
	}

	// Ping (any filter) and delete (filtered in).
	apiJSON(t, srv, "POST", "/api/v1/webhooks/"+hook.ID+"/ping", nil, 202, nil)
	runTool(t, nil, "crane", "--insecure", "delete", srv.addr+"/e2e/hooks/app@"+digest)
	got = rc.waitFor(t, "ping and image.deleted", 20*time.Second, func(rs []hookRequest) bool { return len(rs) >= 3 })
	types := map[string]hookRequest{}
	for _, r := range got {
		if err := verifySignature(hook.Secret, r); err != nil {
			t.Errorf("%s: %v", r.event, err)
		}
		types[r.event] = r
	}
	if _, ok := types["ping"]; !ok {
		t.Errorf("no ping among %d deliveries", len(got))
	}
	if d, ok := types["image.deleted"]; !ok || !strings.Contains(string(d.env.Data), digest) {
		t.Errorf("no image.deleted for %s", digest)
	}
	var log struct {
		Items []struct {
			ID, State string
			Attempts  int
			Event     struct{ Type string }
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		apiJSON(t, srv, "GET", "/api/v1/webhooks/"+hook.ID+"/deliveries", nil, 200, &log)
		done := len(log.Items) == 3
		for _, d := range log.Items {
			done = done && d.State == "delivered" && d.Attempts == 1
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery log %+v, want 3 delivered", log.Items)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(got) != 3 {
		t.Errorf("receiver got %d requests, want 3", len(got))
	}
}

// TestWebhookCrash kill -9s drydock twice with undelivered events: once
// while they sit in the outbox (the relay polls only hourly), once while
// their deliveries wait for a retry (the receiver answers 503). After each
// restart every event arrives, signed, and no event is lost.
func TestWebhookCrash(t *testing.T) {
	rc := newHookReceiver(t)
	slow := append(append([]string(nil), webhookEnv...), "DRYDOCK_WEBHOOKS_POLLINTERVAL=1h")
	srv := startServer(t, "", slow...)
	var hook e2eWebhook
	apiJSON(t, srv, "POST", "/api/v1/webhooks", map[string]any{"subscription": "default", "url": rc.URL, "events": []string{"image.pushed"}}, 201, &hook)

	// Round 1: the relay's first poll ran at start; these events wait in
	// the outbox until the process is killed.
	want := map[string]bool{}
	for i := range 3 {
		want[pushDistinct(t, srv, fmt.Sprintf("e2e/hookcrash/a%d:v1", i), i)] = true
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(rc.requests()); n != 0 {
		t.Fatalf("receiver got %d requests before the restart; the test needs them undelivered", n)
	}
	srv.kill()
	srv.env = webhookEnv
	srv.restart()
	rc.waitFor(t, "the outbox events after restart", 30*time.Second, func(rs []hookRequest) bool { return len(digests(rs)) == 3 })

	// Round 2: the receiver fails; deliveries are in backoff when drydock dies.
	rc.setStatus(http.StatusServiceUnavailable)
	for i := range 3 {
		want[pushDistinct(t, srv, fmt.Sprintf("e2e/hookcrash/b%d:v1", i), 10+i)] = true
	}
	failed := rc.waitFor(t, "failed attempts", 30*time.Second, func(rs []hookRequest) bool {
		n := 0
		for _, r := range rs {
			if r.status == http.StatusServiceUnavailable {
				n++
			}
		}
		return n >= 3
	})
	srv.kill()
	rc.setStatus(http.StatusOK)
	srv.restart()
	got := rc.waitFor(t, "every event after the second restart", 60*time.Second, func(rs []hookRequest) bool {
		return len(digests(okOnly(rs))) == len(want)
	})
	for d := range want {
		if !digests(okOnly(got))[d] {
			t.Errorf("image %s never delivered", d)
		}
	}
	// Retries carry the delivery id of the failed attempt.
	ids := map[string]bool{}
	for _, r := range okOnly(got) {
		ids[r.delivery] = true
	}
	for _, r := range failed {
		if r.status == http.StatusServiceUnavailable && !ids[r.delivery] {
			t.Errorf("delivery %s failed before the kill and was never completed", r.delivery)
		}
	}
	for _, r := range got {
		if err := verifySignature(hook.Secret, r); err != nil {
			t.Errorf("%s: %v", r.delivery, err)
		}
	}
	t.Logf("%d requests for %d events (at-least-once: retries and redeliveries after kills included)", len(got), len(want))
}

func okOnly(rs []hookRequest) []hookRequest {
	var out []hookRequest
	for _, r := range rs {
		if r.status == http.StatusOK {
			out = append(out, r)
		}
	}
	return out
}

// digests returns the image digests of image.pushed requests.
func digests(rs []hookRequest) map[string]bool {
	out := map[string]bool{}
	for _, r := range rs {
		var d struct{ Digest string }
		if r.event == "image.pushed" && json.Unmarshal(r.env.Data, &d) == nil {
			out[d.Digest] = true
		}
	}
	return out
}
