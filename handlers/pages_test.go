package handlers

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"hookboard/store"
)

// Test users' passwords.
const (
	adminPassword  = "admin-password-1"
	memberPassword = "member-password-1"
)

// pageEnv is a running Hookboard with a real database file, an admin, a
// member and the default project.
type pageEnv struct {
	st        *store.Store
	app       *App
	srv       *httptest.Server
	projectID int64
}

type pageEnvOption func(*Deps)

// envSettings are what must be fixed before the store opens: the clock of
// the store, the app and the notifier, and the server's address.
type envSettings struct {
	now  func() time.Time
	addr string
}

func newPageEnv(t testing.TB, opts ...pageEnvOption) *pageEnv {
	t.Helper()
	return newPageEnvWith(t, envSettings{}, opts...)
}

func newPageEnvWith(t testing.TB, s envSettings, opts ...pageEnvOption) *pageEnv {
	t.Helper()
	st, err := openTestStore(t, store.Options{Now: s.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	pid, err := st.CreateProject(ctx, "Default", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := st.CreateUser(ctx, "admin", adminPassword, true); err != nil {
		t.Fatal(err)
	} else {
		joinAll(t, st, u)
	}
	if u, err := st.CreateUser(ctx, "member", memberPassword, false); err != nil {
		t.Fatal(err)
	} else {
		joinAll(t, st, u)
	}
	srv := httptest.NewUnstartedServer(nil)
	if s.addr != "" {
		srv.Listener.Close()
		if srv.Listener, err = net.Listen("tcp", s.addr); err != nil {
			t.Fatal(err)
		}
	}
	d := Deps{
		Now:    s.now,
		Store:  st,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Config: Config{BaseURL: "http://" + srv.Listener.Addr().String()},
	}
	for _, o := range opts {
		o(&d)
	}
	app := New(d)
	srv.Config.Handler = app.Routes()
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		app.Close()
	})
	return &pageEnv{st: st, app: app, srv: srv, projectID: pid}
}

// client is a cookie-keeping HTTP client that does not follow redirects,
// so tests see each 303.
func (e *pageEnv) client(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// login logs c in and fails the test unless it worked.
func (e *pageEnv) login(t testing.TB, c *http.Client, user, pw string) {
	t.Helper()
	resp := e.postForm(t, c, "/login", url.Values{"username": {user}, "password": {pw}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("login %s: status %d, location %q", user, resp.StatusCode, resp.Header.Get("Location"))
	}
}

func (e *pageEnv) postForm(t testing.TB, c *http.Client, path string, form url.Values, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, c, req)
}

func (e *pageEnv) get(t testing.TB, c *http.Client, path string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp := do(t, c, req)
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// postFollow posts a form, expects the answer to redirect (every form's
// POST does, so a reload never sends it again) and returns the page it
// leads to.
func (e *pageEnv) postFollow(t *testing.T, c *http.Client, path string, form url.Values) string {
	t.Helper()
	resp := e.postForm(t, c, path, form)
	if resp.StatusCode != http.StatusSeeOther {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s: %d, want 303; %s", path, resp.StatusCode, body)
	}
	next, body := e.get(t, c, resp.Header.Get("Location"))
	if next.StatusCode != http.StatusOK {
		t.Fatalf("GET %s after POST %s: %d", resp.Header.Get("Location"), path, next.StatusCode)
	}
	return body
}

func do(t testing.TB, c *http.Client, req *http.Request) *http.Response {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func sessionCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == "hookboard_session" {
			return c
		}
	}
	return nil
}

func TestLoginLogout(t *testing.T) {
	e := newPageEnv(t)
	c := e.client(t)

	resp, _ := e.get(t, c, "/")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("anonymous GET /: %d %q, want a redirect to /login", resp.StatusCode, resp.Header.Get("Location"))
	}

	resp = e.postForm(t, c, "/login", url.Values{"username": {"admin"}, "password": {"wrong-password"}})
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "Wrong username or password.") {
		t.Fatalf("bad password: %d, body has message: %v", resp.StatusCode, strings.Contains(string(body), "Wrong"))
	}
	if sessionCookie(resp) != nil {
		t.Fatal("a failed login set a session cookie")
	}

	resp = e.postForm(t, c, "/login", url.Values{"username": {"admin"}, "password": {adminPassword}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	ck := sessionCookie(resp)
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure over plain HTTP", ck)
	}

	resp, body2 := e.get(t, c, "/projects/"+itoa(e.projectID)+"/board")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body2, `data-testid="current-user">admin<`) {
		t.Fatalf("board after login: %d", resp.StatusCode)
	}

	resp = e.postForm(t, c, "/logout", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("logout: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, _ = e.get(t, c, "/projects/"+itoa(e.projectID)+"/board")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("board after logout: %d, want a redirect to the login page", resp.StatusCode)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestLoginRenewsSessionToken(t *testing.T) {
	e := newPageEnv(t)
	c := e.client(t)
	resp := e.postForm(t, c, "/login", url.Values{"username": {"member"}, "password": {memberPassword}})
	first := sessionCookie(resp)
	resp = e.postForm(t, c, "/login", url.Values{"username": {"member"}, "password": {memberPassword}})
	second := sessionCookie(resp)
	if first == nil || second == nil || first.Value == second.Value {
		t.Fatalf("login did not issue a new session token: %v then %v", first, second)
	}
	// The token from before the second login no longer opens the board.
	old := e.client(t)
	u, _ := url.Parse(e.srv.URL)
	old.Jar.SetCookies(u, []*http.Cookie{{Name: first.Name, Value: first.Value}})
	if resp, _ := e.get(t, old, "/projects/"+itoa(e.projectID)+"/board"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("old session token still works: %d", resp.StatusCode)
	}
	if resp, _ := e.get(t, c, "/projects/"+itoa(e.projectID)+"/board"); resp.StatusCode != http.StatusOK {
		t.Fatalf("new session token refused: %d", resp.StatusCode)
	}
}

func TestSessionCookieSecureOverHTTPS(t *testing.T) {
	e := newPageEnv(t, func(d *Deps) {
		d.Config.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
	})
	c := e.client(t)
	resp := e.postForm(t, c, "/login", url.Values{"username": {"admin"}, "password": {adminPassword}}, "X-Forwarded-Proto", "https")
	if ck := sessionCookie(resp); ck == nil || !ck.Secure {
		t.Fatalf("behind a trusted proxy saying https, the cookie is not Secure: %+v", ck)
	}

	// The same header from an untrusted peer is ignored.
	plain := newPageEnv(t)
	resp = plain.postForm(t, plain.client(t), "/login", url.Values{"username": {"admin"}, "password": {adminPassword}}, "X-Forwarded-Proto", "https")
	if ck := sessionCookie(resp); ck == nil || ck.Secure {
		t.Fatalf("an untrusted X-Forwarded-Proto made the cookie Secure: %+v", ck)
	}
}

// frozenClock stops the login limiter's refill, so limits do not depend
// on how fast bcrypt runs on the test machine.
func frozenClock(d *Deps) {
	at := time.Now()
	d.Now = func() time.Time { return at }
}

func TestLoginRateLimited(t *testing.T) {
	e := newPageEnv(t, frozenClock)
	c := e.client(t)
	var statuses []int
	for range 10 {
		resp := e.postForm(t, c, "/login", url.Values{"username": {"admin"}, "password": {"not-the-password"}})
		statuses = append(statuses, resp.StatusCode)
	}
	for i, s := range statuses {
		want := http.StatusUnauthorized
		if i >= userBurst {
			want = http.StatusTooManyRequests
		}
		if s != want {
			t.Fatalf("attempt %d: status %d, want %d (all: %v)", i+1, s, want, statuses)
		}
	}
	// While limited, even the right password is refused.
	resp := e.postForm(t, c, "/login", url.Values{"username": {"admin"}, "password": {adminPassword}})
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(string(body), "Too many login attempts") || sessionCookie(resp) != nil {
		t.Fatalf("right password while limited: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Another user from the same address is not locked out by admin's limit.
	e.login(t, e.client(t), "member", memberPassword)
}

func TestLoginRateLimitedPerAddress(t *testing.T) {
	e := newPageEnv(t, frozenClock)
	c := e.client(t)
	for i := range ipBurst {
		resp := e.postForm(t, c, "/login", url.Values{"username": {"nobody" + itoa(int64(i))}, "password": {"x"}})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, resp.StatusCode)
		}
	}
	resp := e.postForm(t, c, "/login", url.Values{"username": {"member"}, "password": {memberPassword}})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("attempt %d from one address: %d, want 429", ipBurst+1, resp.StatusCode)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	e := newPageEnv(t)
	c := e.client(t)
	e.login(t, c, "admin", adminPassword)
	path := "/projects/" + itoa(e.projectID) + "/tasks"
	form := url.Values{"title": {"Planted by another site"}}

	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"},
		{"Origin", "http://evil.example"},
	} {
		resp := e.postForm(t, c, path, form, h...)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("POST with %s: %s got %d, want 403", h[0], h[1], resp.StatusCode)
		}
	}
	// A cross-origin login is refused too (login CSRF).
	resp := e.postForm(t, e.client(t), "/login", url.Values{"username": {"admin"}, "password": {adminPassword}}, "Sec-Fetch-Site", "cross-site")
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site login: %d", resp.StatusCode)
	}
	if n, _ := e.st.TaskCount(context.Background()); n != 0 {
		t.Fatalf("%d tasks after refused posts, want 0", n)
	}
	// The same form from the same origin works.
	resp = e.postForm(t, c, path, form, "Sec-Fetch-Site", "same-origin", "Origin", e.srv.URL)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("same-origin POST: %d", resp.StatusCode)
	}
	if n, _ := e.st.TaskCount(context.Background()); n != 1 {
		t.Fatalf("%d tasks after a same-origin post, want 1", n)
	}
}

