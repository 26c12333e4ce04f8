package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/chromedp/cdproto"
	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/chromedp"

	"hookboard/notify"
	"hookboard/store"
)

// chromiumPath finds Debian's Chromium (or another Chrome). Without one the
// browser tests skip, except in CI, where they must run.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("Chromium is not installed; the browser tests must run in CI (apt-get install chromium)")
	}
	t.Skip("Chromium is not installed; skipping the browser tests (apt-get install chromium)")
	return ""
}

// browser is one headless Chromium shared by the browser tests; each test
// gets its own browser context (its own cookies), which is much cheaper than
// a browser per test on a busy machine.
var browser struct {
	once    sync.Once
	ctx     context.Context
	cancel  context.CancelFunc
	dataDir string
	err     error
}

// TestMain stops the shared browser when the tests are done.
func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	if browser.dataDir != "" {
		os.RemoveAll(browser.dataDir)
	}
	os.Exit(code)
}

func startBrowser(path string) {
	browser.dataDir, browser.err = os.MkdirTemp("", "hookboard-chromium-")
	if browser.err != nil {
		return
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(browser.dataDir),
		chromedp.WindowSize(1280, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	browser.ctx = ctx
	browser.cancel = func() {
		cancelCtx()
		cancelAlloc()
	}
	browser.err = chromedp.Do(ctx) // starts the browser
}

// newBrowser returns a fresh tab, in a browser context of its own, of the
// shared headless Chromium.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	browser.once.Do(func() { startBrowser(path) })
	if browser.err != nil {
		t.Fatalf("start Chromium: %v", browser.err)
	}
	ctx, cancel := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return ctx
}

// css is an exact CSS-selector lookup (a plain string would be a DevTools
// search, which also matches text).
func css(sel string) chromedp.QueryOption {
	return chromedp.ByFunc(func(ctx context.Context, t *chromedp.Target, n *chromedp.Node) ([]cdp.NodeID, error) {
		res, err := cdp.Call(ctx, t, dom.QuerySelectorAll, dom.QuerySelectorAllParams{NodeID: n.NodeID, Selector: sel})
		if err != nil {
			return nil, err
		}
		return res.NodeIDs, nil
	})
}

// step runs browser actions with a time limit, failing the test on error.
//
// An action that finds its node just as a navigation (a form's submission,
// a link) replaces the document fails on the node's id, before it has done
// anything: the node is gone. That says nothing about the page, so the
// action looks again, in the new document, until the time limit.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for _, a := range actions {
		for {
			err := chromedp.Do(tctx, a)
			if err == nil {
				break
			}
			if !staleNode(err) || tctx.Err() != nil {
				t.Fatalf("%s: %v", what, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// staleNode tells whether err is DevTools refusing a node id of a document
// that has since been replaced.
func staleNode(err error) bool {
	var e *cdproto.Error
	return errors.As(err, &e) && (e.Message == "Could not find node with given id" || e.Message == "No node with given id found")
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor waits until a JavaScript predicate holds on the current page. It
// polls from Go rather than in the page, because a poll inside the page
// dies with the navigation that a form submission starts.
func waitFor(t *testing.T, ctx context.Context, what, predicate string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ok, err := chromedp.Run(tctx, chromedp.Evaluate[bool](predicate))
		cancel()
		if err == nil && ok {
			return
		}
		lastErr = err
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("waiting for %s: gave up (last error: %v)", what, lastErr)
}

func (e *pageEnv) browserLogin(t *testing.T, ctx context.Context, user, pw string) {
	t.Helper()
	step(t, ctx, "log in as "+user,
		chromedp.Navigate(e.srv.URL+"/login"),
		chromedp.SendKeys("", user, css("#username")),
		chromedp.SendKeys("", pw, css("#password")),
		chromedp.Click("", css(`[data-testid="login-submit"]`)),
		chromedp.WaitVisible("", css(`[data-testid="current-user"]`)),
	)
	if who := eval[string](t, ctx, `document.querySelector('[data-testid="current-user"]').textContent`); who != user {
		t.Fatalf("logged in as %q, want %q", who, user)
	}
}

// screenshotTime is the frozen clock of screenshot runs, plus an hour for
// each test in the order they run. Event ids count up within a millisecond
// across the process, so each test's clock must be later than the last
// one's for its ids not to depend on which tests ran before it.
var screenshotTime = time.Date(2030, time.January, 15, 9, 30, 0, 0, time.UTC)

// takingScreenshots says whether this run writes docs/screenshots.
func takingScreenshots() bool { return os.Getenv("HOOKBOARD_SCREENSHOTS") != "" }

// screenshotSettings makes the pages of a test that takes screenshots the
// same on every run that writes them: a frozen clock, a fixed port and a
// seeded random source (so tokens, secrets and event ids repeat). Ordinary
// runs keep the real clock, free ports and real randomness.
func screenshotSettings(t *testing.T, hour int) envSettings {
	if !takingScreenshots() {
		return envSettings{}
	}
	cryptotest.SetGlobalRandom(t, 6)
	at := screenshotTime.Add(time.Duration(hour) * time.Hour)
	return envSettings{now: func() time.Time { return at }, addr: "127.0.0.1:18080"}
}

// receiverAddr is receiver n's fixed address in screenshot runs, and any
// free port otherwise.
func receiverAddr(n int) string {
	if !takingScreenshots() {
		return ""
	}
	return fmt.Sprintf("127.0.0.1:%d", 18080+n)
}

// screenshot saves a full-page PNG into docs/screenshots when
// HOOKBOARD_SCREENSHOTS is set (so ordinary test runs leave the tree alone).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	// A page that has just arrived may not be laid out yet, and Chromium
	// refuses to capture a page of width 0: wait until it is.
	waitFor(t, tctx, "the page laid out for "+name, `document.readyState === 'complete' && document.documentElement.getBoundingClientRect().width > 0`)
	png, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Fatalf("screenshot %s is not a PNG", name)
	}
	if !takingScreenshots() {
		return
	}
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBrowserBoardCreateAndMoveTask(t *testing.T) {
	e := newPageEnvWith(t, screenshotSettings(t, 1))
	ctx := newBrowser(t)
	bg := context.Background()
	cols, err := e.st.Columns(bg, e.projectID)
	if err != nil || len(cols) < 2 {
		t.Fatalf("columns: %v %v", cols, err)
	}
	e.browserLogin(t, ctx, "admin", adminPassword)
	waitFor(t, ctx, "the board", `document.querySelector('[data-testid="board"]') !== null`)

	step(t, ctx, "create a task",
		chromedp.SendKeys("", "Write the release notes", css(`[data-testid="new-task-title"]`)),
		chromedp.SetValue("", "blue", css("#new-color")),
		chromedp.Click("", css(`[data-testid="new-task-submit"]`)),
	)
	waitFor(t, ctx, "the new card", `[...document.querySelectorAll('[data-testid="task-card"]')].some(c => c.textContent.includes('Write the release notes'))`)
	tasks, err := e.st.Tasks(bg, e.projectID, store.TaskOpen)
	if err != nil || len(tasks) != 1 {
		t.Fatalf("tasks after create: %d %v", len(tasks), err)
	}
	task := tasks[0]
	if task.Title != "Write the release notes" || task.ColorID != "blue" || task.ColumnID != cols[0].ID {
		t.Fatalf("created task %+v", task)
	}
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="flash"]').textContent`); got != fmt.Sprintf("Task #%d created.", task.ID) {
		t.Fatalf("flash %q", got)
	}
	inColumn := func(colID int64) string {
		return fmt.Sprintf(`document.querySelector('[data-testid="column-%d"] [data-task-id="%d"]') !== null`, colID, task.ID)
	}
	if !eval[bool](t, ctx, inColumn(cols[0].ID)) {
		t.Fatal("the card is not in the first column")
	}

	step(t, ctx, "move the task to the next column",
		chromedp.Click("", css(fmt.Sprintf(`[data-task-id="%d"] [data-testid="move-next"]`, task.ID))))
	waitFor(t, ctx, "the card in "+cols[1].Title, inColumn(cols[1].ID))
	moved, err := e.st.TaskByID(bg, task.ID)
	if err != nil || moved.ColumnID != cols[1].ID {
		t.Fatalf("task after move: column %d, want %d (%v)", moved.ColumnID, cols[1].ID, err)
	}
	if n, _ := e.st.EventCount(bg, store.EventTaskMoveColumn); n != 1 {
		t.Fatalf("%d task.move.column events, want 1", n)
	}

	// Fill the board a little for the screenshot, with badges.
	seedBoard(t, e)
	busy, _ := seedBadges(t, e)
	step(t, ctx, "reload", chromedp.Reload())
	waitFor(t, ctx, "the seeded cards", `document.querySelectorAll('[data-testid="task-card"]').length >= 8`)
	screenshot(t, ctx, "board")

	// The busy task's page, its description and comments in Markdown.
	step(t, ctx, "open a task", chromedp.Navigate(fmt.Sprintf("%s/tasks/%d", e.srv.URL, busy)),
		chromedp.WaitVisible("", css(`[data-testid="task-description"] strong`)))
	screenshot(t, ctx, "task")
}

// seedBoard adds a few tasks in several columns and colors.
func seedBoard(t *testing.T, e *pageEnv) {
	t.Helper()
	bg := context.Background()
	cols, _ := e.st.Columns(bg, e.projectID)
	admin, _ := e.st.UserByName(bg, "admin")
	member, _ := e.st.UserByName(bg, "member")
	actor := store.Actor{UserID: admin.ID, Username: admin.Username, IsAdmin: true}
	for _, nt := range []store.NewTask{
		{Title: "Collect feedback from the beta users", ColorID: "green", ColumnID: cols[0].ID, OwnerID: member.ID},
		{Title: "Nightly backup fails on the staging box", ColorID: "red", ColumnID: cols[0].ID, Score: 3},
		{Title: "Rotate the webhook signing secrets", ColorID: "purple", ColumnID: cols[1].ID, OwnerID: admin.ID},
		{Title: "Migrate the deploy script to the incoming URL", ColorID: "amber", ColumnID: cols[2].ID, OwnerID: member.ID},
		{Title: "Ship 1.0", ColorID: "teal", ColumnID: cols[3].ID},
	} {
		nt.ProjectID = e.projectID
		_, events, err := e.st.CreateTask(bg, actor, nt)
		if err != nil {
			t.Fatal(err)
		}
		e.app.deliver(bg, events)
	}
}

func TestBrowserIntegrationTokenOnceAndCurl(t *testing.T) {
	e := newPageEnvWith(t, screenshotSettings(t, 2))
	ctx := newBrowser(t)
	bg := context.Background()
	e.browserLogin(t, ctx, "admin", adminPassword)

	step(t, ctx, "create an integration",
		chromedp.Navigate(e.srv.URL+"/settings/integrations"),
		chromedp.SendKeys("", "Deploy script", css(`[data-testid="integration-name-input"]`)),
		chromedp.Click("", css(`[data-testid="create-integration"]`)),
		chromedp.WaitVisible("", css(`[data-testid="shown-curl"]`)),
	)
	token := eval[string](t, ctx, `document.querySelector('[data-testid="shown-token"]').textContent`)
	curl := eval[string](t, ctx, `document.querySelector('[data-testid="shown-curl"]').textContent`)
	if !strings.HasPrefix(token, store.PrefixIncoming) || !strings.Contains(curl, token) {
		t.Fatalf("token %q, curl %q", token, curl)
	}
	in, err := e.st.IntegrationByToken(bg, token)
	if err != nil || in.Name != "Deploy script" {
		t.Fatalf("the shown token does not open the new integration: %+v %v", in, err)
	}
	screenshot(t, ctx, "integrations")

	// "Copy as curl" puts exactly the command on the clipboard (the page's
	// only script, allowed by the CSP).
	for _, perm := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: perm}, Setting: cdpbrowser.PermissionSettingGranted,
			Origin: e.srv.URL, BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
		}); err != nil {
			t.Fatalf("grant %s: %v", perm, err)
		}
	}
	step(t, ctx, "press Copy as curl", chromedp.Click("", css(`[data-testid="copy-curl"]`)))
	waitFor(t, ctx, "the button to say Copied", `document.querySelector('[data-testid="copy-curl"]').textContent === 'Copied'`)
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	copied, err := chromedp.Run(tctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	cancel()
	if err != nil || copied != curl {
		t.Fatalf("clipboard holds %q (%v), want the curl command %q", copied, err, curl)
	}

	// Shown once: the list page no longer has it.
	step(t, ctx, "reopen the list", chromedp.Navigate(e.srv.URL+"/settings/integrations"),
		chromedp.WaitVisible("", css(`[data-testid="integrations"]`)))
	if html := eval[string](t, ctx, `document.documentElement.outerHTML`); strings.Contains(html, token) {
		t.Fatal("the token is shown again on the list page")
	}

	// Run the request the page shows.
	out := runShownCurl(t, curl)
	if out != "OK" {
		t.Fatalf("the shown curl command answered %q, want OK", out)
	}
	tasks, err := e.st.Tasks(bg, e.projectID, store.TaskOpen)
	if err != nil || len(tasks) != 1 || tasks[0].Title != "Hello from curl" {
		t.Fatalf("tasks after curl: %+v %v", tasks, err)
	}

	// The list shows the use: last use, the 7-day count and today's bar.
	if err := e.st.FlushUsage(bg); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "reload the list", chromedp.Navigate(e.srv.URL+"/settings/integrations"),
		chromedp.WaitVisible("", css(`[data-testid="integrations"]`)))
	row := `[data-testid="integration-row"] `
	if got := eval[string](t, ctx, `document.querySelector('`+row+`[data-testid="usage-total"]').textContent`); got != "1" {
		t.Fatalf("7-day count %q, want 1", got)
	}
	if eval[string](t, ctx, `document.querySelector('`+row+`td[data-label="Last use"]').textContent.trim()`) == "never" {
		t.Fatal("last use still says never")
	}
	chart := row + `[data-testid="usage-chart"] [data-testid="chart-slot"]`
	bars := eval[[]float64](t, ctx, `[...document.querySelectorAll('`+chart+` rect.fill')].map(r => r.height.baseVal.value)`)
	if len(bars) != 7 || bars[6] <= 0 {
		t.Fatalf("usage bars %v: today's bar is missing", bars)
	}
	days := eval[[]string](t, ctx, `[...document.querySelectorAll('`+chart+` text.label')].map(t => t.textContent)`)
	if len(days) != 7 || days[6] != e.app.now().UTC().Format("Mon") {
		t.Fatalf("day labels %v, want seven ending with today", days)
	}
	if label := eval[string](t, ctx, `[...document.querySelectorAll('`+chart+`')].pop().getAttribute('aria-label')`); !strings.HasSuffix(label, ": 1 request") {
		t.Fatalf("today's numbers %q, want 1 request", label)
	}
}

