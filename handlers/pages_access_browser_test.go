package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"hookboard/store"
)

// TestBrowserUsersAdminAndMembers: an admin adds a user with a role, edits
// them and resets their password on the users page, then makes them a
// viewer of a project on its Members page; the viewer sees the board
// without its forms; as a member they get the forms; removed, the board
// is refused.
func TestBrowserUsersAdminAndMembers(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	admin := newBrowser(t)
	e.browserLogin(t, admin, "admin", adminPassword)

	step(t, admin, "add a user with a role",
		chromedp.Navigate(e.srv.URL+"/settings/users"),
		chromedp.SendKeys("", "vera", css("#user-name")),
		chromedp.SendKeys("", "Vera V", css("#user-fullname")),
		chromedp.SendKeys("", "vera@example.com", css("#user-email")),
		chromedp.SendKeys("", "vera-password-1", css("#user-password")),
		chromedp.SetValue("", store.RoleManager, css("#user-role")),
		chromedp.Click("", css(`[data-testid="add-user"]`)),
	)
	waitFor(t, admin, "vera's row", `document.querySelector('[data-username="vera"]') !== null`)
	vera, err := e.st.UserByName(bg, "vera")
	if err != nil || vera.Role != store.RoleManager || vera.Name != "Vera V" || vera.Email != "vera@example.com" {
		t.Fatalf("vera = %+v %v", vera, err)
	}

	step(t, admin, "make her an app-user",
		chromedp.SetValue("", store.RoleUser, css(fmt.Sprintf("#role-%d", vera.ID))),
		chromedp.Click("", css(`[data-username="vera"] [data-testid="role-form"] button`)),
	)
	waitFor(t, admin, "the saved flash", `document.querySelector('[data-testid="flash"]')?.textContent === 'User saved.'`)
	if u, _ := e.st.UserByID(bg, vera.ID); u.Role != store.RoleUser || !u.IsActive {
		t.Fatalf("after the role form: %+v", u)
	}

	step(t, admin, "edit her name and reset her password",
		chromedp.Click("", css(`[data-username="vera"] [data-testid="user-edit-link"]`)),
		chromedp.WaitVisible("", css(`[data-testid="user-edit-form"]`)),
		chromedp.Clear("", css("#edit-name")),
		chromedp.SendKeys("", "Vera Verity", css("#edit-name")),
		chromedp.Click("", css(`[data-testid="user-save"]`)),
	)
	waitFor(t, admin, "the saved name", `document.querySelector('#edit-name')?.value === 'Vera Verity' && document.querySelector('[data-testid="flash"]') !== null`)
	step(t, admin, "reset the password",
		chromedp.SendKeys("", "vera-password-2", css("#reset-password")),
		chromedp.Click("", css(`[data-testid="user-password-submit"]`)),
	)
	waitFor(t, admin, "the password flash", `(document.querySelector('[data-testid="flash"]')?.textContent || '').startsWith('Password set.')`)
	if _, err := e.st.CheckPassword(bg, "vera", "vera-password-2"); err != nil {
		t.Fatalf("password not reset: %v", err)
	}
	if u, _ := e.st.UserByID(bg, vera.ID); u.Name != "Vera Verity" {
		t.Fatalf("name = %q", u.Name)
	}

	step(t, admin, "open the project's members from the board",
		chromedp.Navigate(fmt.Sprintf("%s/projects/%d/board", e.srv.URL, e.projectID)),
		chromedp.Click("", css(`[data-testid="members-link"]`)),
		chromedp.WaitVisible("", css(`[data-testid="members"]`)),
		chromedp.SetValue("", fmt.Sprint(vera.ID), css("#member-user")),
		chromedp.SetValue("", store.ProjectViewer, css("#member-role")),
		chromedp.Click("", css(`[data-testid="add-member"]`)),
	)
	waitFor(t, admin, "vera among the members", `document.querySelector('[data-testid="member-row"][data-username="vera"]') !== null`)
	if role, _ := e.st.ProjectRole(bg, e.projectID, vera.ID); role != store.ProjectViewer {
		t.Fatalf("vera's role = %q", role)
	}

	viewer := newBrowser(t)
	e.browserLogin(t, viewer, "vera", "vera-password-2")
	if _, _, err := e.st.CreateTask(bg, store.Actor{}, store.NewTask{ProjectID: e.projectID, Title: "Read me"}); err != nil {
		t.Fatal(err)
	}
	board := fmt.Sprintf("%s/projects/%d/board", e.srv.URL, e.projectID)
	step(t, viewer, "open the board as a viewer", chromedp.Navigate(board))
	waitFor(t, viewer, "the card", `document.querySelector('[data-testid="task-card"]') !== null`)
	if eval[bool](t, viewer, `document.querySelector('[data-testid="new-task-form"], [data-testid="move-next"], [data-testid="members-link"]') !== null`) {
		t.Fatal("a viewer is offered forms that change the board")
	}
	step(t, viewer, "open the task", chromedp.Click("", css(`[data-testid="task-title"]`)))
	waitFor(t, viewer, "the task page", `document.querySelector('[data-testid="comments"]') !== null`)
	if eval[bool](t, viewer, `document.querySelector('main form[method="post"]') !== null`) {
		t.Fatal("a viewer is offered a form on the task page")
	}

	step(t, admin, "make her a member",
		chromedp.Navigate(fmt.Sprintf("%s/projects/%d/members", e.srv.URL, e.projectID)),
		chromedp.SetValue("", store.ProjectMember, css(fmt.Sprintf("#member-role-%d", vera.ID))),
		chromedp.Click("", css(`[data-username="vera"] [data-testid="member-role-form"] button`)),
	)
	waitFor(t, admin, "the saved role", `document.querySelector('[data-testid="flash"]')?.textContent === 'Role saved.'`)
	step(t, viewer, "reload the board", chromedp.Navigate(board))
	waitFor(t, viewer, "the new-task form", `document.querySelector('[data-testid="new-task-form"]') !== null`)

	step(t, admin, "remove her from the project",
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		chromedp.Click("", css(`[data-username="vera"] [data-testid="member-remove"]`)),
	)
	waitFor(t, admin, "vera gone", `document.querySelector('[data-testid="flash"]')?.textContent === 'Member removed.' && document.querySelector('[data-username="vera"]') === null`)
	step(t, viewer, "reload the board", chromedp.Navigate(board))
	waitFor(t, viewer, "the refusal", `document.body.textContent.includes('You are not a member of this project.')`)

	step(t, admin, "remove the user",
		chromedp.Navigate(fmt.Sprintf("%s/settings/users/%d", e.srv.URL, vera.ID)),
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		chromedp.Click("", css(`[data-testid="user-remove"]`)),
	)
	waitFor(t, admin, "the removed flash", `document.querySelector('[data-testid="flash"]')?.textContent === 'User removed.'`)
	if _, err := e.st.UserByID(bg, vera.ID); err == nil {
		t.Fatal("the user is still there")
	}
}

