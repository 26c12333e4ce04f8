package handlers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"testing"

	"hookboard/store"
)

// TestPageProjectFilesByRole: what each role may do with a project's files
// and subtask timers through the pages; refused requests change nothing.
func TestPageProjectFilesByRole(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	for _, u := range []struct{ name, role string }{{"viewer", store.ProjectViewer}, {"outsider", ""}} {
		user, err := e.st.CreateUser(bg, u.name, u.name+"-password-1", false)
		if err != nil {
			t.Fatal(err)
		}
		if u.role != "" {
			if err := e.st.AddProjectMember(bg, e.projectID, user.ID, u.role); err != nil {
				t.Fatal(err)
			}
		}
	}
	fid, _, err := e.st.CreateProjectFile(bg, store.Actor{}, e.projectID, "page.html", "", []byte("<script>alert(1)</script>"), 0)
	if err != nil {
		t.Fatal(err)
	}
	task, _, _ := e.st.CreateTask(bg, store.Actor{}, store.NewTask{Title: "Timed", ProjectID: e.projectID})
	sid, _, _ := e.st.CreateSubtask(bg, store.Actor{}, store.NewSubtask{TaskID: task, Title: "Part"})
	upload := func(c *http.Client) int {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "x.txt")
		io.WriteString(fw, "x")
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/projects/%d/files", e.srv.URL, e.projectID), &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return do(t, c, req).StatusCode
	}
	files := fmt.Sprintf("/projects/%d/files", e.projectID)
	download := fmt.Sprintf("/project-files/%d", fid)
	for _, c := range []struct {
		user                          string
		page, dl, up, del, timer, bad int
	}{
		{"outsider", 403, 403, 403, 403, 403, 404},
		{"viewer", 200, 200, 403, 403, 403, 404},
	} {
		cl := e.client(t)
		e.login(t, cl, c.user, c.user+"-password-1")
		resp, _ := e.get(t, cl, files)
		dl, _ := e.get(t, cl, download)
		missing, _ := e.get(t, cl, "/project-files/999")
		got := []int{resp.StatusCode, dl.StatusCode, upload(cl),
			e.postForm(t, cl, download+"/delete", url.Values{}).StatusCode,
			e.postForm(t, cl, fmt.Sprintf("/subtasks/%d/timer", sid), url.Values{}).StatusCode, missing.StatusCode}
		want := []int{c.page, c.dl, c.up, c.del, c.timer, c.bad}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: files page, download, upload, delete, timer, unknown file: %v, want %v", c.user, got, want)
		}
		if c.dl == 200 && (dl.Header.Get("Content-Type") != "application/octet-stream" ||
			dl.Header.Get("Content-Disposition") != "attachment; filename=page.html") {
			t.Errorf("an HTML file is served as %q, %q", dl.Header.Get("Content-Type"), dl.Header.Get("Content-Disposition"))
		}
	}
	left, _ := e.st.ProjectFiles(bg, e.projectID)
	if len(left) != 1 {
		t.Errorf("%d project files after refused changes, want 1", len(left))
	}
	if n, _ := e.st.EventCount(bg, store.EventProjectFileDelete); n != 0 {
		t.Errorf("%d project_file.delete events after refused changes", n)
	}

	// A member uploads.
	cl := e.client(t)
	e.login(t, cl, "member", memberPassword)
	if got := upload(cl); got != http.StatusSeeOther {
		t.Fatalf("member upload: %d", got)
	}
	if left, _ := e.st.ProjectFiles(bg, e.projectID); len(left) != 2 {
		t.Errorf("%d project files after the member's upload, want 2", len(left))
	}
}
