package handlers

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"hookboard/store"
)

// TestBrowserAutomaticActions drives a project's Automatic actions page
// from its settings: pick an action, then its event and parameters among
// the project's own, see the rule listed in words, see it work on the
// board's data, and remove it (confirmed).
func TestBrowserAutomaticActions(t *testing.T) {
	e := newPageEnvWith(t, screenshotSettings(t, 10))
	ctx := newBrowser(t)
	bg := context.Background()
	cols, _ := e.st.Columns(bg, e.projectID)
	e.browserLogin(t, ctx, "admin", adminPassword)
	step(t, ctx, "open the project's settings, then its automatic actions",
		chromedp.Navigate(fmt.Sprintf("%s/projects/%d/settings", e.srv.URL, e.projectID)),
		chromedp.WaitVisible("", css(`[data-testid="project-actions-link"]`)),
		chromedp.Click("", css(`[data-testid="project-actions-link"]`)),
		chromedp.WaitVisible("", css(`[data-testid="no-actions"]`)))
	step(t, ctx, "choose the action",
		chromedp.SetValue("", `\Kanboard\Action\TaskCloseColumn`, css(`[data-testid="action-choose"]`)),
		chromedp.Click("", css(`[data-testid="action-next"]`)),
		chromedp.WaitVisible("", css(`[data-testid="action-form"]`)))
	events := eval[string](t, ctx, `[...document.querySelectorAll('[data-testid="action-event-select"] option')].map(o => o.value + '=' + o.textContent).join(',')`)
	if events != "task.move.column=Move a task to another column,task.create=Task creation" {
		t.Errorf("events offered: %s", events)
	}
	columns := eval[string](t, ctx, `[...document.querySelectorAll('[data-testid="action-param-column_id"] option')].map(o => o.textContent).join(',')`)
	if columns != "Backlog,Ready,Work in progress,Done" {
		t.Errorf("columns offered: %s", columns)
	}
	step(t, ctx, "add: close tasks created into Done",
		chromedp.SetValue("", store.EventTaskCreate, css(`[data-testid="action-event-select"]`)),
		chromedp.SetValue("", itoa(cols[3].ID), css(`[data-testid="action-param-column_id"]`)),
		chromedp.Click("", css(`[data-testid="action-save"]`)),
		chromedp.WaitVisible("", css(`[data-testid="action-row"]`)))
	row := eval[string](t, ctx, `[...document.querySelectorAll('[data-testid="action-row"] td')].slice(0, 3).map(td => td.textContent.trim()).join(' | ')`)
	if row != "Task creation | Close a task in a specific column | Column: Done" {
		t.Errorf("the rule reads %q", row)
	}
	if flash := eval[string](t, ctx, `(document.querySelector('[data-testid="flash"]') || {}).textContent || ''`); flash != "Automatic action added." {
		t.Errorf("flash %q", flash)
	}
	screenshot(t, ctx, "automatic-actions")

	// The rule works: a task created into Done is closed.
	id, _, err := e.st.CreateTask(bg, store.Actor{}, store.NewTask{Title: "Arrives done", ProjectID: e.projectID, ColumnID: cols[3].ID})
	if err != nil {
		t.Fatal(err)
	}
	if tk, _ := e.st.TaskByID(bg, id); tk.IsActive != 0 {
		t.Error("the task created into Done is open")
	}

	// Removing asks first: a "no" keeps the rule, a "yes" removes it. The
	// question is asked while the form is being sent, and a "no" stops the
	// sending there and then; so once the page says it asked, and is still
	// the same page, nothing was sent.
	eval[bool](t, ctx, `(window.confirm = () => (window.asked = true, false), true)`)
	step(t, ctx, "remove, then cancel", chromedp.Click("", css(`[data-testid="action-remove"]`)))
	if !eval[bool](t, ctx, `window.asked === true`) {
		t.Fatal("removing a rule did not ask first")
	}
	if rules, _ := e.st.Actions(bg, e.projectID); len(rules) != 1 {
		t.Fatalf("a cancelled remove removed the rule: %+v", rules)
	}
	eval[bool](t, ctx, `(window.confirm = () => true, true)`)
	step(t, ctx, "remove, and confirm", chromedp.Click("", css(`[data-testid="action-remove"]`)),
		chromedp.WaitVisible("", css(`[data-testid="no-actions"]`)))
	if rules, _ := e.st.Actions(bg, e.projectID); len(rules) != 0 {
		t.Errorf("rules after remove: %+v", rules)
	}
}
