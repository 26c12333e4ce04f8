package handlers

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP is the caller's address: the TCP peer, unless the peer is a
// trusted proxy, in which case the right-most X-Forwarded-For address that
// is not itself a trusted proxy.
func (a *App) clientIP(r *http.Request) (netip.Addr, bool) {
	peer, ok := parseHostAddr(r.RemoteAddr)
	if !ok {
		return netip.Addr{}, false
	}
	if !a.trusted(peer) {
		return peer, true
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		addr, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer, true // a garbled header: fall back to the peer
		}
		addr = addr.Unmap()
		if !a.trusted(addr) {
			return addr, true
		}
	}
	return peer, true
}

func (a *App) trusted(addr netip.Addr) bool {
	for _, p := range a.cfg.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

func parseHostAddr(hostport string) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return addr.Unmap(), true
}
