// Package config is drydock's typed configuration: defaults, then a YAML
// file (--config), then DRYDOCK_* environment variables, then command-line
// flags, validated once at start. Each component receives only its own
// section; no package reads global configuration.
//
// # Environment
//
// Every setting has an environment variable named after its YAML path:
// registry.maxManifestSize is DRYDOCK_REGISTRY_MAXMANIFESTSIZE. Shorter
// aliases exist for the common ones: DRYDOCK_ADDR (server.addr) and
// DRYDOCK_DATA (data).
package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"gopkg.in/yaml.v3"
)

// Config is the whole configuration of drydock serve.
type Config struct {
	// Data is the data directory holding blobs, metadata and the advisory DB.
	Data     string   `yaml:"data"`
	Server   Server   `yaml:"server"`
	Storage  Storage  `yaml:"storage"`
	Registry Registry `yaml:"registry"`
	GC       GC       `yaml:"gc"`
	Log      Log      `yaml:"log"`
	Webhooks Webhooks `yaml:"webhooks"`
	Auth     Auth     `yaml:"auth"`
	VulnDB   VulnDB   `yaml:"vulndb"`
	Scan     Scan     `yaml:"scan"`
	Provider Provider `yaml:"provider"`
	Query    Query    `yaml:"query"`
	Policy   Policy   `yaml:"policy"`
}

// Policy configures pull policies (internal/policy).
type Policy struct {
	// MaxBreakGlass is the longest a break-glass override of a pull policy
	// may last.
	MaxBreakGlass Duration `yaml:"maxBreakGlass"`
	// CacheTTL is how long the registry trusts the policies it read; other
	// processes' changes apply within it (this process's at once).
	CacheTTL Duration `yaml:"cacheTTL"`
}

// Provider configures the provider-compatible API (/subscriptions/...) and
// the provider rows of the fleet query (securityresources).
type Provider struct {
	// TenantID is the tenantId of every provider resource; empty means a
	// fixed GUID drydock derives.
	TenantID string `yaml:"tenantId"`
	// ResourceGroup is the resource group every registry is placed in.
	ResourceGroup string `yaml:"resourceGroup"`
	// RegistryHost is the host clients pull from, shown as
	// artifactDetails.registryHost; empty means each request's Host.
	RegistryHost string `yaml:"registryHost"`
	// PageSize is the default page size of the provider's lists ($top
	// overrides it), 1 to 1000.
	PageSize int `yaml:"pageSize"`
}

// Query bounds each fleet query (POST /api/v1/query, drydock query).
type Query struct {
	// Timeout is the time a query may run.
	Timeout Duration `yaml:"timeout"`
	// MaxRows is the largest result a query may return.
	MaxRows int `yaml:"maxRows"`
	// MaxMemory bounds what the operators that hold rows (summarize, join,
	// sort, distinct, ...) may hold at once.
	MaxMemory ByteSize `yaml:"maxMemory"`
}

// Scan configures the scan pipeline: the workers inside drydock serve and
// the re-evaluation of stored images.
type Scan struct {
	// Workers is how many images are scanned at once; 0 means one per CPU.
	Workers int `yaml:"workers"`
	// TimeBudget bounds the scan of one image.
	TimeBudget Duration `yaml:"timeBudget"`
	// MaxAttempts is how many times a scan is tried before it is failed.
	MaxAttempts int `yaml:"maxAttempts"`
	// Backoff is the delay before the first retry, doubled at each retry
	// up to MaxBackoff.
	Backoff    Duration `yaml:"backoff"`
	MaxBackoff Duration `yaml:"maxBackoff"`
	// Lease is how long a job stays with a worker that stopped renewing it
	// (a crashed process on another host); a restarted process takes its
	// own jobs back at once.
	Lease Duration `yaml:"lease"`
	// Poll is how often idle workers look for work.
	Poll Duration `yaml:"poll"`
	// WorkerName names this process in job leases; empty means the host
	// name. Give each process sharing a database its own.
	WorkerName string `yaml:"workerName"`
	// EnabledByDefault is the scanning plan of subscriptions and registries
	// that have none set.
	EnabledByDefault bool `yaml:"enabledByDefault"`
	// PlanWindow: switching scanning on scans images pushed or pulled
	// within it.
	PlanWindow Duration `yaml:"planWindow"`
	// ReevaluateInterval is the period of the scheduled re-evaluation of
	// every stored image; 0 disables it (database changes still trigger
	// one).
	ReevaluateInterval Duration `yaml:"reevaluateInterval"`
	// AttachSBOM writes each scanned image's CycloneDX SBOM into its
	// repository as an OCI referrer of the image.
	AttachSBOM bool `yaml:"attachSBOM"`
	// Limits bound the work one image may cause (with TimeBudget); an
	// image past one ends failed, with the limit named in its reason.
	// After a change, the next start scans the failed images again.
	Limits ScanLimits `yaml:"limits"`
	// GoScan is how closely Go binaries' findings are judged: symbol,
	// package or module (see match.GoScan). After a change, the next
	// start matches every stored image again.
	GoScan string `yaml:"goScan"`
}

