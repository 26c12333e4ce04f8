package handlers

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"hookboard/store"
)

// pagesFuzzFixture is a logged-in admin session on a real database with one
// task (with a comment and a subtask), one endpoint, one integration and a
// member, so every form of the browser pages has something to act on.
type pagesFuzzFixture struct {
	st      *store.Store
	handler http.Handler
	cookie  string
	routes  []string
	taskID  int64
	epID    int64
	adminID int64
}

const fuzzOrigin = "http://hookboard.test"

func newPagesFuzzFixture(t testing.TB) *pagesFuzzFixture {
	t.Helper()
	ctx := context.Background()
	st, err := openTestStore(t, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	pid, err := st.CreateProject(ctx, "Default", "", 0)
	must(err)
	admin, err := st.CreateUser(ctx, "admin", adminPassword, true)
	must(err)
	member, err := st.CreateUser(ctx, "member", memberPassword, false)
	must(err)
	joinAll(t, st, admin)
	joinAll(t, st, member)
	actor := store.Actor{UserID: admin.ID, Username: "admin", IsAdmin: true}
	taskID, _, err := st.CreateTask(ctx, actor, store.NewTask{ProjectID: pid, Title: "Fuzzed task"})
	must(err)
	_, _, err = st.CreateComment(ctx, actor, taskID, admin.ID, "a comment")
	must(err)
	subID, _, err := st.CreateSubtask(ctx, actor, store.NewSubtask{TaskID: taskID, Title: "a subtask"})
	must(err)
	ep, _, err := st.CreateEndpoint(ctx, store.NewEndpoint{Name: "receiver", URL: "https://receiver.example/hook"})
	must(err)
	in, _, err := st.CreateIntegration(ctx, store.NewIntegration{Name: "zapier", Kind: store.KindIncoming})
	must(err)

	app := New(Deps{
		Store:  st,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Config: Config{BaseURL: fuzzOrigin},
	})
	t.Cleanup(app.Close)
	f := &pagesFuzzFixture{st: st, handler: app.Routes(), taskID: taskID, epID: ep.ID, adminID: admin.ID}

	login := url.Values{"username": {"admin"}, "password": {adminPassword}}.Encode()
	rec := f.post(t, "/login", "application/x-www-form-urlencoded", []byte(login))
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == "hookboard_session" {
			f.cookie = c.Name + "=" + c.Value
		}
	}
	if f.cookie == "" {
		t.Fatal("login set no session cookie")
	}

	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	f.routes = []string{
		"/projects/" + id(pid) + "/tasks",
		"/tasks/" + id(taskID) + "/edit",
		"/tasks/" + id(taskID) + "/move",
		"/tasks/" + id(taskID) + "/comments",
		"/tasks/" + id(taskID) + "/subtasks",
		"/subtasks/" + id(subID) + "/status",
		"/tasks/" + id(taskID) + "/files",
		"/settings/integrations",
		"/settings/integrations/" + id(in.ID) + "/edit",
		"/settings/webhooks",
		"/settings/webhooks/" + id(ep.ID) + "/edit",
		"/settings/users",
		"/settings/users/" + id(member.ID) + "/role",
		"/account/password",
		"/account/tokens",
		"/login",
	}
	return f
}

// post sends a same-origin form POST, as a browser on the site would, with
// the session cookie once there is one.
func (f *pagesFuzzFixture) post(t testing.TB, path, contentType string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, fuzzOrigin+path, strings.NewReader(string(body)))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Origin", fuzzOrigin)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if f.cookie != "" {
		req.Header.Set("Cookie", f.cookie)
	}
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return rec
}

// get fetches a page with the session, as the browser does after a 303.
func (f *pagesFuzzFixture) get(t testing.TB, path string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, fuzzOrigin+path, nil)
	req.Header.Set("Cookie", f.cookie)
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	return rec
}

