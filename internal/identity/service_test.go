package identity_test

import (
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/identity"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/store/sqlmeta"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newService(t *testing.T) (*identity.Service, *sqlmeta.Store, *clock) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := sqlmeta.Open(t.Context(), sqlmeta.Config{Path: filepath.Join(t.TempDir(), "meta.db")}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &clock{t: time.Unix(1700000000, 0)}
	svc, err := identity.NewService(identity.Config{
		HashParams:    identity.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		AnonymousPull: []string{"pub/*"},
		CacheTTL:      time.Nanosecond, // every call reads the store
		Now:           c.now,
	}, st, log)
	if err != nil {
		t.Fatal(err)
	}
	return svc, st, c
}

func TestServicePasswords(t *testing.T) {
	svc, _, _ := newService(t)
	ctx := t.Context()
	if _, _, err := svc.CreateSubscription(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, identity.NewUser{Name: "alice", Password: "short"}); !errors.Is(err, identity.ErrWeakPassword) {
		t.Fatalf("short password: %v", err)
	}
	if _, err := svc.CreateUser(ctx, identity.NewUser{Name: "Alice!", Password: "long enough"}); !errors.Is(err, identity.ErrInvalidName) {
		t.Fatalf("bad name: %v", err)
	}
	if _, err := svc.CreateUser(ctx, identity.NewUser{Name: "alice", Password: "long enough"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Grant(ctx, "alice", "s1", "", identity.RoleContributor); err != nil {
		t.Fatal(err)
	}
	p, err := svc.AuthenticatePassword(ctx, "alice", "long enough")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name() != "alice" || p.Grants.Allowed("s1", "team/app") != identity.Pull|identity.Push|identity.Delete {
		t.Fatalf("principal %+v", p)
	}
	// Twice: the second time through the verification cache.
	if _, err := svc.AuthenticatePassword(ctx, "alice", "long enough"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ user, pw string }{{"alice", "wrong password"}, {"bob", "long enough"}, {"", ""}} {
		if _, err := svc.AuthenticatePassword(ctx, c.user, c.pw); !errors.Is(err, identity.ErrInvalidCredentials) || !errors.Is(err, access.ErrUnauthenticated) {
			t.Errorf("%s/%s: %v, want ErrInvalidCredentials", c.user, c.pw, err)
		}
	}
	// A new password replaces the old at once, even with the old one cached.
	if err := svc.SetPassword(ctx, "alice", "another password"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AuthenticatePassword(ctx, "alice", "long enough"); !errors.Is(err, identity.ErrInvalidCredentials) {
		t.Errorf("old password after change: %v", err)
	}
	if _, err := svc.AuthenticatePassword(ctx, "alice", "another password"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if err := svc.SetDisabled(ctx, "alice", true); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AuthenticatePassword(ctx, "alice", "another password"); !errors.Is(err, identity.ErrInvalidCredentials) {
		t.Errorf("disabled user signed in: %v", err)
	}
	// Robots have no password.
	if _, err := svc.CreateUser(ctx, identity.NewUser{Name: "ci-bot", Robot: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AuthenticatePassword(ctx, "ci-bot", ""); err == nil {
		t.Error("robot signed in with an empty password")
	}
}

func TestServiceTokens(t *testing.T) {
	svc, _, clk := newService(t)
	ctx := t.Context()
	svc.CreateSubscription(ctx, "s1")
	if _, err := svc.CreateUser(ctx, identity.NewUser{Name: "ci", Robot: true}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Grant(ctx, "ci", "s1", "", identity.RoleOwner); err != nil {
		t.Fatal(err)
	}
	scopes, _ := identity.ParseScopes("repository:team/*:pull")
	secret, tok, err := svc.CreateToken(ctx, identity.NewToken{User: "ci", Description: "pull only", Scopes: scopes, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if !identity.IsTokenSecret(secret) || tok.SecretHash == "" || tok.SecretHash == secret {
		t.Fatalf("secret %q, stored hash %q", secret, tok.SecretHash)
	}
	p, err := svc.AuthenticateBasic(ctx, "ci", secret)
	if err != nil {
		t.Fatal(err)
	}
	if p.Token == nil || p.Token.ID != tok.ID || p.Grants.Allowed("s1", "team/app") != identity.Pull || p.Grants.Allowed("s1", "other/app") != 0 {
		t.Fatalf("token principal %+v", p)
	}
	if _, err := svc.AuthenticateBasic(ctx, "someone-else", secret); !errors.Is(err, identity.ErrInvalidCredentials) {
		t.Errorf("token with another user name: %v", err)
	}
	if _, err := svc.AuthenticateToken(ctx, "", secret[:len(secret)-1]+"x"); !errors.Is(err, identity.ErrInvalidCredentials) {
		t.Errorf("altered secret: %v", err)
	}
	// Signed tokens issued through the API token follow its fate.
	sub := identity.Subject{UserID: p.User.ID, TokenID: tok.ID, IssuedAt: clk.t}
	if _, err := svc.Resume(ctx, sub); err != nil {
		t.Fatalf("resume: %v", err)
	}
	// Expiry.
	clk.t = clk.t.Add(time.Hour)
	if _, err := svc.AuthenticateToken(ctx, "", secret); !errors.Is(err, identity.ErrInvalidCredentials) {
		t.Errorf("expired token accepted: %v", err)
	}
	if _, err := svc.Resume(ctx, sub); !errors.Is(err, identity.ErrInvalidCredentials) {
		t.Errorf("bearer of an expired token resumed: %v", err)
	}
	// Revocation.
	secret2, tok2, err := svc.CreateToken(ctx, identity.NewToken{User: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AuthenticateToken(ctx, "", secret2); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RevokeToken(ctx, tok2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AuthenticateToken(ctx, "", secret2); !errors.Is(err, identity.ErrInvalidCredentials) {
		t.Errorf("revoked token accepted: %v", err)
	}
	if _, err := svc.RevokeToken(ctx, "tok_nope"); !errors.Is(err, store.ErrTokenUnknown) {
		t.Errorf("revoke unknown: %v", err)
	}
	list, err := svc.ListTokens(ctx, "ci")
	if err != nil || len(list) != 2 {
		t.Fatalf("ListTokens: %d %v", len(list), err)
	}
}

func TestServiceResumeAfterPasswordChange(t *testing.T) {
	svc, _, clk := newService(t)
	ctx := t.Context()
	u, err := svc.CreateUser(ctx, identity.NewUser{Name: "bob", Password: "bob's password"})
	if err != nil {
		t.Fatal(err)
	}
	sub := identity.Subject{UserID: u.ID, IssuedAt: clk.t}
	if _, err := svc.Resume(ctx, sub); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(time.Minute)
	if err := svc.SetPassword(ctx, "bob", "new password!"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Resume(ctx, sub); !errors.Is(err, identity.ErrInvalidCredentials) {
		t.Errorf("token issued before the password change still works: %v", err)
	}
	if _, err := svc.Resume(ctx, identity.Subject{UserID: u.ID, IssuedAt: clk.t}); err != nil {
		t.Errorf("token issued after the change: %v", err)
	}
	if _, err := svc.Resume(ctx, identity.Subject{UserID: 999, IssuedAt: clk.t}); !errors.Is(err, identity.ErrInvalidCredentials) {
		t.Errorf("unknown user: %v", err)
	}
}

func TestServiceAnonymousAndAdmin(t *testing.T) {
	svc, _, _ := newService(t)
	ctx := t.Context()
	if err := svc.SetAnonymousPull(ctx, "open/app", true); err != nil {
		t.Fatal(err)
	}
	p, err := svc.Anonymous(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for repo, want := range map[string]identity.Actions{"pub/x": identity.Pull, "open/app": identity.Pull, "open/other": 0, "team/app": 0} {
		if got := p.Grants.Allowed("s1", repo); got != want {
			t.Errorf("anonymous on %s: %v, want %v", repo, got, want)
		}
	}
	if err := svc.SetAnonymousPull(ctx, "Bad Pattern", true); err == nil {
		t.Error("bad pattern accepted")
	}
	created, pw, err := svc.EnsureInitialAdmin(ctx, "admin", "")
	if err != nil || !created || len(pw) < 20 {
		t.Fatalf("EnsureInitialAdmin: %v %q %v", created, pw, err)
	}
	adm, err := svc.AuthenticatePassword(ctx, "admin", pw)
	if err != nil || !adm.Grants.Admin {
		t.Fatalf("admin sign-in: %+v %v", adm, err)
	}
	if created, pw2, err := svc.EnsureInitialAdmin(ctx, "admin", "other password"); err != nil || created || pw2 != "" {
		t.Fatalf("second EnsureInitialAdmin: %v %q %v", created, pw2, err)
	}
}
