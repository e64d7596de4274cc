package identity

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/store"
)

// Errors callers branch on.
var (
	// ErrInvalidCredentials means a name/password, token secret or signed
	// token was not accepted. It wraps access.ErrUnauthenticated.
	ErrInvalidCredentials = fmt.Errorf("invalid credentials: %w", access.ErrUnauthenticated)
	// ErrInvalidName means a user or subscription name is not allowed.
	ErrInvalidName = errors.New("invalid name")
	// ErrWeakPassword means a password is too short or too long.
	ErrWeakPassword = errors.New("password must be 8 to 1024 bytes")
)

// Store is the storage the service needs.
type Store interface {
	store.Identities
	store.Subscriptions
}

// Config configures a [Service].
type Config struct {
	// HashParams for new password hashes; zero means DefaultHashParams.
	HashParams HashParams
	// AnonymousPull are repository patterns open to anonymous pull from
	// configuration, in addition to those stored.
	AnonymousPull []string
	// CacheTTL is how long a loaded user (roles, token state) and a
	// verified password are reused. Changes made through this Service
	// take effect at once; changes made by another process (drydock admin)
	// within CacheTTL. Default 2s; a verified password is kept 30 times
	// longer (it is re-checked against the current hash on each use).
	CacheTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service manages identities and authenticates callers. It is safe for
// concurrent use.
type Service struct {
	st      Store
	log     *slog.Logger
	params  HashParams
	public  []Pattern
	ttl     time.Duration
	now     func() time.Time
	macKey  []byte
	dummy   string // hash verified for unknown users, so timing reveals nothing
	users   *ttlCache[int64, *loaded]
	names   *ttlCache[string, *loaded]
	tokens  *ttlCache[string, store.APIToken] // by secret hash
	regs    *ttlCache[string, []string]
	pub     *ttlCache[struct{}, []Pattern]
	checked *ttlCache[[32]byte, string] // HMAC(name, password) -> hash it matched
}

// loaded is a user with its role bindings.
type loaded struct {
	user  store.User
	roles []store.RoleBinding
}

// Principal is an authenticated (or anonymous) caller.
type Principal struct {
	// User is the account; its ID is 0 for anonymous callers.
	User store.User
	// Token is the API token the caller signed in with, if any.
	Token *store.APIToken
	// Method is how the caller signed in: "password", "token",
	// "bearer" or "anonymous".
	Method string
	// Grants is what the caller may do.
	Grants Grants
}

// Name is the user name, or "anonymous".
func (p *Principal) Name() string {
	if p == nil || p.User.ID == 0 {
		return "anonymous"
	}
	return p.User.Name
}

// Anonymous reports whether the caller has no credentials.
func (p *Principal) Anonymous() bool { return p == nil || p.User.ID == 0 }

// NewService returns a Service over st.
func NewService(cfg Config, st Store, log *slog.Logger) (*Service, error) {
	if st == nil || log == nil {
		return nil, errors.New("identity: store and logger are required")
	}
	if cfg.HashParams == (HashParams{}) {
		cfg.HashParams = DefaultHashParams
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = 2 * time.Second
	}
	if cfg.CacheTTL < 0 {
		return nil, fmt.Errorf("identity: negative CacheTTL %s", cfg.CacheTTL)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var public []Pattern
	for _, s := range cfg.AnonymousPull {
		p, err := ParsePattern(s)
		if err != nil {
			return nil, fmt.Errorf("identity: anonymous pull: %w", err)
		}
		public = append(public, p)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	dummy, err := HashPassword(context.Background(), hex.EncodeToString(key), cfg.HashParams)
	if err != nil {
		return nil, err
	}
	return &Service{
		st: st, log: log, params: cfg.HashParams, public: public, ttl: cfg.CacheTTL, now: cfg.Now,
		macKey: key, dummy: dummy,
		users:   newTTLCache[int64, *loaded](10000),
		names:   newTTLCache[string, *loaded](10000),
		tokens:  newTTLCache[string, store.APIToken](10000),
		regs:    newTTLCache[string, []string](10000),
		pub:     newTTLCache[struct{}, []Pattern](1),
		checked: newTTLCache[[32]byte, string](10000),
	}, nil
}

var nameRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$`)

// ValidateName checks a user or subscription name: 1 to 64 of a-z, 0-9,
// '.', '_', '-', starting and ending with a letter or digit.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("%w: %q (use 1-64 of a-z 0-9 . _ -, starting and ending with a letter or digit)", ErrInvalidName, name)
	}
	return nil
}

func checkPassword(pw string) error {
	if len(pw) < 8 || len(pw) > 1024 {
		return ErrWeakPassword
	}
	return nil
}

// CreateSubscription creates subscription id. created is false when it
// already existed.
func (s *Service) CreateSubscription(ctx context.Context, id string) (sub store.Subscription, created bool, err error) {
	if err := ValidateName(id); err != nil {
		return sub, false, fmt.Errorf("identity: subscription: %w", err)
	}
	subs, err := s.st.ListSubscriptions(ctx)
	if err != nil {
		return sub, false, err
	}
	for _, x := range subs {
		if x.ID == id {
			return x, false, nil
		}
	}
	sub, err = s.st.EnsureSubscription(ctx, id, id)
	return sub, err == nil, err
}

// NewUser describes an account to create.
type NewUser struct {
	Name string
	// Password of a person; must be empty for a robot.
	Password string
	Robot    bool
	Admin    bool
}

// CreateUser creates a person (with a password) or a robot (without).
func (s *Service) CreateUser(ctx context.Context, nu NewUser) (store.User, error) {
	if err := ValidateName(nu.Name); err != nil {
		return store.User{}, fmt.Errorf("identity: create user: %w", err)
	}
	u := store.User{Name: nu.Name, Kind: store.UserKindPerson, Admin: nu.Admin}
	if nu.Robot {
		if nu.Password != "" {
			return store.User{}, errors.New("identity: create user: a robot has no password; it signs in with API tokens")
		}
		u.Kind = store.UserKindRobot
	} else {
		if err := checkPassword(nu.Password); err != nil {
			return store.User{}, fmt.Errorf("identity: create user %s: %w", nu.Name, err)
		}
		h, err := HashPassword(ctx, nu.Password, s.params)
		if err != nil {
			return store.User{}, err
		}
		u.PasswordHash = h
	}
	return s.st.CreateUser(ctx, u)
}

// SetPassword replaces a person's password and invalidates every signed
// token issued before (sessions, refresh tokens). API tokens stay valid.
func (s *Service) SetPassword(ctx context.Context, name, password string) error {
	u, err := s.st.GetUser(ctx, name)
	if err != nil {
		return err
	}
	if u.Kind == store.UserKindRobot {
		return fmt.Errorf("identity: %s is a robot account: it has no password", name)
	}
	if err := checkPassword(password); err != nil {
		return fmt.Errorf("identity: set password of %s: %w", name, err)
	}
	if u.PasswordHash, err = HashPassword(ctx, password, s.params); err != nil {
		return err
	}
	u.TokensAfter = s.now()
	if err := s.st.UpdateUser(ctx, u); err != nil {
		return err
	}
	s.forget(u)
	return nil
}

// SetDisabled disables (or enables) an account. A disabled account cannot
// sign in in any way, and its signed tokens stop working.
func (s *Service) SetDisabled(ctx context.Context, name string, disabled bool) error {
	u, err := s.st.GetUser(ctx, name)
	if err != nil {
		return err
	}
	u.Disabled = disabled
	if disabled {
		u.TokensAfter = s.now()
	}
	if err := s.st.UpdateUser(ctx, u); err != nil {
		return err
	}
	s.forget(u)
	return nil
}

// Grant gives user a role in a subscription, or in one registry of it
// (registry != "").
func (s *Service) Grant(ctx context.Context, user, sub, registry string, role Role) error {
	if role.Actions() == 0 {
		return fmt.Errorf("identity: unknown role %q", role)
	}
	u, err := s.st.GetUser(ctx, user)
	if err != nil {
		return err
	}
	if err := s.st.SetRole(ctx, store.RoleBinding{UserID: u.ID, SubscriptionID: sub, Registry: registry, Role: string(role)}); err != nil {
		return err
	}
	s.forget(u)
	return nil
}

// Ungrant removes a role binding.
func (s *Service) Ungrant(ctx context.Context, user, sub, registry string) error {
	u, err := s.st.GetUser(ctx, user)
	if err != nil {
		return err
	}
	if err := s.st.RemoveRole(ctx, u.ID, sub, registry); err != nil {
		return err
	}
	s.forget(u)
	return nil
}

// forget drops cached state of u.
func (s *Service) forget(u store.User) {
	s.users.drop(func(id int64) bool { return id == u.ID })
	s.names.drop(func(n string) bool { return n == u.Name })
	s.checked.drop(func([32]byte) bool { return true })
}

// Token secrets look like "ddt_" + 43 characters of base64url (256 bits).
const tokenPrefix = "ddt_"

// IsTokenSecret reports whether s has the shape of an API token secret (so
// that a Basic password can be told apart from one).
func IsTokenSecret(s string) bool {
	return len(s) == len(tokenPrefix)+43 && strings.HasPrefix(s, tokenPrefix)
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewToken describes an API token to create.
type NewToken struct {
	User        string
	Description string
	// Scopes restrict the token; nil means everything the user may do.
	Scopes []Scope
	// TTL is the lifetime; 0 means the token does not expire.
	TTL time.Duration
}

// CreateToken creates an API token and returns its secret, which is not
// stored and cannot be shown again.
func (s *Service) CreateToken(ctx context.Context, nt NewToken) (string, store.APIToken, error) {
	if nt.TTL < 0 {
		return "", store.APIToken{}, fmt.Errorf("identity: create token: negative lifetime %s", nt.TTL)
	}
	u, err := s.st.GetUser(ctx, nt.User)
	if err != nil {
		return "", store.APIToken{}, err
	}
	var raw [32]byte
	var id [6]byte
	if _, err := io.ReadFull(rand.Reader, raw[:]); err != nil {
		return "", store.APIToken{}, fmt.Errorf("identity: create token: %w", err)
	}
	if _, err := io.ReadFull(rand.Reader, id[:]); err != nil {
		return "", store.APIToken{}, fmt.Errorf("identity: create token: %w", err)
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	now := s.now().UTC()
	t := store.APIToken{
		ID: "tok_" + hex.EncodeToString(id[:]), UserID: u.ID, Description: nt.Description,
		SecretHash: hashSecret(secret), Scopes: FormatScopes(nt.Scopes), CreatedAt: now,
	}
	if nt.TTL > 0 {
		t.ExpiresAt = now.Add(nt.TTL)
	}
	if err := s.st.CreateToken(ctx, t); err != nil {
		return "", store.APIToken{}, err
	}
	return secret, t, nil
}

// RevokeToken revokes token id at once (in this process; other processes
// within CacheTTL).
func (s *Service) RevokeToken(ctx context.Context, id string) (store.APIToken, error) {
	if err := s.st.RevokeToken(ctx, id, s.now()); err != nil {
		return store.APIToken{}, err
	}
	t, err := s.st.GetToken(ctx, id)
	if err != nil {
		return store.APIToken{}, err
	}
	s.tokens.drop(func(h string) bool { return h == t.SecretHash })
	return t, nil
}

// ListTokens lists the tokens of user ("" for every user).
func (s *Service) ListTokens(ctx context.Context, user string) ([]store.APIToken, error) {
	var id int64
	if user != "" {
		u, err := s.st.GetUser(ctx, user)
		if err != nil {
			return nil, err
		}
		id = u.ID
	}
	return s.st.ListTokens(ctx, id)
}

// load returns a user with its roles, through the cache.
func (s *Service) load(ctx context.Context, id int64, name string) (*loaded, error) {
	now := s.now()
	if id != 0 {
		if l, ok := s.users.get(id, now); ok {
			return l, nil
		}
	} else if l, ok := s.names.get(name, now); ok {
		return l, nil
	}
	var u store.User
	var err error
	if id != 0 {
		u, err = s.st.GetUserByID(ctx, id)
	} else {
		u, err = s.st.GetUser(ctx, name)
	}
	if err != nil {
		return nil, err
	}
	roles, err := s.st.Roles(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	l := &loaded{user: u, roles: roles}
	s.users.put(u.ID, l, now, s.ttl)
	s.names.put(u.Name, l, now, s.ttl)
	return l, nil
}

// AuthenticatePassword checks a person's name and password.
func (s *Service) AuthenticatePassword(ctx context.Context, name, password string) (*Principal, error) {
	if name == "" || len(name) > 256 || len(password) > 1024 {
		return nil, ErrInvalidCredentials
	}
	l, err := s.load(ctx, 0, name)
	if errors.Is(err, store.ErrUserUnknown) {
		_, _ = VerifyPassword(ctx, s.dummy, password) // same cost as a real check
		return nil, ErrInvalidCredentials
	}
	if err != nil {
		return nil, err
	}
	u := l.user
	if u.Disabled || u.Kind != store.UserKindPerson || u.PasswordHash == "" {
		return nil, ErrInvalidCredentials
	}
	key := s.mac(name, password)
	if h, ok := s.checked.get(key, s.now()); !ok || h != u.PasswordHash {
		ok, err := VerifyPassword(ctx, u.PasswordHash, password)
		if err != nil {
			return nil, fmt.Errorf("identity: user %s: %w", name, err)
		}
		if !ok {
			return nil, ErrInvalidCredentials
		}
		s.checked.put(key, u.PasswordHash, s.now(), 30*s.ttl)
	}
	return &Principal{User: u, Method: "password", Grants: GrantsFor(u, l.roles, nil)}, nil
}

func (s *Service) mac(name, password string) [32]byte {
	m := hmac.New(sha256.New, s.macKey)
	m.Write([]byte(name))
	m.Write([]byte{0})
	m.Write([]byte(password))
	var out [32]byte
	copy(out[:], m.Sum(nil))
	return out
}

// AuthenticateToken checks an API token secret. user, when not empty, must
// be the token's owner (Basic credentials name one).
func (s *Service) AuthenticateToken(ctx context.Context, user, secret string) (*Principal, error) {
	if !IsTokenSecret(secret) {
		return nil, ErrInvalidCredentials
	}
	h := hashSecret(secret)
	now := s.now()
	t, ok := s.tokens.get(h, now)
	if !ok {
		var err error
		t, err = s.st.TokenBySecretHash(ctx, h)
		if errors.Is(err, store.ErrTokenUnknown) {
			return nil, ErrInvalidCredentials
		}
		if err != nil {
			return nil, err
		}
		s.tokens.put(h, t, now, s.ttl)
	}
	p, err := s.tokenPrincipal(ctx, t)
	if err != nil {
		return nil, err
	}
	if user != "" && user != p.User.Name {
		return nil, ErrInvalidCredentials
	}
	return p, nil
}

func (s *Service) tokenPrincipal(ctx context.Context, t store.APIToken) (*Principal, error) {
	now := s.now()
	if !t.RevokedAt.IsZero() || (!t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)) {
		return nil, ErrInvalidCredentials
	}
	l, err := s.load(ctx, t.UserID, "")
	if errors.Is(err, store.ErrUserUnknown) {
		return nil, ErrInvalidCredentials
	}
	if err != nil {
		return nil, err
	}
	if l.user.Disabled {
		return nil, ErrInvalidCredentials
	}
	scopes, err := ParseScopes(t.Scopes)
	if err != nil {
		return nil, fmt.Errorf("identity: token %s: stored scopes: %w", t.ID, err)
	}
	if scopes == nil && t.Scopes != "" {
		scopes = []Scope{}
	}
	tc := t
	return &Principal{User: l.user, Token: &tc, Method: "token", Grants: GrantsFor(l.user, l.roles, scopes)}, nil
}

// AuthenticateBasic checks Basic credentials: a password, or an API token
// secret (the user name must then be the token's owner).
func (s *Service) AuthenticateBasic(ctx context.Context, user, password string) (*Principal, error) {
	if IsTokenSecret(password) {
		if user == "" {
			return nil, ErrInvalidCredentials
		}
		return s.AuthenticateToken(ctx, user, password)
	}
	return s.AuthenticatePassword(ctx, user, password)
}

// Subject is what a signed token says about its holder.
type Subject struct {
	UserID   int64
	TokenID  string // API token the signed token was issued through, if any
	IssuedAt time.Time
}

// Resume returns the principal behind a signed token issued earlier: the
// user must still exist and be enabled, the token must not predate
// TokensAfter, and an API token it came through must still be valid. Its
// grants are the current ones.
func (s *Service) Resume(ctx context.Context, sub Subject) (*Principal, error) {
	if sub.UserID == 0 {
		return s.Anonymous(ctx)
	}
	l, err := s.load(ctx, sub.UserID, "")
	if errors.Is(err, store.ErrUserUnknown) {
		return nil, ErrInvalidCredentials
	}
	if err != nil {
		return nil, err
	}
	u := l.user
	// TokensAfter has nanoseconds, signed tokens whole seconds.
	if u.Disabled || sub.IssuedAt.Before(u.TokensAfter.Truncate(time.Second)) {
		return nil, ErrInvalidCredentials
	}
	if sub.TokenID != "" {
		t, err := s.st.GetToken(ctx, sub.TokenID)
		if errors.Is(err, store.ErrTokenUnknown) {
			return nil, ErrInvalidCredentials
		}
		if err != nil {
			return nil, err
		}
		if t.UserID != u.ID {
			return nil, ErrInvalidCredentials
		}
		p, err := s.tokenPrincipal(ctx, t)
		if err != nil {
			return nil, err
		}
		p.Method = "bearer"
		return p, nil
	}
	return &Principal{User: u, Method: "bearer", Grants: GrantsFor(u, l.roles, nil)}, nil
}

// Anonymous returns the principal of a caller without credentials.
func (s *Service) Anonymous(ctx context.Context) (*Principal, error) {
	now := s.now()
	pub, ok := s.pub.get(struct{}{}, now)
	if !ok {
		stored, err := s.st.AnonymousPull(ctx)
		if err != nil {
			return nil, err
		}
		pub = slices.Clone(s.public)
		for _, p := range stored {
			if pp, err := ParsePattern(p); err == nil {
				pub = append(pub, pp)
			} else {
				s.log.WarnContext(ctx, "ignoring stored anonymous pull pattern", "pattern", p, "err", err)
			}
		}
		s.pub.put(struct{}{}, pub, now, s.ttl)
	}
	return &Principal{Method: "anonymous", Grants: AnonymousGrants(pub)}, nil
}

// SetAnonymousPull opens (open=true) or closes a repository pattern to
// anonymous pull.
func (s *Service) SetAnonymousPull(ctx context.Context, pattern string, open bool) error {
	p, err := ParsePattern(pattern)
	if err != nil {
		return err
	}
	if open {
		err = s.st.AddAnonymousPull(ctx, string(p))
	} else {
		err = s.st.RemoveAnonymousPull(ctx, string(p))
	}
	s.pub.drop(func(struct{}) bool { return true })
	return err
}

// AnonymousPull lists the open patterns: configured ones, then stored ones.
func (s *Service) AnonymousPull(ctx context.Context) (configured, stored []string, err error) {
	for _, p := range s.public {
		configured = append(configured, string(p))
	}
	stored, err = s.st.AnonymousPull(ctx)
	return configured, stored, err
}

// RegistriesOf lists the registry names of a subscription (cached).
func (s *Service) RegistriesOf(ctx context.Context, sub string) ([]string, error) {
	now := s.now()
	if regs, ok := s.regs.get(sub, now); ok {
		return regs, nil
	}
	list, err := s.st.ListRegistries(ctx, sub)
	if err != nil {
		return nil, err
	}
	regs := make([]string, len(list))
	for i, r := range list {
		regs[i] = r.Name
	}
	s.regs.put(sub, regs, now, s.ttl)
	return regs, nil
}

// Identity is p's access.Identity (see Grants.Identity). subs are the
// subscriptions an anonymous request touches.
func (s *Service) Identity(ctx context.Context, p *Principal, subs []string) (*access.Identity, error) {
	name := ""
	if !p.Anonymous() {
		name = p.User.Name
	}
	return p.Grants.Identity(name, subs, func(sub string) ([]string, error) { return s.RegistriesOf(ctx, sub) })
}

// EnsureInitialAdmin creates the installation administrator when no
// account exists yet. password "" generates one. It returns the password
// when it created the account (to be shown once) and "" otherwise.
func (s *Service) EnsureInitialAdmin(ctx context.Context, name, password string) (created bool, pw string, err error) {
	users, err := s.st.ListUsers(ctx)
	if err != nil {
		return false, "", err
	}
	if len(users) > 0 {
		return false, "", nil
	}
	if password == "" {
		var b [18]byte
		if _, err := io.ReadFull(rand.Reader, b[:]); err != nil {
			return false, "", fmt.Errorf("identity: initial admin: %w", err)
		}
		password = base64.RawURLEncoding.EncodeToString(b[:])
	}
	if _, err := s.CreateUser(ctx, NewUser{Name: name, Password: password, Admin: true}); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) { // another process won the race
			return false, "", nil
		}
		return false, "", fmt.Errorf("identity: initial admin: %w", err)
	}
	return true, password, nil
}
