package handlers

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"

	"hookboard/store"
)

// axeSource is axe-core (MPL 2.0, its licence header kept), the
// accessibility engine of the browsers' audit tools.
//
//go:embed testdata/axe.min.js
var axeSource string

// axeRunJS runs axe-core on the page for WCAG 2.2 AA and returns one line
// per violation: rule, impact and the elements that fail it.
const axeRunJS = `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})
  .then(r => r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.map(n => n.target.join(' ')).join(', ')))`

// headingSkipJS lists headings that skip a level (an h1 followed by an
// h3): axe-core files that rule under best practice, outside the WCAG tags.
const headingSkipJS = `(() => {
  const out = []; let prev = 0;
  for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    const level = Number(h.tagName[1]);
    if (level > prev + 1) out.push('heading-order: ' + h.tagName.toLowerCase() + ' "' + h.textContent.trim().slice(0, 40) + '" after h' + prev);
    prev = level;
  }
  return out;
})()`

// axeAudit fails the test with every WCAG 2.2 AA violation axe-core finds
// on the page the browser shows, and every heading that skips a level.
func axeAudit(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	if !eval[bool](t, ctx, `typeof axe !== 'undefined'`) {
		eval[bool](t, ctx, axeSource+"\n;true")
	}
	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	violations, err := chromedp.Run(tctx, chromedp.Evaluate[[]string](axeRunJS, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe on %s: %v", what, err)
	}
	violations = append(violations, eval[[]string](t, ctx, headingSkipJS)...)
	if len(violations) > 0 {
		t.Errorf("%s: %d axe-core violations:\n  %s", what, len(violations), strings.Join(violations, "\n  "))
	}
}

// consoleErrors records what the browser logs as an error (a failed load,
// a 404 for a favicon, a script error) while the test runs.
type consoleErrors struct {
	mu   sync.Mutex
	seen []string
}

func recordConsole(t *testing.T, ctx context.Context) *consoleErrors {
	t.Helper()
	c := &consoleErrors{}
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*cdplog.EventEntryAdded); ok && e.Entry.Level == cdplog.EntryLevelError {
			c.mu.Lock()
			c.seen = append(c.seen, e.Entry.Text+" "+e.Entry.URL)
			c.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *consoleErrors) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.seen
	c.seen = nil
	return out
}