// state is everything a form of the pages can change, as a user would see
// it, in one comparable string.
func (f *pagesFuzzFixture) state(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	var s struct {
		Tasks, Events int64
		Task          store.TaskSnapshot
		Comments      []store.Comment
		Subtasks      []store.Subtask
		Endpoints     []store.Endpoint
		Integrations  []store.Integration
		Users         []store.User
		Tokens        []store.PersonalToken
	}
	var err error
	check := func(e error) {
		if e != nil && err == nil {
			err = e
		}
	}
	var e error
	s.Tasks, e = f.st.TaskCount(ctx)
	check(e)
	s.Events, e = f.st.EventCount(ctx, "")
	check(e)
	s.Task, e = f.st.TaskByID(ctx, f.taskID)
	check(e)
	s.Comments, e = f.st.Comments(ctx, f.taskID)
	check(e)
	s.Subtasks, e = f.st.Subtasks(ctx, f.taskID)
	check(e)
	s.Endpoints, e = f.st.Endpoints(ctx)
	check(e)
	s.Integrations, e = f.st.Integrations(ctx)
	check(e)
	s.Users, e = f.st.Users(ctx)
	check(e)
	s.Tokens, e = f.st.PersonalTokens(ctx, f.adminID)
	check(e)
	if err != nil {
		t.Fatalf("read state: %v", err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzPageForms posts arbitrary bodies and content types to every form of
// the browser pages as a logged-in admin. A form must never answer 5xx, and
// a refused one (4xx, or a redirect to a page showing the form error) must
// leave everything as it was.
func FuzzPageForms(f *testing.F) {
	form := "application/x-www-form-urlencoded"
	f.Add(uint8(0), form, []byte("title=From+the+board&column_id=1"))
	f.Add(uint8(1), form, []byte("title=Edited&description=d&color_id=red&owner_id=1&category_id=&score=3&priority=2&date_due=2027-02-03&reference=R1"))
	f.Add(uint8(1), form, []byte("title=x&date_due=03/02/2027&score=many"))
	f.Add(uint8(2), form, []byte("column_id=2&swimlane_id=1&position=1"))
	f.Add(uint8(3), form, []byte("comment=Looks+good"))
	f.Add(uint8(4), form, []byte("title=Step+one"))
	f.Add(uint8(5), form, []byte("status=2"))
	f.Add(uint8(6), "multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--x--\r\n"))
	f.Add(uint8(6), "multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../etc/passwd\"\r\n\r\n\x00\xff\r\n--x"))
	f.Add(uint8(7), form, []byte("name=Zap&kind=incoming&expires=30d&allowed_ips=10.0.0.0/8,192.0.2.1&require_proof=1"))
	f.Add(uint8(7), form, []byte("name=Zap&kind=weird&expires=forever&allowed_ips=300.1.1.1/99"))
	f.Add(uint8(8), form, []byte("allowed_ips=::1/128%0A2001:db8::/32&require_proof=1"))
	f.Add(uint8(9), form, []byte("name=R&url=https://r.example/hook&format=standard&timeout_ms=2000&all_events=1&all_projects=1"))
	f.Add(uint8(10), form, []byte("name=R&url=https://r.example/hook&format=kanboard&timeout_ms=-5&events=task.create&projects=1&projects=x"))
	f.Add(uint8(11), form, []byte("username=alice&password=alice-password-1&admin=1"))
	f.Add(uint8(12), form, []byte("admin=0&active=0"))
	f.Add(uint8(13), form, []byte("current=wrong&new=another-password-1&confirm=another-password-1"))
	f.Add(uint8(14), form, []byte("name=ci&expires=90d"))
	f.Add(uint8(15), form, []byte("username=admin&password=wrong"))
	f.Add(uint8(1), form, []byte("title=%zz&score=1e9999&priority=-9223372036854775809"))
	f.Add(uint8(0), "text/plain", []byte("title=plain"))
	f.Add(uint8(9), form, []byte(strings.Repeat("events=task.create&", 200)))

	fx := newPagesFuzzFixture(f)
	f.Fuzz(func(t *testing.T, route uint8, contentType string, body []byte) {
		path := fx.routes[int(route)%len(fx.routes)]
		before := fx.state(t)
		rec := fx.post(t, path, contentType, body)
		if rec.Code >= 500 {
			t.Fatalf("POST %s %q %q: %d %s", path, contentType, body, rec.Code, rec.Body)
		}
		refused := rec.Code >= 400
		if rec.Code == http.StatusSeeOther {
			// A refused task change goes back to the task with the reason
			// shown once, as the next page's form error.
			next := fx.get(t, rec.Header().Get("Location"))
			refused = strings.Contains(next.Body.String(), `data-testid="form-error"`)
			if next.Code >= 500 {
				t.Fatalf("POST %s %q %q, then GET %s: %d", path, contentType, body, rec.Header().Get("Location"), next.Code)
			}
		}
		if refused {
			if after := fx.state(t); after != before {
				t.Fatalf("POST %s %q %q was refused (%d) but changed the data:\nbefore %s\nafter  %s",
					path, contentType, body, rec.Code, before, after)
			}
			if rec.Code >= 400 && rec.Body.Len() == 0 {
				t.Fatalf("POST %s: %d with an empty page", path, rec.Code)
			}
		}
	})
}
