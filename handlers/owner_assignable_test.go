package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"hookboard/store"
)

// TestRPCOwnerMustBeAssignable: createTask and updateTask answer false for
// an owner who is not an active, non-viewer member of the project, and
// change nothing, as Kanboard does; a member is fine.
func TestRPCOwnerMustBeAssignable(t *testing.T) {
	f := newAccessFixture(t)
	before, _ := f.st.TaskCount(context.Background())
	for _, who := range []string{"viewer", "outsider", "outadmin"} {
		if got := f.try(t, "manager", "createTask", map[string]any{"title": "x", "project_id": f.p1, "owner_id": f.ids[who]}); got != "false" {
			t.Errorf("createTask for the %s: %s, want false", who, got)
		}
	}
	if n, _ := f.st.TaskCount(context.Background()); n != before {
		t.Fatalf("%d tasks after refused creates, want %d", n, before)
	}
	id := f.callID(t, f.callers["manager"], "createTask", map[string]any{"title": "x", "project_id": f.p1, "owner_id": f.ids["member"]})
	if got := f.try(t, "manager", "updateTask", map[string]any{"id": id, "owner_id": f.ids["viewer"]}); got != "false" {
		t.Errorf("updateTask to the viewer: %s, want false", got)
	}
	if task, _ := f.st.TaskByID(context.Background(), id); task.OwnerID != f.ids["member"] {
		t.Errorf("owner after a refused update: %d, want the member", task.OwnerID)
	}
	f.callTrue(t, f.callers["manager"], "updateTask", map[string]any{"id": id, "owner_id": f.ids["admin"]})
}

// TestPagesOwnerListIsAssignable: the task page's assignee select and the
// board's new-task form list the project's assignable users only; a task
// whose owner became a viewer keeps them, marked, and still saves; an owner
// sent who is not assignable is refused with the reason on the page.
func TestPagesOwnerListIsAssignable(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	viewer, err := e.st.CreateUser(bg, "viewer", "viewer password", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddProjectMember(bg, e.projectID, viewer.ID, store.ProjectViewer); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.CreateUser(bg, "outsider", "outsider password", false); err != nil {
		t.Fatal(err)
	}
	member, _ := e.st.UserByName(bg, "member")
	c := e.client(t)
	e.login(t, c, "admin", adminPassword)
	doc := func(path string) *goquery.Document {
		t.Helper()
		resp, body := e.get(t, c, path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	labels := func(d *goquery.Document, sel string) []string {
		var out []string
		d.Find(sel + " option").Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
		return out
	}
	want := []string{"Nobody", "admin", "member"}

	board := doc(fmt.Sprintf("/projects/%d/board", e.projectID))
	if got := labels(board, "#new-owner"); !slices.Equal(got, want) {
		t.Fatalf("new-task form assignees %v, want %v", got, want)
	}
	resp := e.postForm(t, c, fmt.Sprintf("/projects/%d/tasks", e.projectID), url.Values{"title": {"Assigned from the board"}, "owner_id": {fmt.Sprint(member.ID)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	tasks, _ := e.st.Tasks(bg, e.projectID, store.TaskOpen)
	if len(tasks) != 1 || tasks[0].OwnerID != member.ID {
		t.Fatalf("tasks %+v, want one owned by the member", tasks)
	}
	id := tasks[0].ID
	resp = e.postForm(t, c, fmt.Sprintf("/projects/%d/tasks", e.projectID), url.Values{"title": {"For the viewer"}, "owner_id": {fmt.Sprint(viewer.ID)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create for the viewer: %d", resp.StatusCode)
	}
	if got := doc(fmt.Sprintf("/projects/%d/board", e.projectID)).Find(`[data-testid="form-error"]`).Text(); !strings.Contains(got, "cannot be assigned tasks") {
		t.Fatalf("board after a create for the viewer says %q", got)
	}
	if n, _ := e.st.TaskCount(bg); n != 1 {
		t.Fatalf("%d tasks, want the refused one not created", n)
	}

	page := doc(fmt.Sprintf("/tasks/%d", id))
	if got := labels(page, "#edit-owner"); !slices.Equal(got, want) {
		t.Fatalf("task page assignees %v, want %v", got, want)
	}
	edit := func(owner int64) *http.Response {
		return e.postForm(t, c, fmt.Sprintf("/tasks/%d/edit", id), url.Values{"title": {"Assigned from the board"}, "owner_id": {fmt.Sprint(owner)}, "color_id": {"yellow"}})
	}
	edit(viewer.ID)
	if got := doc(fmt.Sprintf("/tasks/%d", id)).Find(`[data-testid="form-error"]`).Text(); !strings.Contains(got, "cannot be assigned tasks") {
		t.Fatalf("task page after assigning the viewer says %q", got)
	}
	if task, _ := e.st.TaskByID(bg, id); task.OwnerID != member.ID {
		t.Fatalf("owner %d after a refused edit, want the member", task.OwnerID)
	}

	// The member becomes a viewer: the select keeps them, marked, and the
	// form still saves.
	if err := e.st.SetProjectMemberRole(bg, e.projectID, member.ID, store.ProjectViewer); err != nil {
		t.Fatal(err)
	}
	page = doc(fmt.Sprintf("/tasks/%d", id))
	if got := labels(page, "#edit-owner"); !slices.Equal(got, []string{"Nobody", "admin", "member (not assignable)"}) {
		t.Fatalf("task page assignees %v", got)
	}
	if sel, _ := page.Find("#edit-owner option[selected]").Attr("value"); sel != fmt.Sprint(member.ID) {
		t.Fatalf("selected owner %q", sel)
	}
	if resp := edit(member.ID); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save with the owner unchanged: %d", resp.StatusCode)
	}
	if got := doc(fmt.Sprintf("/tasks/%d", id)).Find(`[data-testid="flash"]`).Text(); got != "Task saved." {
		t.Fatalf("after saving with the owner unchanged: %q", got)
	}
}
