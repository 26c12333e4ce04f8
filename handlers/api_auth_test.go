package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"hookboard/store"
)

// apiReq describes one JSON-RPC call's credentials and origin.
type apiReq struct {
	remote string  // TCP peer, default 192.0.2.10:40000
	auth   rpcAuth // sets the credentials
	header map[string]string
}

// createTaskRPC calls createTask and returns status and body.
func (f *authFixture) createTaskRPC(r apiReq) (int, string) {
	f.t.Helper()
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "createTask",
		"params": map[string]any{"project_id": f.project, "title": "from the API"}})
	code, header, reply := f.rpc(r, string(body))
	f.lastHeader = header
	return code, reply
}

// expectAPIRefused asserts Kanboard's 401 reply and that nothing was written.
func (f *authFixture) expectAPIRefused(what string, r apiReq) {
	f.t.Helper()
	before := f.tasks()
	code, body := f.createTaskRPC(r)
	if code != http.StatusUnauthorized || body != rpcUnauthorizedBody {
		f.t.Errorf("%s: got %d %s, want 401 %s", what, code, body, rpcUnauthorizedBody)
	}
	if www, ct := f.lastHeader.Get("WWW-Authenticate"), f.lastHeader.Get("Content-Type"); www != `Basic realm="JsonRPC"` || ct != "application/json" {
		f.t.Errorf("%s: WWW-Authenticate %q, Content-Type %q", what, www, ct)
	}
	if after := f.tasks(); after != before {
		f.t.Errorf("%s: refused call created %d task(s)", what, after-before)
	}
}

