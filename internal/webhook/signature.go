package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Headers of every delivery.
const (
	HeaderEvent     = "Drydock-Event"     // the event type
	HeaderDelivery  = "Drydock-Delivery"  // the delivery id, the same on every attempt
	HeaderTimestamp = "Drydock-Timestamp" // Unix seconds when the attempt was signed
	HeaderSignature = "Drydock-Signature" // "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body)
)

// Signature errors returned by [Verify].
var (
	ErrSignatureMissing  = errors.New("webhook signature missing")
	ErrSignatureMismatch = errors.New("webhook signature does not match")
	ErrTimestampSkew     = errors.New("webhook timestamp outside tolerance")
)

// Sign returns the Drydock-Signature header value for body sent at
// timestamp ts (Unix seconds): "sha256=" followed by the hex HMAC-SHA256,
// keyed with secret, of the decimal timestamp, a dot and the body bytes.
func Sign(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a delivery as a receiver does: the signature header must
// match body and the timestamp header, in constant time, and the timestamp
// must be within tolerance of now (a replay guard; tolerance <= 0 skips
// that check).
func Verify(secret, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	if timestamp == "" || signature == "" {
		return ErrSignatureMissing
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: bad timestamp %q", ErrSignatureMismatch, timestamp)
	}
	if !strings.HasPrefix(signature, "sha256=") {
		return fmt.Errorf("%w: unknown scheme", ErrSignatureMismatch)
	}
	if !hmac.Equal([]byte(signature), []byte(Sign(secret, ts, body))) {
		return ErrSignatureMismatch
	}
	if tolerance > 0 {
		if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
			return fmt.Errorf("%w: %s", ErrTimestampSkew, d)
		}
	}
	return nil
}
