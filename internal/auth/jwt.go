package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ResourceActions is one entry of a token's "access" claim, as in the
// Docker registry token specification:
// {"type":"repository","name":"team/app","actions":["pull","push"]}.
type ResourceActions struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// Claims are the claims of drydock's signed tokens.
type Claims struct {
	jwt.RegisteredClaims
	// Access lists what an access token grants (Docker token spec).
	Access []ResourceActions `json:"access,omitempty"`
	// UserID is the account (0: anonymous).
	UserID int64 `json:"uid,omitempty"`
	// TokenID is the API token the caller signed in with, if any: revoking
	// it invalidates the signed tokens issued through it.
	TokenID string `json:"tid,omitempty"`
}

// token kinds are told apart by audience, so one can never stand for the
// other.
const refreshAudienceSuffix = ":refresh"

// issuer signs and verifies tokens.
type issuer struct {
	key     *SigningKey
	name    string // iss
	service string // aud of access tokens
	now     func() time.Time
}

// ErrBadToken means a signed token was not accepted.
var ErrBadToken = errors.New("invalid token")

func (is *issuer) sign(c Claims, audience string, ttl time.Duration) (string, time.Time, error) {
	now := is.now().UTC().Truncate(time.Second)
	var jti [12]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign token: %w", err)
	}
	c.Issuer = is.name
	c.Audience = jwt.ClaimStrings{audience}
	c.IssuedAt = jwt.NewNumericDate(now)
	c.NotBefore = jwt.NewNumericDate(now)
	c.ExpiresAt = jwt.NewNumericDate(now.Add(ttl))
	c.ID = hex.EncodeToString(jti[:])
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["kid"] = is.key.KeyID
	s, err := t.SignedString(is.key.priv)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return s, now, nil
}

// Access signs an access token.
func (is *issuer) Access(c Claims, ttl time.Duration) (string, time.Time, error) {
	return is.sign(c, is.service, ttl)
}

// Refresh signs a refresh token (no access claims).
func (is *issuer) Refresh(c Claims, ttl time.Duration) (string, error) {
	c.Access = nil
	s, _, err := is.sign(c, is.service+refreshAudienceSuffix, ttl)
	return s, err
}

func (is *issuer) verify(s, audience string) (*Claims, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(s, &c, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid != is.key.KeyID {
			return nil, fmt.Errorf("unknown key %q", kid)
		}
		return is.key.pub, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(is.name),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(time.Second),
		jwt.WithTimeFunc(is.now),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadToken, err)
	}
	if c.IssuedAt == nil {
		return nil, fmt.Errorf("%w: no iat", ErrBadToken)
	}
	return &c, nil
}

// VerifyAccess checks an access token's signature, issuer, audience and
// lifetime.
func (is *issuer) VerifyAccess(s string) (*Claims, error) { return is.verify(s, is.service) }

// VerifyRefresh checks a refresh token.
func (is *issuer) VerifyRefresh(s string) (*Claims, error) {
	return is.verify(s, is.service+refreshAudienceSuffix)
}
