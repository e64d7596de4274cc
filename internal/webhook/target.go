package webhook

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// ErrForbiddenTarget is returned for a webhook URL (at registration) or a
// connection (at delivery) that points at a loopback, private, link-local
// or otherwise internal address while such targets are not allowed.
var ErrForbiddenTarget = errors.New("webhook target not allowed")

// maxURLLength bounds a webhook URL.
const maxURLLength = 2048

// internalPrefixes are ranges netip's predicates do not cover but that are
// not the public internet either.
var internalPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),     // "this network"
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT, cloud internal
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),   // reserved, broadcast
	netip.MustParsePrefix("64:ff9b::/96"),  // NAT64 (may embed an internal IPv4)
}

// checkAddr refuses internal addresses.
func checkAddr(ip netip.Addr) error {
	ip = ip.Unmap()
	switch {
	case ip.IsLoopback(), ip.IsPrivate(), ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(),
		ip.IsInterfaceLocalMulticast(), ip.IsMulticast(), ip.IsUnspecified():
		return fmt.Errorf("%w: %s is a loopback, private, link-local, multicast or unspecified address", ErrForbiddenTarget, ip)
	}
	for _, p := range internalPrefixes {
		if p.Contains(ip) {
			return fmt.Errorf("%w: %s is in the internal range %s", ErrForbiddenTarget, ip, p)
		}
	}
	return nil
}

// validateURL checks a webhook URL at registration: absolute http(s), a
// host, no credentials or fragment and, unless allowPrivate, no literal
// internal address or localhost name. Names that resolve to internal
// addresses are refused when connecting (see dialControl), which also
// defeats DNS rebinding.
func validateURL(raw string, allowPrivate bool) error {
	if raw == "" {
		return fmt.Errorf("%w: url is required", ErrInvalid)
	}
	if len(raw) > maxURLLength {
		return fmt.Errorf("%w: url longer than %d bytes", ErrInvalid, maxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: url: %v", ErrInvalid, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: url scheme must be http or https, not %q", ErrInvalid, u.Scheme)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%w: url has no host", ErrInvalid)
	}
	if u.User != nil {
		return fmt.Errorf("%w: url must not carry credentials; verify deliveries by their signature", ErrInvalid)
	}
	if u.Fragment != "" || u.RawFragment != "" {
		return fmt.Errorf("%w: url must not have a fragment", ErrInvalid)
	}
	if allowPrivate {
		return nil
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("%w: %s is a loopback name", ErrForbiddenTarget, host)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return checkAddr(ip)
	}
	return nil
}

// dialControl is a net.Dialer Control function that refuses connections to
// internal addresses: it sees the address actually dialled, after name
// resolution.
func dialControl(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenTarget, address)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenTarget, address)
	}
	return checkAddr(ip)
}
