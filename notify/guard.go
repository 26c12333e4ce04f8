package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Allowlist is the set of non-public networks outgoing webhooks may reach
// on top of the globally routable unicast addresses (-allow-webhook-nets).
type Allowlist struct {
	all      bool
	prefixes []netip.Prefix
}

// Named groups of -allow-webhook-nets.
var (
	loopbackNets = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	privateNets  = []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("fc00::/7"),
	}
)

// ParseAllowlist reads -allow-webhook-nets: a comma list of "loopback",
// "private" (RFC 1918 and IPv6 unique-local), CIDRs or addresses, or "all".
// "" allows only public addresses.
func ParseAllowlist(s string) (Allowlist, error) {
	var a Allowlist
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == "":
		case part == "all":
			a.all = true
		case part == "loopback":
			a.prefixes = append(a.prefixes, loopbackNets...)
		case part == "private":
			a.prefixes = append(a.prefixes, privateNets...)
		case strings.Contains(part, "/"):
			p, err := netip.ParsePrefix(part)
			if err != nil {
				return Allowlist{}, fmt.Errorf("-allow-webhook-nets: %q is not loopback, private, all or a CIDR", part)
			}
			a.prefixes = append(a.prefixes, p.Masked())
		default:
			ip, err := netip.ParseAddr(part)
			if err != nil {
				return Allowlist{}, fmt.Errorf("-allow-webhook-nets: %q is not loopback, private, all or a CIDR", part)
			}
			ip = ip.Unmap()
			a.prefixes = append(a.prefixes, netip.PrefixFrom(ip, ip.BitLen()))
		}
	}
	return a, nil
}

func (a Allowlist) allows(ip netip.Addr) bool {
	if a.all {
		return true
	}
	for _, p := range a.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// specialNets are the IPv4 ranges that are not globally routable unicast.
var specialNets4 = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "this network (0.0.0.0/8)"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private network"},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT (100.64.0.0/10)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (cloud metadata)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private network"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments (192.0.0.0/24)"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation (TEST-NET-1)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private network"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking (198.18.0.0/15)"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation (TEST-NET-2)"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation (TEST-NET-3)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved (240.0.0.0/4)"},
}

var (
	nat64Net  = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
	ulaNet    = netip.MustParsePrefix("fc00::/7")
	docNet6   = netip.MustParsePrefix("2001:db8::/32")
	// globalUnicast6 is where IPv6 global unicast addresses are allocated.
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
)

// embeddedIPv4 returns the IPv4 address inside an IPv4-mapped,
// IPv4-compatible, NAT64 or 6to4 address, which is judged in its place.
func embeddedIPv4(ip netip.Addr) (netip.Addr, bool) {
	if ip.Is4In6() {
		return ip.Unmap(), true
	}
	if !ip.Is6() {
		return netip.Addr{}, false
	}
	b := ip.As16()
	switch {
	case nat64Net.Contains(ip):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(ip):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	// IPv4-compatible ::a.b.c.d (deprecated): 96 zero bits, then IPv4.
	// "::" and "::1" are not, and are judged as themselves.
	for _, x := range b[:12] {
		if x != 0 {
			return netip.Addr{}, false
		}
	}
	if v4 := netip.AddrFrom4([4]byte(b[12:16])); v4.As4() != [4]byte{0, 0, 0, 0} && v4.As4() != [4]byte{0, 0, 0, 1} {
		return v4, true
	}
	return netip.Addr{}, false
}

// blockedReason says why ip is not a globally routable unicast address
// ("" when it is).
func blockedReason(ip netip.Addr) string {
	ip = ip.WithZone("")
	if v4, ok := embeddedIPv4(ip); ok {
		if r := blockedReason(v4); r != "" {
			return r + " inside an IPv6 address"
		}
		return ""
	}
	if ip.Is4() {
		for _, n := range specialNets4 {
			if n.prefix.Contains(ip) {
				return n.what
			}
		}
		if ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			return "broadcast"
		}
		return ""
	}
	switch {
	case ip.IsUnspecified():
		return "unspecified address (::)"
	case ip.IsLoopback():
		return "loopback"
	case ulaNet.Contains(ip):
		return "unique-local (fc00::/7)"
	case ip.IsLinkLocalUnicast():
		return "link-local (fe80::/10)"
	case ip.IsMulticast():
		return "multicast"
	case docNet6.Contains(ip):
		return "documentation (2001:db8::/32)"
	case !globalUnicast6.Contains(ip):
		return "reserved IPv6 range"
	}
	return ""
}

// BlockedError is an attempt refused because its target address is not
// allowed.
type BlockedError struct {
	Host   string
	Addr   netip.Addr
	Reason string
}

func (e *BlockedError) Error() string {
	if e.Host != "" && e.Host != e.Addr.String() {
		return fmt.Sprintf("%s resolves to %s (%s), which webhooks may not reach; see -allow-webhook-nets", e.Host, e.Addr, e.Reason)
	}
	return fmt.Sprintf("address %s (%s) is not allowed for webhooks; see -allow-webhook-nets", e.Addr, e.Reason)
}

// check refuses an address unless it is public or allowed.
func (a Allowlist) check(host string, ip netip.Addr) error {
	ip = ip.WithZone("")
	if a.allows(ip) {
		return nil
	}
	// An IPv4-mapped address is allowed as its IPv4 address, like the
	// other IPv6 forms that carry one.
	if v4, ok := embeddedIPv4(ip); ok && a.allows(v4) {
		return nil
	}
	if r := blockedReason(ip); r != "" {
		return &BlockedError{Host: host, Addr: ip, Reason: r}
	}
	return nil
}

// CheckURL refuses an endpoint URL whose host is a literal IP address the
// allowlist does not allow, with the dialer's own message, so that such an
// endpoint is refused when it is saved instead of failing every attempt. A
// host name passes: what it resolves to is checked when it is dialled.
func (a Allowlist) CheckURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil // the store refuses a URL that does not parse
	}
	ip, err := netip.ParseAddr(u.Hostname())
	if err != nil {
		return nil
	}
	return a.check("", ip)
}

// Resolver looks up a host's addresses; *net.Resolver is one. Tests pass
// their own to return private answers.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// guardedDialer resolves the host itself, refuses every address the
// allowlist does not allow, and dials the allowed addresses by IP; the
// dialer's Control hook checks the address actually connected to once
// more, so no later resolution (DNS rebinding) can slip past.
type guardedDialer struct {
	allow    Allowlist
	resolver Resolver
	dialer   *net.Dialer
}

func newGuardedDialer(allow Allowlist, resolver Resolver) *guardedDialer {
	g := &guardedDialer{allow: allow, resolver: resolver}
	if g.resolver == nil {
		g.resolver = net.DefaultResolver
	}
	g.dialer = &net.Dialer{
		KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("refusing to dial %q: %w", address, err)
			}
			return allow.check("", ap.Addr())
		},
	}
	return g
}

func (g *guardedDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip}
	} else {
		addrs, err = g.resolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, err
		}
	}
	var firstErr error
	for _, ip := range addrs {
		if err := g.allow.check(host, ip); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		conn, err := g.dialer.DialContext(ctx, network, net.JoinHostPort(ip.WithZone("").String(), port))
		if err == nil {
			return conn, nil
		}
		if firstErr == nil || errors.As(firstErr, new(*BlockedError)) {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("%s has no address", host)
	}
	return nil, firstErr
}
