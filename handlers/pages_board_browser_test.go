package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"hookboard/store"
)

// withLeftButton is a mouse move with the left button held down, as in a
// drag.
func withLeftButton(p *input.DispatchMouseEventParams) {
	p.Button = input.MouseButtonLeft
	p.Buttons = 1
}

// point is the page position of a spot in the element sel: where is a JS
// expression over its bounding rectangle r, giving [x, y].
func point(t *testing.T, ctx context.Context, sel, where string) (float64, float64) {
	t.Helper()
	xy := eval[[]float64](t, ctx, fmt.Sprintf(`(r => %s)(document.querySelector(%q).getBoundingClientRect())`, where, sel))
	if len(xy) != 2 {
		t.Fatalf("no position for %s", sel)
	}
	return xy[0], xy[1]
}

// mouseDrag drags with the mouse as a person does: press on the card's top
// line, move in steps, release over the target point.
func mouseDrag(t *testing.T, ctx context.Context, what, cardSel string, toX, toY float64) {
	t.Helper()
	// The last message is marked old (not removed: the page must not
	// shift), so that waiting for the next one waits for this drag's.
	eval[bool](t, ctx, `(f => (f && f.setAttribute('data-old', ''), true))(document.querySelector('[data-testid="flash"]'))`)
	x, y := point(t, ctx, cardSel, `[r.left + 12, r.top + 8]`)
	actions := []chromedp.Action[chromedp.Void]{
		chromedp.MouseEvent(chromedp.MouseMoved, x, y),
		chromedp.MouseEvent(chromedp.MousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
	}
	const steps = 12
	for i := 1; i <= steps; i++ {
		f := float64(i) / steps
		actions = append(actions, chromedp.MouseEvent(chromedp.MouseMoved, x+(toX-x)*f, y+(toY-y)*f, withLeftButton))
	}
	actions = append(actions, chromedp.MouseEvent(chromedp.MouseReleased, toX, toY, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	step(t, ctx, what, actions...)
}

// eventNames are the X-Hookboard-Event headers a receiver got, in order.
func eventNames(rc *receiver) []string {
	var out []string
	for _, h := range rc.received() {
		out = append(out, h.header.Get("X-Hookboard-Event"))
	}
	return out
}

// TestBrowserDragAndDropMovesCards drags cards with the mouse to another
// column, within a column and to another swimlane: each drop is one store
// move with its webhook, the board shows it and says so, without a page
// load; a plain click on a card still opens it.
func TestBrowserDragAndDropMovesCards(t *testing.T) {
	e := newPageEnv(t, withNotifier(t))
	rc := newReceiver(t, http.StatusOK, "ok")
	bg := context.Background()
	if _, _, err := e.st.CreateEndpoint(bg, store.NewEndpoint{Name: "Receiver", URL: rc.URL}); err != nil {
		t.Fatal(err)
	}
	cols, _ := e.st.Columns(bg, e.projectID)
	lanes, _ := e.st.Swimlanes(bg, e.projectID)
	lane2, err := e.st.CreateSwimlane(bg, e.projectID, "Urgent")
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := e.st.UserByName(bg, "admin")
	actor := store.Actor{UserID: admin.ID, Username: admin.Username, IsAdmin: true}
	newTask := func(title string, col int64) int64 {
		id, _, err := e.st.CreateTask(bg, actor, store.NewTask{ProjectID: e.projectID, Title: title, ColumnID: col})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	a := newTask("Draft the announcement", cols[0].ID)
	b := newTask("Book the venue", cols[0].ID)
	// A closed task, hidden from the board, holds the second column's first
	// place: drops must land by the cards shown, not by counting them.
	hidden := newTask("Print the old flyers", cols[1].ID)
	if _, err := e.st.CloseTask(bg, actor, hidden); err != nil {
		t.Fatal(err)
	}
	c := newTask("Order the stickers", cols[1].ID)

	ctx := newBrowser(t)
	e.browserLogin(t, ctx, "admin", adminPassword)
	step(t, ctx, "open the board", chromedp.Navigate(fmt.Sprintf("%s/projects/%d/board", e.srv.URL, e.projectID)),
		chromedp.WaitVisible("", css(`[data-testid="board"]`)))
	// A page load would forget this; the drops must not need one.
	eval[bool](t, ctx, `window.sameDocument = true`)

	cellSel := func(col, lane int64) string {
		return fmt.Sprintf(`.column[data-column-id="%d"][data-swimlane-id="%d"]`, col, lane)
	}
	cardSel := func(id int64) string { return fmt.Sprintf(`[data-testid="task-card"][data-task-id="%d"]`, id) }
	cellIDs := func(col, lane int64) []string {
		return eval[[]string](t, ctx, fmt.Sprintf(`[...document.querySelectorAll('%s [data-testid="task-card"]')].map(c => c.dataset.taskId)`, cellSel(col, lane)))
	}
	ids := func(n ...int64) []string {
		var out []string
		for _, id := range n {
			out = append(out, fmt.Sprint(id))
		}
		return out
	}
	waitMoved := func(id int64) {
		t.Helper()
		waitFor(t, ctx, fmt.Sprintf("the message of task %d's move", id), fmt.Sprintf(`(document.querySelector('[data-testid="flash"]:not([data-old])') || {}).textContent === 'Task #%d moved.'`, id))
		if !eval[bool](t, ctx, `window.sameDocument === true`) {
			t.Fatal("the drop loaded a new page")
		}
	}
	checkTask := func(id, col, lane, pos int64) {
		t.Helper()
		got, err := e.st.TaskByID(bg, id)
		if err != nil || got.ColumnID != col || got.SwimlaneID != lane || got.Position != pos {
			t.Fatalf("task %d at column %d, swimlane %d, position %d; want %d, %d, %d (%v)",
				id, got.ColumnID, got.SwimlaneID, got.Position, col, lane, pos, err)
		}
	}

	// 1. To the next column, below the card already there.
	x, y := point(t, ctx, cellSel(cols[1].ID, lanes[0].ID), `[r.left + r.width / 2, r.bottom - 12]`)
	mouseDrag(t, ctx, "drag A to the second column", cardSel(a), x, y)
	waitMoved(a)
	checkTask(a, cols[1].ID, lanes[0].ID, 3)
	checkTask(c, cols[1].ID, lanes[0].ID, 2)
	if got := cellIDs(cols[1].ID, lanes[0].ID); !slices.Equal(got, ids(c, a)) {
		t.Fatalf("second column shows %v, want %v", got, ids(c, a))
	}
	if got := cellIDs(cols[0].ID, lanes[0].ID); !slices.Equal(got, ids(b)) {
		t.Fatalf("first column shows %v, want %v", got, ids(b))
	}

	// 2. Within the column: above the card that was first.
	x, y = point(t, ctx, cardSel(c), `[r.left + r.width / 2, r.top + 4]`)
	mouseDrag(t, ctx, "drag A to the top of its column", cardSel(a), x, y)
	waitMoved(a)
	checkTask(hidden, cols[1].ID, lanes[0].ID, 1)
	checkTask(a, cols[1].ID, lanes[0].ID, 2)
	checkTask(c, cols[1].ID, lanes[0].ID, 3)
	if got := cellIDs(cols[1].ID, lanes[0].ID); !slices.Equal(got, ids(a, c)) {
		t.Fatalf("second column shows %v, want %v", got, ids(a, c))
	}

	// 3. To the other swimlane.
	x, y = point(t, ctx, cellSel(cols[2].ID, lane2), `[r.left + r.width / 2, r.top + r.height / 2]`)
	mouseDrag(t, ctx, "drag B to the Urgent swimlane", cardSel(b), x, y)
	waitMoved(b)
	checkTask(b, cols[2].ID, lane2, 1)
	if got := cellIDs(cols[2].ID, lane2); !slices.Equal(got, ids(b)) {
		t.Fatalf("Urgent swimlane shows %v, want %v", got, ids(b))
	}

	// Each drop was one move through the store, and its webhook went out.
	want := []string{store.EventTaskMoveColumn, store.EventTaskMovePosition, store.EventTaskMoveSwimlane}
	if got := eventNames(rc); !slices.Equal(got, want) {
		t.Fatalf("receiver got %v, want %v", got, want)
	}
	var last struct {
		EventData struct {
			TaskID  int64          `json:"task_id"`
			Changes map[string]any `json:"changes"`
		} `json:"event_data"`
	}
	if err := json.Unmarshal([]byte(rc.received()[2].body), &last); err != nil || last.EventData.TaskID != b ||
		last.EventData.Changes["dst_swimlane_id"] != float64(lane2) {
		t.Fatalf("task.move.swimlane payload %s (%v)", rc.received()[2].body, err)
	}

	// A drag let go where it started, or cancelled with Escape, moves nothing.
	x, y = point(t, ctx, cardSel(c), `[r.left + 12, r.top + 8]`)
	mouseDrag(t, ctx, "drag C and let go where it was", cardSel(c), x+1, y+30)
	x, y = point(t, ctx, cellSel(cols[3].ID, lanes[0].ID), `[r.left + r.width / 2, r.bottom - 12]`)
	cx, cy := point(t, ctx, cardSel(c), `[r.left + 12, r.top + 8]`)
	step(t, ctx, "drag C, then press Escape",
		chromedp.MouseEvent(chromedp.MousePressed, cx, cy, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.MouseEvent(chromedp.MouseMoved, (cx+x)/2, (cy+y)/2, withLeftButton),
		chromedp.MouseEvent(chromedp.MouseMoved, x, y, withLeftButton),
		chromedp.KeyEvent("\x1b"),
		chromedp.MouseEvent(chromedp.MouseReleased, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
	)
	if got := cellIDs(cols[1].ID, lanes[0].ID); !slices.Equal(got, ids(a, c)) {
		t.Fatalf("after a cancelled drag the second column shows %v, want %v", got, ids(a, c))
	}
	checkTask(c, cols[1].ID, lanes[0].ID, 3)
	if n := len(rc.received()); n != 3 {
		t.Fatalf("receiver got %d requests after drags that went nowhere, want 3", n)
	}
	if eval[string](t, ctx, `location.pathname`) != fmt.Sprintf("/projects/%d/board", e.projectID) {
		t.Fatal("the end of a drag opened the card")
	}

	// A click is still a click: it opens the task.
	x, y = point(t, ctx, cardSel(c)+` [data-testid="task-title"]`, `[r.left + 10, r.top + r.height / 2]`)
	step(t, ctx, "click a card's title",
		chromedp.MouseEvent(chromedp.MouseMoved, x, y),
		chromedp.MouseEvent(chromedp.MousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
		chromedp.MouseEvent(chromedp.MouseReleased, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	waitFor(t, ctx, "the task page", fmt.Sprintf(`location.pathname === '/tasks/%d'`, c))
}

// TestBrowserMarkdownRendered: a description and a comment written in
// Markdown show formatted, their HTML stays text and never runs, links
// carry rel="nofollow noopener", and the webhook gets the text as typed.
func TestBrowserMarkdownRendered(t *testing.T) {
	e := newPageEnv(t, withNotifier(t))
	rc := newReceiver(t, http.StatusOK, "ok")
	bg := context.Background()
	if _, _, err := e.st.CreateEndpoint(bg, store.NewEndpoint{Name: "Receiver", URL: rc.URL, Events: []string{store.EventCommentCreate}}); err != nil {
		t.Fatal(err)
	}
	admin, _ := e.st.UserByName(bg, "admin")
	actor := store.Actor{UserID: admin.ID, Username: admin.Username, IsAdmin: true}
	desc := "## Steps\n\n1. Open **the board**\n2. See [the spec](https://example.com/spec)\n\n<script>window.pwned = 'description'</script>\n\n- [x] done\n- [ ] todo"
	id, _, err := e.st.CreateTask(bg, actor, store.NewTask{ProjectID: e.projectID, Title: "Markdown", Description: desc})
	if err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	e.browserLogin(t, ctx, "admin", adminPassword)
	step(t, ctx, "open the task", chromedp.Navigate(fmt.Sprintf("%s/tasks/%d", e.srv.URL, id)),
		chromedp.WaitVisible("", css(`[data-testid="task-description"]`)))

	d := `document.querySelector('[data-testid="task-description"]')`
	if got := eval[string](t, ctx, d+`.querySelector('strong').textContent`); got != "the board" {
		t.Fatalf("bold text %q", got)
	}
	if got := eval[[]string](t, ctx, `[...`+d+`.querySelectorAll('li')].map(li => li.textContent.trim())`); len(got) != 4 || got[0] != "Open the board" {
		t.Fatalf("list items %q", got)
	}
	link := eval[[]string](t, ctx, `(a => [a.href, a.rel, a.target, a.textContent])(`+d+`.querySelector('a'))`)
	if !slices.Equal(link, []string{"https://example.com/spec", "nofollow noopener", "_blank", "the spec"}) {
		t.Fatalf("link %q", link)
	}
	if !eval[bool](t, ctx, d+`.innerText.includes("<script>window.pwned = 'description'</script>")`) {
		t.Fatalf("the script is not shown as text: %q", eval[string](t, ctx, d+`.innerText`))
	}

	comment := "Looks **good**, see <https://example.com/x>\n<img src=x onerror=\"window.pwned='comment'\">"
	step(t, ctx, "comment",
		chromedp.SendKeys("", comment, css("#comment-text")),
		chromedp.Click("", css(`[data-testid="add-comment"]`)),
	)
	waitFor(t, ctx, "the comment", `document.querySelector('[data-testid="comment-text"]') !== null`)
	c := `document.querySelector('[data-testid="comment-text"]')`
	if got := eval[string](t, ctx, c+`.querySelector('strong').textContent`); got != "good" {
		t.Fatalf("bold comment text %q", got)
	}
	if got := eval[string](t, ctx, c+`.querySelector('a').rel`); got != "nofollow noopener" {
		t.Fatalf("comment link rel %q", got)
	}
	if !eval[bool](t, ctx, c+`.innerText.includes('<img src=x onerror=')`) {
		t.Fatalf("the image tag is not shown as text: %q", eval[string](t, ctx, c+`.innerText`))
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('main script, main img, .markdown [onerror]').length`); n != 0 {
		t.Fatalf("%d script or image elements came from Markdown", n)
	}
	if got := eval[string](t, ctx, `String(window.pwned)`); got != "undefined" {
		t.Fatalf("markup in Markdown ran: window.pwned = %q", got)
	}

	// The webhook carries the comment as it was typed (a form sends its
	// line breaks as CRLF).
	typed := strings.ReplaceAll(comment, "\n", "\r\n")
	got := rc.received()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1 comment.create", len(got))
	}
	var body struct {
		EventData struct {
			Comment struct {
				Comment string `json:"comment"`
			} `json:"comment"`
		} `json:"event_data"`
	}
	if err := json.Unmarshal([]byte(got[0].body), &body); err != nil || body.EventData.Comment.Comment != typed {
		t.Fatalf("comment.create carries %q, want the raw text %q (%v)", body.EventData.Comment.Comment, typed, err)
	}
}

// seedBadges gives the board's cards what their badges show: subtasks
// (two of five done), comments, a file, due dates (one passed), an
// assignee and a category. It returns the task ids: busy, then later.
func seedBadges(t *testing.T, e *pageEnv) (int64, int64) {
	t.Helper()
	bg := context.Background()
	cols, _ := e.st.Columns(bg, e.projectID)
	admin, _ := e.st.UserByName(bg, "admin")
	member, _ := e.st.UserByName(bg, "member")
	actor := store.Actor{UserID: admin.ID, Username: admin.Username, IsAdmin: true}
	cat, err := e.st.CreateCategory(bg, e.projectID, "Bug")
	if err != nil {
		t.Fatal(err)
	}
	day := func(d int) int64 {
		y, m, dd := e.app.now().UTC().Date()
		return time.Date(y, m, dd+d, 0, 0, 0, 0, time.UTC).Unix()
	}
	busy, _, err := e.st.CreateTask(bg, actor, store.NewTask{ProjectID: e.projectID, Title: "Login page loses the session cookie",
		Description: "Users on Safari are logged out after **every** page.\n\n1. Log in\n2. Open a board\n3. Reload\n\n" +
			"See [SameSite cookies](https://developer.mozilla.org/docs/Web/HTTP/Cookies) and `handlers/session.go`.",
		ColorID: "red", ColumnID: cols[2].ID, OwnerID: member.ID, CategoryID: cat, DateDue: day(-2)})
	if err != nil {
		t.Fatal(err)
	}
	later, _, err := e.st.CreateTask(bg, actor, store.NewTask{ProjectID: e.projectID, Title: "Write the upgrade guide",
		ColorID: "cyan", ColumnID: cols[1].ID, DateDue: day(5)})
	if err != nil {
		t.Fatal(err)
	}
	for i, title := range []string{"Reproduce", "Find the cause", "Fix", "Test on Safari", "Release"} {
		status := store.SubtaskTodo
		if i < 2 {
			status = store.SubtaskDone
		}
		if _, _, err := e.st.CreateSubtask(bg, actor, store.NewSubtask{TaskID: busy, Title: title, Status: status}); err != nil {
			t.Fatal(err)
		}
	}
	for _, text := range []string{"Seen on Safari only.", "The cookie has no **SameSite**.", "Fixed in the branch."} {
		if _, _, err := e.st.CreateComment(bg, actor, busy, 0, text); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := e.st.CreateFile(bg, actor, store.NewFile{TaskID: busy, ProjectID: e.projectID, Name: "har.txt", Data: []byte("GET /login")}, 0); err != nil {
		t.Fatal(err)
	}
	return busy, later
}

// TestBrowserCardBadges: cards show subtask progress, comment and file
// counts, the due date (a passed one in red and in words), the assignee and
// the category.
func TestBrowserCardBadges(t *testing.T) {
	e := newPageEnv(t)
	busy, later := seedBadges(t, e)
	ctx := newBrowser(t)
	e.browserLogin(t, ctx, "member", memberPassword)
	waitFor(t, ctx, "the board", `document.querySelector('[data-testid="board"]') !== null`)

	badge := func(id int64, name string) string {
		return eval[string](t, ctx, fmt.Sprintf(`(b => b ? b.textContent.replace(/\s+/g, ' ').trim() : '')(document.querySelector('[data-task-id="%d"] [data-testid="%s"]'))`, id, name))
	}
	due := func(days int) string {
		y, m, d := e.app.now().UTC().Date()
		return time.Date(y, m, d+days, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
	}
	for _, tc := range []struct {
		id         int64
		name, want string
	}{
		{busy, "card-subtasks", "2/5 subtasks done"},
		{busy, "card-comments", "3 comments"},
		{busy, "card-files", "1 file"},
		{busy, "card-due", "Overdue " + due(-2)},
		{busy, "card-owner", "Assigned to member"},
		{busy, "card-category", "Category Bug"},
		{later, "card-due", "Due " + due(5)},
		{later, "card-subtasks", ""},
		{later, "card-comments", ""},
		{later, "card-owner", ""},
	} {
		if got := badge(tc.id, tc.name); got != tc.want {
			t.Errorf("task %d %s: %q, want %q", tc.id, tc.name, got, tc.want)
		}
	}
	// Overdue is red; a date still ahead is not.
	bgOf := func(id int64) string {
		return eval[string](t, ctx, fmt.Sprintf(`getComputedStyle(document.querySelector('[data-task-id="%d"] [data-testid="card-due"]')).backgroundColor`, id))
	}
	if got := bgOf(busy); got != "rgb(180, 35, 24)" {
		t.Errorf("overdue badge background %s, want the danger red", got)
	}
	if got := bgOf(later); got == "rgb(180, 35, 24)" {
		t.Error("a due date ahead is shown as overdue")
	}
	// The task page agrees with the badges.
	step(t, ctx, "open the busy task", chromedp.Click("", css(fmt.Sprintf(`[data-task-id="%d"] [data-testid="task-title"]`, busy))),
		chromedp.WaitVisible("", css(`[data-testid="subtasks"]`)))
	if n := eval[int](t, ctx, `document.querySelectorAll('[data-testid="subtask"]').length`); n != 5 {
		t.Fatalf("task page lists %d subtasks, want 5", n)
	}
}

// TestBrowserLongWordsStayInTheirBoxes: a very long word in a title, a
// Markdown description or comment wraps inside its card or block (the page
// width itself is TestBrowserLongWordsWrap's).
func TestBrowserLongWordsStayInTheirBoxes(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	admin, _ := e.st.UserByName(bg, "admin")
	actor := store.Actor{UserID: admin.ID, Username: admin.Username, IsAdmin: true}
	long := strings.Repeat("Supercalifragilistic", 15)
	id, _, err := e.st.CreateTask(bg, actor, store.NewTask{ProjectID: e.projectID, Title: long[:200], Description: "https://example.com/" + long})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.CreateComment(bg, actor, id, 0, long); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	e.browserLogin(t, ctx, "admin", adminPassword)
	waitFor(t, ctx, "the board", `document.querySelector('[data-testid="task-card"]') !== null`)
	if !eval[bool](t, ctx, `(c => c.scrollWidth <= c.clientWidth)(document.querySelector('[data-testid="task-card"]'))`) {
		t.Fatal("the long title overflows its card")
	}
	step(t, ctx, "open the task", chromedp.Navigate(fmt.Sprintf("%s/tasks/%d", e.srv.URL, id)),
		chromedp.WaitVisible("", css(`[data-testid="comment-text"]`)))
	for _, sel := range []string{`[data-testid="task-heading"]`, `[data-testid="task-description"]`, `[data-testid="comment-text"]`} {
		if !eval[bool](t, ctx, fmt.Sprintf(`(c => c.scrollWidth <= c.clientWidth)(document.querySelector(%q))`, sel)) {
			t.Errorf("%s overflows", sel)
		}
	}
	if !eval[bool](t, ctx, `document.documentElement.scrollWidth <= window.innerWidth`) {
		t.Error("the task page scrolls sideways")
	}
}
