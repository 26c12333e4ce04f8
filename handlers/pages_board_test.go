package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"hookboard/store"
)

// TestBoardProjectsAndSwimlanes: the board of a project with two swimlanes
// shows a cell per column in each lane, a task created into the second lane
// lands in that lane's cell, closed tasks show only on request, and the
// project switcher lists every project and opens the chosen board, and the
// Board tab opens the first project's board.
func TestBoardProjectsAndSwimlanes(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	pid, err := e.st.CreateProject(bg, "Operations", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	member, _ := e.st.UserByName(bg, "member")
	if err := e.st.AddProjectMember(bg, pid, member.ID, store.ProjectMember); err != nil {
		t.Fatal(err)
	}
	urgent, err := e.st.CreateSwimlane(bg, pid, "Urgent")
	if err != nil {
		t.Fatal(err)
	}
	cols, err := e.st.Columns(bg, pid)
	if err != nil || len(cols) < 2 {
		t.Fatalf("columns %v %v", cols, err)
	}
	c := e.client(t)
	e.login(t, c, "member", memberPassword)

	resp := e.postForm(t, c, fmt.Sprintf("/projects/%d/tasks", pid), url.Values{"title": {"Page the on-call"}, "color_id": {"red"},
		"column_id": {fmt.Sprint(cols[1].ID)}, "swimlane_id": {fmt.Sprint(urgent)}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != fmt.Sprintf("/projects/%d/board", pid) {
		t.Fatalf("create: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	e.postForm(t, c, fmt.Sprintf("/projects/%d/tasks", pid), url.Values{"title": {"Renew the certificate"}, "column_id": {fmt.Sprint(cols[0].ID)}})
	tasks, _ := e.st.Tasks(bg, pid, store.TaskOpen)
	if len(tasks) != 2 {
		t.Fatalf("%d tasks", len(tasks))
	}
	var closed int64
	for _, tk := range tasks {
		if tk.Title == "Renew the certificate" {
			closed = tk.ID
		}
	}
	if resp := e.postForm(t, c, fmt.Sprintf("/tasks/%d/close", closed), nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("close: %d", resp.StatusCode)
	}

	board := func(path string) *goquery.Document {
		t.Helper()
		resp, body := e.get(t, c, path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	doc := board(fmt.Sprintf("/projects/%d/board", pid))
	lanes := doc.Find(`[data-testid="lane"]`)
	if lanes.Length() != 2 || lanes.Eq(1).Find(".lane-name").Text() != "Urgent" {
		t.Fatalf("%d lanes; second %q", lanes.Length(), lanes.Eq(1).Find(".lane-name").Text())
	}
	lanes.Each(func(i int, l *goquery.Selection) {
		if n := l.Find(`section.column`).Length(); n != len(cols) {
			t.Errorf("lane %d has %d cells, want %d", i, n, len(cols))
		}
	})
	cell := lanes.Eq(1).Find(fmt.Sprintf(`[data-testid="column-%d"]`, cols[1].ID))
	card := cell.Find(`[data-testid="task-card"]`)
	if card.Length() != 1 || card.Find(`[data-testid="task-title"]`).Text() != "Page the on-call" || !card.HasClass("color-red") {
		t.Fatalf("the Urgent × %s cell has %d cards: %q", cols[1].Title, card.Length(), cell.Text())
	}
	if lanes.Eq(0).Find(`[data-testid="task-card"]`).Length() != 0 {
		t.Fatal("a card in the default lane; the closed task shows without asking")
	}
	if doc.Find(`#new-swimlane option`).Length() != 2 {
		t.Fatal("the new-task form offers no swimlane choice")
	}
	withClosed := board(fmt.Sprintf("/projects/%d/board?closed=1", pid))
	if got := withClosed.Find(fmt.Sprintf(`[data-task-id="%d"]`, closed)); got.Length() != 1 || !got.HasClass("closed") {
		t.Fatal("the closed task is not shown, or not marked closed, with closed=1")
	}

	var projects []string
	doc.Find(`#switch-project option`).Each(func(_ int, o *goquery.Selection) { projects = append(projects, o.Text()) })
	if strings.Join(projects, ",") != "Default,Operations" || doc.Find(`#switch-project option[selected]`).Text() != "Operations" {
		t.Fatalf("project switcher %v, selected %q", projects, doc.Find(`#switch-project option[selected]`).Text())
	}
	// On the second project's board the Board tab still opens the first.
	if href := doc.Find(`[data-testid="nav-board"]`).AttrOr("href", ""); href != fmt.Sprintf("/projects/%d/board", e.projectID) {
		t.Fatalf("Board tab on the Operations board links %q", href)
	}
	resp, _ = e.get(t, c, fmt.Sprintf("/projects?id=%d", e.projectID))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != fmt.Sprintf("/projects/%d/board", e.projectID) {
		t.Fatalf("switch: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := e.get(t, c, "/projects/999/board"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("board of no project: %d", resp.StatusCode)
	}
}
