package store

import (
	"context"
	"fmt"
	"time"
)

// Identity sentinels, wrapped like the others.
var (
	ErrUserUnknown  = fmt.Errorf("user unknown: %w", ErrNotFound)
	ErrTokenUnknown = fmt.Errorf("token unknown: %w", ErrNotFound)
)

// User kinds.
const (
	UserKindPerson = "user"  // signs in with a password (and API tokens)
	UserKindRobot  = "robot" // has no password: signs in with API tokens only
)

// User is an account: a person or a robot.
type User struct {
	ID   int64
	Name string
	Kind string // UserKindPerson or UserKindRobot
	// PasswordHash is the encoded password hash (see internal/identity);
	// empty for robots, which cannot sign in with a password.
	PasswordHash string
	// Admin marks an installation administrator: every subscription,
	// every action.
	Admin    bool
	Disabled bool
	// TokensAfter invalidates every signed token (access and refresh)
	// issued before it; set on password change and on disable.
	TokensAfter time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// RoleBinding gives a user a role in a subscription, or only in one of its
// registries.
type RoleBinding struct {
	UserID         int64
	SubscriptionID string
	// Registry limits the role to one registry of the subscription; ""
	// means the whole subscription.
	Registry  string
	Role      string // "owner", "contributor" or "reader"
	CreatedAt time.Time
}

// APIToken is a long-lived credential of a user. Only a hash of its secret
// is stored.
type APIToken struct {
	// ID is public (shown in listings, used to revoke).
	ID     string
	UserID int64
	// Description says what the token is for.
	Description string
	// SecretHash is the hex SHA-256 of the secret; the secret is random
	// (256 bits) so a fast hash is enough.
	SecretHash string
	// Scopes is the canonical scope list (internal/identity), "" meaning
	// everything the user may do.
	Scopes    string
	CreatedAt time.Time
	ExpiresAt time.Time // zero: never
	RevokedAt time.Time // zero: not revoked
}

// AuditEvent is one line of the audit log.
type AuditEvent struct {
	ID             int64
	At             time.Time
	Actor          string // user name, "anonymous", or "system"
	Action         string // e.g. "login", "token.create", "manifest.delete"
	Target         string // what was acted on
	SubscriptionID string // "" when not about one subscription
	Remote         string // client address
	Outcome        string // "ok", "denied", "failed"
	Detail         string // JSON object with more fields, or ""
}

// Identities stores users, their roles and their API tokens, and the
// repositories open to anonymous pull.
type Identities interface {
	// CreateUser stores u (ID, CreatedAt and UpdatedAt are assigned) and
	// returns it. Errors wrap ErrAlreadyExists when the name is taken.
	CreateUser(ctx context.Context, u User) (User, error)
	// GetUser returns the user named name, or ErrUserUnknown.
	GetUser(ctx context.Context, name string) (User, error)
	// GetUserByID returns user id, or ErrUserUnknown.
	GetUserByID(ctx context.Context, id int64) (User, error)
	// ListUsers returns every user ordered by name.
	ListUsers(ctx context.Context) ([]User, error)
	// UpdateUser writes PasswordHash, Admin, Disabled and TokensAfter of
	// u.ID (UpdatedAt is set); ErrUserUnknown if absent.
	UpdateUser(ctx context.Context, u User) error
	// SetRole creates or replaces the binding of (UserID, SubscriptionID,
	// Registry). Errors wrap ErrSubscriptionUnknown or ErrUserUnknown.
	SetRole(ctx context.Context, b RoleBinding) error
	// RemoveRole deletes a binding; removing an absent one is not an error.
	RemoveRole(ctx context.Context, userID int64, subscriptionID, registry string) error
	// Roles returns the bindings of a user ordered by subscription and
	// registry.
	Roles(ctx context.Context, userID int64) ([]RoleBinding, error)
	// CreateToken stores t. Errors wrap ErrUserUnknown or ErrAlreadyExists.
	CreateToken(ctx context.Context, t APIToken) error
	// TokenBySecretHash returns the token whose secret hashes to h (also
	// when expired or revoked: the caller decides), or ErrTokenUnknown.
	TokenBySecretHash(ctx context.Context, h string) (APIToken, error)
	// GetToken returns token id, or ErrTokenUnknown.
	GetToken(ctx context.Context, id string) (APIToken, error)
	// ListTokens returns the tokens of a user (0: of every user), newest
	// first.
	ListTokens(ctx context.Context, userID int64) ([]APIToken, error)
	// RevokeToken marks token id revoked at at (a second revoke keeps the
	// first time); ErrTokenUnknown if absent.
	RevokeToken(ctx context.Context, id string, at time.Time) error
	// AddAnonymousPull opens repositories matching pattern ("team/app" or
	// "team/*") to anonymous pull; adding it twice is not an error.
	AddAnonymousPull(ctx context.Context, pattern string) error
	// RemoveAnonymousPull closes pattern again; an absent one is not an
	// error.
	RemoveAnonymousPull(ctx context.Context, pattern string) error
	// AnonymousPull lists the open patterns in lexical order.
	AnonymousPull(ctx context.Context) ([]string, error)
}

// AuditLog stores audit events.
type AuditLog interface {
	// AppendAudit stores e (ID is assigned).
	AppendAudit(ctx context.Context, e AuditEvent) error
	// ListAudit returns up to limit events with ID > after, oldest first.
	ListAudit(ctx context.Context, after int64, limit int) ([]AuditEvent, error)
}