// ScanLimits are the scan pipeline's caps on one image, as `drydock scan`
// takes them in flags. The defaults admit every real image seen so far.
type ScanLimits struct {
	// MaxLayerBytes caps the uncompressed size of one layer.
	MaxLayerBytes ByteSize `yaml:"maxLayerBytes"`
	// MaxEntries caps the tar entries over all layers of an image.
	MaxEntries int `yaml:"maxEntries"`
	// MaxFileBytes caps the size of one file an extractor reads whole (a
	// package database, a lockfile); a larger one is skipped with a
	// warning in the report.
	MaxFileBytes ByteSize `yaml:"maxFileBytes"`
	// MaxRatio caps a compressed layer's decompression ratio.
	MaxRatio int `yaml:"maxRatio"`
}

// VulnDB configures how the server keeps the advisory database current.
type VulnDB struct {
	// AutoUpdate updates the database from Sources in the background: at
	// once on a first start without one, then every UpdateInterval.
	// Without it the server follows what `drydock db import` and
	// `drydock db update` install.
	AutoUpdate bool `yaml:"autoUpdate"`
	// UpdateInterval is the time between updates.
	UpdateInterval Duration `yaml:"updateInterval"`
	// RetryInterval is the wait after a failed update (offline).
	RetryInterval Duration `yaml:"retryInterval"`
	// Sources replace the public feeds, each "URL" or "NAME=URL" (http or
	// https); in the environment, separated by commas.
	Sources []string `yaml:"sources"`
}

// Server configures the HTTP listener.
type Server struct {
	// Addr is the listen address, host:port.
	Addr string `yaml:"addr"`
	// TLSCert and TLSKey are PEM files; both set enables HTTPS.
	TLSCert string `yaml:"tlsCert"`
	TLSKey  string `yaml:"tlsKey"`
	// ReadHeaderTimeout bounds the time to read request headers.
	ReadHeaderTimeout Duration `yaml:"readHeaderTimeout"`
	// IdleTimeout closes idle keep-alive connections.
	IdleTimeout Duration `yaml:"idleTimeout"`
	// ShutdownTimeout is how long in-flight requests get on SIGTERM.
	ShutdownTimeout Duration `yaml:"shutdownTimeout"`
}

// Storage configures where blobs and metadata live.
type Storage struct {
	// Sync fsyncs blobs and metadata on commit (power-loss durability).
	// Without it acknowledged writes survive a process crash, not a power cut.
	Sync bool `yaml:"sync"`
}

// Registry configures the /v2/ distribution API.
type Registry struct {
	// MaxManifestSize is the largest manifest accepted.
	MaxManifestSize ByteSize `yaml:"maxManifestSize"`
	// MaxBlobSize is the largest blob accepted; 0 means unlimited.
	MaxBlobSize ByteSize `yaml:"maxBlobSize"`
	// UploadExpiry is how long an unfinished upload session lives.
	UploadExpiry Duration `yaml:"uploadExpiry"`
	// AutoCreateRegistries creates a registry (namespace) on first push in
	// DefaultSubscription; when false registries must be created explicitly.
	AutoCreateRegistries bool `yaml:"autoCreateRegistries"`
	// DefaultSubscription receives auto-created registries.
	DefaultSubscription string `yaml:"defaultSubscription"`
	// AutoMount links a blob already held in the same subscription instead
	// of asking the client to upload it again.
	AutoMount bool `yaml:"autoMount"`
}

// GC configures online garbage collection.
type GC struct {
	// Interval between collections; 0 disables the background collector.
	Interval Duration `yaml:"interval"`
	// GracePeriod protects objects younger than this from collection.
	GracePeriod Duration `yaml:"gracePeriod"`
	// DeleteUntagged also removes manifests nothing refers to.
	DeleteUntagged bool `yaml:"deleteUntagged"`
}

