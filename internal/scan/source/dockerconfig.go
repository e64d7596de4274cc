package source

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// dockerConfigKeychain finds registry credentials in a Docker client config
// file: "auths" entries (the base64 "auth" field, or username and
// password, or an identity token), and the credential helpers it names
// ("credsStore", "credHelpers"), as docker itself does. No file, or no
// entry for the registry, means anonymous access. A file that cannot be
// read or parsed means anonymous access too, with a warning, as docker
// warns and goes on: an anonymous pull must not fail on a broken
// config.json.
type dockerConfigKeychain struct {
	// path is the config file; empty means the default location.
	path string
	// used, when not nil, records where the last credentials found came
	// from, for error messages.
	used *credSource
	// broken, when not nil, records why the config file was ignored (for
	// error messages) and warns about it once.
	broken *brokenConfig
}

// brokenConfig is a Docker config file that could not be read or parsed:
// the keychain ignored it and went on without credentials.
type brokenConfig struct {
	// warnings receives the warning, once; nil discards it.
	warnings io.Writer
	once     sync.Once
	mu       sync.Mutex
	why      string // "/root/.docker/config.json cannot be parsed (unexpected EOF)"
}

// ignore records that the config file path was ignored because it cannot
// be read or parsed (what) for err, and warns about it the first time.
func (b *brokenConfig) ignore(path, what string, err error) {
	if b == nil {
		return
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		err = pe.Err // the path is said already
	}
	why := fmt.Sprintf("%s cannot be %s (%v)", path, what, err)
	b.mu.Lock()
	b.why = why
	b.mu.Unlock()
	b.once.Do(func() {
		if b.warnings != nil {
			fmt.Fprintf(b.warnings, "drydock: warning: the Docker config file %s; ignoring it, pulling without credentials\n", why)
		}
	})
}

// String says why the config file was ignored, "" when it was not.
func (b *brokenConfig) String() string {
	if b == nil {
		return ""
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.why
}

// credSource describes where credentials came from: "the auths entry for
// registry.example.com in /root/.docker/config.json", or "" when none were
// found (anonymous).
type credSource struct {
	mu   sync.Mutex
	desc string
}

func (c *credSource) set(desc string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.desc = desc
	c.mu.Unlock()
}

func (c *credSource) String() string {
	if c == nil {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.desc
}

// file returns the config file k reads ("" when there is no home
// directory to find it in).
func (k dockerConfigKeychain) file() string {
	if k.path != "" {
		return k.path
	}
	return DefaultDockerConfig()
}

var _ authn.ContextKeychain = dockerConfigKeychain{}

// DefaultDockerConfig returns the Docker config file docker uses:
// $DOCKER_CONFIG/config.json, or ~/.docker/config.json.
func DefaultDockerConfig() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, config.ConfigFileName)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".docker", config.ConfigFileName)
}

func (k dockerConfigKeychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), target)
}

func (k dockerConfigKeychain) ResolveContext(_ context.Context, target authn.Resource) (authn.Authenticator, error) {
	k.used.set("")
	path := k.file()
	if path == "" {
		return authn.Anonymous, nil
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return authn.Anonymous, nil
		}
		k.broken.ignore(path, "read", err)
		return authn.Anonymous, nil
	}
	defer f.Close()
	cf, err := config.LoadFromReader(f)
	if err != nil {
		k.broken.ignore(path, "parsed", err)
		return authn.Anonymous, nil
	}
	cf.Filename = path
	var empty types.AuthConfig
	// Keys as docker writes them: the registry host, and for Docker Hub
	// its historical index URL.
	for _, key := range []string{target.String(), target.RegistryStr()} {
		if key == name.DefaultRegistry {
			key = authn.DefaultAuthKey
		}
		from := fmt.Sprintf("the auths entry for %s in %s", key, path)
		if h := cmp.Or(cf.CredentialHelpers[key], cf.CredentialsStore); h != "" {
			from = fmt.Sprintf("the credential helper docker-credential-%s named in %s", h, path)
		}
		cfg, err := cf.GetAuthConfig(key)
		if err != nil {
			return nil, fmt.Errorf("docker config: credentials for %s from %s: %w (fix the helper, or remove it from the config file)", key, from, err)
		}
		cfg.ServerAddress = ""
		if cfg != empty {
			k.used.set(from)
			return authn.FromConfig(authn.AuthConfig{
				Username:      cfg.Username,
				Password:      cfg.Password,
				Auth:          cfg.Auth,
				IdentityToken: cfg.IdentityToken,
				RegistryToken: cfg.RegistryToken,
			}), nil
		}
	}
	return authn.Anonymous, nil
}
