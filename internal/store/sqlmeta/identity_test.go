package sqlmeta_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/store/sqlmeta"
)

func TestIdentities(t *testing.T) {
	s := openTest(t, sqlmeta.Config{})
	ctx := t.Context()
	if _, err := s.EnsureSubscription(ctx, "s1", "One"); err != nil {
		t.Fatal(err)
	}
	alice, err := s.CreateUser(ctx, store.User{Name: "alice", Kind: store.UserKindPerson, PasswordHash: "$argon2id$x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, store.User{Name: "alice", Kind: store.UserKindPerson}); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("second alice: %v, want ErrAlreadyExists", err)
	}
	got, err := s.GetUser(ctx, "alice")
	if err != nil || got.ID != alice.ID || got.PasswordHash != "$argon2id$x" || got.Admin || got.Disabled || !got.TokensAfter.IsZero() {
		t.Fatalf("GetUser = %+v, %v", got, err)
	}
	if _, err := s.GetUser(ctx, "bob"); !errors.Is(err, store.ErrUserUnknown) || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetUser(bob) = %v", err)
	}
	after := time.Unix(1700000000, 0).UTC()
	got.Disabled, got.Admin, got.TokensAfter, got.PasswordHash = true, true, after, "$argon2id$y"
	if err := s.UpdateUser(ctx, got); err != nil {
		t.Fatal(err)
	}
	byID, err := s.GetUserByID(ctx, alice.ID)
	if err != nil || !byID.Disabled || !byID.Admin || !byID.TokensAfter.Equal(after) || byID.PasswordHash != "$argon2id$y" {
		t.Fatalf("after update: %+v, %v", byID, err)
	}
	if err := s.UpdateUser(ctx, store.User{ID: 999}); !errors.Is(err, store.ErrUserUnknown) {
		t.Fatalf("UpdateUser(999) = %v", err)
	}

	// Roles.
	if err := s.SetRole(ctx, store.RoleBinding{UserID: alice.ID, SubscriptionID: "s1", Role: "reader"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRole(ctx, store.RoleBinding{UserID: alice.ID, SubscriptionID: "s1", Role: "owner"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRole(ctx, store.RoleBinding{UserID: alice.ID, SubscriptionID: "s1", Registry: "team", Role: "contributor"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRole(ctx, store.RoleBinding{UserID: alice.ID, SubscriptionID: "nope", Role: "owner"}); !errors.Is(err, store.ErrSubscriptionUnknown) {
		t.Fatalf("role in unknown subscription: %v", err)
	}
	if err := s.SetRole(ctx, store.RoleBinding{UserID: 999, SubscriptionID: "s1", Role: "owner"}); !errors.Is(err, store.ErrUserUnknown) {
		t.Fatalf("role of unknown user: %v", err)
	}
	roles, err := s.Roles(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	type rb struct{ Sub, Reg, Role string }
	var gotRoles []rb
	for _, r := range roles {
		gotRoles = append(gotRoles, rb{r.SubscriptionID, r.Registry, r.Role})
	}
	if diff := cmp.Diff([]rb{{"s1", "", "owner"}, {"s1", "team", "contributor"}}, gotRoles); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
	if err := s.RemoveRole(ctx, alice.ID, "s1", "team"); err != nil {
		t.Fatal(err)
	}
	if roles, _ := s.Roles(ctx, alice.ID); len(roles) != 1 {
		t.Errorf("roles after remove: %+v", roles)
	}

	// Tokens.
	exp := time.Unix(1800000000, 0).UTC()
	tok := store.APIToken{ID: "tok1", UserID: alice.ID, Description: "ci", SecretHash: "abc", Scopes: "repository:team/*:pull", ExpiresAt: exp}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateToken(ctx, tok); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("duplicate token: %v", err)
	}
	if err := s.CreateToken(ctx, store.APIToken{ID: "tok2", UserID: 999, SecretHash: "def"}); !errors.Is(err, store.ErrUserUnknown) {
		t.Fatalf("token of unknown user: %v", err)
	}
	got2, err := s.TokenBySecretHash(ctx, "abc")
	if err != nil || got2.ID != "tok1" || got2.Scopes != tok.Scopes || !got2.ExpiresAt.Equal(exp) || !got2.RevokedAt.IsZero() {
		t.Fatalf("TokenBySecretHash = %+v, %v", got2, err)
	}
	if _, err := s.TokenBySecretHash(ctx, "nope"); !errors.Is(err, store.ErrTokenUnknown) {
		t.Fatalf("unknown secret: %v", err)
	}
	rev := time.Unix(1750000000, 0).UTC()
	if err := s.RevokeToken(ctx, "tok1", rev); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, "tok1", rev.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetToken(ctx, "tok1"); !got.RevokedAt.Equal(rev) {
		t.Errorf("revoked at %v, want the first revocation %v", got.RevokedAt, rev)
	}
	if err := s.RevokeToken(ctx, "nope", rev); !errors.Is(err, store.ErrTokenUnknown) {
		t.Fatalf("revoke unknown: %v", err)
	}
	if list, err := s.ListTokens(ctx, alice.ID); err != nil || len(list) != 1 {
		t.Fatalf("ListTokens = %+v, %v", list, err)
	}
	if list, err := s.ListTokens(ctx, alice.ID+1); err != nil || len(list) != 0 {
		t.Fatalf("ListTokens(other) = %+v, %v", list, err)
	}

	// Anonymous pull.
	for _, p := range []string{"pub/*", "a/b", "pub/*"} {
		if err := s.AddAnonymousPull(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RemoveAnonymousPull(ctx, "a/b"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.AnonymousPull(ctx); err != nil || !cmp.Equal(got, []string{"pub/*"}) {
		t.Fatalf("AnonymousPull = %v, %v", got, err)
	}
}

func TestAuditLog(t *testing.T) {
	s := openTest(t, sqlmeta.Config{})
	ctx := t.Context()
	at := time.Unix(1700000000, 5).UTC()
	for _, a := range []string{"login", "token.create", "manifest.delete"} {
		if err := s.AppendAudit(ctx, store.AuditEvent{At: at, Actor: "alice", Action: a, Target: "t", Remote: "127.0.0.1", Outcome: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.ListAudit(ctx, 0, 10)
	if err != nil || len(all) != 3 || all[0].Action != "login" || !all[0].At.Equal(at) || all[2].Action != "manifest.delete" {
		t.Fatalf("ListAudit = %+v, %v", all, err)
	}
	page, err := s.ListAudit(ctx, all[0].ID, 1)
	if err != nil || len(page) != 1 || page[0].Action != "token.create" {
		t.Fatalf("ListAudit(after first, 1) = %+v, %v", page, err)
	}
}
