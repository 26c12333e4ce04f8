package handlers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hookboard/store"
)

// TestTaskPageOperations drives every task form over HTTP and checks the
// rows, the events and the receiver's requests each one produces.
func TestTaskPageOperations(t *testing.T) {
	rc := newReceiver(t, http.StatusOK, "ok")
	e := newPageEnv(t, withNotifier(t))
	bg := context.Background()
	if _, _, err := e.st.CreateEndpoint(bg, store.NewEndpoint{Name: "r", URL: rc.URL}); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	e.login(t, c, "admin", adminPassword)
	cols, _ := e.st.Columns(bg, e.projectID)
	member, _ := e.st.UserByName(bg, "member")

	resp := e.postForm(t, c, fmt.Sprintf("/projects/%d/tasks", e.projectID), url.Values{"title": {"Fix the login page"}, "color_id": {"red"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	tasks, _ := e.st.Tasks(bg, e.projectID, store.TaskOpen)
	if len(tasks) != 1 {
		t.Fatalf("%d tasks", len(tasks))
	}
	id := tasks[0].ID
	base := fmt.Sprintf("/tasks/%d", id)

	expectEvent := func(name string) {
		t.Helper()
		got := rc.received()
		if len(got) == 0 || got[len(got)-1].header.Get("X-Hookboard-Event") != name {
			last := ""
			if len(got) > 0 {
				last = got[len(got)-1].header.Get("X-Hookboard-Event")
			}
			t.Fatalf("receiver's last event %q, want %s", last, name)
		}
	}
	post := func(path string, form url.Values) {
		t.Helper()
		resp := e.postForm(t, c, path, form)
		if resp.StatusCode != http.StatusSeeOther {
			body, _ := io.ReadAll(resp.Body)
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, body)
		}
	}
	expectEvent(store.EventTaskCreate)

	post(base+"/edit", url.Values{"title": {"Fix the login form"}, "description": {"Labels are missing"}, "color_id": {"red"},
		"owner_id": {"0"}, "score": {"3"}, "priority": {"0"}, "reference": {""}, "date_due": {"2026-12-24"}})
	task, _ := e.st.TaskByID(bg, id)
	if task.Title != "Fix the login form" || task.Score != 3 || task.Description != "Labels are missing" || formatDate(task.DateDue) != "2026-12-24" {
		t.Fatalf("after edit: %+v", task)
	}
	expectEvent(store.EventTaskUpdate)

	post(base+"/edit", url.Values{"title": {"Fix the login form"}, "description": {"Labels are missing"}, "color_id": {"red"},
		"owner_id": {fmt.Sprint(member.ID)}, "score": {"3"}, "priority": {"0"}, "reference": {""}, "date_due": {"2026-12-24"}})
	expectEvent(store.EventTaskAssigneeChange)

	post(base+"/move", url.Values{"column_id": {fmt.Sprint(cols[2].ID)}, "swimlane_id": {fmt.Sprint(task.SwimlaneID)}})
	if task, _ = e.st.TaskByID(bg, id); task.ColumnID != cols[2].ID {
		t.Fatalf("after move: column %d", task.ColumnID)
	}
	expectEvent(store.EventTaskMoveColumn)

	post(base+"/comments", url.Values{"comment": {"Reproduced on Firefox"}})
	comments, _ := e.st.Comments(bg, id)
	if len(comments) != 1 || comments[0].Comment != "Reproduced on Firefox" || comments[0].Username != "admin" {
		t.Fatalf("comments: %+v", comments)
	}
	expectEvent(store.EventCommentCreate)

	post(base+"/subtasks", url.Values{"title": {"Add labels"}})
	subs, _ := e.st.Subtasks(bg, id)
	if len(subs) != 1 {
		t.Fatalf("subtasks: %+v", subs)
	}
	expectEvent(store.EventSubtaskCreate)
	post(fmt.Sprintf("/subtasks/%d/status", subs[0].ID), url.Values{"status": {"2"}})
	if subs, _ = e.st.Subtasks(bg, id); subs[0].Status != 2 {
		t.Fatalf("subtask status %d", subs[0].Status)
	}
	expectEvent(store.EventSubtaskUpdate)

	// Upload, download (as an attachment, never as a page), delete.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "trace.html")
	fw.Write([]byte("<script>alert(1)</script>"))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+base+"/files", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if resp := do(t, c, req); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	files, _ := e.st.Files(bg, id)
	if len(files) != 1 || files[0].Name != "trace.html" {
		t.Fatalf("files: %+v", files)
	}
	expectEvent(store.EventFileCreate)
	resp, got := e.get(t, c, fmt.Sprintf("/files/%d", files[0].ID))
	if resp.StatusCode != http.StatusOK || got != "<script>alert(1)</script>" ||
		resp.Header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	post(fmt.Sprintf("/files/%d/delete", files[0].ID), nil)
	expectEvent(store.EventFileDelete)

	post(base+"/close", nil)
	if task, _ = e.st.TaskByID(bg, id); task.IsActive != 0 {
		t.Fatal("task still open")
	}
	expectEvent(store.EventTaskClose)
	post(base+"/open", nil)
	expectEvent(store.EventTaskOpen)

	// The task page shows all of it.
	resp, page := e.get(t, c, base)
	for _, want := range []string{"Fix the login form", "Reproduced on Firefox", "Add labels", "Work in progress"} {
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, want) {
			t.Fatalf("task page (%d) lacks %q", resp.StatusCode, want)
		}
	}

	// A member may not delete the admin's comment.
	mc := e.client(t)
	e.login(t, mc, "member", memberPassword)
	resp = e.postForm(t, mc, fmt.Sprintf("/comments/%d/delete", comments[0].ID), nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("member deleting admin's comment: %d", resp.StatusCode)
	}
	if _, page := e.get(t, mc, base); !strings.Contains(page, "You may not change that.") {
		t.Fatal("no refusal shown to the member")
	}
	if left, _ := e.st.Comments(bg, id); len(left) != 1 {
		t.Fatal("the member deleted the admin's comment")
	}
	post(fmt.Sprintf("/comments/%d/delete", comments[0].ID), nil)
	expectEvent(store.EventCommentDelete)
	post(base+"/delete", nil)
	if _, err := e.st.TaskByID(bg, id); err == nil {
		t.Fatal("task not deleted")
	}
	expectEvent(store.EventTaskDelete)
}

func TestTaskFormsRefuseBadInput(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	c := e.client(t)
	e.login(t, c, "member", memberPassword)
	board := fmt.Sprintf("/projects/%d/board", e.projectID)
	for _, form := range []url.Values{
		{"title": {"   "}},
		{"title": {strings.Repeat("x", 65536)}},
		{"title": {"ok"}, "color_id": {"chartreuse"}},
		{"title": {"ok"}, "column_id": {"abc"}},
		{"title": {"ok"}, "column_id": {"999"}},
	} {
		resp := e.postForm(t, c, fmt.Sprintf("/projects/%d/tasks", e.projectID), form)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != board {
			t.Fatalf("%v: %d %q", form, resp.StatusCode, resp.Header.Get("Location"))
		}
		_, page := e.get(t, c, board)
		if !strings.Contains(page, `data-testid="form-error"`) {
			t.Fatalf("%v: the board shows no error", form)
		}
	}
	if n, _ := e.st.TaskCount(bg); n != 0 {
		t.Fatalf("%d tasks created from bad input", n)
	}
	if n, _ := e.st.EventCount(bg, ""); n != 0 {
		t.Fatalf("%d events from bad input", n)
	}
	if resp, _ := e.get(t, c, "/tasks/4242"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown task: %d", resp.StatusCode)
	}
}

// TestTaskPartsGoBackToTheirTask: changing a comment, subtask or file
// (whose ids differ from the task's) changes that part and goes back to
// the task it belongs to.
func TestTaskPartsGoBackToTheirTask(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	admin := store.Actor{UserID: 1, Username: "admin", IsAdmin: true}
	var id int64
	for _, title := range []string{"First", "Second"} {
		var err error
		if id, _, err = e.st.CreateTask(bg, admin, store.NewTask{ProjectID: e.projectID, Title: title}); err != nil {
			t.Fatal(err)
		}
	}
	commentID, _, err := e.st.CreateComment(bg, admin, id, 0, "Seen it")
	if err != nil {
		t.Fatal(err)
	}
	subID, _, err := e.st.CreateSubtask(bg, admin, store.NewSubtask{TaskID: id, Title: "Check"})
	if err != nil {
		t.Fatal(err)
	}
	fileID, _, err := e.st.CreateFile(bg, admin, store.NewFile{TaskID: id, ProjectID: e.projectID, Name: "a.txt", MimeType: "text/plain", Data: []byte("a")}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if commentID == id || subID == id || fileID == id {
		t.Fatalf("task %d shares an id with its parts (%d, %d, %d); the test could not tell them apart", id, commentID, subID, fileID)
	}
	c := e.client(t)
	e.login(t, c, "admin", adminPassword)
	back := fmt.Sprintf("/tasks/%d", id)
	for _, p := range []struct {
		path string
		form url.Values
	}{
		{fmt.Sprintf("/subtasks/%d/status", subID), url.Values{"status": {"2"}}},
		{fmt.Sprintf("/subtasks/%d/delete", subID), nil},
		{fmt.Sprintf("/comments/%d/delete", commentID), nil},
		{fmt.Sprintf("/files/%d/delete", fileID), nil},
	} {
		resp := e.postForm(t, c, p.path, p.form)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != back {
			t.Fatalf("POST %s: %d to %q, want 303 to %s", p.path, resp.StatusCode, resp.Header.Get("Location"), back)
		}
		// A failure is answered the same way (with a flash): see that
		// the change was made.
		if p.form.Get("status") != "" {
			if sub, err := e.st.SubtaskByID(bg, subID); err != nil || sub.Status != 2 {
				t.Fatalf("after POST %s: subtask %+v, err %v; want status 2 (done)", p.path, sub, err)
			}
		}
	}
	subs, _ := e.st.Subtasks(bg, id)
	comments, _ := e.st.Comments(bg, id)
	files, _ := e.st.Files(bg, id)
	if len(subs)+len(comments)+len(files) != 0 {
		t.Fatalf("left: %d subtasks, %d comments, %d files", len(subs), len(comments), len(files))
	}
	if resp := e.postForm(t, c, fmt.Sprintf("/subtasks/%d/delete", subID), nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("deleting a deleted subtask: %d, want 404", resp.StatusCode)
	}
}
