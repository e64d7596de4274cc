package webhook

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

// The known answer was computed outside Go, the way a receiver in another
// language does (README "Verifying deliveries"):
//
//	python3 -c 'import hmac,hashlib; print(hmac.new(b"whsec_test-secret-0123456789",
//	    b"1767323045." + b"{\"id\":\"1\",\"type\":\"ping\"}", hashlib.sha256).hexdigest())'
const (
	kaSecret = "whsec_test-secret-0123456789"
	kaTS     = 1767323045
	kaBody   = `{"id":"1","type":"ping"}`
	kaSig    = "sha256=d3cb53b8f502071ddeba25e5d4aaf5a12257646c480a83de5428dfed9896f27e"
)

func TestSignKnownAnswer(t *testing.T) {
	if got := Sign(kaSecret, kaTS, []byte(kaBody)); got != kaSig {
		t.Fatalf("Sign = %s, want %s", got, kaSig)
	}
}

func TestVerify(t *testing.T) {
	ts := strconv.Itoa(kaTS)
	at := time.Unix(kaTS, 0)
	tests := []struct {
		name      string
		secret    string
		timestamp string
		signature string
		body      string
		now       time.Time
		tolerance time.Duration
		want      error
	}{
		{name: "valid", secret: kaSecret, timestamp: ts, signature: kaSig, body: kaBody, now: at.Add(time.Minute), tolerance: 5 * time.Minute},
		{name: "valid, no tolerance check", secret: kaSecret, timestamp: ts, signature: kaSig, body: kaBody, now: at.Add(100 * time.Hour)},
		{name: "body changed", secret: kaSecret, timestamp: ts, signature: kaSig, body: kaBody + " ", now: at, want: ErrSignatureMismatch},
		{name: "timestamp changed", secret: kaSecret, timestamp: strconv.Itoa(kaTS + 1), signature: kaSig, body: kaBody, now: at, want: ErrSignatureMismatch},
		{name: "wrong secret", secret: kaSecret + "x", timestamp: ts, signature: kaSig, body: kaBody, now: at, want: ErrSignatureMismatch},
		{name: "other scheme", secret: kaSecret, timestamp: ts, signature: "sha1=" + kaSig[7:], body: kaBody, now: at, want: ErrSignatureMismatch},
		{name: "bad timestamp", secret: kaSecret, timestamp: "yesterday", signature: kaSig, body: kaBody, now: at, want: ErrSignatureMismatch},
		{name: "missing signature", secret: kaSecret, timestamp: ts, body: kaBody, now: at, want: ErrSignatureMissing},
		{name: "missing timestamp", secret: kaSecret, signature: kaSig, body: kaBody, now: at, want: ErrSignatureMissing},
		{name: "too old", secret: kaSecret, timestamp: ts, signature: kaSig, body: kaBody, now: at.Add(6 * time.Minute), tolerance: 5 * time.Minute, want: ErrTimestampSkew},
		{name: "from the future", secret: kaSecret, timestamp: ts, signature: kaSig, body: kaBody, now: at.Add(-6 * time.Minute), tolerance: 5 * time.Minute, want: ErrTimestampSkew},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.timestamp, tt.signature, []byte(tt.body), tt.now, tt.tolerance)
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}
