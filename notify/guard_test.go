package notify

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"hookboard/store"
)

// fakeResolver answers from a table, like a DNS server an attacker controls.
type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestGuardRefusesNonPublicTargets(t *testing.T) {
	resolver := fakeResolver{
		"internal.example":  {netip.MustParseAddr("10.1.2.3")},
		"metadata.example":  {netip.MustParseAddr("169.254.169.254")},
		"rebind.example":    {netip.MustParseAddr("127.0.0.1")},
		"mixed.example":     {netip.MustParseAddr("192.168.1.1"), netip.MustParseAddr("fd00::1")},
		"public-v6.example": {netip.MustParseAddr("::ffff:10.0.0.1")},
	}
	g := newGuardedDialer(Allowlist{}, resolver)
	cases := []struct{ name, host, reason string }{
		{"loopback", "127.0.0.1", "loopback"},
		{"loopback other", "127.9.9.9", "loopback"},
		{"private 10", "10.0.0.1", "private"},
		{"private 172", "172.16.5.4", "private"},
		{"private 192", "192.168.0.10", "private"},
		{"link-local metadata", "169.254.169.254", "link-local"},
		{"CGNAT", "100.64.0.1", "carrier-grade NAT"},
		{"this network", "0.0.0.0", "this network"},
		{"IETF", "192.0.0.8", "IETF"},
		{"benchmarking", "198.18.0.1", "benchmarking"},
		{"multicast", "224.0.0.1", "multicast"},
		{"reserved", "240.0.0.1", "reserved"},
		{"broadcast", "255.255.255.255", "reserved"},
		{"IPv6 unspecified", "::", "unspecified"},
		{"IPv6 loopback", "::1", "loopback"},
		{"ULA", "fd12:3456::1", "unique-local"},
		{"IPv6 link-local", "fe80::1", "link-local"},
		{"IPv6 multicast", "ff02::1", "multicast"},
		{"IPv4-mapped loopback", "::ffff:127.0.0.1", "loopback inside"},
		{"IPv4-mapped private", "::ffff:10.0.0.1", "private network inside"},
		{"IPv4-compatible", "::10.0.0.1", "private network inside"},
		{"IPv4-compatible loopback", "::127.0.0.1", "loopback inside"},
		{"NAT64", "64:ff9b::a9fe:a9fe", "link-local (cloud metadata) inside"},
		{"NAT64 loopback", "64:ff9b::127.0.0.1", "loopback inside"},
		{"6to4", "2002:c0a8:0101::1", "private network inside"},
		{"6to4 loopback", "2002:7f00:1::1", "loopback inside"},
		{"DNS answer private", "internal.example", "private network"},
		{"DNS answer metadata", "metadata.example", "link-local"},
		{"DNS rebinding to loopback", "rebind.example", "loopback"},
		{"every answer private", "mixed.example", "private network"},
		{"DNS answer mapped", "public-v6.example", "inside"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			conn, err := g.DialContext(ctx, "tcp", net.JoinHostPort(tc.host, "80"))
			if err == nil {
				conn.Close()
				t.Fatalf("dial to %s was allowed", tc.host)
			}
			var be *BlockedError
			if !errors.As(err, &be) {
				t.Fatalf("dial to %s: %v, want a BlockedError", tc.host, err)
			}
			if !strings.Contains(be.Error(), tc.reason) || !strings.Contains(be.Error(), "-allow-webhook-nets") {
				t.Errorf("reason %q, want it to mention %q", be.Error(), tc.reason)
			}
		})
	}
}

func TestGuardAllowsPublicAddresses(t *testing.T) {
	for _, s := range []string{"8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:0808:0808::1", "100.128.0.1"} {
		if r := blockedReason(netip.MustParseAddr(s)); r != "" {
			t.Errorf("%s refused (%s), want allowed", s, r)
		}
	}
}

func TestAllowlistWidensTheGuard(t *testing.T) {
	cases := []struct {
		list, addr string
		allowed    bool
	}{
		{"", "127.0.0.1", false},
		{"loopback", "127.0.0.1", true},
		{"loopback", "::1", true},
		{"loopback", "::ffff:127.0.0.1", true},
		{"loopback", "10.0.0.1", false},
		{"private", "10.0.0.1", true},
		{"private", "192.168.3.3", true},
		{"private", "fd00::5", true},
		{"private", "169.254.169.254", false},
		{"private", "127.0.0.1", false},
		{"10.20.0.0/16", "10.20.1.1", true},
		{"10.20.0.0/16", "10.21.1.1", false},
		{"loopback, 192.168.1.7", "192.168.1.7", true},
		{"all", "169.254.169.254", true},
	}
	for _, tc := range cases {
		a, err := ParseAllowlist(tc.list)
		if err != nil {
			t.Fatal(err)
		}
		err = a.check("", netip.MustParseAddr(tc.addr))
		if (err == nil) != tc.allowed {
			t.Errorf("allow %q, %s: err %v, want allowed=%v", tc.list, tc.addr, err, tc.allowed)
		}
	}
	for _, bad := range []string{"lan", "10.0.0.0/33", "not-an-ip"} {
		if _, err := ParseAllowlist(bad); err == nil {
			t.Errorf("ParseAllowlist(%q) accepted", bad)
		}
	}
}

