package auth

import (
	"sync"
	"time"
)

// Throttle counts authentication failures per key (a client address or a
// user name) and blocks a key that failed MaxFailures times within Window,
// for Lockout. It keeps at most maxKeys keys: when full it forgets keys
// that are neither blocked nor recent, then (under a flood of distinct
// keys) everything that is not blocked.
type Throttle struct {
	max     int
	window  time.Duration
	lockout time.Duration
	now     func() time.Time
	maxKeys int

	mu sync.Mutex
	m  map[string]*failures
}

type failures struct {
	count        int
	first        time.Time // start of the current window
	blockedUntil time.Time
}

// NewThrottle returns a Throttle; max <= 0 disables it.
func NewThrottle(max int, window, lockout time.Duration, now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	return &Throttle{max: max, window: window, lockout: lockout, now: now, maxKeys: 100000, m: map[string]*failures{}}
}

// Blocked returns how long key stays blocked, and whether it is.
func (t *Throttle) Blocked(key string) (time.Duration, bool) {
	if t == nil || t.max <= 0 {
		return 0, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.m[key]
	if !ok {
		return 0, false
	}
	if d := f.blockedUntil.Sub(t.now()); d > 0 {
		return d, true
	}
	return 0, false
}

// Fail records a failure of key and reports whether key is now blocked.
func (t *Throttle) Fail(key string) bool {
	if t == nil || t.max <= 0 {
		return false
	}
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.m[key]
	if !ok {
		if len(t.m) >= t.maxKeys {
			t.prune(now)
		}
		f = &failures{first: now}
		t.m[key] = f
	}
	if now.Sub(f.first) > t.window {
		f.count, f.first = 0, now
	}
	f.count++
	if f.count >= t.max {
		f.blockedUntil = now.Add(t.lockout)
		f.count, f.first = 0, now
		return true
	}
	return false
}

// Reset forgets the failures of key (after a successful sign-in).
func (t *Throttle) Reset(key string) {
	if t == nil || t.max <= 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if f, ok := t.m[key]; ok && !t.now().Before(f.blockedUntil) {
		delete(t.m, key)
	}
}

func (t *Throttle) prune(now time.Time) {
	for k, f := range t.m {
		if now.After(f.blockedUntil) && now.Sub(f.first) > t.window {
			delete(t.m, k)
		}
	}
	if len(t.m) < t.maxKeys {
		return
	}
	for k, f := range t.m {
		if now.After(f.blockedUntil) {
			delete(t.m, k)
		}
	}
}
