package source

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// registryError is a failed registry request explained: Error says what
// happened and what to do about it, in terms of the reference the user
// gave; the sentinel (ErrNotFound, when set) and the underlying error stay
// reachable with errors.Is and errors.As.
type registryError struct {
	msg      string
	sentinel error
	err      error
}

func (e *registryError) Error() string { return e.msg }

func (e *registryError) Unwrap() []error {
	if e.sentinel != nil {
		return []error{e.sentinel, e.err}
	}
	return []error{e.err}
}

// explain turns the error of a request for ref (a manifest, or with blob
// set a config or layer) into a registryError. creds describes where the
// credentials sent came from ("" for none); config is the Docker config
// file they were looked up in, and broken why it was ignored ("" when it
// was read).
func explain(ref name.Reference, blob bool, creds, config, broken string, err error) error {
	host := ref.Context().RegistryStr()
	repo := ref.Context().RepositoryStr()
	// First: on a local address the plain HTTP attempt that follows a
	// failed TLS one gets an answer (400) that would hide the reason.
	var cve *tls.CertificateVerificationError
	if errors.As(err, &cve) {
		return &registryError{msg: fmt.Sprintf("%s: the TLS certificate of %s is not trusted (%v): "+
			"add the CA that issued it to the system's trust store, or point SSL_CERT_FILE (a PEM file) or SSL_CERT_DIR at it; "+
			"--insecure skips the check", ref, host, cve.Err), err: err}
	}
	var te *transport.Error
	if errors.As(err, &te) {
		resp := responseSummary(te)
		switch te.StatusCode {
		case http.StatusNotFound:
			var what string
			switch {
			case hasCode(te, transport.NameUnknownErrorCode):
				what = fmt.Sprintf("repository %s does not exist on %s", repo, host)
			case blob:
				what = fmt.Sprintf("%s does not have blob %s (the image is incomplete in the registry)", host, ref.Identifier())
			case strings.HasPrefix(ref.Identifier(), "sha256:") || strings.HasPrefix(ref.Identifier(), "sha512:"):
				what = fmt.Sprintf("%s/%s has no manifest %s (or the repository does not exist)", host, repo, ref.Identifier())
			default:
				what = fmt.Sprintf("%s/%s has no tag %q (or the repository does not exist)", host, repo, ref.Identifier())
			}
			return &registryError{msg: fmt.Sprintf("%s: not found: %s [%s]", ref, what, resp), sentinel: ErrNotFound, err: err}
		case http.StatusUnauthorized, http.StatusForbidden:
			var what string
			switch {
			case creds == "" && broken != "":
				what = fmt.Sprintf("%s asks for credentials, and none were sent: the Docker config file %s: "+
					"fix the file (or remove it and sign in again with 'docker login %s'), or set DOCKER_CONFIG to the directory of a valid config.json",
					host, broken, host)
			case creds == "":
				what = fmt.Sprintf("%s asks for credentials and the Docker config file %s has none for it: "+
					"sign in with 'docker login %s', or set DOCKER_CONFIG to the directory of a config.json that has them", host, config, host)
			case te.StatusCode == http.StatusForbidden:
				what = fmt.Sprintf("%s refused access to %s with the credentials from %s: check that this account may pull it", host, repo, creds)
			default:
				what = fmt.Sprintf("%s rejected the credentials from %s: sign in again with 'docker login %s'", host, creds, host)
			}
			return &registryError{msg: fmt.Sprintf("%s: %s (registries also answer so when the repository does not exist) [%s]", ref, what, resp), err: err}
		}
		return &registryError{msg: fmt.Sprintf("%s: %s", ref, resp), err: err}
	}
	if errors.Is(err, http.ErrSchemeMismatch) {
		return &registryError{msg: fmt.Sprintf("%s: %s answers plain HTTP, not HTTPS: pass --insecure to pull from it over HTTP", ref, host), err: err}
	}
	if strings.Contains(err.Error(), "invalid realm in www-authenticate") {
		// go-containerregistry refuses a token service at a private or
		// loopback IP address other than the registry's own host:port
		// (a registry could aim the client at internal services); its
		// error has no type to test for.
		return &registryError{msg: fmt.Sprintf("%s: %s sends clients for tokens to an address drydock does not trust (%v): "+
			"configure the registry's token realm with a host name, or with the registry's own host and port", ref, host, err), err: err}
	}
	if errors.Is(err, errNoAnswer) {
		return &registryError{msg: fmt.Sprintf("%s: the registry %s accepted the connection but did not answer: "+
			"check that it is running and healthy, and the proxy settings (HTTPS_PROXY, NO_PROXY): %v", ref, host, err), err: err}
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	if errors.As(err, &dnsErr) || (errors.As(err, &opErr) && opErr.Op == "dial") {
		return &registryError{msg: fmt.Sprintf("%s: cannot reach the registry %s: check its name and port, that it is running, "+
			"and the proxy settings (HTTPS_PROXY, NO_PROXY): %v", ref, host, err), err: err}
	}
	return fmt.Errorf("%s: %w", ref, err)
}

// responseSummary is the request and the registry's answer, without the
// error details (a dump of Go maps in go-containerregistry's message).
func responseSummary(te *transport.Error) string {
	var b strings.Builder
	if te.Request != nil {
		fmt.Fprintf(&b, "%s %s: ", te.Request.Method, te.Request.URL.Redacted())
	}
	fmt.Fprintf(&b, "%d %s", te.StatusCode, http.StatusText(te.StatusCode))
	for _, d := range te.Errors {
		fmt.Fprintf(&b, ", %s", d.Code)
		if d.Message != "" {
			fmt.Fprintf(&b, ": %s", d.Message)
		}
	}
	return b.String()
}

func hasCode(te *transport.Error, code transport.ErrorCode) bool {
	for _, d := range te.Errors {
		if d.Code == code {
			return true
		}
	}
	return false
}