// TestDeliveryToLoopbackNeedsAllowlist goes through the whole notifier: a
// receiver on 127.0.0.1 is refused by default (and the refusal recorded),
// reached with "loopback" allowed; a 302 is a failed attempt.
func TestDeliveryToLoopbackNeedsAllowlist(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	rc := newReceiver(t)
	ep, _ := addEndpoint(t, db.st, store.NewEndpoint{URL: rc.URL()})

	strict, err := New(Options{Store: db.st, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer strict.Stop(ctx)
	d, err := strict.Test(ctx, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rc.requests()) != 0 {
		t.Fatal("the default guard let a request reach 127.0.0.1")
	}
	if d.Status != store.DeliveryFailed || !strings.Contains(d.Attempts[0].Error, "127.0.0.1 (loopback) is not allowed") {
		t.Fatalf("refused test delivery: %+v %+v", d, d.Attempts)
	}

	open := newTestNotifier(t, db.st, c, 10*time.Second)
	d, err = open.Test(ctx, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != store.DeliveryDelivered || len(rc.requests()) != 1 || rc.requests()[0].Header.Get("X-Hookboard-Event") != "webhook.test" {
		t.Fatalf("with loopback allowed: %+v, receiver got %d", d, len(rc.requests()))
	}

	// The redirect points back at the same (allowed) receiver: a client
	// that followed it would make more requests there.
	rc.status = func(int) (int, http.Header) {
		return http.StatusFound, http.Header{"Location": {rc.srv.URL + "/moved"}}
	}
	open.Deliver(ctx, createTask(t, db.st, "redirected"))
	list, err := db.st.Deliveries(ctx, ep.ID, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	d, _ = db.st.Delivery(ctx, list[0].ID)
	wantErr := "HTTP 302: redirects are not followed (Location: " + rc.srv.URL + "/moved)"
	if d.Status != store.DeliveryPending || d.LastStatus != 302 || d.Attempts[0].Error != wantErr {
		t.Fatalf("302: %+v %+v", d, d.Attempts)
	}
	if got := len(rc.requests()); got != 2 {
		t.Errorf("receiver got %d requests, want 2 (the redirect was followed?)", got)
	}
}

// TestHostnameResolvingPrivateIsRefused goes through the whole notifier
// with a resolver that answers like an attacker's DNS: the endpoint's
// hostname resolves to the loopback address where a real receiver listens.
// By default the attempt is refused at dial time and recorded as such;
// with loopback allowed the same URL is delivered, so the refusal came
// from the address the name resolved to, not from the URL.
func TestHostnameResolvingPrivateIsRefused(t *testing.T) {
	c := newClock()
	db := openDB(t, c)
	ctx := context.Background()
	rc := newReceiver(t)
	_, port, err := net.SplitHostPort(rc.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	resolver := fakeResolver{"hooks.partner.example": {netip.MustParseAddr("127.0.0.1")}}
	ep, _ := addEndpoint(t, db.st, store.NewEndpoint{URL: "http://hooks.partner.example:" + port + "/hook"})

	strict, err := New(Options{Store: db.st, Now: c.Now, Resolver: resolver})
	if err != nil {
		t.Fatal(err)
	}
	defer strict.Stop(ctx)
	d, err := strict.Test(ctx, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rc.requests()) != 0 {
		t.Fatal("a hostname resolving to 127.0.0.1 reached the receiver by default")
	}
	want := "hooks.partner.example resolves to 127.0.0.1 (loopback), which webhooks may not reach; see -allow-webhook-nets"
	if d.Status != store.DeliveryFailed || len(d.Attempts) != 1 || d.Attempts[0].Error != want {
		t.Fatalf("refused delivery: %+v, attempts %+v; want error %q", d, d.Attempts, want)
	}

	allow, err := ParseAllowlist("loopback")
	if err != nil {
		t.Fatal(err)
	}
	open, err := New(Options{Store: db.st, Now: c.Now, Resolver: resolver, Allow: allow})
	if err != nil {
		t.Fatal(err)
	}
	defer open.Stop(ctx)
	if d, err = open.Redeliver(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	got := rc.requests()
	if len(got) != 1 || got[0].Header.Get("X-Hookboard-Event") != store.EventWebhookTest {
		t.Fatalf("with loopback allowed the receiver got %d requests", len(got))
	}
	if a := d.Attempts[len(d.Attempts)-1]; a.ResponseStatus != http.StatusOK || a.Error != "" {
		t.Errorf("allowed attempt: %+v", a)
	}
}
