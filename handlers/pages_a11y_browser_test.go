package handlers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"hookboard/store"
)

// auditJS inspects the page as a user with assistive technology or a phone
// meets it, and returns one line per problem:
//   - every form control has a label (or an aria-label), every button and
//     link a name, every label[for] points at a form control;
//   - the page does not scroll sideways;
//   - no inline script, event handler or style attribute (the CSP forbids
//     them, so they would silently not work);
//   - text meets WCAG AA contrast (4.5:1, 3:1 for large text) against the
//     background it is painted on.
const auditJS = `(() => {
  const problems = [];
  const where = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\s+/).join('.') : '') +
    ' "' + (el.textContent || el.value || '').trim().slice(0, 40) + '"';
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const named = [...(el.labels || [])].some(l => l.textContent.trim() !== '') ||
      (el.getAttribute('aria-label') || '').trim() !== '' || el.hasAttribute('aria-labelledby');
    if (!named) problems.push('form control without a label: ' + where(el));
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    if ((el.getAttribute('aria-label') || el.textContent || '').trim() === '') problems.push('button or link without a name: ' + where(el));
  }
  for (const l of document.querySelectorAll('label[for]')) {
    const t = document.getElementById(l.htmlFor);
    if (!t || !['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON'].includes(t.tagName)) problems.push('label for no form control: ' + where(l));
  }
  const ids = new Set();
  for (const el of document.querySelectorAll('[id]')) {
    if (ids.has(el.id)) problems.push('duplicate id ' + el.id);
    ids.add(el.id);
  }
  if (window.innerWidth !== window.__width) problems.push('window is ' + window.innerWidth + 'px wide, want ' + window.__width);
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    const wide = [...document.querySelectorAll('body *')].filter(el => el.getBoundingClientRect().right > window.innerWidth + 1 && !el.closest('.table-wrap, .board, .skip'));
    problems.push('page scrolls sideways: ' + document.documentElement.scrollWidth + 'px in a ' + window.innerWidth + 'px window; too wide: ' + wide.slice(0, 5).map(where).join(', '));
  }
  if (document.querySelector('script:not([src])')) problems.push('inline script');
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) if (a.name.startsWith('on')) problems.push('inline handler ' + a.name + ' on ' + where(el));
    if (el.hasAttribute('style')) problems.push('style attribute on ' + where(el));
  }
  const parse = c => {
    const m = c.match(/^rgba?\(([^)]+)\)$/);
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const over = (top, bottom) => ({r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a), b: top.b * top.a + bottom.b * (1 - top.a), a: 1});
  const background = el => {
    const layers = [];
    for (let n = el; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let bg = {r: 255, g: 255, b: 255, a: 1};
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const lum = c => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  window.__contrast = (fg, el) => { const bg = background(el); const c = parse(fg); return c ? ratio(over(c, bg), bg) : 0; };
  for (const el of document.querySelectorAll('body *')) {
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim() !== '')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= 0) continue; // not rendered, or a visually hidden label
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden') continue;
    const fg = parse(cs.color);
    if (!fg) { problems.push('unreadable color ' + cs.color + ' on ' + where(el)); continue; }
    for (let n = el; n; n = n.parentElement) fg.a *= parseFloat(getComputedStyle(n).opacity); // faded text
    const bg = background(el);
    const got = ratio(over(fg, bg), bg);
    const size = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight, 10) >= 700;
    const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    if (got < need) problems.push('contrast ' + got.toFixed(2) + ' < ' + need + ': ' + where(el));
  }
  for (const v of window.__csp || []) problems.push('CSP violation: ' + v);
  return problems;
})()`

// cspRecorderJS runs before each page's own scripts and records what the
// Content-Security-Policy blocks.
const cspRecorderJS = `window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`

