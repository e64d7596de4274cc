package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/drydock/drydock/internal/access"
	"github.com/drydock/drydock/internal/audit"
	"github.com/drydock/drydock/internal/auth"
	"github.com/drydock/drydock/internal/config"
	"github.com/drydock/drydock/internal/identity"
	"github.com/drydock/drydock/internal/server"
	"github.com/drydock/drydock/internal/store"
	"github.com/drydock/drydock/internal/store/sqlmeta"
)

// newAdminCmd is `drydock admin`: identities, working directly on the
// metadata store in --data (a running server sees changes within seconds).
func newAdminCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Manage subscriptions, users, robots, roles, API tokens and anonymous pull",
		Long: `Manage identities in the metadata store of --data. A running server picks up
changes within a few seconds. Every change is recorded in the audit log.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newAdminSubscriptionCmd(g), newAdminUserCmd(g), newAdminRoleCmd(g), newAdminTokenCmd(g),
		newAdminAnonymousCmd(g), newAdminAuditCmd(g))
	return cmd
}

// adminEnv is an open store with the identity service and audit log.
type adminEnv struct {
	meta  *sqlmeta.Store
	ids   *identity.Service
	audit audit.Recorder
	actor string
}

func (g *globals) openAdmin(ctx context.Context) (*adminEnv, error) {
	if err := os.MkdirAll(g.dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("admin: create data directory: %w", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	meta, err := sqlmeta.Open(ctx, sqlmeta.Config{Path: filepath.Join(g.dataDir, "meta.db")}, log)
	if err != nil {
		return nil, err
	}
	ids, err := identity.NewService(identity.Config{}, meta, log)
	if err != nil {
		meta.Close()
		return nil, err
	}
	actor := "cli"
	if u, err := user.Current(); err == nil {
		actor = "cli:" + u.Username
	}
	auditLog := slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return &adminEnv{meta: meta, ids: ids, audit: audit.New(meta, auditLog), actor: actor}, nil
}

func (e *adminEnv) record(ctx context.Context, action, target, sub string, detail map[string]string) {
	e.audit.Record(ctx, audit.Event{Actor: e.actor, Action: action, Target: target, Subscription: sub, Outcome: audit.OK, Detail: detail})
}

// withAdmin runs fn with an open adminEnv.
func withAdmin(g *globals, cmd *cobra.Command, fn func(ctx context.Context, e *adminEnv) error) error {
	ctx := cmd.Context()
	e, err := g.openAdmin(ctx)
	if err != nil {
		return err
	}
	defer e.meta.Close()
	return fn(ctx, e)
}

// readPassword reads one line from r (the password, without its newline).
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", usageError{errors.New("no password on standard input")}
	}
	return pw, nil
}

func newAdminSubscriptionCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "subscription", Short: "Manage subscriptions (tenants)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	create := &cobra.Command{
		Use: "create NAME", Short: "Create a subscription", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(g, cmd, func(ctx context.Context, e *adminEnv) error {
				sub, created, err := e.ids.CreateSubscription(ctx, args[0])
				if err != nil {
					return usageIf(err, identity.ErrInvalidName)
				}
				if !created {
					return fmt.Errorf("subscription %q already exists", sub.ID)
				}
				e.record(ctx, audit.SubscriptionCreate, sub.ID, sub.ID, nil)
				fmt.Fprintf(g.stdout, "subscription %s created\n", sub.ID)
				return nil
			})
		},
	}
	list := &cobra.Command{
		Use: "list", Short: "List subscriptions", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withAdmin(g, cmd, func(ctx context.Context, e *adminEnv) error {
				subs, err := e.meta.ListSubscriptions(ctx)
				if err != nil {
					return err
				}
				for _, s := range subs {
					fmt.Fprintln(g.stdout, s.ID)
				}
				return nil
			})
		},
	}
	cmd.AddCommand(create, list)
	return cmd
}

// usageIf marks err as a usage error (exit 2) when it wraps one of targets.
func usageIf(err error, targets ...error) error {
	for _, t := range targets {
		if errors.Is(err, t) {
			return usageError{err}
		}
	}
	return err
}

func newAdminUserCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage users and robot accounts", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	var pwStdin, robot, admin bool
	var sub, role string
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a user (password from standard input) or a robot account (--robot)",
		Long: `Create a user whose password is read from standard input (--password-stdin),