// Webhooks configures event delivery to webhooks.
type Webhooks struct {
	// Workers is how many webhooks are delivered to at once.
	Workers int `yaml:"workers"`
	// Timeout bounds one delivery request; ConnectTimeout its connection.
	Timeout        Duration `yaml:"timeout"`
	ConnectTimeout Duration `yaml:"connectTimeout"`
	// MaxAttempts is the number of requests before a delivery is failed.
	MaxAttempts int `yaml:"maxAttempts"`
	// BackoffBase is the first retry delay; it doubles up to BackoffMax.
	BackoffBase Duration `yaml:"backoffBase"`
	BackoffMax  Duration `yaml:"backoffMax"`
	// PollInterval is how often the event outbox is read.
	PollInterval Duration `yaml:"pollInterval"`
	// Retention keeps delivered events and the delivery log this long.
	Retention Duration `yaml:"retention"`
	// AllowPrivateTargets permits webhook URLs on loopback, private and
	// link-local addresses (tests, receivers in the same network).
	AllowPrivateTargets bool `yaml:"allowPrivateTargets"`
}

// Auth configures sign-in on every interface (internal/auth).
type Auth struct {
	// Enabled requires authentication on every HTTP interface except
	// /healthz, /readyz and the token endpoint (and /metrics with
	// OpenMetrics). false runs drydock open: everyone may do everything.
	Enabled bool `yaml:"enabled"`
	// AdminUser is the installation administrator created on first start
	// (when no account exists). Env also DRYDOCK_ADMIN_USER.
	AdminUser string `yaml:"adminUser"`
	// AdminPassword is its password; empty generates one, printed once.
	// Env also DRYDOCK_ADMIN_PASSWORD.
	AdminPassword string `yaml:"adminPassword"`
	// Realm overrides the token endpoint URL in registry challenges
	// (behind a proxy); empty derives it from each request's Host.
	Realm string `yaml:"realm"`
	// TokenTTL is the lifetime of registry access tokens.
	TokenTTL Duration `yaml:"tokenTTL"`
	// RefreshTTL is the lifetime of refresh tokens (docker login).
	RefreshTTL Duration `yaml:"refreshTTL"`
	// AnonymousPull lists repository patterns anyone may pull without
	// signing in, separated by commas or spaces ("team/app, public/*");
	// drydock admin anonymous-pull adds more at run time.
	AnonymousPull string `yaml:"anonymousPull"`
	// MaxFailures failed sign-ins within FailureWindow block the client
	// address (and the user name) for Lockout; 0 disables throttling.
	MaxFailures   int      `yaml:"maxFailures"`
	FailureWindow Duration `yaml:"failureWindow"`
	Lockout       Duration `yaml:"lockout"`
	// OpenMetrics serves /metrics without authentication.
	OpenMetrics bool `yaml:"openMetrics"`
	// MaxRequestBody bounds request bodies outside the registry (the
	// registry has its own limits).
	MaxRequestBody ByteSize `yaml:"maxRequestBody"`
}

// Log configures structured logging.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is text or json.
	Format string `yaml:"format"`
}

// Default returns the embedded defaults.
func Default() Config {
	return Config{
		Data: "./drydock-data",
		Server: Server{
			Addr:              "127.0.0.1:5000",
			ReadHeaderTimeout: Duration(10 * time.Second),
			IdleTimeout:       Duration(2 * time.Minute),
			ShutdownTimeout:   Duration(20 * time.Second),
		},
		Registry: Registry{
			MaxManifestSize:      4 << 20,
			UploadExpiry:         Duration(24 * time.Hour),
			AutoCreateRegistries: true,
			DefaultSubscription:  "default",
			AutoMount:            true,
		},
		GC: GC{
			Interval:    Duration(time.Hour),
			GracePeriod: Duration(time.Hour),
		},
		Log: Log{Level: "info", Format: "text"},
		Scan: Scan{
			TimeBudget:         Duration(2 * time.Minute),
			MaxAttempts:        3,
			Backoff:            Duration(2 * time.Second),
			MaxBackoff:         Duration(5 * time.Minute),
			Lease:              Duration(30 * time.Second),
			Poll:               Duration(100 * time.Millisecond),
			EnabledByDefault:   true,
			PlanWindow:         Duration(30 * 24 * time.Hour),
			ReevaluateInterval: Duration(24 * time.Hour),
			Limits:             ScanLimits{MaxLayerBytes: 16 << 30, MaxEntries: 4_000_000, MaxFileBytes: 64 << 20, MaxRatio: 256},
			GoScan:             "symbol",
		},
		Webhooks: Webhooks{
			Workers:        4,
			Timeout:        Duration(10 * time.Second),
			ConnectTimeout: Duration(5 * time.Second),
			MaxAttempts:    10,
			BackoffBase:    Duration(10 * time.Second),
			BackoffMax:     Duration(time.Hour),
			PollInterval:   Duration(time.Second),
			Retention:      Duration(30 * 24 * time.Hour),
		},
		Auth: Auth{
			Enabled:        true,
			AdminUser:      "admin",
			TokenTTL:       Duration(5 * time.Minute),
			RefreshTTL:     Duration(720 * time.Hour),
			MaxFailures:    10,
			FailureWindow:  Duration(5 * time.Minute),
			Lockout:        Duration(time.Minute),
			MaxRequestBody: 8 << 20,
		},
		VulnDB: VulnDB{AutoUpdate: true, UpdateInterval: Duration(24 * time.Hour), RetryInterval: Duration(time.Hour)},

		Provider: Provider{ResourceGroup: "drydock", PageSize: 100},
		Query:    Query{Timeout: Duration(30 * time.Second), MaxRows: 10000, MaxMemory: 256 << 20},
		Policy:   Policy{MaxBreakGlass: Duration(time.Hour), CacheTTL: Duration(2 * time.Second)},
	}
}