// runShownCurl runs the command exactly as shown when curl is installed;
// otherwise it makes the same GET request with Go.
func runShownCurl(t *testing.T, command string) string {
	t.Helper()
	if _, err := exec.LookPath("curl"); err == nil {
		out, err := exec.Command("sh", "-c", command+" --silent --show-error").CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v: %s", command, err, out)
		}
		return string(out)
	}
	start, end := strings.Index(command, "'"), strings.LastIndex(command, "'")
	if start < 0 || end <= start {
		t.Fatalf("no quoted URL in %q", command)
	}
	resp, err := http.Get(command[start+1 : end])
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func TestBrowserMemberCannotOpenSettings(t *testing.T) {
	e := newPageEnv(t)
	ctx := newBrowser(t)
	e.browserLogin(t, ctx, "member", memberPassword)
	if eval[bool](t, ctx, `document.querySelector('[data-testid="nav-settings"]') !== null`) {
		t.Fatal("a member sees the Settings link")
	}
	step(t, ctx, "open settings", chromedp.Navigate(e.srv.URL+"/settings/integrations"),
		chromedp.WaitVisible("", css(`[data-testid="error-page"]`)))
	if msg := eval[string](t, ctx, `document.querySelector('[data-testid="error-message"]').textContent`); msg != "Settings are for admins only." {
		t.Fatalf("member on settings sees %q", msg)
	}
	if eval[bool](t, ctx, `document.querySelector('[data-testid="integrations"]') !== null`) {
		t.Fatal("the integrations list is on the page")
	}
}

