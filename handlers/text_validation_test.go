package handlers

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Text that does not read back as sent is refused wherever it is accepted:
// invalid UTF-8, NUL and other control characters in titles and names;
// in descriptions and comments, control characters other than tab,
// newline and carriage return.

func TestIncomingRefusesUnreadableText(t *testing.T) {
	f := newIncomingFixture(t)
	tasks0, _ := f.counts(t)
	send := func(method, rawQuery, contentType, body string) (int, string, string) {
		t.Helper()
		req, err := http.NewRequest(method, f.srv.URL+"/?controller=webhook&action=task&token="+url.QueryEscape(f.token)+rawQuery, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := f.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header.Get("X-Hookboard-Error")
	}
	const form = "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name, method, query, contentType, body, reason string
	}{
		{"title not UTF-8", "GET", "&title=%ff%fe", "", "", "title is not valid UTF-8"},
		{"NUL in the title", "GET", "&title=%00abc", "", "", "title contains the control character U+0000"},
		{"control-only title", "GET", "&title=%01%02", "", "", "title contains the control character U+0001"},
		{"newline in the title", "POST", "", form, "title=two%0Alines", "title contains the control character U+000A"},
		{"escape in the description", "POST", "", form, "title=ok&description=bell%07", "description contains the control character U+0007"},
		{"description not UTF-8", "POST", "", form, "title=ok&description=%C3%28", "description is not valid UTF-8"},
		{"JSON title not UTF-8", "POST", "", "application/json", "{\"title\":\"\xff\xfe\"}", "JSON body is not valid UTF-8"},
		{"JSON NUL escape in the title", "POST", "", "application/json", `{"title":"\u0000abc"}`, "title contains the control character U+0000"},
	} {
		status, body, reason := send(tc.method, tc.query, tc.contentType, tc.body)
		if status != http.StatusBadRequest || body != "FAILED" || !strings.Contains(reason, tc.reason) {
			t.Errorf("%s: %d %q, X-Hookboard-Error %q; want 400 FAILED saying %q", tc.name, status, body, reason, tc.reason)
		}
	}
	if tasks, _ := f.counts(t); tasks != tasks0 {
		t.Fatalf("refused calls stored %d tasks", tasks-tasks0)
	}
	// Tab, newline and carriage return are text in a description.
	if status, body, reason := send("POST", "", form, "title=fine&description=a%09b%0D%0Ac"); status != http.StatusOK {
		t.Fatalf("a description with tab and CRLF: %d %s %s", status, body, reason)
	}
}

func TestRPCRefusesUnreadableText(t *testing.T) {
	f := newRPCFixture(t, nil)
	app := f.app()
	id := f.callID(t, app, "createTask", map[string]any{"title": "keep", "project_id": f.p1, "description": "tab\there\r\nand CRLF"})
	tasks0, events0 := f.counts(t)
	for _, tc := range []struct {
		method string
		params map[string]any
	}{
		{"createTask", map[string]any{"title": "\x00abc", "project_id": f.p1}},
		{"createTask", map[string]any{"title": "\x01", "project_id": f.p1}},
		{"createTask", map[string]any{"title": "ok", "project_id": f.p1, "description": "\x1b[31mred"}},
		{"updateTask", map[string]any{"id": id, "title": "a\x7fb"}},
		{"updateTask", map[string]any{"id": id, "description": "nul\x00"}},
		{"createSubtask", map[string]any{"task_id": id, "title": "\x00"}},
		{"createComment", map[string]any{"task_id": id, "user_id": f.admin.ID, "content": "bell\x07"}},
	} {
		if res := f.call(t, app, tc.method, tc.params); string(res) != "false" {
			t.Errorf("%s %q: result %s, want false", tc.method, tc.params, res)
		}
	}
	// Bytes that are not UTF-8 would be decoded as U+FFFD: the body is refused.
	status, _, body := f.post(t, app, "{\"jsonrpc\":\"2.0\",\"method\":\"createTask\",\"id\":1,\"params\":{\"title\":\"\xff\xfe\",\"project_id\":"+fmt.Sprint(f.p1)+"}}")
	if status != http.StatusOK || !strings.Contains(body, `"code":-32700`) || !strings.Contains(body, "not valid UTF-8") {
		t.Errorf("a body that is not UTF-8: %d %s", status, body)
	}
	if tasks, events := f.counts(t); tasks != tasks0 || events != events0 {
		t.Fatalf("refused calls stored %d tasks and %d events", tasks-tasks0, events-events0)
	}
	if task, _ := f.st.TaskByID(context.Background(), id); task.Title != "keep" || task.Description != "tab\there\r\nand CRLF" {
		t.Errorf("task after refused updates: %q %q", task.Title, task.Description)
	}
}

func TestPagesRefuseUnreadableTitles(t *testing.T) {
	e := newPageEnv(t)
	c := e.client(t)
	e.login(t, c, "member", memberPassword)
	page := e.postFollow(t, c, fmt.Sprintf("/projects/%d/tasks", e.projectID), url.Values{"title": {"\x00abc"}})
	if !strings.Contains(page, "Title contains the control character U+0000") {
		t.Errorf("the board does not say why the title was refused")
	}
	if tasks, _ := e.st.Tasks(context.Background(), e.projectID, -1); len(tasks) != 0 {
		t.Fatalf("a title with NUL was stored: %q", tasks[0].Title)
	}
}
