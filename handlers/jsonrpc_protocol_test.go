package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"hookboard/store"
)

func TestRPCProtocolErrors(t *testing.T) {
	f := newRPCFixture(t, nil)
	p1 := f.p1
	cases := []struct {
		name, body, want string
	}{
		{"parse error", `{not json`,
			`{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}`},
		{"empty body", ``,
			`{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}`},
		{"no method", `{"jsonrpc":"2.0","id":1}`,
			`{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}`},
		{"wrong version", `{"jsonrpc":"1.0","method":"getVersion","id":1}`,
			`{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}`},
		{"method not a string", `{"jsonrpc":"2.0","method":5,"id":1}`,
			`{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}`},
		{"params not structured", `{"jsonrpc":"2.0","method":"getTask","params":"x","id":1}`,
			`{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}`},
		{"not an object", `"getVersion"`,
			`{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}`},
		{"empty batch", `[]`,
			`{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}`},
		{"unknown method", `{"jsonrpc":"2.0","method":"noSuchMethod","id":1}`,
			`{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":1}`},
		{"unknown method, string id", `{"jsonrpc":"2.0","method":"noSuchMethod","id":"abc"}`,
			`{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":"abc"}`},
		{"too few named arguments", `{"jsonrpc":"2.0","method":"createTask","id":1,"params":{"project_id":5}}`,
			`{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"Wrong number of arguments"},"id":1}`},
		{"missing named argument", `{"jsonrpc":"2.0","method":"createTask","id":1,"params":{"project_id":5,"color_id":"red"}}`,
			`{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"Missing argument: title"},"id":1}`},
		{"too few positional arguments", `{"jsonrpc":"2.0","method":"getTask","id":1,"params":[]}`,
			`{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"Wrong number of arguments"},"id":1}`},
		{"no params at all", `{"jsonrpc":"2.0","method":"getTask","id":1}`,
			`{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"Wrong number of arguments"},"id":1}`},
		{"too many arguments", `{"jsonrpc":"2.0","method":"createTask","id":1,"params":["a",5` + strings.Repeat(",0", 30) + `]}`,
			`{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"Too many arguments"},"id":1}`},
		{"argument of the wrong type", `{"jsonrpc":"2.0","method":"getTask","id":1,"params":{"task_id":{"a":1}}}`,
			`{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":"Invalid argument: task_id"},"id":1}`},
		{"batch of two", `[{"jsonrpc":"2.0","method":"getVersion","id":1},{"jsonrpc":"2.0","method":"getTimezone","id":2}]`,
			`[{"jsonrpc":"2.0","result":"1.2.3-test","id":1},{"jsonrpc":"2.0","result":"UTC","id":2}]`},
		{"batch with an invalid call and a notification",
			`[{"jsonrpc":"2.0","method":"getVersion","id":1},{"jsonrpc":"2.0"},{"jsonrpc":"2.0","method":"getVersion"},5]`,
			`[{"jsonrpc":"2.0","result":"1.2.3-test","id":1},{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null},{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request"},"id":null}]`},
		{"notification", `{"jsonrpc":"2.0","method":"getVersion"}`, ``},
		{"batch of notifications", `[{"jsonrpc":"2.0","method":"getVersion"},{"jsonrpc":"2.0","method":"noSuchMethod"}]`, ``},
		{"result false is written", `{"jsonrpc":"2.0","method":"createTask","id":1,"params":{"title":"","project_id":` + jsonID(p1) + `}}`,
			`{"jsonrpc":"2.0","result":false,"id":1}`},
		{"result null is written", `{"jsonrpc":"2.0","method":"getTask","id":1,"params":[999999]}`,
			`{"jsonrpc":"2.0","result":null,"id":1}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, h, body := f.post(t, f.app(), c.body)
			if status != http.StatusOK || body != c.want {
				t.Errorf("got %d %s\nwant 200 %s", status, body, c.want)
			}
			if ct := h.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
	// A notification still runs: its change is stored, only the reply is dropped.
	_, events0 := f.counts(t)
	if status, _, body := f.post(t, f.app(), `{"jsonrpc":"2.0","method":"createTask","params":["quiet",`+jsonID(p1)+`]}`); status != 200 || body != "" {
		t.Fatalf("notification createTask: %d %q", status, body)
	}
	if _, events := f.counts(t); events != events0+1 {
		t.Fatalf("notification createTask wrote %d events", events-events0)
	}
}

func jsonID(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestRPCBodyTooLarge(t *testing.T) {
	f := newRPCFixture(t, nil)
	tasks0, _ := f.counts(t)
	huge := `{"jsonrpc":"2.0","method":"createTask","id":1,"params":["` + strings.Repeat("a", 3<<20) + `",1]}`
	status, _, body := f.post(t, f.app(), huge)
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"code":-32600`) {
		t.Fatalf("got %d %s", status, body)
	}
	if tasks, _ := f.counts(t); tasks != tasks0 {
		t.Fatal("a task was created from a refused body")
	}
}

func TestRPCAuthFailures(t *testing.T) {
	f := newRPCFixture(t, nil)
	ctx := context.Background()
	disabled, sec, err := f.st.CreateIntegration(ctx, store.NewIntegration{Name: "off", Kind: store.KindAPI})
	if err != nil {
		t.Fatal(err)
	}
	disabledToken := sec.Token
	if err := f.st.SetIntegrationEnabled(ctx, disabled.ID, false); err != nil {
		t.Fatal(err)
	}
	_, sec, err = f.st.CreateIntegration(ctx, store.NewIntegration{Name: "short", Kind: store.KindAPI, ExpiresIn: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	expiringToken := sec.Token
	deleted, deletedPAT, err := f.st.CreatePersonalToken(ctx, f.member.ID, "old", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.DeletePersonalToken(ctx, deleted.ID, 0); err != nil {
		t.Fatal(err)
	}
	_, shortPAT, err := f.st.CreatePersonalToken(ctx, f.member.ID, "short", 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// A deactivated user's password and personal token are refused too.
	carol, err := f.st.CreateUser(ctx, "carol", "carol's password", false)
	if err != nil {
		t.Fatal(err)
	}
	_, carolPAT, err := f.st.CreatePersonalToken(ctx, carol.ID, "laptop", 0)
	if err != nil {
		t.Fatal(err)
	}
	f.call(t, headerAuth("Token", carolPAT), "getMe", nil)
	if err := f.st.SetUserRole(ctx, carol.ID, store.RoleUser, false); err != nil {
		t.Fatal(err)
	}

	refused := []struct {
		name string
		auth rpcAuth
		skew time.Duration
	}{
		{"no Authorization header", noAuth, 0},
		{"wrong password", basicAuth("alice", "wrong password"), 0},
		{"unknown user", basicAuth("mallory", "correct horse battery"), 0},
		{"wrong app token", basicAuth("jsonrpc", "hba_wrong"), 0},
		{"empty app token", basicAuth("jsonrpc", ""), 0},
		{"incoming token on the API", basicAuth("jsonrpc", f.incomingToken), 0},
		{"disabled integration", basicAuth("jsonrpc", disabledToken), 0},
		{"expired integration", basicAuth("jsonrpc", expiringToken), 2 * time.Hour},
		{"personal token of another user", basicAuth("alice", f.memberPAT), 0},
		{"deleted personal token", headerAuth("Token", deletedPAT), 0},
		{"expired personal token", headerAuth("Bearer", shortPAT), 31 * 24 * time.Hour},
		{"expired personal token in Basic", basicAuth("bob", shortPAT), 31 * 24 * time.Hour},
		{"app token as a bearer token", headerAuth("Bearer", f.appToken), 0},
		{"garbage bearer token", headerAuth("Bearer", "hbp_nope"), 0},
		{"unknown scheme", headerAuth("Digest", f.adminPAT), 0},
		{"deactivated user's password", basicAuth("carol", "carol's password"), 0},
		{"deactivated user's personal token", headerAuth("Token", carolPAT), 0},
		{"deactivated user's personal token in Basic", basicAuth("carol", carolPAT), 0},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			f.clockOff.Store(int64(c.skew))
			defer f.clockOff.Store(0)
			status, h, body := f.post(t, c.auth, `{"jsonrpc":"2.0","method":"getVersion","id":1}`)
			if status != http.StatusUnauthorized || body != rpcUnauthorizedBody {
				t.Errorf("got %d %s", status, body)
			}
			if got := h.Get("WWW-Authenticate"); got != `Basic realm="JsonRPC"` {
				t.Errorf("WWW-Authenticate %q", got)
			}
			if ct := h.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
	// The same credentials work before their expiry.
	f.call(t, basicAuth("jsonrpc", expiringToken), "getVersion", nil)
	f.call(t, headerAuth("Bearer", shortPAT), "getVersion", nil)
}

func TestRPCAuthSuccessAndRoles(t *testing.T) {
	f := newRPCFixture(t, nil)
	ctx := context.Background()
	for name, auth := range map[string]rpcAuth{
		"password":             basicAuth("alice", f.adminPass),
		"personal token Basic": basicAuth("ALICE", f.adminPAT),
		"Token header":         headerAuth("Token", f.adminPAT),
		"Bearer header":        headerAuth("Bearer", f.adminPAT),
	} {
		var me map[string]any
		if err := json.Unmarshal(f.call(t, auth, "getMe", nil), &me); err != nil {
			t.Fatal(err)
		}
		if me["username"] != "alice" || me["role"] != "app-admin" || me["id"] != num(f.admin.ID) || me["is_active"] != 1.0 {
			t.Errorf("%s: getMe %v", name, me)
		}
	}
	var me map[string]any
	json.Unmarshal(f.call(t, headerAuth("Token", f.memberPAT), "getMe", nil), &me)
	if me["username"] != "bob" || me["role"] != "app-user" {
		t.Errorf("member getMe: %v", me)
	}
	tokens, _ := f.st.PersonalTokens(ctx, f.member.ID)
	if len(tokens) != 1 || tokens[0].LastUsedAt == 0 {
		t.Errorf("personal token last use not recorded: %+v", tokens)
	}

	forbidden := func(name string, auth rpcAuth, method string, params any) {
		t.Helper()
		status, h, body := f.post(t, auth, rpcRequestBody(method, params))
		if status != http.StatusForbidden || body != rpcForbiddenBody {
			t.Errorf("%s: got %d %s", name, status, body)
		}
		if h.Get("WWW-Authenticate") != "" {
			t.Errorf("%s: 403 with WWW-Authenticate", name)
		}
	}
	forbidden("app token on getMe", f.app(), "getMe", nil)
	member := headerAuth("Token", f.memberPAT)
	forbidden("member creating a project", member, "createProject", map[string]any{"name": "mine"})
	forbidden("user naming an unknown project", basicAuth("alice", f.adminPass), "createTask", map[string]any{"title": "x", "project_id": 9999})
	forbidden("user reading an unknown project", basicAuth("alice", f.adminPass), "getProjectById", map[string]any{"project_id": 9999})
	forbidden("user listing the columns of an unknown project", basicAuth("alice", f.adminPass), "getColumns", map[string]any{"project_id": 9999})

	// Members work on the board, as themselves.
	id := f.callID(t, member, "createTask", map[string]any{"title": "member task", "project_id": f.p1})
	if task, _ := f.st.TaskByID(ctx, id); task.CreatorID != f.member.ID {
		t.Errorf("creator %d, want the member %d", task.CreatorID, f.member.ID)
	}
	forbidden("member commenting as someone else", member, "createComment", map[string]any{"task_id": id, "user_id": f.admin.ID, "content": "x"})
	adminComment := f.callID(t, headerAuth("Token", f.adminPAT), "createComment", map[string]any{"task_id": id, "user_id": f.admin.ID, "content": "admin's"})
	forbidden("member editing another's comment", member, "updateComment", map[string]any{"id": adminComment, "content": "mine"})
	forbidden("member deleting another's comment", member, "removeComment", map[string]any{"comment_id": adminComment})
	if c, _ := f.st.CommentByID(ctx, adminComment); c.Comment != "admin's" {
		t.Errorf("comment changed to %q", c.Comment)
	}
	own := f.callID(t, member, "createComment", map[string]any{"task_id": id, "user_id": f.member.ID, "content": "mine"})
	f.callTrue(t, member, "updateComment", map[string]any{"id": own, "content": "mine, edited"})
	// Admins may create projects; the application token too.
	f.callID(t, basicAuth("alice", f.adminPass), "createProject", map[string]any{"name": "Admin's"})
	f.callID(t, f.app(), "createProject", map[string]any{"name": "App's"})
}

// TestRPCDatabaseLocked holds the write lock from another connection past
// the busy timeout: the call answers 503 with an error, nothing is written,
// and a personal token still authenticates.
func TestRPCDatabaseLocked(t *testing.T) {
	skipOnPostgres(t, "it holds SQLite's write lock on the file (store's TestPostgresWritesWaitForTheWriteLock holds PostgreSQL's)")
	f := newRPCFixture(t, nil)
	release := holdWriteLock(t, f.st.Path())
	for name, auth := range map[string]rpcAuth{"app": f.app(), "personal token": headerAuth("Token", f.memberPAT)} {
		status, _, body := f.post(t, auth, rpcRequestBody("createTask", map[string]any{"title": "locked", "project_id": f.p1}))
		want := `{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error","data":"Database unavailable, try again"},"id":1}`
		if status != http.StatusServiceUnavailable || body != want {
			t.Errorf("%s: got %d %s", name, status, body)
		}
	}
	release()
	if tasks, events := f.counts(t); tasks != 0 || events != 0 {
		t.Fatalf("tasks %d events %d after refused writes", tasks, events)
	}
	f.callID(t, f.app(), "createTask", map[string]any{"title": "unlocked", "project_id": f.p1})
}

// TestRPCAppSecretProof: an api integration that requires proof is refused
// without it or with a wrong one, and accepted with the proof in the
// X-Hookboard-Proof header or the appsecret_proof query parameter.
func TestRPCAppSecretProof(t *testing.T) {
	f := newRPCFixture(t, nil)
	_, sec, err := f.st.CreateIntegration(context.Background(), store.NewIntegration{Name: "signed", Kind: store.KindAPI, RequireProof: true})
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte(sec.AppSecret))
	mac.Write([]byte(sec.Token))
	proof := hex.EncodeToString(mac.Sum(nil))
	send := func(path string, header string) int {
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+path, strings.NewReader(`{"jsonrpc":"2.0","method":"getVersion","id":1}`))
		req.SetBasicAuth("jsonrpc", sec.Token)
		if header != "" {
			req.Header.Set("X-Hookboard-Proof", header)
		}
		resp, err := f.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, c := range []struct {
		name, path, header string
		want               int
	}{
		{"no proof", "/jsonrpc", "", 401},
		{"wrong proof", "/jsonrpc", strings.Repeat("0", 64), 401},
		{"proof of another token", "/jsonrpc?appsecret_proof=" + strings.Repeat("ab", 32), "", 401},
		{"header", "/jsonrpc", proof, 200},
		{"query parameter", "/jsonrpc.php?appsecret_proof=" + proof, "", 200},
	} {
		if got := send(c.path, c.header); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}