// focusJS describes the focused element and whether its focus ring is
// visible: an outline or ring of at least 2px whose color stands out 3:1
// against what is around it (WCAG 2.4.7 and 1.4.11). It expects auditJS to
// have run on the page (for window.__contrast).
const focusJS = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return 'body';
  const cs = getComputedStyle(el);
  const around = el.parentElement || el;
  const rings = [];
  if (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2) rings.push(cs.outlineColor);
  const shadow = cs.boxShadow.match(/^(rgba?\([^)]+\))(?: -?[\d.]+px){3} ([\d.]+)px$/);
  if (shadow && parseFloat(shadow[2]) >= 2) rings.push(shadow[1]);
  const visible = rings.some(c => window.__contrast(c, around) >= 3);
  const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' + (el.textContent || el.value || '').trim().slice(0, 30) + '"';
  return (visible ? 'ok ' : 'NO FOCUS RING ') + name;
})()`

// audit loads a page and fails the test with every problem auditJS finds.
func audit(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	step(t, ctx, "open "+url, chromedp.Navigate(url), chromedp.WaitReady("", css("main")))
	if problems := eval[[]string](t, ctx, auditJS); len(problems) > 0 {
		t.Errorf("%s:\n  %s", url, strings.Join(problems, "\n  "))
	}
}

// tabUntil presses Tab until the focused element matches the CSS selector,
// checking on the way that each focused element shows a visible focus ring.
func tabUntil(t *testing.T, ctx context.Context, selector string) {
	t.Helper()
	for range 60 {
		step(t, ctx, "press Tab", chromedp.KeyEvent(kb.Tab))
		if got := eval[string](t, ctx, focusJS); !strings.HasPrefix(got, "ok ") {
			t.Errorf("keyboard focus: %s", got)
		}
		if eval[bool](t, ctx, fmt.Sprintf(`document.activeElement.matches(%q)`, selector)) {
			return
		}
	}
	t.Fatalf("60 presses of Tab never reached %s", selector)
}

// phoneWidth is the CSS width of a common phone's screen.
const phoneWidth = 390

// TestBrowserPagesOnAPhone opens every page at a phone's width (390 px) and
// checks labels, sideways scrolling, contrast, inline code and the CSP;
// then it creates and moves a task with the keyboard alone, checking that
// every element Tab reaches on the way shows its focus.
func TestBrowserPagesOnAPhone(t *testing.T) {
	e := newPageEnvWith(t, screenshotSettings(t, 0), withNotifier(t))
	rc := newReceiverAt(t, receiverAddr(1), e.app.now, http.StatusOK, "thanks, got it")
	ctx := newBrowser(t)
	bg := context.Background()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: fmt.Sprintf("window.__width = %d;\n", phoneWidth) + cspRecorderJS}); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "phone viewport", chromedp.EmulateViewport(phoneWidth, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))

	// Something on every page: tasks, a task with a comment, a subtask and
	// a file, an endpoint with a delivery, an integration, a token.
	seedBoard(t, e)
	tasks, err := e.st.Tasks(bg, e.projectID, store.TaskOpen)
	if err != nil || len(tasks) == 0 {
		t.Fatalf("tasks: %v", err)
	}
	taskID := tasks[0].ID
	c := e.client(t)
	e.login(t, c, "admin", adminPassword)
	mustPost := func(path string, form url.Values) *http.Response {
		t.Helper()
		resp := e.postForm(t, c, path, form)
		if resp.StatusCode >= 400 {
			body, _ := io.ReadAll(resp.Body)
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, body)
		}
		return resp
	}
	mustPost(fmt.Sprintf("/tasks/%d/comments", taskID), url.Values{"comment": {"Asked three of them; answers by Friday."}})
	mustPost(fmt.Sprintf("/tasks/%d/subtasks", taskID), url.Values{"title": {"Write the questions"}})
	uploadFile(t, e, c, taskID, "feedback-notes.txt", "notes")
	mustPost("/settings/webhooks", url.Values{"url": {rc.URL + "/hooks/a-rather-long-path/that-a-phone-must-wrap?channel=engineering-notifications"},
		"name": {"Team chat"}, "all_events": {"1"}, "all_projects": {"1"}, "format": {"kanboard"}, "timeout_ms": {"1000"}})
	eps, err := e.st.Endpoints(bg)
	if err != nil || len(eps) != 1 {
		t.Fatalf("endpoints: %v %v", eps, err)
	}
	loc := mustPost(fmt.Sprintf("/settings/webhooks/%d/test", eps[0].ID), nil).Header.Get("Location")
	if !strings.HasPrefix(loc, "/settings/deliveries/") {
		t.Fatalf("Test went to %q", loc)
	}
	mustPost("/settings/integrations", url.Values{"name": {"Deploy script"}, "kind": {"incoming"}, "allowed_ips": {"127.0.0.1"}})
	mustPost("/account/tokens", url.Values{"name": {"Laptop"}, "expires": {"never"}})

	audit(t, ctx, e.srv.URL+"/login")
	e.browserLogin(t, ctx, "admin", adminPassword)
	for _, p := range []string{
		fmt.Sprintf("/projects/%d/board", e.projectID),
		fmt.Sprintf("/projects/%d/board?closed=1", e.projectID),
		fmt.Sprintf("/tasks/%d", taskID),
		"/settings/webhooks",
		fmt.Sprintf("/settings/webhooks/%d", eps[0].ID),
		loc,
		"/settings/deliveries",
		"/settings/deliveries?status=delivered&since=24h",
		"/settings/events",
		"/settings/integrations",
		"/settings/users",
		"/account",
	} {
		audit(t, ctx, e.srv.URL+p)
	}
	// The page that shows a new integration's token and curl command once.
	step(t, ctx, "create an integration",
		chromedp.Navigate(e.srv.URL+"/settings/integrations"),
		chromedp.SendKeys("", "Nightly job", css(`[data-testid="integration-name-input"]`)),
		chromedp.Click("", css(`[data-testid="create-integration"]`)),
		chromedp.WaitVisible("", css(`[data-testid="shown-curl"]`)),
	)
	if problems := eval[[]string](t, ctx, auditJS); len(problems) > 0 {
		t.Errorf("new integration page:\n  %s", strings.Join(problems, "\n  "))
	}

	// Keyboard only: Tab to the new task field, type, Enter; then Tab to
	// the card's move button and press Enter.
	board := fmt.Sprintf("%s/projects/%d/board", e.srv.URL, e.projectID)
	step(t, ctx, "open the board", chromedp.Navigate(board), chromedp.WaitReady("", css(`[data-testid="board"]`)))
	eval[[]string](t, ctx, auditJS) // defines window.__contrast for focusJS
	tabUntil(t, ctx, "#new-title")
	step(t, ctx, "type a title and press Enter", chromedp.KeyEvent("Typed without a mouse"), chromedp.KeyEvent(kb.Enter))
	waitFor(t, ctx, "the typed task's card", `[...document.querySelectorAll('[data-testid="task-card"]')].some(c => c.textContent.includes('Typed without a mouse'))`)
	typed, err := e.st.Tasks(bg, e.projectID, store.TaskOpen)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	for _, tk := range typed {
		if tk.Title == "Typed without a mouse" {
			id = tk.ID
		}
	}
	if id == 0 {
		t.Fatal("the typed task is not in the store")
	}
	eval[[]string](t, ctx, auditJS)
	tabUntil(t, ctx, fmt.Sprintf(`[data-task-id="%d"] [data-testid="move-next"]`, id))
	step(t, ctx, "press Enter on the move button", chromedp.KeyEvent(kb.Enter))
	cols, _ := e.st.Columns(bg, e.projectID)
	waitFor(t, ctx, "the card in the second column", fmt.Sprintf(`document.querySelector('[data-testid="column-%d"] [data-task-id="%d"]') !== null`, cols[1].ID, id))
	if moved, err := e.st.TaskByID(bg, id); err != nil || moved.ColumnID != cols[1].ID {
		t.Fatalf("after the keyboard move: column %d, want %d (%v)", moved.ColumnID, cols[1].ID, err)
	}

	// A clean board for the phone screenshot.
	step(t, ctx, "reload the board", chromedp.Navigate(board), chromedp.WaitReady("", css(`[data-testid="board"]`)))
	screenshot(t, ctx, "board-phone")

	// A project with a card of every task color, for the contrast check.
	palette, err := e.st.CreateProject(bg, "Palette", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := e.st.UserByName(bg, "admin")
	// Tasks go only to members: the admin manages the new project.
	if err := e.st.AddProjectMember(bg, palette, admin.ID, store.ProjectManager); err != nil {
		t.Fatal(err)
	}
	adminActor := store.Actor{UserID: admin.ID, Username: "admin", IsAdmin: true}
	for i, col := range store.Colors {
		id, _, err := e.st.CreateTask(bg, adminActor, store.NewTask{ProjectID: palette, Title: col.Name + " card", ColorID: col.ID, OwnerID: admin.ID, Score: 2})
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 { // closed cards are drawn differently
			if _, err := e.st.CloseTask(bg, adminActor, id); err != nil {
				t.Fatal(err)
			}
		}
	}

	audit(t, ctx, fmt.Sprintf("%s/projects/%d/board?closed=1", e.srv.URL, palette))
}

// uploadFile attaches a file to a task through the page's upload form.
func uploadFile(t *testing.T, e *pageEnv, c *http.Client, taskID int64, name, content string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(fw, content)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/tasks/%d/files", e.srv.URL, taskID), &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if resp := do(t, c, req); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
}

// answerDialogs answers the page's confirm() dialogs in order with the
// given answers, and reports each dialog's message.
func answerDialogs(t *testing.T, ctx context.Context, answers ...bool) <-chan string {
	t.Helper()
	msgs := make(chan string, len(answers))
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		i := 0
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			accept := i < len(answers) && answers[i]
			i++
			msgs <- ev.Message
			// Answer from another goroutine than the one reading events.
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
			if i == len(answers) {
				return
			}
		}
	}()
	return msgs
}

func nextDialog(t *testing.T, msgs <-chan string) string {
	t.Helper()
	select {
	case m := <-msgs:
		return m
	case <-time.After(20 * time.Second):
		t.Fatal("no confirmation dialog appeared")
		return ""
	}
}

// TestBrowserDeleteAsksFirst: deleting an endpoint or an integration asks
// for confirmation; Cancel keeps it, OK deletes it.
func TestBrowserDeleteAsksFirst(t *testing.T) {
	e := newPageEnv(t)
	ctx := newBrowser(t)
	bg := context.Background()
	ep, _, err := e.st.CreateEndpoint(bg, store.NewEndpoint{Name: "Old CRM", URL: "http://127.0.0.1:9/crm"})
	if err != nil {
		t.Fatal(err)
	}
	in, _, err := e.st.CreateIntegration(bg, store.NewIntegration{Name: "Cron", Kind: store.KindIncoming})
	if err != nil {
		t.Fatal(err)
	}
	e.browserLogin(t, ctx, "admin", adminPassword)
	msgs := answerDialogs(t, ctx, false, true, false, true)

	endpointPage := fmt.Sprintf("%s/settings/webhooks/%d", e.srv.URL, ep.ID)
	step(t, ctx, "open the endpoint", chromedp.Navigate(endpointPage), chromedp.WaitVisible("", css(`[data-testid="delete-endpoint"]`)))
	step(t, ctx, "press Delete, then Cancel", chromedp.Click("", css(`[data-testid="delete-endpoint"]`)))
	if m := nextDialog(t, msgs); m != `Delete endpoint "Old CRM" and its delivery log?` {
		t.Fatalf("dialog says %q", m)
	}
	time.Sleep(300 * time.Millisecond) // a submission, had Cancel not stopped it, would be on its way
	if _, err := e.st.Endpoint(bg, ep.ID); err != nil {
		t.Fatalf("Cancel did not keep the endpoint: %v", err)
	}
	step(t, ctx, "press Delete, then OK", chromedp.Click("", css(`[data-testid="delete-endpoint"]`)))
	nextDialog(t, msgs)
	waitFor(t, ctx, "the webhooks list", `location.pathname === '/settings/webhooks' && document.querySelector('[data-testid="flash"]') !== null`)
	if _, err := e.st.Endpoint(bg, ep.ID); err == nil {
		t.Fatal("OK did not delete the endpoint")
	}

	step(t, ctx, "open integrations", chromedp.Navigate(e.srv.URL+"/settings/integrations"), chromedp.WaitVisible("", css(`[data-testid="delete-integration"]`)))
	step(t, ctx, "press Delete, then Cancel", chromedp.Click("", css(`[data-testid="delete-integration"]`)))
	if m := nextDialog(t, msgs); !strings.Contains(m, `Delete integration "Cron" for good?`) {
		t.Fatalf("dialog says %q", m)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := e.st.IntegrationByID(bg, in.ID); err != nil {
		t.Fatalf("Cancel did not keep the integration: %v", err)
	}
	step(t, ctx, "press Delete, then OK", chromedp.Click("", css(`[data-testid="delete-integration"]`)))
	nextDialog(t, msgs)
	waitFor(t, ctx, "the flash", `document.querySelector('[data-testid="flash"]') !== null`)
	if _, err := e.st.IntegrationByID(bg, in.ID); err == nil {
		t.Fatal("OK did not delete the integration")
	}
}

// TestBrowserTestsFailWithoutChromiumInCI runs a browser test in a child
// process whose PATH has no Chromium: with CI set it must fail, without CI
// it skips.
func TestBrowserTestsFailWithoutChromiumInCI(t *testing.T) {
	if os.Getenv("HOOKBOARD_CHILD") != "" {
		t.Skip("child process")
	}
	run := func(ci bool) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestBrowserMemberCannotOpenSettings$", "-test.v", "-test.count=1")
		env := []string{"PATH=" + t.TempDir(), "HOME=" + t.TempDir(), "HOOKBOARD_CHILD=1"}
		if ci {
			env = append(env, "CI=true")
		}
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run(true)
	if err == nil || !strings.Contains(out, "--- FAIL: TestBrowserMemberCannotOpenSettings") || !strings.Contains(out, "Chromium is not installed") {
		t.Fatalf("with CI set and no Chromium: err %v, output:\n%s", err, out)
	}
	out, err = run(false)
	if err != nil || !strings.Contains(out, "--- SKIP: TestBrowserMemberCannotOpenSettings") {
		t.Fatalf("without CI and no Chromium: err %v, output:\n%s", err, out)
	}
}
