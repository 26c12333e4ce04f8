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

// TestBrowserProjectAdmin drives the project administration page in
// Chromium: add a column, move it, give it a WIP limit, remove an empty
// column, be refused removing one that holds a task, and add a category
// that the task form then offers.
func TestBrowserProjectAdmin(t *testing.T) {
	e := newPageEnvWith(t, screenshotSettings(t, 8))
	ctx := newBrowser(t)
	bg := context.Background()
	cols, _ := e.st.Columns(bg, e.projectID)
	task, _, err := e.st.CreateTask(bg, store.Actor{}, store.NewTask{Title: "Keep me", ProjectID: e.projectID, ColumnID: cols[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	e.browserLogin(t, ctx, "admin", adminPassword)
	step(t, ctx, "open the projects list", chromedp.Click("", css(`[data-testid="nav-projects"]`)),
		chromedp.WaitVisible("", css(`[data-testid="project-settings-link"]`)),
		chromedp.Click("", css(`[data-testid="project-settings-link"]`)),
		chromedp.WaitVisible("", css(`[data-testid="columns"]`)))
	// The page's confirmations are answered yes.
	eval[bool](t, ctx, `(window.confirm = () => true, true)`)
	rows := func() string {
		return eval[string](t, ctx, `[...document.querySelectorAll('[data-testid="column-row"]')].map(r =>
			r.querySelector('[data-testid="column-title"]').value + ':' + r.querySelector('[data-testid="column-limit"]').value).join(',')`)
	}
	flash := func() string {
		return eval[string](t, ctx, `(document.querySelector('[data-testid="flash"]') || document.querySelector('[data-testid="form-error"]') || {}).textContent || ''`)
	}
	afterPost := func(what, text string) {
		t.Helper()
		waitFor(t, ctx, what, fmt.Sprintf(`[...document.querySelectorAll('[data-testid="flash"], [data-testid="form-error"]')].some(e => e.textContent.includes(%q))`, text))
		eval[bool](t, ctx, `(window.confirm = () => true, true)`)
	}

	step(t, ctx, "add a column", chromedp.SendKeys("", "Review", css("#new-column-title")),
		chromedp.Click("", css(`[data-testid="new-column-submit"]`)))
	afterPost("the column added", "Column added.")
	if got := rows(); got != "Backlog:0,Ready:0,Work in progress:0,Done:0,Review:0" {
		t.Fatalf("columns after add: %s", got)
	}
	review := eval[string](t, ctx, `[...document.querySelectorAll('[data-testid="column-row"]')].pop().dataset.columnId`)
	sel := func(s string) string { return fmt.Sprintf(`[data-column-id="%s"] %s`, review, s) }
	step(t, ctx, "move it left", chromedp.Click("", css(sel(`[data-testid="column-up"]`))))
	afterPost("the column moved", "Column moved.")
	if got := rows(); got != "Backlog:0,Ready:0,Work in progress:0,Review:0,Done:0" {
		t.Fatalf("columns after move: %s", got)
	}
	step(t, ctx, "set its WIP limit", chromedp.SetValue("", "3", css(sel(`[data-testid="column-limit"]`))),
		chromedp.Click("", css(sel(`[data-testid="column-save"]`))))
	afterPost("the limit saved", "Column saved.")
	if got := rows(); got != "Backlog:0,Ready:0,Work in progress:0,Review:3,Done:0" {
		t.Fatalf("columns after limit: %s", got)
	}
	step(t, ctx, "remove the empty Ready column",
		chromedp.Click("", css(fmt.Sprintf(`[data-column-id="%d"] [data-testid="column-remove"]`, cols[1].ID))))
	afterPost("the column removed", "Column removed.")
	if got := rows(); got != "Backlog:0,Work in progress:0,Review:3,Done:0" {
		t.Fatalf("columns after remove: %s", got)
	}
	step(t, ctx, "try to remove Backlog, which holds a task",
		chromedp.Click("", css(fmt.Sprintf(`[data-column-id="%d"] [data-testid="column-remove"]`, cols[0].ID))))
	afterPost("the refusal", "holds 1 task")
	if got := flash(); got != `Column "Backlog" holds 1 task(s), open or closed: move or remove them first.` {
		t.Errorf("refusal says %q", got)
	}
	if got := rows(); got != "Backlog:0,Work in progress:0,Review:3,Done:0" {
		t.Fatalf("columns after refusal: %s", got)
	}

	step(t, ctx, "add a category", chromedp.SendKeys("", "Bug", css("#new-category-name")),
		chromedp.SetValue("", "red", css("#new-category-color")),
		chromedp.Click("", css(`[data-testid="new-category-submit"]`)))
	afterPost("the category added", "Category added.")
	cats, _ := e.st.Categories(bg, e.projectID)
	if len(cats) != 1 || cats[0].Name != "Bug" || cats[0].ColorID != "red" {
		t.Fatalf("categories %+v", cats)
	}
	screenshot(t, ctx, "project-settings")
	step(t, ctx, "open the task", chromedp.Navigate(fmt.Sprintf("%s/tasks/%d", e.srv.URL, task)),
		chromedp.WaitReady("", css("#edit-category")))
	if got := eval[string](t, ctx, `[...document.querySelectorAll('#edit-category option')].map(o => o.textContent.trim()).join(',')`); !strings.Contains(got, "Bug") {
		t.Errorf("the task form offers categories %q", got)
	}
	for name, want := range map[string]int64{store.EventColumnCreate: 1, store.EventColumnUpdate: 2, store.EventColumnDelete: 1, store.EventCategoryCreate: 1} {
		if n, _ := e.st.EventCount(bg, name); n != want {
			t.Errorf("%d %s events, want %d", n, name, want)
		}
	}
}

// TestProjectPagesForManagersOnly: a member who does not manage the project
// is refused its settings page and its changes; creating a project makes
// an admin its manager.
func TestProjectPagesForManagersOnly(t *testing.T) {
	e := newPageEnv(t)
	member := e.client(t)
	e.login(t, member, "member", memberPassword)
	if resp, _ := e.get(t, member, fmt.Sprintf("/projects/%d/settings", e.projectID)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("member on settings: %d", resp.StatusCode)
	}
	if resp := e.postForm(t, member, fmt.Sprintf("/projects/%d/columns", e.projectID), url.Values{"title": {"Sneaky"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("member adding a column: %d", resp.StatusCode)
	}
	if resp := e.postForm(t, member, "/projects", url.Values{"name": {"Mine"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("member creating a project: %d", resp.StatusCode)
	}
	cols, _ := e.st.Columns(context.Background(), e.projectID)
	if len(cols) != 4 {
		t.Errorf("%d columns after refusals", len(cols))
	}
	admin := e.client(t)
	e.login(t, admin, "admin", adminPassword)
	resp := e.postForm(t, admin, "/projects", url.Values{"name": {"Ops"}, "identifier": {"ops"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "/settings") {
		t.Fatalf("create: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	p, err := e.st.ProjectByIdentifier(context.Background(), "OPS")
	u, _ := e.st.UserByName(context.Background(), "admin")
	if role, _ := e.st.ProjectRole(context.Background(), p.ID, u.ID); err != nil || role != store.ProjectManager {
		t.Errorf("the creator does not manage project %+v (%v)", p, err)
	}
	resp = e.postForm(t, admin, "/projects", url.Values{"name": {"Again"}, "identifier": {"OPS"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/projects/admin" {
		t.Errorf("duplicate identifier: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}