func TestStateChangesArePostOnly(t *testing.T) {
	e := newPageEnv(t)
	c := e.client(t)
	e.login(t, c, "admin", adminPassword)
	for _, p := range []string{"/logout", "/settings/integrations/1/delete", "/tasks/1/close", "/projects/1/tasks"} {
		if resp, _ := e.get(t, c, p); resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET %s: %d, want 405", p, resp.StatusCode)
		}
	}
}

func TestPageSecurityHeaders(t *testing.T) {
	e := newPageEnv(t)
	resp, _ := e.get(t, e.client(t), "/login")
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"frame-ancestors 'none'", "script-src 'self'", "default-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no nosniff")
	}
}

func TestMemberCannotOpenSettings(t *testing.T) {
	e := newPageEnv(t)
	c := e.client(t)
	e.login(t, c, "member", memberPassword)
	for _, p := range []string{"/settings", "/settings/integrations", "/settings/users"} {
		resp, body := e.get(t, c, p)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Settings are for admins only.") {
			t.Errorf("member GET %s: %d", p, resp.StatusCode)
		}
	}
	resp := e.postForm(t, c, "/settings/integrations", url.Values{"name": {"sneaky"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("member POST integration: %d", resp.StatusCode)
	}
	if list, _ := e.st.Integrations(context.Background()); len(list) != 0 {
		t.Fatalf("member created an integration: %v", list)
	}
	resp = e.postForm(t, c, "/settings/users", url.Values{"username": {"eve"}, "password": {"password-123"}, "role": {"app-admin"}})
	if _, err := e.st.UserByName(context.Background(), "eve"); resp.StatusCode != http.StatusForbidden || err == nil {
		t.Fatalf("member POST user: %d, user exists: %v", resp.StatusCode, err == nil)
	}
}
