package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// HashParams are argon2id parameters.
type HashParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8  // lanes
	SaltLen int
	KeyLen  int
}

// DefaultHashParams are OWASP's recommended minimum for argon2id.
var DefaultHashParams = HashParams{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Bounds on parameters read from a stored hash, so that a corrupted or
// hostile row cannot make verification allocate without limit.
const (
	maxHashMemory  = 1 << 20 // KiB: 1 GiB
	maxHashTime    = 16
	maxHashThreads = 64
)

// ErrInvalidHash means a stored password hash cannot be parsed.
var ErrInvalidHash = errors.New("invalid password hash")

// hashSlots bounds concurrent argon2 computations (each holds Memory KiB).
var hashSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))

func withSlot(ctx context.Context, fn func()) error {
	select {
	case hashSlots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-hashSlots }()
	fn()
	return nil
}

var b64 = base64.RawStdEncoding

// HashPassword returns the PHC-encoded argon2id hash of password with p.
func HashPassword(ctx context.Context, password string, p HashParams) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("identity: hash password: %w", err)
	}
	var key []byte
	if err := withSlot(ctx, func() {
		key = argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(p.KeyLen))
	}); err != nil {
		return "", fmt.Errorf("identity: hash password: %w", err)
	}
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// parseHash decodes a PHC argon2id string.
func parseHash(encoded string) (p HashParams, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("%w: not an argon2id PHC string", ErrInvalidHash)
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: unsupported version %q", ErrInvalidHash, parts[2])
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, perr := strconv.ParseUint(v, 10, 32)
		if !ok || perr != nil {
			return p, nil, nil, fmt.Errorf("%w: bad parameter %q", ErrInvalidHash, kv)
		}
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > maxHashThreads {
				return p, nil, nil, fmt.Errorf("%w: %d threads", ErrInvalidHash, n)
			}
			p.Threads = uint8(n)
		default:
			return p, nil, nil, fmt.Errorf("%w: unknown parameter %q", ErrInvalidHash, k)
		}
	}
	if p.Memory < 8*uint32(p.Threads) || p.Memory > maxHashMemory || p.Time < 1 || p.Time > maxHashTime || p.Threads < 1 {
		return p, nil, nil, fmt.Errorf("%w: parameters out of range (m=%d t=%d p=%d)", ErrInvalidHash, p.Memory, p.Time, p.Threads)
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, fmt.Errorf("%w: bad salt", ErrInvalidHash)
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 128 {
		return p, nil, nil, fmt.Errorf("%w: bad key", ErrInvalidHash)
	}
	p.SaltLen, p.KeyLen = len(salt), len(key)
	return p, salt, key, nil
}

// VerifyPassword reports whether password matches the PHC-encoded hash.
// The comparison is constant-time. An unparseable hash is an error
// wrapping ErrInvalidHash, never a match.
func VerifyPassword(ctx context.Context, encoded, password string) (bool, error) {
	p, salt, key, err := parseHash(encoded)
	if err != nil {
		return false, err
	}
	var got []byte
	if err := withSlot(ctx, func() {
		got = argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	}); err != nil {
		return false, fmt.Errorf("identity: verify password: %w", err)
	}
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}