// TestBrowserAxeEveryPage opens every page, at a desktop's and a phone's
// width, and runs axe-core for WCAG 2.2 AA on it: no violations. The
// browser's console stays free of errors (no missing favicon). The task
// page is checked in each of the 16 task colors (its header is painted in
// the task's color).
func TestBrowserAxeEveryPage(t *testing.T) {
	e := newPageEnvWith(t, envSettings{}, withNotifier(t))
	rc := newReceiver(t, http.StatusOK, strings.Repeat("a long answer that scrolls\n", 200))
	bg := context.Background()
	seedBoard(t, e)
	seedBadges(t, e) // every kind of card badge, an overdue date among them
	tasks, err := e.st.Tasks(bg, e.projectID, store.TaskOpen)
	if err != nil || len(tasks) == 0 {
		t.Fatalf("tasks: %v", err)
	}
	taskID := tasks[0].ID
	c := e.client(t)
	e.login(t, c, "admin", adminPassword)
	e.postFollow(t, c, fmt.Sprintf("/tasks/%d/comments", taskID), url.Values{"comment": {"Asked three of them."}})
	e.postFollow(t, c, fmt.Sprintf("/tasks/%d/subtasks", taskID), url.Values{"title": {"Write the questions"}})
	uploadFile(t, e, c, taskID, "notes.txt", "notes")
	// A subtask with time spent and the admin's running timer.
	subtasks, _ := e.st.Subtasks(bg, taskID)
	e.postFollow(t, c, fmt.Sprintf("/subtasks/%d/timer", subtasks[0].ID), url.Values{})
	if _, _, err := e.st.CreateProjectFile(bg, store.Actor{}, e.projectID, "roadmap.pdf", "", []byte("%PDF-1.4"), 0); err != nil {
		t.Fatal(err)
	}
	e.postFollow(t, c, "/settings/webhooks", url.Values{"url": {rc.URL + "/hooks"}, "name": {"Team chat"}, "all_events": {"1"},
		"all_projects": {"1"}, "format": {"kanboard"}, "timeout_ms": {"1000"}})
	eps, err := e.st.Endpoints(bg)
	if err != nil || len(eps) != 1 {
		t.Fatalf("endpoints: %v %v", eps, err)
	}
	delivery := e.postForm(t, c, fmt.Sprintf("/settings/webhooks/%d/test", eps[0].ID), nil).Header.Get("Location")
	e.postFollow(t, c, "/settings/integrations", url.Values{"name": {"Deploy script"}, "kind": {"incoming"}})
	admin, _ := e.st.UserByName(bg, "admin")
	adminActor := store.Actor{UserID: admin.ID, Username: "admin", IsAdmin: true}
	var colorTasks []int64
	for _, col := range store.Colors {
		id, _, err := e.st.CreateTask(bg, adminActor, store.NewTask{ProjectID: e.projectID, Title: col.Name + " task", ColorID: col.ID, OwnerID: admin.ID})
		if err != nil {
			t.Fatal(err)
		}
		colorTasks = append(colorTasks, id)
	}

	cols, _ := e.st.Columns(bg, e.projectID)
	if _, err := e.st.CreateAction(bg, e.projectID, store.EventTaskMoveColumn, `\Kanboard\Action\TaskCloseColumn`,
		[]store.ActionParam{{Name: "column_id", Value: fmt.Sprint(cols[3].ID)}}); err != nil {
		t.Fatal(err)
	}

	pages := []string{
		fmt.Sprintf("/projects/%d/board", e.projectID),
		fmt.Sprintf("/projects/%d/board?closed=1", e.projectID),
		fmt.Sprintf("/tasks/%d", taskID),
		fmt.Sprintf("/projects/%d/files", e.projectID),
		fmt.Sprintf("/projects/%d/actions?action_name=%s", e.projectID, url.QueryEscape(`\Kanboard\Action\TaskMoveColumnAssigned`)),
		"/settings/webhooks",
		fmt.Sprintf("/settings/webhooks/%d", eps[0].ID),
		delivery,
		"/settings/integrations",
		"/settings/users",
		fmt.Sprintf("/settings/users/%d/confirm?admin=1&active=0", admin.ID),
		"/account",
		"/no/such/page",
	}
	for _, width := range []int64{1280, phoneWidth} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			ctx := newBrowser(t)
			console := recordConsole(t, ctx)
			step(t, ctx, "viewport", chromedp.EmulateViewport(width, 900))
			step(t, ctx, "open the login page", chromedp.Navigate(e.srv.URL+"/login"), chromedp.WaitReady("", css("main")))
			axeAudit(t, ctx, "/login")
			e.browserLogin(t, ctx, "admin", adminPassword)
			// The page that shows a new secret once, and a form error by
			// its field.
			step(t, ctx, "create a token",
				chromedp.Navigate(e.srv.URL+"/account"),
				chromedp.SendKeys("", "Laptop", css("#tok-name")),
				chromedp.Click("", css(`form[action="/account/tokens"] button[type="submit"]`)),
				chromedp.WaitVisible("", css(`[data-testid="shown-token"]`)))
			axeAudit(t, ctx, "/account with a new token")
			step(t, ctx, "send a wrong current password",
				chromedp.SendKeys("", "wrong-password", css("#pw-current")),
				chromedp.SendKeys("", "new-password-9", css("#pw-new")),
				chromedp.SendKeys("", "new-password-9", css("#pw-confirm")),
				chromedp.Click("", css(`[data-testid="password-form"] button[type="submit"]`)),
				chromedp.WaitVisible("", css("#pw-current-error")))
			axeAudit(t, ctx, "/account with a field error")
			for _, p := range pages {
				step(t, ctx, "open "+p, chromedp.Navigate(e.srv.URL+p), chromedp.WaitReady("", css("main")))
				axeAudit(t, ctx, p)
			}
			if width == 1280 {
				for _, id := range colorTasks {
					p := fmt.Sprintf("/tasks/%d", id)
					step(t, ctx, "open "+p, chromedp.Navigate(e.srv.URL+p), chromedp.WaitReady("", css("main")))
					axeAudit(t, ctx, p+" ("+eval[string](t, ctx, `document.querySelector('h1').textContent`)+")")
				}
			}
			// The 404 page answers 404, which the console reports as a
			// failed load of that page; nothing else may fail.
			for _, m := range console.take() {
				if !strings.Contains(m, "/no/such/page") {
					t.Errorf("console error: %s", m)
				}
			}
		})
	}
}

// TestBrowserFaviconAndNoConsoleError: every page names an icon the
// server has (headless Chromium does not fetch icons itself, so the page
// fetches it), and loading pages logs no error in the console.
func TestBrowserFaviconAndNoConsoleError(t *testing.T) {
	e := newPageEnv(t)
	ctx := newBrowser(t)
	console := recordConsole(t, ctx)
	iconJS := `(() => { const l = document.querySelector('link[rel~="icon"]');
  return l ? fetch(l.href).then(r => r.status + ' ' + r.headers.get('Content-Type')) : 'no icon link'; })()`
	step(t, ctx, "open the login page", chromedp.Navigate(e.srv.URL+"/login"), chromedp.WaitReady("", css("main")))
	e.browserLogin(t, ctx, "admin", adminPassword)
	for _, p := range []string{"/login", fmt.Sprintf("/projects/%d/board", e.projectID), "/settings/webhooks", "/account"} {
		step(t, ctx, "open "+p, chromedp.Navigate(e.srv.URL+p), chromedp.WaitReady("", css("main")))
		tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		got, err := chromedp.Run(tctx, chromedp.Evaluate[string](iconJS, chromedp.EvalAwaitPromise))
		cancel()
		if err != nil || got != "200 image/svg+xml" {
			t.Errorf("%s: the icon answers %q (%v)", p, got, err)
		}
	}
	if errs := console.take(); len(errs) > 0 {
		t.Fatalf("console errors:\n  %s", strings.Join(errs, "\n  "))
	}
}
