package handlers

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hookboard/store"
)

// incomingFixture is a real server on a real database file with two
// projects, categories, a second user and integrations in every state.
type incomingFixture struct {
	testStore
	handler  http.Handler
	srv      *httptest.Server
	clockOff atomic.Int64 // nanoseconds added to the store's clock

	token, expired, disabled, revoked, wrongIP, apiToken, withDefaults string

	testBoard
	cat1, cat2 int64
	ownerID    int64
	viewerID   int64 // a viewer of every project: not assignable
}

func newIncomingFixture(t testing.TB) *incomingFixture {
	t.Helper()
	f := &incomingFixture{}
	ctx := context.Background()
	st, err := openTestStore(t, store.Options{
		BusyTimeout: 200 * time.Millisecond,
		Now:         func() time.Time { return time.Now().Add(time.Duration(f.clockOff.Load())) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.st = st
	first, _, err := st.Bootstrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.token = first.IncomingToken
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	p2, err := st.CreateProject(ctx, "Other", "", 0)
	must(err)
	f.testBoard = newTestBoard(t, st, first.DefaultProject, p2, "Second lane")
	f.cat1, err = st.CreateCategory(ctx, f.p1, "Bug")
	must(err)
	f.cat2, err = st.CreateCategory(ctx, f.p2, "Feature")
	must(err)
	u, err := st.CreateUser(ctx, "bob", "correct horse", false)
	must(err)
	joinAll(t, st, u)
	f.ownerID = u.ID
	v, err := st.CreateUser(ctx, "vera", "correct horse", false)
	must(err)
	for _, p := range []int64{f.p1, p2} {
		must(st.AddProjectMember(ctx, p, v.ID, store.ProjectViewer))
	}
	f.viewerID = v.ID

	add := func(in store.NewIntegration) (store.Integration, string) {
		t.Helper()
		created, secrets, err := st.CreateIntegration(ctx, in)
		must(err)
		return created, secrets.Token
	}
	f.clockOff.Store(int64(-2 * time.Hour))
	_, f.expired = add(store.NewIntegration{Name: "expired", ExpiresIn: time.Hour})
	f.clockOff.Store(0)
	in, tok := add(store.NewIntegration{Name: "disabled"})
	f.disabled = tok
	must(st.SetIntegrationEnabled(ctx, in.ID, false))
	in, f.revoked = add(store.NewIntegration{Name: "revoked"})
	_, err = st.RegenerateIntegration(ctx, in.ID)
	must(err)
	_, f.wrongIP = add(store.NewIntegration{Name: "office only", AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	_, f.apiToken = add(store.NewIntegration{Name: "api", Kind: store.KindAPI})
	_, f.withDefaults = add(store.NewIntegration{Name: "defaults", DefaultProjectID: f.p2,
		DefaultColumnID: f.cols2[2].ID, DefaultSwimlaneID: f.lane2})

	app := New(Deps{Store: st, Config: Config{MaxBodyBytes: 4096}, Logger: testLogger(t)})
	f.handler = app.Routes()
	f.srv = httptest.NewServer(f.handler)
	t.Cleanup(f.srv.Close)
	return f
}

// testBoard is the board the API fixtures work on: two projects, their
// columns and default swimlanes, and a second swimlane in the first.
type testBoard struct {
	p1, p2       int64
	cols1, cols2 []store.Column
	lane1, lane2 int64 // the projects' default swimlanes
	lane1b       int64 // a second swimlane of project 1
}

// newTestBoard reads the columns and swimlanes of projects p1 and p2 and
// adds a swimlane named lane to p1.
func newTestBoard(t testing.TB, st *store.Store, p1, p2 int64, lane string) testBoard {
	t.Helper()
	ctx := context.Background()
	b := testBoard{p1: p1, p2: p2}
	var err error
	if b.cols1, err = st.Columns(ctx, p1); err != nil {
		t.Fatal(err)
	}
	if b.cols2, err = st.Columns(ctx, p2); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		id   int64
		lane *int64
	}{{p1, &b.lane1}, {p2, &b.lane2}} {
		lanes, err := st.Swimlanes(ctx, p.id)
		if err != nil || len(lanes) == 0 {
			t.Fatalf("swimlanes of project %d: %v %v", p.id, lanes, err)
		}
		*p.lane = lanes[0].ID
	}
	if b.lane1b, err = st.CreateSwimlane(ctx, p1, lane); err != nil {
		t.Fatal(err)
	}
	return b
}

// testStore is a fixture's database.
type testStore struct{ st *store.Store }

// counts returns how many tasks and events the database holds.
func (f testStore) counts(t testing.TB) (tasks, events int64) {
	t.Helper()
	var err error
	if tasks, err = f.st.TaskCount(context.Background()); err != nil {
		t.Fatal(err)
	}
	if events, err = f.st.EventCount(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	return tasks, events
}

func multipartBody(t *testing.T, fields map[string]string) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	w.Close()
	return w.FormDataContentType(), buf.Bytes()
}

func TestIncomingReplies(t *testing.T) {
	f := newIncomingFixture(t)
	q := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	tok := f.token
	mpType, mpBody := multipartBody(t, map[string]string{"token": tok, "title": "from multipart", "color_id": "blue"})

	type want struct {
		status  int
		body    string
		project int64
		column  int64
		lane    int64
		title   string
		color   string
	}
	ok := func(title string) want {
		return want{status: 200, body: "OK", title: title, project: f.p1, column: f.cols1[0].ID, lane: f.lane1, color: "yellow"}
	}
	failed := want{status: 400, body: "FAILED"}
	denied := want{status: 401, body: "Not Authorized"}
	cases := []struct {
		name        string
		method      string
		target      string // path and query
		contentType string
		body        string
		want        want
	}{
		{"kanboard URL", "GET", "/?controller=webhook&action=task&" + q("token", tok, "title", "hello"), "", "", ok("hello")},
		{"kanboard URL capitalised controller", "GET", "/?controller=Webhook&action=task&" + q("token", tok, "title", "cap"), "", "", ok("cap")},
		{"WebhookController", "GET", "/?controller=WebhookController&action=task&" + q("token", tok, "title", "ctl"), "", "", ok("ctl")},
		{"index.php", "GET", "/index.php?controller=webhook&action=task&" + q("token", tok, "title", "php"), "", "", ok("php")},
		{"clean alias", "GET", "/webhook/task?" + q("token", tok, "title", "alias"), "", "", ok("alias")},
		{"POST form body", "POST", "/webhook/task", "application/x-www-form-urlencoded", q("token", tok, "title", "form"), ok("form")},
		{"POST JSON body", "POST", "/webhook/task", "application/json", `{"token":"` + tok + `","title":"json","project_id":` + id(f.p1) + `}`, ok("json")},
		{"POST multipart body", "POST", "/webhook/task", mpType, string(mpBody), want{200, "OK", f.p1, f.cols1[0].ID, f.lane1, "from multipart", "blue"}},
		{"query wins over body", "POST", "/webhook/task?" + q("title", "from query"), "application/x-www-form-urlencoded", q("token", tok, "title", "from body"), ok("from query")},
		{"all placement parameters", "GET", "/webhook/task?" + q("token", tok, "title", "placed", "project_id", id(f.p2), "column_id", id(f.cols2[1].ID),
			"swimlane_id", id(f.lane2), "category_id", id(f.cat2), "owner_id", id(f.ownerID), "color_id", "green", "score", "3",
			"date_due", "2027-01-02", "reference", "REF-1", "description", "body text"), "", "", want{200, "OK", f.p2, f.cols2[1].ID, f.lane2, "placed", "green"}},
		{"second swimlane", "GET", "/webhook/task?" + q("token", tok, "title", "lane b", "swimlane_id", id(f.lane1b)), "", "", want{200, "OK", f.p1, f.cols1[0].ID, f.lane1b, "lane b", "yellow"}},
		{"integration defaults", "GET", "/webhook/task?" + q("token", f.withDefaults, "title", "defaults"), "", "", want{200, "OK", f.p2, f.cols2[2].ID, f.lane2, "defaults", "yellow"}},
		{"65,535 characters", "GET", "/webhook/task?" + q("token", tok, "title", strings.Repeat("é", 65535)), "", "", ok(strings.Repeat("é", 65535))},
		{"65,535 four-byte characters", "GET", "/webhook/task?" + q("token", tok, "title", strings.Repeat("😀", 65535)), "", "", ok(strings.Repeat("😀", 65535))},
		{"reference of 191 characters", "GET", "/webhook/task?" + q("token", tok, "title", "ref", "reference", strings.Repeat("r", 191)), "", "", ok("ref")},
		{"date_due as m/d/Y H:i", "GET", "/webhook/task?" + q("token", tok, "title", "us date", "date_due", "01/31/2030 9:05"), "", "", ok("us date")},

		{"missing title", "GET", "/webhook/task?" + q("token", tok), "", "", failed},
		{"empty title", "GET", "/webhook/task?" + q("token", tok, "title", ""), "", "", failed},
		{"whitespace title", "GET", "/webhook/task?" + q("token", tok, "title", " \t "), "", "", failed},
		{"65,536 characters", "GET", "/webhook/task?" + q("token", tok, "title", strings.Repeat("é", 65536)), "", "", failed},
		{"reference of 192 characters", "GET", "/webhook/task?" + q("token", tok, "title", "x", "reference", strings.Repeat("r", 192)), "", "", failed},
		{"date_due that does not exist", "GET", "/webhook/task?" + q("token", tok, "title", "x", "date_due", "2030-02-30"), "", "", failed},
		{"unknown project", "GET", "/webhook/task?" + q("token", tok, "title", "x", "project_id", "999"), "", "", failed},
		{"unknown column", "GET", "/webhook/task?" + q("token", tok, "title", "x", "column_id", "999"), "", "", failed},
		{"unknown swimlane", "GET", "/webhook/task?" + q("token", tok, "title", "x", "swimlane_id", "999"), "", "", failed},
		{"unknown category", "GET", "/webhook/task?" + q("token", tok, "title", "x", "category_id", "999"), "", "", failed},
		{"unknown owner", "GET", "/webhook/task?" + q("token", tok, "title", "x", "owner_id", "999"), "", "", failed},
		{"owner not assignable (a viewer)", "GET", "/webhook/task?" + q("token", tok, "title", "x", "owner_id", id(f.viewerID)), "", "", failed},
		{"column of another project", "GET", "/webhook/task?" + q("token", tok, "title", "x", "project_id", id(f.p1), "column_id", id(f.cols2[0].ID)), "", "", failed},
		{"swimlane of another project", "GET", "/webhook/task?" + q("token", tok, "title", "x", "swimlane_id", id(f.lane2)), "", "", failed},
		{"category of another project", "GET", "/webhook/task?" + q("token", tok, "title", "x", "category_id", id(f.cat2)), "", "", failed},
		{"invalid color", "GET", "/webhook/task?" + q("token", tok, "title", "x", "color_id", "notacolor"), "", "", failed},
		{"parameter twice", "GET", "/webhook/task?" + q("token", tok, "title", "a", "title", "b"), "", "", failed},
		{"parameter as array", "GET", "/webhook/task?" + q("token", tok, "title[]", "a"), "", "", failed},
		{"JSON array value", "POST", "/webhook/task", "application/json", `{"token":"` + tok + `","title":["a"]}`, failed},
		{"JSON object value", "POST", "/webhook/task", "application/json", `{"token":"` + tok + `","title":{"a":1}}`, failed},
		{"non-numeric project", "GET", "/webhook/task?" + q("token", tok, "title", "x", "project_id", "abc"), "", "", failed},
		{"negative id", "GET", "/webhook/task?" + q("token", tok, "title", "x", "column_id", "-1"), "", "", failed},
		{"bad due date", "GET", "/webhook/task?" + q("token", tok, "title", "x", "date_due", "soon"), "", "", failed},
		{"bad score", "GET", "/webhook/task?" + q("token", tok, "title", "x", "score", "high"), "", "", failed},
		{"malformed JSON", "POST", "/webhook/task", "application/json", `{"token":"` + tok + `","title":`, failed},

		{"token missing", "GET", "/webhook/task?" + q("title", "x"), "", "", denied},
		{"token empty", "GET", "/webhook/task?" + q("token", "", "title", "x"), "", "", denied},
		{"token wrong", "GET", "/webhook/task?" + q("token", "hbi_nope", "title", "x"), "", "", denied},
		{"token expired", "GET", "/webhook/task?" + q("token", f.expired, "title", "x"), "", "", denied},
		{"token revoked", "GET", "/webhook/task?" + q("token", f.revoked, "title", "x"), "", "", denied},
		{"integration disabled", "GET", "/webhook/task?" + q("token", f.disabled, "title", "x"), "", "", denied},
		{"IP not allowed", "GET", "/webhook/task?" + q("token", f.wrongIP, "title", "x"), "", "", denied},
		{"api token on incoming URL", "GET", "/webhook/task?" + q("token", f.apiToken, "title", "x"), "", "", denied},
		{"bad token before bad title", "GET", "/webhook/task?" + q("token", "hbi_nope", "title", ""), "", "", denied},

		{"body too large", "POST", "/webhook/task", "application/x-www-form-urlencoded", q("token", tok, "title", "x", "description", strings.Repeat("a", 5000)), want{status: 413, body: "FAILED"}},
		{"method not allowed", "PUT", "/webhook/task?" + q("token", tok, "title", "x"), "", "", want{status: 405, body: "FAILED"}},
		{"HEAD is a dry run", "HEAD", "/webhook/task?" + q("token", tok, "title", "dry"), "", "", want{status: 200}},
		{"HEAD with bad token", "HEAD", "/webhook/task?" + q("token", "hbi_nope", "title", "dry"), "", "", want{status: 401}},
		{"HEAD with unknown column", "HEAD", "/webhook/task?" + q("token", tok, "title", "dry", "column_id", "999"), "", "", want{status: 400}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tasksBefore, eventsBefore := f.counts(t)
			req, err := http.NewRequest(c.method, f.srv.URL+c.target, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.want.status || string(body) != c.want.body {
				t.Fatalf("got %d %q (X-Hookboard-Error %q), want %d %q", resp.StatusCode, body,
					resp.Header.Get("X-Hookboard-Error"), c.want.status, c.want.body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if c.want.status == 405 && resp.Header.Get("Allow") != "GET, HEAD, POST" {
				t.Errorf("Allow %q", resp.Header.Get("Allow"))
			}
			failedReply := c.want.status == 400 || c.want.status == 413 || c.want.status == 405
			if failedReply && resp.Header.Get("X-Hookboard-Error") == "" {
				t.Error("FAILED without X-Hookboard-Error")
			}
			tasksAfter, eventsAfter := f.counts(t)
			created := c.want.status == 200 && c.method != "HEAD"
			if !created {
				if tasksAfter != tasksBefore || eventsAfter != eventsBefore {
					t.Fatalf("rows changed on a refused request: tasks %d->%d, events %d->%d", tasksBefore, tasksAfter, eventsBefore, eventsAfter)
				}
				if resp.Header.Get("X-Hookboard-Task-Id") != "" {
					t.Error("X-Hookboard-Task-Id on a request that created nothing")
				}
				return
			}
			if tasksAfter != tasksBefore+1 || eventsAfter != eventsBefore+1 {
				t.Fatalf("want one task and one event, got tasks %d->%d, events %d->%d", tasksBefore, tasksAfter, eventsBefore, eventsAfter)
			}
			taskID, err := strconv.ParseInt(resp.Header.Get("X-Hookboard-Task-Id"), 10, 64)
			if err != nil {
				t.Fatalf("X-Hookboard-Task-Id %q", resp.Header.Get("X-Hookboard-Task-Id"))
			}
			task, err := f.st.TaskByID(context.Background(), taskID)
			if err != nil {
				t.Fatal(err)
			}
			w := c.want
			if task.Title != w.title || task.ProjectID != w.project || task.ColumnID != w.column || task.SwimlaneID != w.lane || task.ColorID != w.color {
				t.Errorf("task = %q p%d c%d s%d %s, want %q p%d c%d s%d %s", task.Title, task.ProjectID, task.ColumnID, task.SwimlaneID, task.ColorID,
					w.title, w.project, w.column, w.lane, w.color)
			}
			if task.CreatorID != 0 || task.CreatorUsername != nil {
				t.Errorf("an integration's task has creator %d", task.CreatorID)
			}
		})
	}

	t.Run("all fields stored", func(t *testing.T) {
		resp, err := http.Get(f.srv.URL + "/webhook/task?" + q("token", tok, "title", "full", "description", "desc", "owner_id", id(f.ownerID),
			"category_id", id(f.cat1), "score", "5", "reference", "R-9", "date_due", "2027-03-04"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		taskID, _ := strconv.ParseInt(resp.Header.Get("X-Hookboard-Task-Id"), 10, 64)
		task, err := f.st.TaskByID(context.Background(), taskID)
		if err != nil {
			t.Fatal(err)
		}
		due := time.Date(2027, 3, 4, 0, 0, 0, 0, time.UTC).Unix()
		if task.Description != "desc" || task.OwnerID != f.ownerID || task.CategoryID != f.cat1 || task.Score != 5 ||
			task.Reference != "R-9" || task.DateDue != due || task.AssigneeUsername == nil || *task.AssigneeUsername != "bob" {
			t.Errorf("stored task %+v", task)
		}
	})
}

// TestIncomingDatabaseLocked holds the write lock from another connection
// past the busy timeout: the caller gets 503 FAILED and nothing is written.
func TestIncomingDatabaseLocked(t *testing.T) {
	skipOnPostgres(t, "it holds SQLite's write lock on the file (store's TestPostgresWritesWaitForTheWriteLock holds PostgreSQL's)")
	f := newIncomingFixture(t)
	release := holdWriteLock(t, f.st.Path())
	resp, err := http.Get(f.srv.URL + "/webhook/task?token=" + url.QueryEscape(f.token) + "&title=locked")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	release()
	if resp.StatusCode != 503 || string(body) != "FAILED" || resp.Header.Get("X-Hookboard-Error") == "" {
		t.Fatalf("got %d %q %q, want 503 FAILED with a reason", resp.StatusCode, body, resp.Header.Get("X-Hookboard-Error"))
	}
	if tasks, events := f.counts(t); tasks != 0 || events != 0 {
		t.Fatalf("tasks %d events %d after a refused write", tasks, events)
	}
	// Once the lock is gone the same request succeeds.
	resp, err = http.Get(f.srv.URL + "/webhook/task?token=" + url.QueryEscape(f.token) + "&title=unlocked")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("after the lock: %d", resp.StatusCode)
	}
}
