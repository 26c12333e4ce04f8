package handlers

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"hookboard/store"
)

// TestBrowserTaskLinks: on the task page a member links the task to
// another one, sees the link on both tasks, adds an external link that
// opens the page it names, sees the task's and the project's metadata,
// and removes both links after confirming.
func TestBrowserTaskLinks(t *testing.T) {
	e := newPageEnv(t)
	ctx := newBrowser(t)
	bg := context.Background()
	member, _ := e.st.UserByName(bg, "member")
	actor := store.Actor{UserID: member.ID, Username: member.Username}
	a, _, err := e.st.CreateTask(bg, actor, store.NewTask{Title: "Fix the login page", ProjectID: e.projectID})
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := e.st.CreateTask(bg, actor, store.NewTask{Title: "Release 2.0", ProjectID: e.projectID})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.SaveTaskMetadata(bg, store.Actor{}, a, map[string]string{"pager_incident": "PD-99812"}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.SaveProjectMetadata(bg, store.Actor{}, e.projectID, map[string]string{"crm_account": "ACME-7"}); err != nil {
		t.Fatal(err)
	}
	e.browserLogin(t, ctx, "member", memberPassword)
	msgs := answerDialogs(t, ctx, true, true)

	taskPage := fmt.Sprintf("%s/tasks/%d", e.srv.URL, a)
	step(t, ctx, "open the task", chromedp.Navigate(taskPage), chromedp.WaitVisible("", css(`[data-testid="add-link-form"]`)))
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="task-links"] [data-testid="metadata"]').innerText`); got != "Metadata\npager_incident\nPD-99812" {
		t.Errorf("task metadata shows %q", got)
	}
	step(t, ctx, "link it: blocks the other task",
		chromedp.SetValue("", "2", css("#link-type")),
		chromedp.SendKeys("", fmt.Sprint(b), css("#link-task")),
		chromedp.Click("", css(`[data-testid="add-link"]`)),
	)
	waitFor(t, ctx, "the link", `document.querySelector('[data-testid="task-link"]') !== null`)
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="task-link"] span').innerText`); got != fmt.Sprintf("blocks #%d Release 2.0 Default · Backlog", b) {
		t.Errorf("link shows %q", got)
	}
	if n, _ := e.st.EventCount(bg, store.EventTaskLinkCreateUpdate); n != 2 {
		t.Errorf("%d task_internal_link.create_update events, want 2", n)
	}

	step(t, ctx, "a link to an unknown task",
		chromedp.SendKeys("", "999", css("#link-task")),
		chromedp.Click("", css(`[data-testid="add-link"]`)),
	)
	waitFor(t, ctx, "the refusal", `(document.querySelector('[data-testid="form-error"]')?.textContent ?? '').includes('There is no task #999')`)

	// Followed by its address: the page the refusal reloaded may still be settling under a click.
	href := eval[string](t, ctx, `document.querySelector('[data-testid="task-link"] a').href`)
	step(t, ctx, "follow the link to the other task", chromedp.Navigate(href))
	waitFor(t, ctx, "the other task", fmt.Sprintf(`location.pathname === '/tasks/%d' && document.querySelector('[data-testid="task-link"]') !== null`, b))
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="task-link"] span').innerText`); got != fmt.Sprintf("is blocked by #%d Fix the login page Default · Backlog", a) {
		t.Errorf("the other task's link shows %q", got)
	}

	step(t, ctx, "add an external link",
		chromedp.SendKeys("", "https://example.test/wiki/vpn", css("#ext-url")),
		chromedp.Click("", css(`[data-testid="add-external-link"]`)),
	)
	waitFor(t, ctx, "the external link", `document.querySelector('[data-testid="external-link"] a') !== null`)
	if href, text := eval[string](t, ctx, `document.querySelector('[data-testid="external-link"] a').href`),
		eval[string](t, ctx, `document.querySelector('[data-testid="external-link"]').innerText`); href != "https://example.test/wiki/vpn" ||
		!containsAll(text, "example.test/wiki/vpn", "Web Link · Related") {
		t.Errorf("external link %q: %q", href, text)
	}

	step(t, ctx, "remove the external link", chromedp.Click("", css(`[data-testid="external-link"] button`)))
	if m := nextDialog(t, msgs); m != "Remove this external link?" {
		t.Errorf("dialog %q", m)
	}
	waitFor(t, ctx, "no external link", `document.querySelector('[data-testid="external-link"]') === null && document.querySelector('[data-testid="flash"]')?.textContent === 'External link removed.'`)

	step(t, ctx, "remove the task link from this end", chromedp.Click("", css(`[data-testid="task-link"] button`)))
	nextDialog(t, msgs)
	waitFor(t, ctx, "no link", `document.querySelector('[data-testid="task-link"]') === null && document.querySelector('[data-testid="flash"]')?.textContent === 'Link removed.'`)
	if links, _ := e.st.TaskLinks(bg, a); len(links) != 0 {
		t.Errorf("the first task keeps %+v", links)
	}

	step(t, ctx, "open the board", chromedp.Navigate(fmt.Sprintf("%s/projects/%d/board", e.srv.URL, e.projectID)))
	waitFor(t, ctx, "the board", `document.querySelector('[data-testid="board"]') !== null`)
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="metadata"]').textContent`); !containsAll(got, "crm_account", "ACME-7") {
		t.Errorf("project metadata shows %q", got)
	}
}
