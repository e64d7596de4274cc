package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

func testIssuer(t *testing.T, now *time.Time) *issuer {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return &issuer{key: k, name: "drydock", service: "drydock", now: func() time.Time { return *now }}
}

func TestJWTClaims(t *testing.T) {
	now := time.Unix(1700000000, 0)
	is := testIssuer(t, &now)
	access := []ResourceActions{{Type: "repository", Name: "team/app", Actions: []string{"pull", "push"}}}
	tok, issued, err := is.Access(Claims{Access: access, UserID: 7, TokenID: "tok_1"}, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// The payload is what the Docker token specification describes.
	parts := strings.Split(tok, ".")
	hdr, _ := base64.RawURLEncoding.DecodeString(parts[0])
	body, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var h, c map[string]any
	json.Unmarshal(hdr, &h)
	json.Unmarshal(body, &c)
	if h["alg"] != "EdDSA" || h["kid"] != is.key.KeyID {
		t.Errorf("header %v", h)
	}
	wantAccess := []any{map[string]any{"type": "repository", "name": "team/app", "actions": []any{"pull", "push"}}}
	if diff := cmp.Diff(wantAccess, c["access"]); diff != "" {
		t.Errorf("access claim (-want +got):\n%s", diff)
	}
	if c["iss"] != "drydock" || !cmp.Equal(c["aud"], []any{"drydock"}) || c["exp"] != float64(now.Unix()+300) || c["uid"] != float64(7) || c["tid"] != "tok_1" || c["jti"] == "" {
		t.Errorf("claims %v", c)
	}
	if !issued.Equal(now) {
		t.Errorf("issued %v", issued)
	}
	got, err := is.VerifyAccess(tok)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(access, got.Access); diff != "" || got.UserID != 7 || got.TokenID != "tok_1" {
		t.Errorf("verified claims %+v", got)
	}

	// A refresh token is not an access token, and the other way round.
	ref, err := is.Refresh(Claims{UserID: 7}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := is.VerifyAccess(ref); !errors.Is(err, ErrBadToken) {
		t.Errorf("refresh token accepted as access token: %v", err)
	}
	if _, err := is.VerifyRefresh(tok); !errors.Is(err, ErrBadToken) {
		t.Errorf("access token accepted as refresh token: %v", err)
	}
	if c, err := is.VerifyRefresh(ref); err != nil || c.UserID != 7 || c.Access != nil {
		t.Errorf("refresh: %+v %v", c, err)
	}

	// Expiry (one second of leeway).
	now = now.Add(5*time.Minute + 2*time.Second)
	if _, err := is.VerifyAccess(tok); !errors.Is(err, ErrBadToken) {
		t.Errorf("expired token accepted: %v", err)
	}
}

func TestJWTRejects(t *testing.T) {
	now := time.Unix(1700000000, 0)
	is := testIssuer(t, &now)
	other := testIssuer(t, &now)
	other.key.KeyID = is.key.KeyID // same kid, other key
	forged, _, _ := other.Access(Claims{UserID: 1}, time.Minute)
	good, _, _ := is.Access(Claims{UserID: 1}, time.Minute)
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"uid":1`, `"uid":2`, 1))) + "." + parts[2]
	none := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"iss": "drydock", "aud": "drydock", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "uid": 1})
	none.Header["kid"] = is.key.KeyID
	noneTok, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	otherAud := &issuer{key: is.key, name: "drydock", service: "elsewhere", now: is.now}
	wrongAud, _, _ := otherAud.Access(Claims{UserID: 1}, time.Minute)
	for name, tok := range map[string]string{"other key": forged, "tampered": tampered, "alg none": noneTok, "audience": wrongAud, "garbage": "a.b.c", "empty": ""} {
		if _, err := is.VerifyAccess(tok); !errors.Is(err, ErrBadToken) {
			t.Errorf("%s: accepted (%v)", name, err)
		}
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth", "signing-key.pem")
	k1, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v %v", fi.Mode(), err)
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil || k2.KeyID != k1.KeyID || !k1.priv.Equal(k2.priv) {
		t.Fatalf("second load gave another key: %v", err)
	}
	os.Chmod(path, 0o644)
	if _, err := LoadOrCreateKey(path); err == nil {
		t.Fatal("world-readable key accepted")
	}
	os.WriteFile(path, []byte("not a key"), 0o600)
	if _, err := LoadOrCreateKey(path); err == nil {
		t.Fatal("garbage key accepted")
	}
}
