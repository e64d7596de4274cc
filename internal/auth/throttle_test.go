package auth

import (
	"fmt"
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	now := time.Unix(1700000000, 0)
	clock := func() time.Time { return now }
	th := NewThrottle(3, time.Minute, 30*time.Second, clock)
	steps := []struct {
		advance     time.Duration
		fail        bool
		reset       bool
		wantBlocked bool
	}{
		{fail: true},
		{fail: true, advance: 10 * time.Second},
		{fail: true, advance: 10 * time.Second, wantBlocked: true}, // third within the window
		{advance: 29 * time.Second, wantBlocked: true},
		{advance: 2 * time.Second}, // lockout over
		{fail: true},
		{fail: true, advance: 2 * time.Minute}, // window restarted: 1
		{reset: true},
		{fail: true},
		{fail: true, wantBlocked: false}, // 2 after reset
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		if s.fail {
			th.Fail("ip:1")
		}
		if s.reset {
			th.Reset("ip:1")
		}
		d, blocked := th.Blocked("ip:1")
		if blocked != s.wantBlocked {
			t.Fatalf("step %d: blocked %v (for %s), want %v", i, blocked, d, s.wantBlocked)
		}
		if blocked && (d <= 0 || d > 30*time.Second) {
			t.Fatalf("step %d: retry after %s", i, d)
		}
	}
	if _, blocked := th.Blocked("ip:2"); blocked {
		t.Fatal("other key blocked")
	}
	// Disabled throttle never blocks.
	off := NewThrottle(0, time.Minute, time.Minute, clock)
	for range 100 {
		off.Fail("k")
	}
	if _, b := off.Blocked("k"); b {
		t.Fatal("disabled throttle blocked")
	}
}

func TestThrottleBoundedKeys(t *testing.T) {
	now := time.Unix(1700000000, 0)
	th := NewThrottle(2, time.Minute, time.Minute, func() time.Time { return now })
	th.maxKeys = 100
	th.Fail("victim")
	th.Fail("victim") // blocked
	for i := range 1000 {
		th.Fail(fmt.Sprintf("spray-%d", i))
	}
	if len(th.m) > th.maxKeys+1 {
		t.Fatalf("%d keys kept, bound %d", len(th.m), th.maxKeys)
	}
	if _, b := th.Blocked("victim"); !b {
		t.Fatal("a flood of new keys unblocked a blocked one")
	}
}
