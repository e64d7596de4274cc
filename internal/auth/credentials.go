package auth

import (
	"encoding/base64"
	"errors"
	"strings"
)

// Credentials are what an Authorization header carries.
type Credentials struct {
	// Scheme is "basic", "bearer" or "" (no header).
	Scheme string
	// User and Password of Basic credentials.
	User, Password string
	// Token of Bearer credentials.
	Token string
}

// ErrMalformedCredentials means an Authorization header cannot be parsed.
var ErrMalformedCredentials = errors.New("malformed Authorization header")

// maxCredentialLen bounds what is parsed from an Authorization header.
const maxCredentialLen = 8 << 10

// ParseAuthorization parses the value of an Authorization header: ""
// (no credentials), "Basic base64(user:password)" or "Bearer token". The
// scheme is case-insensitive. Anything else is ErrMalformedCredentials.
func ParseAuthorization(h string) (Credentials, error) {
	if h == "" {
		return Credentials{}, nil
	}
	if len(h) > maxCredentialLen {
		return Credentials{}, ErrMalformedCredentials
	}
	scheme, rest, ok := strings.Cut(h, " ")
	rest = strings.TrimSpace(rest)
	if !ok || rest == "" {
		return Credentials{}, ErrMalformedCredentials
	}
	switch strings.ToLower(scheme) {
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return Credentials{}, ErrMalformedCredentials
		}
		user, pw, ok := strings.Cut(string(raw), ":")
		if !ok || user == "" {
			return Credentials{}, ErrMalformedCredentials
		}
		return Credentials{Scheme: "basic", User: user, Password: pw}, nil
	case "bearer":
		if strings.ContainsAny(rest, " \t") {
			return Credentials{}, ErrMalformedCredentials
		}
		return Credentials{Scheme: "bearer", Token: rest}, nil
	}
	return Credentials{}, ErrMalformedCredentials
}
