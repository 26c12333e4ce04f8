package handlers

import (
	"net/http"
	"net/netip"
	"testing"
)

// FuzzClientIP feeds arbitrary peer addresses and X-Forwarded-For headers to
// the client address an integration's IP allowlist is checked against. A
// caller that is not a trusted proxy must get its own TCP address whatever
// it writes in the header; behind a trusted proxy the answer is the peer or
// an address from the header that is not itself a trusted proxy.
func FuzzClientIP(f *testing.F) {
	f.Add("203.0.113.7:5000", "10.0.0.1")
	f.Add("127.0.0.1:1234", "198.51.100.9, 127.0.0.1")
	f.Add("127.0.0.1:1234", "garbage, 198.51.100.9")
	f.Add("[::1]:80", "2001:db8::1,::ffff:192.0.2.1")
	f.Add("127.0.0.1:9", ",,,")
	f.Add("not an address", "198.51.100.9")
	a := New(Deps{Config: Config{TrustedProxies: []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"),
	}}})
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := &http.Request{RemoteAddr: remote, Header: http.Header{}}
		r.Header.Set("X-Forwarded-For", xff)
		got, ok := a.clientIP(r)
		peer, peerOK := parseHostAddr(remote)
		if ok != peerOK {
			t.Fatalf("remote %q: ok = %v, want %v", remote, ok, peerOK)
		}
		if !ok {
			return
		}
		if !a.trusted(peer) {
			if got != peer {
				t.Fatalf("untrusted peer %q with X-Forwarded-For %q: got %v, want the peer", remote, xff, got)
			}
			return
		}
		if got != peer && a.trusted(got) {
			t.Fatalf("peer %q, X-Forwarded-For %q: got trusted proxy %v as the client", remote, xff, got)
		}
		if got.Is4In6() {
			t.Fatalf("got %v: IPv4-mapped addresses must be unmapped before allowlists see them", got)
		}
	})
}