// TestBrowserCrossSiteFormRefused: a page on another origin that posts a
// form to Hookboard, with the user's cookie, is refused.
func TestBrowserCrossSiteFormRefused(t *testing.T) {
	e := newPageEnv(t)
	ctx := newBrowser(t)
	e.browserLogin(t, ctx, "admin", adminPassword)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!DOCTYPE html><form method="post" action="%s/projects/%d/tasks"><input name="title" value="Planted"></form>
<script>document.forms[0].submit()</script>`, e.srv.URL, e.projectID)
	}))
	defer evil.Close()
	step(t, ctx, "visit the other site", chromedp.Navigate(evil.URL))
	waitFor(t, ctx, "the cross-site post's answer", `location.pathname.endsWith('/tasks')`)
	body := eval[string](t, ctx, `document.body.innerText`)
	if n, _ := e.st.TaskCount(context.Background()); n != 0 {
		t.Fatalf("a cross-site form created %d tasks (page: %q)", n, body)
	}
	if !strings.Contains(strings.ToLower(body), "cross-origin") {
		t.Fatalf("refusal page says %q", body)
	}
}

// withNotifier runs the real notifier, allowed to reach loopback receivers.
func withNotifier(t *testing.T) pageEnvOption {
	return func(d *Deps) {
		allow, err := notify.ParseAllowlist("loopback")
		if err != nil {
			t.Fatal(err)
		}
		n, err := notify.New(notify.Options{Store: d.Store, Now: d.Now, Logger: d.Logger, Version: "test", Allow: allow, DeliveryWait: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		d.Notifier = n
	}
}

// receiver is a webhook receiver that records what it gets.
type receiver struct {
	*httptest.Server
	status atomic.Int64 // the status it answers with; a test may change it
	mu     sync.Mutex
	reqs   []receivedHook
}

type receivedHook struct {
	header http.Header
	body   string
}

func newReceiver(t *testing.T, status int, answer string) *receiver {
	return newReceiverAt(t, "", time.Now, status, answer)
}

// newReceiverAt starts a receiver on addr (any free port when empty). With
// an address, for screenshots, its Date header comes from clock.
func newReceiverAt(t *testing.T, addr string, clock func() time.Time, status int, answer string) *receiver {
	rc := &receiver{}
	rc.status.Store(int64(status))
	rc.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, receivedHook{r.Header.Clone(), string(body)})
		rc.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		if addr != "" {
			w.Header().Set("Date", clock().Format(http.TimeFormat))
		}
		w.WriteHeader(int(rc.status.Load()))
		io.WriteString(w, answer)
	}))
	if addr != "" {
		rc.Listener.Close()
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		rc.Listener = l
	}
	rc.Start()
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) received() []receivedHook {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.reqs)
}

func TestBrowserWebhookTestButtonShowsDelivery(t *testing.T) {
	e := newPageEnvWith(t, screenshotSettings(t, 3), withNotifier(t))
	rc := newReceiverAt(t, receiverAddr(1), e.app.now, http.StatusOK, "thanks, got it")
	ctx := newBrowser(t)
	bg := context.Background()
	e.browserLogin(t, ctx, "admin", adminPassword)

	step(t, ctx, "add an endpoint",
		chromedp.Navigate(e.srv.URL+"/settings/webhooks"),
		chromedp.SendKeys("", rc.URL+"/hooks/hookboard", css(`[data-testid="endpoint-url"]`)),
		chromedp.SendKeys("", "Team chat", css(`[data-testid="endpoint-name"]`)),
		chromedp.Click("", css(`[data-testid="create-endpoint"]`)),
		chromedp.WaitVisible("", css(`[data-testid="endpoint-title"]`)),
	)
	eps, err := e.st.Endpoints(bg)
	if err != nil || len(eps) != 1 || eps[0].URL != rc.URL+"/hooks/hookboard" || eps[0].Name != "Team chat" {
		t.Fatalf("endpoints after add: %+v %v", eps, err)
	}
	sec, err := e.st.EndpointSecrets(bg, eps[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if shown := eval[string](t, ctx, `document.querySelector('[data-testid="endpoint-secret"]').textContent`); shown != sec.Secret {
		t.Fatalf("page shows signing secret %q, store has another", shown)
	}

	step(t, ctx, "press Test",
		chromedp.Click("", css(`[data-testid="test-endpoint"]`)),
		chromedp.WaitVisible("", css(`[data-testid="response-status"]`)),
	)
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="response-status"]').textContent`); got != "200" {
		t.Fatalf("response status on the page: %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="response-body"]').textContent`); got != "thanks, got it" {
		t.Fatalf("response body on the page: %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="delivery-status"]').textContent`); got != "delivered" {
		t.Fatalf("delivery status on the page: %q", got)
	}
	reqBody := eval[string](t, ctx, `document.querySelector('[data-testid="request-body"]').textContent`)
	got := rc.received()
	if len(got) != 1 || got[0].header.Get("X-Hookboard-Event") != "webhook.test" || got[0].header.Get("Webhook-Signature") == "" {
		t.Fatalf("receiver got %d requests: %+v", len(got), got)
	}
	// The page shows the body as sent, and indented on demand.
	if reqBody != got[0].body || !strings.Contains(got[0].body, `"event_name":"webhook.test"`) {
		t.Fatalf("request body on the page %q, at the receiver %q", reqBody, got[0].body)
	}
	if pretty := eval[string](t, ctx, `document.querySelector('[data-testid="request-body-pretty"]').textContent`); !strings.Contains(pretty, `"event_name": "webhook.test"`) {
		t.Fatalf("pretty request body %q", pretty)
	}
	if html := eval[string](t, ctx, `document.documentElement.outerHTML`); strings.Contains(html, sec.Token) {
		t.Fatal("the delivery page shows the endpoint token")
	}
	screenshot(t, ctx, "delivery")

	// A change on the board is delivered on the request's own path.
	seedBoard(t, e)
	step(t, ctx, "create a task", chromedp.Navigate(fmt.Sprintf("%s/projects/%d/board", e.srv.URL, e.projectID)),
		chromedp.SendKeys("", "Tell the team chat", css(`[data-testid="new-task-title"]`)),
		chromedp.Click("", css(`[data-testid="new-task-submit"]`)),
		chromedp.WaitVisible("", css(`[data-testid="flash"]`)),
	)
	last := rc.received()
	if n := len(last); n < 2 || last[n-1].header.Get("X-Hookboard-Event") != store.EventTaskCreate || !strings.Contains(last[n-1].body, "Tell the team chat") {
		t.Fatalf("receiver did not get the task.create of the browser's task: %d requests", n)
	}

	// A second, failing endpoint, to show health on the list.
	bad := newReceiverAt(t, receiverAddr(2), e.app.now, http.StatusInternalServerError, "boom")
	if _, _, err := e.st.CreateEndpoint(bg, store.NewEndpoint{Name: "Legacy CRM", URL: bad.URL + "/kanboard", Events: []string{store.EventTaskCreate, store.EventTaskClose}}); err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "create another task", chromedp.SendKeys("", "Call the CRM vendor", css(`[data-testid="new-task-title"]`)),
		chromedp.Click("", css(`[data-testid="new-task-submit"]`)))
	waitFor(t, ctx, "the second task", `document.body.innerText.includes('Call the CRM vendor')`)
	step(t, ctx, "open the webhooks list", chromedp.Navigate(e.srv.URL+"/settings/webhooks"),
		chromedp.WaitVisible("", css(`[data-testid="endpoints"]`)))
	health := eval[[]string](t, ctx, `[...document.querySelectorAll('[data-testid="endpoint-row"] [data-testid="health"]')].map(b => b.textContent)`)
	if !slices.Equal(health, []string{"Healthy", "Failing"}) {
		t.Fatalf("health badges %v, want [Healthy Failing]", health)
	}
	screenshot(t, ctx, "webhooks")
}