// Load returns defaults overlaid with the YAML file at path (if not empty)
// and then the environment (lookup is os.LookupEnv in production).
func Load(path string, lookup func(string) (string, bool)) (Config, error) {
	c := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) { // io.EOF: empty file
			return c, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	if err := applyEnv(reflect.ValueOf(&c).Elem(), "DRYDOCK", lookup); err != nil {
		return c, err
	}
	for alias, set := range map[string]func(string){
		"DRYDOCK_ADDR":           func(v string) { c.Server.Addr = v },
		"DRYDOCK_ADMIN_USER":     func(v string) { c.Auth.AdminUser = v },
		"DRYDOCK_ADMIN_PASSWORD": func(v string) { c.Auth.AdminPassword = v },
	} {
		if v, ok := lookup(alias); ok {
			set(v)
		}
	}
	return c, nil
}

// Validate checks the configuration once at start.
func (c Config) Validate() error {
	var errs []error
	if c.Data == "" {
		errs = append(errs, errors.New("data directory is empty"))
	}
	if c.Server.Addr == "" {
		errs = append(errs, errors.New("server.addr is empty"))
	}
	if (c.Server.TLSCert == "") != (c.Server.TLSKey == "") {
		errs = append(errs, errors.New("server.tlsCert and server.tlsKey must be set together"))
	}
	if c.Registry.MaxManifestSize <= 0 {
		errs = append(errs, errors.New("registry.maxManifestSize must be positive"))
	}
	if c.Registry.MaxBlobSize < 0 {
		errs = append(errs, errors.New("registry.maxBlobSize must not be negative"))
	}
	if c.Registry.UploadExpiry <= 0 {
		errs = append(errs, errors.New("registry.uploadExpiry must be positive"))
	}
	if c.Registry.AutoCreateRegistries && c.Registry.DefaultSubscription == "" {
		errs = append(errs, errors.New("registry.defaultSubscription is needed with autoCreateRegistries"))
	}
	if c.GC.Interval < 0 || c.GC.GracePeriod < 0 {
		errs = append(errs, errors.New("gc durations must not be negative"))
	}
	if w := c.Webhooks; w.Workers < 1 || w.MaxAttempts < 1 || w.Timeout <= 0 || w.ConnectTimeout <= 0 ||
		w.BackoffBase <= 0 || w.BackoffMax < w.BackoffBase || w.PollInterval <= 0 || w.Retention <= 0 {
		errs = append(errs, errors.New("webhooks: workers and maxAttempts must be at least 1, durations positive, backoffMax at least backoffBase"))
	}
	if sc := c.Scan; sc.Workers < 0 || sc.MaxAttempts < 1 || sc.TimeBudget <= 0 || sc.Backoff <= 0 || sc.MaxBackoff < sc.Backoff ||
		sc.Lease <= 0 || sc.Poll <= 0 || sc.PlanWindow <= 0 || sc.ReevaluateInterval < 0 {
		errs = append(errs, errors.New("scan: workers must not be negative, maxAttempts at least 1, durations positive (reevaluateInterval may be 0), maxBackoff at least backoff"))
	}
	if l := c.Scan.Limits; l.MaxLayerBytes <= 0 || l.MaxEntries <= 0 || l.MaxFileBytes <= 0 || l.MaxRatio <= 0 {
		errs = append(errs, errors.New("scan.limits: maxLayerBytes, maxEntries, maxFileBytes and maxRatio must be positive"))
	}
	// The levels of match.GoScan (config imports nothing of drydock's).
	if g := c.Scan.GoScan; g != "symbol" && g != "package" && g != "module" {
		errs = append(errs, fmt.Errorf("scan.goScan: %q: want symbol, package or module", g))
	}
	if c.Auth.Enabled && c.Auth.AdminUser == "" {
		errs = append(errs, errors.New("auth.adminUser is empty"))
	}
	if c.Auth.TokenTTL <= 0 || c.Auth.RefreshTTL <= 0 {
		errs = append(errs, errors.New("auth.tokenTTL and auth.refreshTTL must be positive"))
	}
	if c.Auth.MaxFailures < 0 || c.Auth.FailureWindow < 0 || c.Auth.Lockout < 0 || c.Auth.MaxRequestBody < 0 {
		errs = append(errs, errors.New("auth throttling settings and maxRequestBody must not be negative"))
	}
	if c.VulnDB.UpdateInterval <= 0 || c.VulnDB.RetryInterval <= 0 {
		errs = append(errs, errors.New("vulndb.updateInterval and vulndb.retryInterval must be positive"))
	}
	for _, src := range c.VulnDB.Sources {
		if _, u, ok := strings.Cut(src, "="); !strings.HasPrefix(src, "http://") && !strings.HasPrefix(src, "https://") &&
			(!ok || !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://")) {
			errs = append(errs, fmt.Errorf("vulndb.sources: %q is not [NAME=]http(s)://URL", src))
		}
	}
	if p := c.Provider; p.ResourceGroup == "" || strings.ContainsAny(p.ResourceGroup+p.TenantID, "/?#") || p.PageSize < 1 || p.PageSize > 1000 {
		errs = append(errs, errors.New("provider: resourceGroup must be set, resourceGroup and tenantId without / ? #, pageSize from 1 to 1000"))
	}
	if q := c.Query; q.Timeout <= 0 || q.MaxRows < 1 || q.MaxMemory <= 0 {
		errs = append(errs, errors.New("query: timeout, maxRows and maxMemory must be positive"))
	}
	if c.Policy.MaxBreakGlass <= 0 || c.Policy.CacheTTL <= 0 {
		errs = append(errs, errors.New("policy.maxBreakGlass and policy.cacheTTL must be positive"))
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level %q is not debug, info, warn or error", c.Log.Level))
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log.format %q is not text or json", c.Log.Format))
	}
	if len(errs) > 0 {
		return fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return nil
}

// applyEnv sets fields from PREFIX_FIELD variables, recursing into structs.
func applyEnv(v reflect.Value, prefix string, lookup func(string) (string, bool)) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		key := prefix + "_" + strings.ToUpper(tag)
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct {
			if err := applyEnv(fv, key, lookup); err != nil {
				return err
			}
			continue
		}
		s, ok := lookup(key)
		if !ok {
			continue
		}
		if err := setFromString(fv, s); err != nil {
			return fmt.Errorf("config: %s=%q: %w", key, s, err)
		}
	}
	return nil
}

func setFromString(fv reflect.Value, s string) error {
	switch p := fv.Addr().Interface().(type) {
	case *Duration:
		return p.UnmarshalText([]byte(s))
	case *ByteSize:
		return p.UnmarshalText([]byte(s))
	case *string:
		*p = s
	case *bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		*p = b
	case *int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return err
		}
		*p = n
	case *[]string: // comma-separated
		*p = nil
		for _, e := range strings.Split(s, ",") {
			if e = strings.TrimSpace(e); e != "" {
				*p = append(*p, e)
			}
		}
	default:
		return fmt.Errorf("unsupported setting type %s", fv.Type())
	}
	return nil
}

// Duration is a time.Duration written as "90s", "24h".
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText prints the duration.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// ByteSize is a size in bytes written as "4MiB", "500MB" or a plain number.
type ByteSize int64

// UnmarshalText parses a human-readable size.
func (b *ByteSize) UnmarshalText(t []byte) error {
	v, err := humanize.ParseBytes(string(t))
	if err != nil {
		return err
	}
	if v > 1<<62 {
		return fmt.Errorf("size %s too large", t)
	}
	*b = ByteSize(v)
	return nil
}

// MarshalText prints the size in IEC units.
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(humanize.IBytes(uint64(b))), nil }
