package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SigningKey is the Ed25519 key that signs registry tokens.
type SigningKey struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	// KeyID names the key in the token header (kid): the first 15 bytes
	// of the SHA-256 of the public key, base32.
	KeyID string
}

// LoadOrCreateKey reads the PEM (PKCS#8) Ed25519 key at path, creating it
// (mode 0600, directory 0700) when it does not exist. Two processes starting
// at once agree on one key: creation is exclusive, the loser reads the
// winner's file.
func LoadOrCreateKey(path string) (*SigningKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createKey(path); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: signing key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("auth: signing key %s is readable by others (mode %v); chmod 600 it", path, fi.Mode().Perm())
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("auth: signing key %s: not a PEM PRIVATE KEY", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("auth: signing key %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("auth: signing key %s: not an Ed25519 key", path)
	}
	return newSigningKey(priv), nil
}

func newSigningKey(priv ed25519.PrivateKey) *SigningKey {
	pub := priv.Public().(ed25519.PublicKey)
	sum := sha256.Sum256(pub)
	return &SigningKey{priv: priv, pub: pub, KeyID: base32.StdEncoding.EncodeToString(sum[:15])}
}

// GenerateKey returns a new in-memory key (tests, and runs without a data
// directory).
func GenerateKey() (*SigningKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("auth: generate key: %w", err)
	}
	return newSigningKey(priv), nil
}

func createKey(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("auth: signing key: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("auth: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("auth: encode key: %w", err)
	}
	// Written under a temporary name and linked into place, so that no
	// reader ever sees a half-written key.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".signing-key-*")
	if err != nil {
		return fmt.Errorf("auth: signing key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: signing key: %w", err)
	}
	if err := pem.Encode(tmp, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: signing key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: signing key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("auth: signing key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("auth: signing key: %w", err)
	}
	return nil
}
