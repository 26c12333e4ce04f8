package handlers

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"hookboard/store"
)

// rpc sends one JSON-RPC body through the route table and returns status,
// headers and body.
func (f *authFixture) rpc(r apiReq, body string) (int, http.Header, string) {
	f.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/jsonrpc.php", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = "192.0.2.10:40000"
	if r.remote != "" {
		req.RemoteAddr = r.remote
	}
	if r.auth != nil {
		r.auth(req)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.String()
}

// user creates an active user with a password.
func (f *authFixture) user(name, password string, admin bool) store.User {
	f.t.Helper()
	u, err := f.store.CreateUser(context.Background(), name, password, admin)
	if err != nil {
		f.t.Fatal(err)
	}
	return joinAll(f.t, f.store, u)
}

// TestRPCReplyBudget: a batch of large results answers the first calls and
// then, past the reply budget, an error for each remaining call, which is
// not run; the reply stays near the budget instead of growing with the batch.
func TestRPCReplyBudget(t *testing.T) {
	const fileSize = 1 << 20
	const budget = 3 << 20
	f := newAuthFixture(t, Config{MaxFileBytes: fileSize, MaxReplyBytes: budget})
	_, sec := f.integration(store.NewIntegration{Kind: store.KindAPI})
	app := apiReq{auth: basicAuth("jsonrpc", sec.Token)}

	content := bytes.Repeat([]byte("hookboard"), fileSize/9+1)[:fileSize]
	_, _, body := f.rpc(app, rpcRequestBody("createTask", map[string]any{"project_id": f.project, "title": "files"}))
	taskID := int64(jsonPath(t, []byte(body), "result").(float64))
	_, _, body = f.rpc(app, rpcRequestBody("createTaskFile", map[string]any{"project_id": f.project, "task_id": taskID,
		"filename": "big.bin", "blob": base64.StdEncoding.EncodeToString(content)}))
	fileID, ok := jsonPath(t, []byte(body), "result").(float64)
	if !ok {
		t.Fatalf("createTaskFile: %s", body)
	}

	// 40 downloads, then a write that must not run once the budget is spent.
	var batch []map[string]any
	for i := range 40 {
		batch = append(batch, map[string]any{"jsonrpc": "2.0", "id": i, "method": "downloadTaskFile", "params": map[string]any{"file_id": fileID}})
	}
	batch = append(batch, map[string]any{"jsonrpc": "2.0", "id": 40, "method": "createTask", "params": map[string]any{"project_id": f.project, "title": "late"}})
	req, _ := json.Marshal(batch)
	tasksBefore := f.tasks()
	status, _, body := f.rpc(app, string(req))
	if status != http.StatusOK {
		t.Fatalf("status %d: %.300s", status, body)
	}
	encoded := base64.StdEncoding.EncodedLen(fileSize)
	if len(body) > budget+encoded+64<<10 {
		t.Errorf("reply of %d bytes, want at most the budget %d and one file", len(body), budget)
	}
	var replies []struct {
		ID     int             `json:"id"`
		Result json.RawMessage `json:"result"`
		Error  *rpcError       `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &replies); err != nil || len(replies) != 41 {
		t.Fatalf("%d replies (%v), want 41", len(replies), err)
	}
	// Replies of 1.4 MB each: the third passes 3 MiB, the rest are refused.
	want, _ := json.Marshal(base64.StdEncoding.EncodeToString(content))
	for i, r := range replies {
		if t.Failed() {
			break // one wrong reply says it; forty say nothing more
		}
		switch {
		case r.ID != i:
			t.Errorf("reply %d has id %d", i, r.ID)
		case i < 3 && (r.Error != nil || !bytes.Equal(r.Result, want)):
			t.Errorf("reply %d: error %v, result of %d bytes, want the file", i, r.Error, len(r.Result))
		case i >= 3 && (r.Error == nil || r.Error.Code != rpcReplyBudgetError ||
			!strings.Contains(r.Error.Message, fmt.Sprint(budget)) || r.Result != nil):
			t.Errorf("reply %d: error %+v, want the reply budget error naming %d bytes", i, r.Error, budget)
		}
	}
	if after := f.tasks(); after != tasksBefore {
		t.Errorf("a call past the budget ran: %d task(s) created", after-tasksBefore)
	}

	// The budget is per request: a single download still works.
	if _, _, body := f.rpc(app, rpcRequestBody("downloadTaskFile", map[string]any{"file_id": fileID})); !strings.Contains(body, string(want)) {
		t.Errorf("single download after the batch: %.200s", body)
	}
}

// TestRPCPasswordLoginsThrottled: wrong passwords over JSON-RPC are limited
// per (user, address) like the login page; the limited address gets 429
// with Retry-After even for the right password, while another address and
// tokens keep working.
func TestRPCPasswordLoginsThrottled(t *testing.T) {
	f := newAuthFixture(t, Config{})
	carol := f.user("carol", "carol's password", false)
	_, pat, err := f.store.CreatePersonalToken(context.Background(), carol.ID, "script", 0)
	if err != nil {
		t.Fatal(err)
	}
	const a, b = "192.0.2.10:40000", "198.51.100.7:40000"
	for i := range userBurst {
		f.expectAPIRefused(fmt.Sprintf("wrong password %d", i+1), apiReq{remote: a, auth: basicAuth("carol", "guess")})
	}
	for _, pw := range []string{"guess", "carol's password"} {
		status, h, body := f.rpc(apiReq{remote: a, auth: basicAuth("carol", pw)}, rpcRequestBody("getMe", nil))
		if status != http.StatusTooManyRequests || body != rpcThrottledBody || h.Get("Retry-After") == "" {
			t.Errorf("password %q while limited: %d %s, Retry-After %q", pw, status, body, h.Get("Retry-After"))
		}
	}
	f.expectAPIAccepted("right password from another address", apiReq{remote: b, auth: basicAuth("carol", "carol's password")})
	f.expectAPIAccepted("personal token from the limited address", apiReq{remote: a, auth: basicAuth("carol", pat)})
	f.expectAPIAccepted("Token header from the limited address", apiReq{remote: a, auth: headerAuth("Token", pat)})

	// One try comes back after the interval.
	f.clock.Add(int64(userInterval))
	f.expectAPIAccepted("right password after the wait", apiReq{remote: a, auth: basicAuth("carol", "carol's password")})
	// Right passwords spend nothing: a script may send one with every call.
	for i := range userBurst + 1 {
		f.expectAPIAccepted(fmt.Sprintf("right password, call %d", i+1), apiReq{remote: b, auth: basicAuth("carol", "carol's password")})
	}
}

// TestPasswordChecksBounded: with every bcrypt slot taken, the incoming URL
// and token calls still answer, and a password login waits for a slot
// instead of running.
func TestPasswordChecksBounded(t *testing.T) {
	f := newAuthFixture(t, Config{})
	f.user("carol", "carol's password", false)
	_, incoming := f.integration(store.NewIntegration{Kind: store.KindIncoming})
	_, api := f.integration(store.NewIntegration{Kind: store.KindAPI})
	fill := func(slots chan struct{}) {
		for range cap(slots) {
			slots <- struct{}{}
		}
	}
	drain := func(slots chan struct{}) {
		for range cap(slots) {
			<-slots
		}
	}

	fill(f.app.web.passwords.slots)
	f.expectAccepted("incoming URL while password checks wait", incomingReq{query: url.Values{"token": {incoming.Token}}})
	f.expectAPIAccepted("application token while password checks wait", apiReq{auth: basicAuth("jsonrpc", api.Token)})
	drain(f.app.web.passwords.slots)

	// In a bubble, synctest.Wait returns once the login is blocked for good
	// (on a channel made in the bubble), or once it has finished: no timing
	// decides the outcome.
	synctest.Test(t, func(t *testing.T) {
		gate := f.app.web.passwords
		outside := gate.slots
		gate.slots = make(chan struct{}, cap(outside))
		defer func() { gate.slots = outside }()
		fill(gate.slots)
		done := make(chan int, 1)
		go func() {
			req := httptest.NewRequest(http.MethodPost, "/jsonrpc.php", strings.NewReader(rpcRequestBody("getMe", nil)))
			req.SetBasicAuth("carol", "carol's password")
			rec := httptest.NewRecorder()
			f.h.ServeHTTP(rec, req)
			done <- rec.Code
		}()
		synctest.Wait()
		select {
		case status := <-done:
			t.Fatalf("a password login ran with no slot free: %d", status)
		default:
		}
		drain(gate.slots)
		if status := <-done; status != http.StatusOK {
			t.Fatalf("password login after a slot freed: %d", status)
		}
	})
}

// TestRPCCrossSiteRefused: a browser request from another site is refused
// before credentials are checked, unless it carries a header only a script
// can set; clients that send no Origin (python-kanboard, curl) are unaffected.
func TestRPCCrossSiteRefused(t *testing.T) {
	f := newAuthFixture(t, Config{})
	u := f.user("carol", "carol's password", true)
	_, api := f.integration(store.NewIntegration{Kind: store.KindAPI})
	_, pat, err := f.store.CreatePersonalToken(context.Background(), u.ID, "script", 0)
	if err != nil {
		t.Fatal(err)
	}
	password := basicAuth("carol", "carol's password")
	textPlain := map[string]string{"Content-Type": "text/plain"}
	with := func(extra ...string) map[string]string {
		h := map[string]string{"Content-Type": "text/plain"}
		for i := 0; i+1 < len(extra); i += 2 {
			h[extra[i]] = extra[i+1]
		}
		return h
	}
	for name, r := range map[string]apiReq{
		"saved Basic password, Sec-Fetch-Site cross-site": {auth: password, header: with("Sec-Fetch-Site", "cross-site")},
		"saved Basic password, Sec-Fetch-Site same-site":  {auth: password, header: with("Sec-Fetch-Site", "same-site")},
		"saved Basic password, another Origin":            {auth: password, header: with("Origin", "https://evil.example")},
		"application token in Basic, cross-site":          {auth: basicAuth("jsonrpc", api.Token), header: with("Sec-Fetch-Site", "cross-site")},
	} {
		before := f.tasks()
		status, h, body := f.rpc(r, rpcRequestBody("createTask", map[string]any{"project_id": f.project, "title": "planted"}))
		if status != http.StatusForbidden || body != rpcCrossSiteBody || h.Get("WWW-Authenticate") != "" {
			t.Errorf("%s: %d %s, WWW-Authenticate %q", name, status, body, h.Get("WWW-Authenticate"))
		}
		if f.tasks() != before {
			t.Errorf("%s: the refused call created a task", name)
		}
	}
	for name, r := range map[string]apiReq{
		"no Origin (python-kanboard)": {auth: password},
		"plain text, no Origin":       {auth: password, header: textPlain},
		"same origin":                 {auth: password, header: with("Sec-Fetch-Site", "same-origin", "Origin", "http://example.com")},
		"Token header, cross-site":    {auth: headerAuth("Token", pat), header: with("Sec-Fetch-Site", "cross-site")},
		"Bearer header, cross-site":   {auth: headerAuth("Bearer", pat), header: with("Origin", "https://tool.example")},
		"X-API-Auth, cross-site":      {auth: basicAuth("jsonrpc", api.Token), header: with("Sec-Fetch-Site", "cross-site", "X-API-Auth", "anything")},
	} {
		f.expectAPIAccepted(name, r)
	}
}

// TestRPCCreateTaskCreatorIsTheUser: a user cannot name another creator
// (Kanboard sets the caller); an application may.
func TestRPCCreateTaskCreatorIsTheUser(t *testing.T) {
	f := newRPCFixture(t, nil)
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		auth    rpcAuth
		creator int64
		want    int64
	}{
		{"member naming the admin", headerAuth("Token", f.memberPAT), f.admin.ID, f.member.ID},
		{"member with a password naming the admin", basicAuth("bob", "bob password"), f.admin.ID, f.member.ID},
		{"admin naming the member", headerAuth("Token", f.adminPAT), f.member.ID, f.admin.ID},
		{"member naming an unknown user", headerAuth("Token", f.memberPAT), 9999, f.member.ID},
		{"application naming the member", f.app(), f.member.ID, f.member.ID},
	} {
		id := f.callID(t, c.auth, "createTask", map[string]any{"project_id": f.p1, "title": c.name, "creator_id": c.creator})
		task, err := f.st.TaskByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if task.CreatorID != c.want {
			t.Errorf("%s: creator %d, want %d", c.name, task.CreatorID, c.want)
		}
	}
}

// lockedBuffer is a log destination tests read while the server writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestFailedLoginLogsNoUsername: what was typed as the user name of a
// failed login (often a password) never reaches the log; a short hash does.
func TestFailedLoginLogsNoUsername(t *testing.T) {
	var logs lockedBuffer
	e := newPageEnv(t, frozenClock, func(d *Deps) { d.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	typed := "Tr0ub4dor&3-typed-as-username"
	for range userBurst + 1 { // the last one is rate limited, also logged
		e.postForm(t, e.client(t), "/login", url.Values{"username": {typed}, "password": {"x"}})
	}
	rpcTyped := "c0rrect-h0rse-in-the-user-field"
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/jsonrpc.php", strings.NewReader(rpcRequestBody("getMe", nil)))
	req.SetBasicAuth(rpcTyped, "x")
	if resp := do(t, http.DefaultClient, req); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("JSON-RPC with a wrong password: %d", resp.StatusCode)
	}
	out := logs.String()
	for _, s := range []string{typed, rpcTyped} {
		if strings.Contains(out, s) {
			t.Errorf("the log holds the typed user name %q:\n%s", s, out)
		}
		if !strings.Contains(out, "user="+loggedName(s)) {
			t.Errorf("the log lacks the user name's hash %s:\n%s", loggedName(s), out)
		}
	}
	if !strings.Contains(out, "login failed") || !strings.Contains(out, "login rate limited") {
		t.Errorf("failed and limited logins not logged:\n%s", out)
	}
}

// TestLoginLockoutIsPerAddress: wrong passwords for admin from one address
// limit that address only; the admin logs in from another.
func TestLoginLockoutIsPerAddress(t *testing.T) {
	e := newPageEnv(t, frozenClock, func(d *Deps) {
		d.Config.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	})
	from := func(addr, pw string) *http.Response {
		return e.postForm(t, e.client(t), "/login", url.Values{"username": {"admin"}, "password": {pw}}, "X-Forwarded-For", addr)
	}
	for i := range userBurst {
		if resp := from("203.0.113.1", "wrong"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i+1, resp.StatusCode)
		}
	}
	if resp := from("203.0.113.1", adminPassword); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right password from the guessing address: %d, want 429", resp.StatusCode)
	}
	if resp := from("203.0.113.2", adminPassword); resp.StatusCode != http.StatusSeeOther || sessionCookie(resp) == nil {
		t.Fatalf("the admin from another address: %d, want a login", resp.StatusCode)
	}
	// Retry-After says when the next try comes back, not a fixed minute.
	resp := from("203.0.113.1", adminPassword)
	if got := resp.Header.Get("Retry-After"); got != fmt.Sprint(int(userInterval/time.Second)) {
		t.Errorf("Retry-After %q, want %d", got, int(userInterval/time.Second))
	}
}
