package identity

import (
	"errors"
	"strings"
	"testing"
)

// fast parameters keep the tests quick; the encoding is the same.
var fast = HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashPassword(t *testing.T) {
	ctx := t.Context()
	h, err := HashPassword(ctx, "correct horse", DefaultHashParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("encoding %q does not carry the parameters", h)
	}
	h2, _ := HashPassword(ctx, "correct horse", DefaultHashParams)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	for _, tt := range []struct {
		pw   string
		want bool
	}{{"correct horse", true}, {"correct horsf", false}, {"", false}, {"correct horse ", false}} {
		ok, err := VerifyPassword(ctx, h, tt.pw)
		if err != nil || ok != tt.want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tt.pw, ok, err, tt.want)
		}
	}
	// Hashes made with other parameters still verify.
	hf, _ := HashPassword(ctx, "pw", fast)
	if ok, err := VerifyPassword(ctx, hf, "pw"); !ok || err != nil {
		t.Errorf("fast-parameter hash: %v %v", ok, err)
	}
}

func TestVerifyPasswordInvalidHash(t *testing.T) {
	for _, h := range []string{
		"",
		"plaintext",
		"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1,x=2$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$!!$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$a2V5",
	} {
		ok, err := VerifyPassword(t.Context(), h, "pw")
		if ok || !errors.Is(err, ErrInvalidHash) {
			t.Errorf("VerifyPassword(%q) = %v, %v; want ErrInvalidHash", h, ok, err)
		}
	}
}