// TestPagesRefuseViewersAndStrangers: a viewer reads a project's board and
// tasks, and every change is refused with 403; a user with no role gets
// 403 even for reading; the project switcher lists only their projects.
func TestPagesRefuseViewersAndStrangers(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	other, _ := e.st.CreateProject(bg, "Secret", "", 0)
	member, _ := e.st.UserByName(bg, "member")
	if err := e.st.SetProjectMemberRole(bg, e.projectID, member.ID, store.ProjectViewer); err != nil {
		t.Fatal(err)
	}
	taskID, _, err := e.st.CreateTask(bg, store.Actor{}, store.NewTask{ProjectID: e.projectID, Title: "Visible"})
	if err != nil {
		t.Fatal(err)
	}
	secret, _, _ := e.st.CreateTask(bg, store.Actor{}, store.NewTask{ProjectID: other, Title: "Hidden"})
	c := e.client(t)
	e.login(t, c, "member", memberPassword)

	if resp, body := e.get(t, c, fmt.Sprintf("/projects/%d/board", e.projectID)); resp.StatusCode != http.StatusOK ||
		!containsAll(body, "Visible") || containsAny(body, "Secret", `data-testid="new-task-form"`) {
		t.Fatalf("viewer's board: %d", resp.StatusCode)
	}
	if resp, _ := e.get(t, c, fmt.Sprintf("/tasks/%d", taskID)); resp.StatusCode != http.StatusOK {
		t.Fatalf("viewer's task page: %d", resp.StatusCode)
	}
	for _, p := range []struct {
		path string
		form url.Values
	}{
		{fmt.Sprintf("/projects/%d/tasks", e.projectID), url.Values{"title": {"x"}}},
		{fmt.Sprintf("/tasks/%d/close", taskID), nil},
		{fmt.Sprintf("/tasks/%d/comments", taskID), url.Values{"comment": {"hi"}}},
		{fmt.Sprintf("/tasks/%d/delete", taskID), nil},
		{fmt.Sprintf("/projects/%d/members", e.projectID), url.Values{"user_id": {fmt.Sprint(member.ID)}, "role": {"project-manager"}}},
	} {
		if resp := e.postForm(t, c, p.path, p.form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("viewer POST %s: %d", p.path, resp.StatusCode)
		}
	}
	if tasks, _ := e.st.Tasks(bg, e.projectID, store.TaskAny); len(tasks) != 1 || tasks[0].IsActive != 1 {
		t.Fatalf("a refused POST changed the project: %+v", tasks)
	}
	if role, _ := e.st.ProjectRole(bg, e.projectID, member.ID); role != store.ProjectViewer {
		t.Fatalf("role = %q", role)
	}
	for _, path := range []string{fmt.Sprintf("/projects/%d/board", other), fmt.Sprintf("/tasks/%d", secret),
		fmt.Sprintf("/projects/%d/members", e.projectID)} {
		if resp, _ := e.get(t, c, path); resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !contains(s, x) {
			return false
		}
	}
	return true
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if contains(s, x) {
			return true
		}
	}
	return false
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
