package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hookboard/store"
)

// authFixture is a real App on a real database file, with a settable clock.
type authFixture struct {
	t     *testing.T
	store *store.Store
	app   *App
	h     http.Handler
	clock atomic.Int64 // unix nanoseconds, the store's and the App's
	// project is the one project tasks go to.
	project int64
	// lastHeader is the header of the latest answer.
	lastHeader http.Header
}

func newAuthFixture(t *testing.T, cfg Config) *authFixture {
	t.Helper()
	f := &authFixture{t: t}
	f.clock.Store(time.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, f.clock.Load()) }
	st, err := openTestStore(t, store.Options{UsageFlushEvery: time.Hour, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.store = st
	// A project is all the incoming URL needs (Bootstrap would spend a
	// bcrypt hash on an admin these tests never use).
	if f.project, err = st.CreateProject(context.Background(), "Default", "", 0); err != nil {
		t.Fatal(err)
	}
	f.app = New(Deps{
		Store:  st,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Config: cfg,
		Now:    now,
	})
	f.h = f.app.Routes()
	return f
}

func (f *authFixture) integration(in store.NewIntegration) (store.Integration, store.IntegrationSecrets) {
	f.t.Helper()
	if in.Name == "" {
		in.Name = "test"
	}
	created, secrets, err := f.store.CreateIntegration(context.Background(), in)
	if err != nil {
		f.t.Fatal(err)
	}
	return created, secrets
}

// incomingReq describes one call of the incoming URL.
type incomingReq struct {
	method string            // default GET, or POST with a form
	remote string            // TCP peer, default 192.0.2.10:40000
	query  url.Values        // sent in the query string
	form   url.Values        // sent as a form body (POST) when set
	header map[string]string // extra headers
}

// call sends the request through the route table and returns status and body.
func (f *authFixture) call(r incomingReq) (int, string) {
	f.t.Helper()
	q := url.Values{"controller": {"webhook"}, "action": {"task"}}
	for k, v := range r.query {
		q[k] = v
	}
	if q.Get("title") == "" && r.form.Get("title") == "" {
		q.Set("title", "from a script")
	}
	method, body := http.MethodGet, io.Reader(nil)
	if r.form != nil {
		method, body = http.MethodPost, strings.NewReader(r.form.Encode())
	}
	if r.method != "" {
		method = r.method
	}
	req := httptest.NewRequest(method, "/?"+q.Encode(), body)
	if r.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.RemoteAddr = "192.0.2.10:40000"
	if r.remote != "" {
		req.RemoteAddr = r.remote
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	f.lastHeader = rec.Header()
	return rec.Code, rec.Body.String()
}

func (f *authFixture) tasks() int64 {
	f.t.Helper()
	n, err := f.store.TaskCount(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// expectRefused asserts 401 "Not Authorized" and that no task was created.
func (f *authFixture) expectRefused(what string, r incomingReq) {
	f.t.Helper()
	before := f.tasks()
	code, body := f.call(r)
	if code != http.StatusUnauthorized || body != "Not Authorized" {
		f.t.Errorf("%s: got %d %q, want 401 %q", what, code, body, "Not Authorized")
	}
	if ct := f.lastHeader.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		f.t.Errorf("%s: Content-Type %q", what, ct)
	}
	if after := f.tasks(); after != before {
		f.t.Errorf("%s: refused request created %d task(s)", what, after-before)
	}
}

// expectAccepted asserts 200 "OK" and one more task.
func (f *authFixture) expectAccepted(what string, r incomingReq) {
	f.t.Helper()
	before := f.tasks()
	code, body := f.call(r)
	if code != http.StatusOK || body != "OK" {
		f.t.Errorf("%s: got %d %q, want 200 %q", what, code, body, "OK")
	}
	if after := f.tasks(); after != before+1 {
		f.t.Errorf("%s: accepted request created %d task(s), want 1", what, after-before)
	}
}

// usageToday flushes the usage batch and returns today's count.
func (f *authFixture) usageToday(id int64) int {
	f.t.Helper()
	if err := f.store.FlushUsage(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	all, err := f.store.IntegrationUsage(context.Background(), 1)
	if err != nil {
		f.t.Fatal(err)
	}
	return all[id][0].Count
}

func tokenQuery(token string) url.Values { return url.Values{"token": {token}} }

func proofFor(token, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(token))
	return hex.EncodeToString(mac.Sum(nil))
}

func TestIncomingRefusesMissingAndUnknownTokens(t *testing.T) {
	f := newAuthFixture(t, Config{})
	f.expectRefused("no token", incomingReq{})
	f.expectRefused("empty token", incomingReq{query: tokenQuery("")})
	f.expectRefused("unknown token", incomingReq{query: tokenQuery(store.PrefixIncoming + strings.Repeat("A", 43))})
	// A refused caller learns nothing about its parameters either.
	f.expectRefused("unknown token, bad parameters", incomingReq{query: url.Values{"token": {"nope"}, "project_id": {"x"}}})
}

func TestIncomingRefusesDisabledIntegration(t *testing.T) {
	f := newAuthFixture(t, Config{})
	in, sec := f.integration(store.NewIntegration{})
	ctx := context.Background()
	f.expectAccepted("enabled", incomingReq{query: tokenQuery(sec.Token)})
	if err := f.store.SetIntegrationEnabled(ctx, in.ID, false); err != nil {
		t.Fatal(err)
	}
	if code, _ := f.call(incomingReq{method: http.MethodHead, query: tokenQuery(sec.Token)}); code != http.StatusUnauthorized {
		t.Errorf("dry run (HEAD) just after the integration was disabled: %d, want 401", code)
	}
	f.expectRefused("disabled", incomingReq{query: tokenQuery(sec.Token)})
	f.expectRefused("disabled, asked again", incomingReq{query: tokenQuery(sec.Token)})
	if err := f.store.SetIntegrationEnabled(ctx, in.ID, true); err != nil {
		t.Fatal(err)
	}
	f.expectAccepted("enabled again", incomingReq{query: tokenQuery(sec.Token)})
	if n := f.usageToday(in.ID); n != 2 {
		t.Errorf("usage today = %d, want 2 (refusals are not counted)", n)
	}
}

// The CLI changes integrations from another process, on the same file: the
// running server follows on the very next request.
func TestIncomingFollowsIntegrationChangesOfAnotherProcess(t *testing.T) {
	f := newAuthFixture(t, Config{})
	in, sec := f.integration(store.NewIntegration{})
	ctx := context.Background()
	cli, err := openAgain(f.store, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	f.expectAccepted("enabled", incomingReq{query: tokenQuery(sec.Token)})
	if err := cli.SetIntegrationEnabled(ctx, in.ID, false); err != nil {
		t.Fatal(err)
	}
	f.expectRefused("disabled by another process", incomingReq{query: tokenQuery(sec.Token)})
	if err := cli.SetIntegrationEnabled(ctx, in.ID, true); err != nil {
		t.Fatal(err)
	}
	f.expectAccepted("enabled again by another process", incomingReq{query: tokenQuery(sec.Token)})
	fresh, err := cli.RegenerateIntegration(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.expectRefused("token regenerated by another process", incomingReq{query: tokenQuery(sec.Token)})
	f.expectAccepted("the new token", incomingReq{query: tokenQuery(fresh.Token)})
}

func TestIncomingRefusesExpiredIntegration(t *testing.T) {
	f := newAuthFixture(t, Config{})
	in, sec := f.integration(store.NewIntegration{ExpiresIn: time.Hour})
	f.expectAccepted("before expiry", incomingReq{query: tokenQuery(sec.Token)})
	f.clock.Store(time.Unix(in.ExpiresAt, 0).Add(-time.Second).UnixNano())
	f.expectAccepted("one second before expiry", incomingReq{query: tokenQuery(sec.Token)})
	f.clock.Store(time.Unix(in.ExpiresAt, 0).UnixNano())
	f.expectRefused("at expiry", incomingReq{query: tokenQuery(sec.Token)})
	f.clock.Add(int64(24 * time.Hour))
	f.expectRefused("a day after expiry", incomingReq{query: tokenQuery(sec.Token)})
}

func TestIncomingRefusesDeletedIntegration(t *testing.T) {
	f := newAuthFixture(t, Config{})
	in, sec := f.integration(store.NewIntegration{})
	f.expectAccepted("before delete", incomingReq{query: tokenQuery(sec.Token)})
	if err := f.store.DeleteIntegration(context.Background(), in.ID); err != nil {
		t.Fatal(err)
	}
	f.expectRefused("deleted", incomingReq{query: tokenQuery(sec.Token)})
	if err := f.store.FlushUsage(context.Background()); err != nil {
		t.Fatalf("flushing the usage of a deleted integration: %v", err)
	}
}

func TestIncomingRefusesRegeneratedAwayToken(t *testing.T) {
	f := newAuthFixture(t, Config{})
	in, old := f.integration(store.NewIntegration{})
	f.expectAccepted("old token before regenerate", incomingReq{query: tokenQuery(old.Token)})
	fresh, err := f.store.RegenerateIntegration(context.Background(), in.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.expectRefused("old token after regenerate", incomingReq{query: tokenQuery(old.Token)})
	f.expectAccepted("new token", incomingReq{query: tokenQuery(fresh.Token)})
}

func TestIncomingRefusesAPIToken(t *testing.T) {
	f := newAuthFixture(t, Config{})
	_, api := f.integration(store.NewIntegration{Kind: store.KindAPI})
	f.expectRefused("api token in query", incomingReq{query: tokenQuery(api.Token)})
	f.expectRefused("api token in body", incomingReq{form: url.Values{"token": {api.Token}, "title": {"t"}}})
}

func TestIncomingAllowedIPs(t *testing.T) {
	f := newAuthFixture(t, Config{})
	ips, err := store.ParseAllowedIPs("10.0.0.0/8, 2001:db8::/32, 198.51.100.7")
	if err != nil {
		t.Fatal(err)
	}
	in, sec := f.integration(store.NewIntegration{AllowedIPs: ips})
	q := tokenQuery(sec.Token)
	accepted := []string{"10.1.2.3:5000", "10.255.255.255:1", "[2001:db8::5]:5000", "[2001:db8:ffff::1]:443",
		"198.51.100.7:80", "[::ffff:10.9.9.9]:5000"}
	refused := []string{"11.0.0.1:5000", "198.51.100.8:80", "127.0.0.1:5000", "[2001:db9::1]:5000", "[::1]:5000",
		"[::ffff:11.0.0.1]:5000", "[fe80::1]:5000"}
	for _, remote := range accepted {
		f.expectAccepted("allowed peer "+remote, incomingReq{remote: remote, query: q})
	}
	for _, remote := range refused {
		f.expectRefused("peer "+remote, incomingReq{remote: remote, query: q})
	}
	if n := f.usageToday(in.ID); n != len(accepted) {
		t.Errorf("usage today = %d, want %d", n, len(accepted))
	}
}

func TestIncomingAllowedIPsThroughRealServer(t *testing.T) {
	f := newAuthFixture(t, Config{})
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	loopback, _ := store.ParseAllowedIPs("127.0.0.0/8")
	other, _ := store.ParseAllowedIPs("10.0.0.0/8,2001:db8::/32")
	_, okSec := f.integration(store.NewIntegration{AllowedIPs: loopback})
	_, noSec := f.integration(store.NewIntegration{AllowedIPs: other})
	get := func(token string) (int, string) {
		resp, err := http.Get(srv.URL + "/?controller=webhook&action=task&title=t&token=" + url.QueryEscape(token))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(okSec.Token); code != 200 || body != "OK" {
		t.Errorf("loopback allow-list from 127.0.0.1: %d %q", code, body)
	}
	if code, body := get(noSec.Token); code != 401 || body != "Not Authorized" {
		t.Errorf("10.0.0.0/8 allow-list from 127.0.0.1: %d %q", code, body)
	}
}

func TestIncomingSecretProof(t *testing.T) {
	f := newAuthFixture(t, Config{})
	in, sec := f.integration(store.NewIntegration{RequireProof: true})
	_, other := f.integration(store.NewIntegration{RequireProof: true})
	if sec.AppSecret == "" {
		t.Fatal("no app secret for an integration that requires proof")
	}
	good := proofFor(sec.Token, sec.AppSecret)
	withProof := func(p string) url.Values { return url.Values{"token": {sec.Token}, "appsecret_proof": {p}} }

	f.expectRefused("no proof", incomingReq{query: tokenQuery(sec.Token)})
	f.expectRefused("empty proof", incomingReq{query: withProof("")})
	f.expectRefused("proof keyed with another secret", incomingReq{query: withProof(proofFor(sec.Token, other.AppSecret))})
	f.expectRefused("proof of another token", incomingReq{query: withProof(proofFor(other.Token, sec.AppSecret))})
	f.expectRefused("proof keyed with the token itself", incomingReq{query: withProof(proofFor(sec.Token, sec.Token))})
	f.expectRefused("truncated proof", incomingReq{query: withProof(good[:32])})
	f.expectRefused("not hex", incomingReq{query: withProof(strings.Repeat("z", 64))})
	f.expectRefused("wrong header", incomingReq{query: tokenQuery(sec.Token),
		header: map[string]string{"X-Hookboard-Proof": proofFor(sec.Token, other.AppSecret)}})
	f.expectRefused("wrong proof in body", incomingReq{form: url.Values{"token": {sec.Token}, "title": {"t"},
		"appsecret_proof": {proofFor(other.Token, other.AppSecret)}}})

	f.expectAccepted("proof parameter", incomingReq{query: withProof(good)})
	f.expectAccepted("proof parameter, upper-case hex", incomingReq{query: withProof(strings.ToUpper(good))})
	f.expectAccepted("proof header", incomingReq{query: tokenQuery(sec.Token), header: map[string]string{"X-Hookboard-Proof": good}})
	f.expectAccepted("proof in form body", incomingReq{form: url.Values{"token": {sec.Token}, "title": {"t"}, "appsecret_proof": {good}}})

	// Regenerating replaces the app secret too: the old proof stops working.
	fresh, err := f.store.RegenerateIntegration(context.Background(), in.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.expectRefused("new token with the old secret's proof", incomingReq{query: url.Values{"token": {fresh.Token},
		"appsecret_proof": {proofFor(fresh.Token, sec.AppSecret)}}})
	f.expectAccepted("new token with the new proof", incomingReq{query: url.Values{"token": {fresh.Token},
		"appsecret_proof": {proofFor(fresh.Token, fresh.AppSecret)}}})
}

// TestIncomingTrustedProxies checks which address the allow-list sees: the
// TCP peer, or X-Forwarded-For only when the peer is a trusted proxy.
func TestIncomingTrustedProxies(t *testing.T) {
	proxies, _ := store.ParseAllowedIPs("192.0.2.1, 2001:db8:ffff::/48")
	f := newAuthFixture(t, Config{TrustedProxies: proxies})
	allowed, _ := store.ParseAllowedIPs("203.0.113.0/24, 2001:db8:1::/48")
	_, sec := f.integration(store.NewIntegration{AllowedIPs: allowed})
	q := tokenQuery(sec.Token)
	xff := func(v string) map[string]string { return map[string]string{"X-Forwarded-For": v} }

	f.expectRefused("untrusted peer claiming an allowed address",
		incomingReq{remote: "198.51.100.9:1000", query: q, header: xff("203.0.113.5")})
	f.expectAccepted("trusted proxy forwarding an allowed address",
		incomingReq{remote: "192.0.2.1:1000", query: q, header: xff("203.0.113.5")})
	f.expectAccepted("trusted IPv6 proxy forwarding an allowed IPv6 address",
		incomingReq{remote: "[2001:db8:ffff::2]:1000", query: q, header: xff("2001:db8:1::42")})
	f.expectRefused("trusted proxy forwarding a refused address",
		incomingReq{remote: "192.0.2.1:1000", query: q, header: xff("198.51.100.9")})
	// The client may prepend anything; only what the trusted proxy appended counts.
	f.expectRefused("spoofed left-most hop",
		incomingReq{remote: "192.0.2.1:1000", query: q, header: xff("203.0.113.5, 198.51.100.9")})
	f.expectAccepted("chain of trusted proxies",
		incomingReq{remote: "192.0.2.1:1000", query: q, header: xff("198.51.100.9, 203.0.113.5, 2001:db8:ffff::7")})
}

// TestIncomingRefusesPersonalToken: a personal access token is for the
// API only; on the incoming URL it is refused like any unknown token,
// valid, expired or deleted.
func TestIncomingRefusesPersonalToken(t *testing.T) {
	f := newAuthFixture(t, Config{})
	ctx := context.Background()
	u, err := f.store.CreateUser(ctx, "dave", "dave's password", true)
	if err != nil {
		t.Fatal(err)
	}
	joinAll(t, f.store, u)
	pat, tok, err := f.store.CreatePersonalToken(ctx, u.ID, "laptop", 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	f.expectRefused("valid personal token in the query", incomingReq{query: tokenQuery(tok)})
	f.expectRefused("valid personal token in the body", incomingReq{form: url.Values{"token": {tok}, "title": {"t"}}})
	f.expectRefused("valid personal token as Bearer", incomingReq{header: map[string]string{"Authorization": "Bearer " + tok}})
	f.expectAPIAccepted("the same token on the API", apiReq{auth: headerAuth("Token", tok)})
	f.clock.Store(time.Unix(pat.ExpiresAt, 0).UnixNano())
	f.expectRefused("expired personal token", incomingReq{query: tokenQuery(tok)})
	if err := f.store.DeletePersonalToken(ctx, pat.ID, 0); err != nil {
		t.Fatal(err)
	}
	f.expectRefused("deleted personal token", incomingReq{query: tokenQuery(tok)})
}

// TestIncomingUseCountsAuthenticatedRequests: every request whose token
// passes counts as a use of its integration, a bad request and a dry run
// (HEAD) included; a refused one does not.
func TestIncomingUseCountsAuthenticatedRequests(t *testing.T) {
	f := newAuthFixture(t, Config{})
	in, sec := f.integration(store.NewIntegration{})
	f.expectAccepted("a task", incomingReq{query: tokenQuery(sec.Token)})
	if code, body := f.call(incomingReq{query: url.Values{"token": {sec.Token}, "project_id": {"x"}}}); code != http.StatusBadRequest {
		t.Fatalf("bad request: %d %q", code, body)
	}
	dry := httptest.NewRequest(http.MethodHead, "/webhook/task?"+url.Values{"token": {sec.Token}, "title": {"dry"}}.Encode(), nil)
	dry.RemoteAddr = "192.0.2.10:40000"
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, dry)
	if rec.Code != http.StatusOK {
		t.Fatalf("dry run: %d", rec.Code)
	}
	if err := f.store.SetIntegrationEnabled(context.Background(), in.ID, false); err != nil {
		t.Fatal(err)
	}
	f.expectRefused("disabled", incomingReq{query: tokenQuery(sec.Token)})
	if n := f.usageToday(in.ID); n != 3 {
		t.Errorf("usage today = %d, want 3 (a task, a bad request, a dry run; not the refusal)", n)
	}
}