or a robot account (--robot) that signs in with API tokens only. With
--subscription and --role the account gets that role in the subscription.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var r identity.Role
			if (sub == "") != (role == "") {
				return usageError{errors.New("--subscription and --role go together")}
			}
			if role != "" {
				var err error
				if r, err = identity.ParseRole(role); err != nil {
					return usageError{err}
				}
			}
			nu := identity.NewUser{Name: args[0], Robot: robot, Admin: admin}
			switch {
			case robot && pwStdin:
				return usageError{errors.New("a robot has no password: drop --password-stdin and create API tokens for it")}
			case !robot && !pwStdin:
				return usageError{errors.New("give the password on standard input with --password-stdin (or create a --robot)")}
			case pwStdin:
				pw, err := readPassword(g.stdin)
				if err != nil {
					return err
				}
				nu.Password = pw
			}
			return withAdmin(g, cmd, func(ctx context.Context, e *adminEnv) error {
				u, err := e.ids.CreateUser(ctx, nu)
				if err != nil {
					return usageIf(err, identity.ErrInvalidName, identity.ErrWeakPassword)
				}
				e.record(ctx, audit.UserCreate, u.Name, "", map[string]string{"kind": u.Kind, "admin": fmt.Sprint(u.Admin)})
				if r != "" {
					if err := e.ids.Grant(ctx, u.Name, sub, "", r); err != nil {
						return fmt.Errorf("user %s created, but the role was not granted: %w", u.Name, err)
					}
					e.record(ctx, audit.RoleGrant, u.Name, sub, map[string]string{"role": string(r)})
				}
				fmt.Fprintf(g.stdout, "%s %s created\n", u.Kind, u.Name)
				return nil
			})
		},
	}
	create.Flags().BoolVar(&pwStdin, "password-stdin", false, "read the password from standard input")
	create.Flags().BoolVar(&robot, "robot", false, "create a robot account (API tokens only)")
	create.Flags().BoolVar(&admin, "admin", false, "installation administrator (every subscription)")
	create.Flags().StringVar(&sub, "subscription", "", "grant a role in this subscription")
	create.Flags().StringVar(&role, "role", "", "the role: owner, contributor or reader")

	list := &cobra.Command{
		Use: "list", Short: "List accounts with their roles", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withAdmin(g, cmd, func(ctx context.Context, e *adminEnv) error {
				users, err := e.meta.ListUsers(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tKIND\tADMIN\tDISABLED\tROLES")
				for _, u := range users {
					roles, err := e.meta.Roles(ctx, u.ID)
					if err != nil {
						return err
					}
					var rs []string
					for _, r := range roles {
						where := r.SubscriptionID
						if r.Registry != "" {
							where += "/" + r.Registry
						}
						rs = append(rs, r.Role+"@"+where)
					}
					fmt.Fprintf(tw, "%s\t%s\t%v\t%v\t%s\n", u.Name, u.Kind, u.Admin, u.Disabled, strings.Join(rs, ","))
				}
				return tw.Flush()
			})
		},
	}
	passwd := &cobra.Command{
		Use: "passwd NAME", Short: "Set a user's password from standard input (signs out its sessions)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := readPassword(g.stdin)
			if err != nil {
				return err
			}
			return withAdmin(g, cmd, func(ctx context.Context, e *adminEnv) error {
				if err := e.ids.SetPassword(ctx, args[0], pw); err != nil {
					return usageIf(err, identity.ErrWeakPassword, store.ErrUserUnknown)
				}
				e.record(ctx, audit.UserUpdate, args[0], "", map[string]string{"change": "password"})
				fmt.Fprintf(g.stdout, "password of %s changed\n", args[0])
				return nil
			})
		},
	}
	setDisabled := func(use string, disabled bool) *cobra.Command {
		return &cobra.Command{
			Use: use + " NAME", Short: strings.ToUpper(use[:1]) + use[1:] + " an account", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return withAdmin(g, cmd, func(ctx context.Context, e *adminEnv) error {
					if err := e.ids.SetDisabled(ctx, args[0], disabled); err != nil {
						return usageIf(err, store.ErrUserUnknown)
					}
					e.record(ctx, audit.UserUpdate, args[0], "", map[string]string{"change": use})
					fmt.Fprintf(g.stdout, "%s %sd\n", args[0], use)
					return nil
				})
			},
		}
	}
	cmd.AddCommand(create, list, passwd, setDisabled("disable", true), setDisabled("enable", false))
	return cmd
}

func newAdminRoleCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "role", Short: "Grant and revoke roles in subscriptions and registries", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	var userName, sub, registry, role string
	grant := &cobra.Command{
		Use: "grant", Short: "Give --user a --role in --subscription (or only in its --registry)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := identity.ParseRole(role)
			if err != nil || userName == "" || sub == "" {
				return usageError{errors.New("need --user, --subscription and --role owner|contributor|reader")}
			}
			return withAdmin(g, cmd, func(ctx context.Context, e *adminEnv) error {
				if err := e.ids.Grant(ctx, userName, sub, registry, r); err != nil {
					return usageIf(err, store.ErrUserUnknown, store.ErrSubscriptionUnknown)
				}
				e.record(ctx, audit.RoleGrant, userName, sub, map[string]string{"role": string(r), "registry": registry})
				fmt.Fprintf(g.stdout, "%s is %s in %s\n", userName, r, strings.TrimSuffix(sub+"/"+registry, "/"))
				return nil
			})
		},
	}
	revoke := &cobra.Command{
		Use: "revoke", Short: "Remove --user's role in --subscription (or its --registry)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if userName == "" || sub == "" {
				return usageError{errors.New("need --user and --subscription")}
			}
			return withAdmin(g, cmd, func(ctx context.Context, e *adminEnv) error {
				if err := e.ids.Ungrant(ctx, userName, sub, registry); err != nil {
					return usageIf(err, store.ErrUserUnknown)
				}
				e.record(ctx, audit.RoleRevoke, userName, sub, map[string]string{"registry": registry})
				fmt.Fprintf(g.stdout, "role of %s in %s removed\n", userName, strings.TrimSuffix(sub+"/"+registry, "/"))
				return nil
			})
		},
	}
	for _, c := range []*cobra.Command{grant, revoke} {
		c.Flags().StringVar(&userName, "user", "", "account name")
		c.Flags().StringVar(&sub, "subscription", "", "subscription")
		c.Flags().StringVar(&registry, "registry", "", "only this registry of the subscription")
	}
	grant.Flags().StringVar(&role, "role", "", "owner, contributor or reader")
	cmd.AddCommand(grant, revoke)
	return cmd
}

func newAdminTokenCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Create, list and revoke API tokens", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	var userName, description string
	var scopes []string
	var expires time.Duration
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an API token for --user; the secret is printed once",
		Long: `Create an API token for --user. The secret is printed on standard output once
and only a hash of it is stored. Use it as the password of HTTP Basic (with
the user's name) or as a bearer token.

--scope restricts the token (repeatable): repository:<pattern>:<actions>, where
<pattern> is a repository ("team/app"), every repository of a prefix ("team/*")
or "*", and <actions> a comma list of pull, push, delete, admin (or "*").
Without --scope the token may do everything its user may.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if userName == "" {
				return usageError{errors.New("need --user")}
			}
			if expires < 0 {
				return usageError{errors.New("--expires must not be negative")}
			}
			var sc []identity.Scope
			for _, s := range scopes {
				for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' }) {
					x, err := identity.ParseScope(f)
					if err != nil {
						return usageError{err}
					}
					sc = append(sc, x)
				}
			}
			return withAdmin(g, cmd, func(ctx context.Context, e *adminEnv) error {
				secret, t, err := e.ids.CreateToken(ctx, identity.NewToken{User: userName, Description: description, Scopes: sc, TTL: expires})
				if err != nil {
					return usageIf(err, store.ErrUserUnknown)
				}
				e.record(ctx, audit.TokenCreate, t.ID, "", map[string]string{"user": userName, "scopes": t.Scopes, "expires": timeOrNever(t.ExpiresAt)})
				fmt.Fprintln(g.stdout, secret)
				fmt.Fprintf(g.stderr, "token %s for %s (scopes: %s; expires: %s). The secret above is shown only once.\n",
					t.ID, userName, orAll(t.Scopes), timeOrNever(t.ExpiresAt))
				return nil
			})
		},
	}
	create.Flags().StringVar(&userName, "user", "", "account the token acts for")
	create.Flags().StringArrayVar(&scopes, "scope", nil, "restrict the token: repository:<pattern>:<actions> (repeatable)")
	create.Flags().DurationVar(&expires, "expires", 0, "lifetime, e.g. 720h (default: never expires)")
	create.Flags().StringVar(&description, "description", "", "what the token is for")

	var listUser string
	list := &cobra.Command{
		Use: "list", Short: "List API tokens (never their secrets)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withAdmin(g, cmd, func(ctx context.Context, e *adminEnv) error {
				toks, err := e.ids.ListTokens(ctx, listUser)
				if err != nil {
					return usageIf(err, store.ErrUserUnknown)
				}
				names := map[int64]string{}
				tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tUSER\tSCOPES\tCREATED\tEXPIRES\tSTATE\tDESCRIPTION")
				for _, t := range toks {
					if _, ok := names[t.UserID]; !ok {
						if u, err := e.meta.GetUserByID(ctx, t.UserID); err == nil {
							names[t.UserID] = u.Name
						}
					}
					state := "active"
					switch {
					case !t.RevokedAt.IsZero():
						state = "revoked"
					case !t.ExpiresAt.IsZero() && !time.Now().Before(t.ExpiresAt):
						state = "expired"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, names[t.UserID], orAll(t.Scopes),
						t.CreatedAt.UTC().Format(time.RFC3339), timeOrNever(t.ExpiresAt), state, t.Description)
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().StringVar(&listUser, "user", "", "only this account's tokens")
	revoke := &cobra.Command{
		Use: "revoke ID", Short: "Revoke an API token (and every registry token issued through it)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withAdmin(g, cmd, func(ctx context.Context, e *adminEnv) error {
				t, err := e.ids.RevokeToken(ctx, args[0])
				if err != nil {
					return usageIf(err, store.ErrTokenUnknown)
				}
				e.record(ctx, audit.TokenRevoke, t.ID, "", nil)
				fmt.Fprintf(g.stdout, "token %s revoked\n", t.ID)
				return nil
			})
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

func orAll(scopes string) string {
	if scopes == "" {
		return "all of the user's rights"
	}
	return scopes
}

func timeOrNever(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

func newAdminAnonymousCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "anonymous-pull", Short: "Open repositories to pulls without sign-in", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	set := func(use, short string, open bool) *cobra.Command {
		return &cobra.Command{
			Use: use + " PATTERN", Short: short, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return withAdmin(g, cmd, func(ctx context.Context, e *adminEnv) error {
					if err := e.ids.SetAnonymousPull(ctx, args[0], open); err != nil {
						return usageIf(err, identity.ErrInvalidScope)
					}
					e.record(ctx, audit.AnonymousPull, args[0], "", map[string]string{"open": fmt.Sprint(open)})
					fmt.Fprintf(g.stdout, "anonymous pull of %s %s\n", args[0], map[bool]string{true: "opened", false: "closed"}[open])
					return nil
				})
			},
		}
	}
	list := &cobra.Command{
		Use: "list", Short: "List the patterns open to anonymous pull", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withAdmin(g, cmd, func(ctx context.Context, e *adminEnv) error {
				_, stored, err := e.ids.AnonymousPull(ctx)
				if err != nil {
					return err
				}
				for _, p := range stored {
					fmt.Fprintln(g.stdout, p)
				}
				return nil
			})
		},
	}
	cmd.AddCommand(set("add", "Open repositories matching PATTERN (team/app, team/*)", true),
		set("remove", "Close PATTERN again", false), list)
	return cmd
}

func newAdminAuditCmd(g *globals) *cobra.Command {
	var limit int
	var after int64
	cmd := &cobra.Command{
		Use: "audit", Short: "Print the audit log, oldest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withAdmin(g, cmd, func(ctx context.Context, e *adminEnv) error {
				evs, err := e.meta.ListAudit(ctx, after, limit)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tTIME\tACTOR\tACTION\tTARGET\tSUBSCRIPTION\tREMOTE\tOUTCOME\tDETAIL")
				for _, ev := range evs {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ev.ID, ev.At.Format(time.RFC3339), ev.Actor, ev.Action,
						ev.Target, ev.SubscriptionID, ev.Remote, ev.Outcome, ev.Detail)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 1000, "at most this many events")
	cmd.Flags().Int64Var(&after, "after", 0, "only events with a larger id")
	return cmd
}

// serveAuth builds what drydock serve authenticates with: with auth
// enabled, the Gate (creating the initial administrator on first start and
// printing a generated password once to w); otherwise access.Open() and no
// guard.
func serveAuth(ctx context.Context, cfg config.Config, meta *sqlmeta.Store, log *slog.Logger, w io.Writer) (access.Authorizer, *auth.Gate, error) {
	if !cfg.Auth.Enabled {
		log.Warn("authentication is disabled (auth.enabled=false): every interface is open to everyone")
		return access.Open(), nil, nil
	}
	ids, err := identity.NewService(identity.Config{AnonymousPull: strings.FieldsFunc(cfg.Auth.AnonymousPull, func(r rune) bool {
		return r == ',' || r == ' '
	})}, meta, log)
	if err != nil {
		return nil, nil, err
	}
	rec := audit.New(meta, log)
	created, pw, err := ids.EnsureInitialAdmin(ctx, cfg.Auth.AdminUser, cfg.Auth.AdminPassword)
	if err != nil {
		return nil, nil, err
	}
	if created {
		rec.Record(ctx, audit.Event{Actor: "system", Action: audit.UserCreate, Target: cfg.Auth.AdminUser, Outcome: audit.OK,
			Detail: map[string]string{"admin": "true", "initial": "true"}})
		if cfg.Auth.AdminPassword == "" {
			fmt.Fprintf(w, "\ndrydock: created the initial administrator %q with password %s\n"+
				"drydock: this password is shown only once; sign in with it (docker login, crane auth login, Basic)\n"+
				"drydock: and change it with: drydock admin user passwd %s --data %s\n\n", cfg.Auth.AdminUser, pw, cfg.Auth.AdminUser, cfg.Data)
		} else {
			log.Info("initial administrator created", "user", cfg.Auth.AdminUser, "password", "from DRYDOCK_ADMIN_PASSWORD")
		}
	}
	key, err := auth.LoadOrCreateKey(filepath.Join(cfg.Data, "auth", "signing-key.pem"))
	if err != nil {
		return nil, nil, err
	}
	gate, err := auth.New(auth.Config{
		Realm:                cfg.Auth.Realm,
		TokenTTL:             cfg.Auth.TokenTTL.D(),
		RefreshTTL:           cfg.Auth.RefreshTTL.D(),
		DefaultSubscription:  cfg.Registry.DefaultSubscription,
		AutoCreateRegistries: cfg.Registry.AutoCreateRegistries,
		MaxFailures:          throttleMax(cfg.Auth.MaxFailures),
		FailureWindow:        cfg.Auth.FailureWindow.D(),
		Lockout:              cfg.Auth.Lockout.D(),
		MaxBodyBytes:         int64(cfg.Auth.MaxRequestBody),
	}, auth.Deps{Identities: ids, Registries: meta, Key: key, Audit: rec, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	return gate, gate, nil
}

// guardOf returns gate as a server.Guard, or nil (not a typed nil) when
// authentication is off.
func guardOf(gate *auth.Gate) server.Guard {
	if gate == nil {
		return nil
	}
	return gate
}

// throttleMax maps auth.maxFailures (0: off) to auth.Config (negative: off).
func throttleMax(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