// expectAPIAccepted asserts that createTask answered a task id and made the task.
func (f *authFixture) expectAPIAccepted(what string, r apiReq) {
	f.t.Helper()
	before := f.tasks()
	code, body := f.createTaskRPC(r)
	var reply struct {
		Result int64           `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &reply); code != http.StatusOK || err != nil || reply.Result <= 0 || reply.Error != nil {
		f.t.Errorf("%s: got %d %s, want 200 with a task id", what, code, body)
	}
	if after := f.tasks(); after != before+1 {
		f.t.Errorf("%s: accepted call created %d task(s), want 1", what, after-before)
	}
}

func TestAPIRefusesIntegrationStates(t *testing.T) {
	f := newAuthFixture(t, Config{})
	ctx := context.Background()
	in, sec := f.integration(store.NewIntegration{Kind: store.KindAPI, ExpiresIn: time.Hour})
	app := apiReq{auth: basicAuth("jsonrpc", sec.Token)}

	f.expectAPIRefused("no credentials", apiReq{})
	f.expectAPIRefused("unknown application token", apiReq{auth: basicAuth("jsonrpc", store.PrefixAPI+strings.Repeat("x", 43))})
	f.expectAPIAccepted("api integration", app)

	if err := f.store.SetIntegrationEnabled(ctx, in.ID, false); err != nil {
		t.Fatal(err)
	}
	f.expectAPIRefused("disabled", app)
	if err := f.store.SetIntegrationEnabled(ctx, in.ID, true); err != nil {
		t.Fatal(err)
	}
	f.expectAPIAccepted("enabled again", app)

	saved := f.clock.Load()
	f.clock.Store(time.Unix(in.ExpiresAt, 0).UnixNano())
	f.expectAPIRefused("expired", app)
	f.clock.Store(saved)

	fresh, err := f.store.RegenerateIntegration(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.expectAPIRefused("regenerated-away token", app)
	app = apiReq{auth: basicAuth("jsonrpc", fresh.Token)}
	f.expectAPIAccepted("regenerated token", app)
	if n := f.usageToday(in.ID); n != 3 {
		t.Errorf("usage today = %d, want 3 (refusals are not counted)", n)
	}

	if err := f.store.DeleteIntegration(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	f.expectAPIRefused("deleted", app)
}

func TestAPIRefusesIncomingToken(t *testing.T) {
	f := newAuthFixture(t, Config{})
	_, sec := f.integration(store.NewIntegration{Kind: store.KindIncoming})
	f.expectAPIRefused("incoming token as application", apiReq{auth: basicAuth("jsonrpc", sec.Token)})
	f.expectAPIRefused("incoming token as Bearer", apiReq{auth: headerAuth("Bearer", sec.Token)})
	f.expectAPIRefused("incoming token as Token", apiReq{auth: headerAuth("Token", sec.Token)})
	f.expectAPIRefused("incoming token as a user's password", apiReq{auth: basicAuth("admin", sec.Token)})
}

func TestAPIAllowedIPsAndProof(t *testing.T) {
	f := newAuthFixture(t, Config{})
	ips, _ := store.ParseAllowedIPs("10.0.0.0/8, 2001:db8::/32")
	_, sec := f.integration(store.NewIntegration{Kind: store.KindAPI, AllowedIPs: ips})
	auth := basicAuth("jsonrpc", sec.Token)
	f.expectAPIAccepted("IPv4 in range", apiReq{remote: "10.2.3.4:1", auth: auth})
	f.expectAPIAccepted("IPv6 in range", apiReq{remote: "[2001:db8::9]:1", auth: auth})
	f.expectAPIRefused("IPv4 out of range", apiReq{remote: "192.0.2.10:1", auth: auth})
	f.expectAPIRefused("IPv6 out of range", apiReq{remote: "[2001:db9::9]:1", auth: auth})

	_, psec := f.integration(store.NewIntegration{Kind: store.KindAPI, RequireProof: true})
	_, other := f.integration(store.NewIntegration{Kind: store.KindAPI, RequireProof: true})
	pauth := basicAuth("jsonrpc", psec.Token)
	f.expectAPIRefused("missing proof", apiReq{auth: pauth})
	f.expectAPIRefused("wrong proof", apiReq{auth: pauth,
		header: map[string]string{"X-Hookboard-Proof": proofFor(psec.Token, other.AppSecret)}})
	f.expectAPIAccepted("proof header", apiReq{auth: pauth,
		header: map[string]string{"X-Hookboard-Proof": proofFor(psec.Token, psec.AppSecret)}})
}

func TestAPIRefusesExpiredAndDeletedPersonalTokens(t *testing.T) {
	f := newAuthFixture(t, Config{})
	ctx := context.Background()
	u, err := f.store.CreateUser(ctx, "carol", "carol's password", true)
	if err != nil {
		t.Fatal(err)
	}
	joinAll(t, f.store, u)
	expiring, expTok, err := f.store.CreatePersonalToken(ctx, u.ID, "30 days", 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	kept, keptTok, err := f.store.CreatePersonalToken(ctx, u.ID, "never", 0)
	if err != nil {
		t.Fatal(err)
	}
	schemes := func(tok string) map[string]apiReq {
		return map[string]apiReq{
			"Token":  {auth: headerAuth("Token", tok)},
			"Bearer": {auth: headerAuth("Bearer", tok)},
			"Basic":  {auth: basicAuth("carol", tok)},
		}
	}
	for name, r := range schemes(expTok) {
		f.expectAPIAccepted("valid personal token, "+name, r)
	}
	f.expectAPIRefused("personal token with another user's name", apiReq{auth: basicAuth("admin", expTok)})

	f.clock.Store(time.Unix(expiring.ExpiresAt, 0).UnixNano())
	for name, r := range schemes(expTok) {
		f.expectAPIRefused("expired personal token, "+name, r)
	}
	for name, r := range schemes(keptTok) {
		f.expectAPIAccepted("never-expiring personal token, "+name, r)
	}
	if err := f.store.DeletePersonalToken(ctx, kept.ID, 0); err != nil {
		t.Fatal(err)
	}
	for name, r := range schemes(keptTok) {
		f.expectAPIRefused("deleted personal token, "+name, r)
	}
	// The password still works: only the token was revoked.
	f.expectAPIAccepted("password after the token was deleted", apiReq{auth: basicAuth("carol", "carol's password")})
}

// TestAPITrustedProxies: the API's allow-list sees X-Forwarded-For only
// when the TCP peer is a trusted proxy, as the incoming URL's does.
func TestAPITrustedProxies(t *testing.T) {
	proxies, _ := store.ParseAllowedIPs("192.0.2.1")
	f := newAuthFixture(t, Config{TrustedProxies: proxies})
	allowed, _ := store.ParseAllowedIPs("203.0.113.0/24")
	_, sec := f.integration(store.NewIntegration{Kind: store.KindAPI, AllowedIPs: allowed})
	auth := basicAuth("jsonrpc", sec.Token)
	xff := func(v string) map[string]string { return map[string]string{"X-Forwarded-For": v} }
	f.expectAPIRefused("untrusted peer claiming an allowed address",
		apiReq{remote: "198.51.100.9:1000", auth: auth, header: xff("203.0.113.5")})
	f.expectAPIAccepted("trusted proxy forwarding an allowed address",
		apiReq{remote: "192.0.2.1:1000", auth: auth, header: xff("203.0.113.5")})
	f.expectAPIRefused("trusted proxy forwarding a refused address",
		apiReq{remote: "192.0.2.1:1000", auth: auth, header: xff("198.51.100.9")})
	f.expectAPIRefused("spoofed left-most hop",
		apiReq{remote: "192.0.2.1:1000", auth: auth, header: xff("203.0.113.5, 198.51.100.9")})
}
