package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"

	"hookboard/store"
)

// TestBrowserGroups: an admin makes a group under Settings → Groups, puts
// a user in it, renames it, and shares a project with it on the Members
// page; the user, whose only role is the group's, sees the board as a
// viewer, then as a member when the group's role changes, and is refused
// once the group is removed from the project.
func TestBrowserGroups(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	vera, err := e.st.AddUser(bg, store.NewUser{Username: "vera", Password: "vera-password-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.CreateTask(bg, store.Actor{}, store.NewTask{ProjectID: e.projectID, Title: "Read me"}); err != nil {
		t.Fatal(err)
	}
	admin := newBrowser(t)
	e.browserLogin(t, admin, "admin", adminPassword)

	step(t, admin, "add a group",
		chromedp.Navigate(e.srv.URL+"/settings/users"),
		chromedp.Click("", css(`a[href="/settings/groups"]`)),
		chromedp.WaitVisible("", css(`[data-testid="groups"]`)),
		chromedp.SendKeys("", "Crew", css("#group-name")),
		chromedp.Click("", css(`[data-testid="add-group"]`)),
	)
	waitFor(t, admin, "the group's page", `document.querySelector('[data-testid="group-edit-form"]') !== null`)
	g, err := e.st.GroupByName(bg, "Crew")
	if err != nil {
		t.Fatal(err)
	}
	step(t, admin, "add vera to it",
		chromedp.SetValue("", fmt.Sprint(vera.ID), css("#group-user")),
		chromedp.Click("", css(`[data-testid="add-group-member"]`)),
	)
	waitFor(t, admin, "vera in the group", `document.querySelector('[data-testid="group-member-row"][data-username="vera"]') !== null`)
	step(t, admin, "rename it",
		chromedp.Clear("", css("#edit-group-name")),
		chromedp.SendKeys("", "Night crew", css("#edit-group-name")),
		chromedp.Click("", css(`[data-testid="save-group"]`)),
	)
	waitFor(t, admin, "the saved flash", `document.querySelector('[data-testid="flash"]')?.textContent === 'Group saved.'`)
	if got, _ := e.st.GroupByID(bg, g.ID); got.Name != "Night crew" || got.NbUsers != 1 {
		t.Fatalf("group = %+v", got)
	}

	members := fmt.Sprintf("%s/projects/%d/members", e.srv.URL, e.projectID)
	step(t, admin, "share the project with the group as viewers",
		chromedp.Navigate(members),
		chromedp.SetValue("", fmt.Sprint(g.ID), css("#project-group")),
		chromedp.SetValue("", store.ProjectViewer, css("#project-group-role")),
		chromedp.Click("", css(`[data-testid="add-group-form"] button`)),
	)
	waitFor(t, admin, "the group row", `document.querySelector('[data-testid="group-row"][data-group="Night crew"]') !== null`)
	if role, _ := e.st.ProjectRole(bg, e.projectID, vera.ID); role != store.ProjectViewer {
		t.Fatalf("vera's role = %q", role)
	}

	user := newBrowser(t)
	e.browserLogin(t, user, "vera", "vera-password-1")
	board := fmt.Sprintf("%s/projects/%d/board", e.srv.URL, e.projectID)
	step(t, user, "open the board as a group viewer", chromedp.Navigate(board))
	waitFor(t, user, "the card", `document.querySelector('[data-testid="task-card"]') !== null`)
	if eval[bool](t, user, `document.querySelector('[data-testid="new-task-form"]') !== null`) {
		t.Fatal("a group viewer is offered the new-task form")
	}

	step(t, admin, "make the group members",
		chromedp.Navigate(members),
		chromedp.SetValue("", store.ProjectMember, css(fmt.Sprintf("#group-role-%d", g.ID))),
		chromedp.Click("", css(`[data-group="Night crew"] [data-testid="group-role-form"] button`)),
	)
	waitFor(t, admin, "the saved role", `document.querySelector('[data-testid="flash"]')?.textContent === 'Group role saved.'`)
	step(t, user, "reload the board", chromedp.Navigate(board))
	waitFor(t, user, "the new-task form", `document.querySelector('[data-testid="new-task-form"]') !== null`)

	step(t, admin, "remove the group from the project",
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		chromedp.Click("", css(`[data-group="Night crew"] [data-testid="group-remove"]`)),
	)
	waitFor(t, admin, "the group gone", `document.querySelector('[data-testid="flash"]')?.textContent === 'Group removed.' && document.querySelector('[data-group="Night crew"]') === null`)
	step(t, user, "reload the board", chromedp.Navigate(board))
	waitFor(t, user, "the refusal", `document.body.textContent.includes('You are not a member of this project.')`)

	step(t, admin, "remove the group",
		chromedp.Navigate(fmt.Sprintf("%s/settings/groups/%d", e.srv.URL, g.ID)),
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		chromedp.Click("", css(`[data-testid="remove-group"]`)),
	)
	waitFor(t, admin, "the removed flash", `document.querySelector('[data-testid="flash"]')?.textContent === 'Group removed.' && document.querySelector('[data-testid="groups"]') !== null`)
	if _, err := e.st.GroupByID(bg, g.ID); err == nil {
		t.Fatal("the group is still there")
	}
}

// TestPagesGroupsForAdminsOnly: a user who is not an admin gets 403 on the
// group pages and changes nothing; a duplicate name is refused with the
// reason.
func TestPagesGroupsForAdminsOnly(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	g, err := e.st.CreateGroup(bg, "Crew", "")
	if err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	e.login(t, c, "member", memberPassword)
	if resp, _ := e.get(t, c, "/settings/groups"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("member GET /settings/groups: %d", resp.StatusCode)
	}
	if resp := e.postForm(t, c, fmt.Sprintf("/settings/groups/%d/delete", g), nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("member removing a group: %d", resp.StatusCode)
	}
	if _, err := e.st.GroupByID(bg, g); err != nil {
		t.Fatalf("the group is gone: %v", err)
	}
	a := e.client(t)
	e.login(t, a, "admin", adminPassword)
	body := e.postFollow(t, a, "/settings/groups", url.Values{"name": {"Crew"}})
	if !containsAll(body, "That already exists.", `aria-invalid="true"`) {
		t.Errorf("duplicate group: %s", body)
	}
	if groups, _ := e.st.Groups(bg); len(groups) != 1 {
		t.Errorf("groups = %+v", groups)
	}
}
