package handlers

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"hookboard/store"
)

// TestBrowserBoardSearch: a filter typed in the board's search box leaves
// only the matching cards, says how many, is kept in the URL (a reload
// shows the same), survives a move by button and by drag, reads a bad
// query back as a message by the box, says when nothing matches, and the
// Clear link brings every card back.
func TestBrowserBoardSearch(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	cols, _ := e.st.Columns(bg, e.projectID)
	admin, _ := e.st.UserByName(bg, "admin")
	member, _ := e.st.UserByName(bg, "member")
	actor := store.Actor{UserID: admin.ID, Username: admin.Username, IsAdmin: true}
	day := func(s string) int64 {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d.Unix()
	}
	newTask := func(nt store.NewTask) int64 {
		nt.ProjectID = e.projectID
		id, _, err := e.st.CreateTask(bg, actor, nt)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	login := newTask(store.NewTask{Title: "Fix the login page", OwnerID: admin.ID, DateDue: day("2029-12-01"), ColumnID: cols[0].ID})
	later := newTask(store.NewTask{Title: "Fix the login emails", OwnerID: admin.ID, DateDue: day("2030-03-01"), ColumnID: cols[0].ID})
	docs := newTask(store.NewTask{Title: "Write the login docs", OwnerID: member.ID, DateDue: day("2029-11-01"), ColumnID: cols[0].ID})
	other := newTask(store.NewTask{Title: "Renew the certificate", OwnerID: admin.ID, DateDue: day("2029-10-01"), ColumnID: cols[1].ID})
	closed := newTask(store.NewTask{Title: "Fix the login cookie", OwnerID: admin.ID, DateDue: day("2029-09-01"), ColumnID: cols[0].ID})
	if _, err := e.st.CloseTask(bg, actor, closed); err != nil {
		t.Fatal(err)
	}

	ctx := newBrowser(t)
	e.browserLogin(t, ctx, "admin", adminPassword)
	boardURL := fmt.Sprintf("%s/projects/%d/board", e.srv.URL, e.projectID)
	step(t, ctx, "open the board", chromedp.Navigate(boardURL), chromedp.WaitVisible("", css(`[data-testid="board-search"]`)))
	shown := func() []string {
		return eval[[]string](t, ctx, `[...document.querySelectorAll('[data-testid="task-card"]')].map(c => c.dataset.taskId)`)
	}
	ids := func(n ...int64) []string {
		out := []string{}
		for _, id := range n {
			out = append(out, fmt.Sprint(id))
		}
		slices.Sort(out)
		return out
	}
	sorted := func(s []string) []string { slices.Sort(s); return s }
	if got := sorted(shown()); !slices.Equal(got, ids(login, later, docs, other)) {
		t.Fatalf("unfiltered board shows %v", got)
	}

	// Type a filter and press Enter.
	const query = `assignee:me status:open due:<2030-01-01 "login"`
	step(t, ctx, "search", chromedp.SendKeys("", query+kb.Enter, css(`[data-testid="board-search"]`)))
	waitFor(t, ctx, "the filtered board", `new URLSearchParams(location.search).get('q') !== null && document.querySelector('[data-testid="search-count"]') !== null`)
	if got := shown(); !slices.Equal(got, ids(login)) {
		t.Fatalf("filtered board shows %v, want only task %d", got, login)
	}
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="search-count"]').textContent`); got != "1 task matches "+query+"." {
		t.Fatalf("count says %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="board-search"]').value`); got != query {
		t.Fatalf("search box holds %q", got)
	}
	filtered := eval[string](t, ctx, `location.href`)
	if u, _ := url.Parse(filtered); u.Query().Get("q") != query {
		t.Fatalf("URL %s does not hold the query", filtered)
	}

	// A reload of the URL, as from a bookmark, shows the same board.
	step(t, ctx, "open the bookmarked URL", chromedp.Navigate("about:blank"), chromedp.Navigate(filtered),
		chromedp.WaitVisible("", css(`[data-testid="search-count"]`)))
	if got := shown(); !slices.Equal(got, ids(login)) {
		t.Fatalf("reloaded board shows %v", got)
	}

	// The card's → button moves it, and the board comes back filtered.
	inColumn := func(col int64) string {
		return fmt.Sprintf(`document.querySelector('[data-testid="column-%d"] [data-task-id="%d"]') !== null`, col, login)
	}
	step(t, ctx, "move the card by its button", chromedp.Click("", css(fmt.Sprintf(`[data-task-id="%d"] [data-testid="move-next"]`, login))))
	waitFor(t, ctx, "the card in the second column", inColumn(cols[1].ID))
	if got := eval[string](t, ctx, `location.href`); got != filtered {
		t.Fatalf("after the move the board is %s, want %s", got, filtered)
	}
	if got := shown(); !slices.Equal(got, ids(login)) {
		t.Fatalf("after the move the board shows %v", got)
	}

	// A drag on the filtered board moves the card, and the board stays filtered.
	eval[bool](t, ctx, `window.sameDocument = true`)
	x, y := point(t, ctx, fmt.Sprintf(`.column[data-column-id="%d"]`, cols[2].ID), `[r.left + r.width / 2, r.top + r.height / 2]`)
	mouseDrag(t, ctx, "drag the card to the third column", fmt.Sprintf(`[data-testid="task-card"][data-task-id="%d"]`, login), x, y)
	waitFor(t, ctx, "the message of the move", fmt.Sprintf(`(document.querySelector('[data-testid="flash"]:not([data-old])') || {}).textContent === 'Task #%d moved.'`, login))
	if !eval[bool](t, ctx, inColumn(cols[2].ID)) {
		t.Fatal("after the drag the card is not in the third column")
	}
	if got, err := e.st.TaskByID(bg, login); err != nil || got.ColumnID != cols[2].ID {
		t.Fatalf("task after the drag: column %d, want %d (%v)", got.ColumnID, cols[2].ID, err)
	}
	if !eval[bool](t, ctx, `window.sameDocument === true`) || eval[string](t, ctx, `location.href`) != filtered {
		t.Fatal("the drop left the filtered board")
	}
	if got := shown(); !slices.Equal(got, ids(login)) {
		t.Fatalf("after the drag the board shows %v", got)
	}

	// A query the search cannot read is said so, by the box; nothing breaks.
	search := func(q string) {
		t.Helper()
		eval[bool](t, ctx, `(document.querySelector('[data-testid="board-search"]').value = '') === ''`)
		step(t, ctx, "search "+q, chromedp.SendKeys("", q+kb.Enter, css(`[data-testid="board-search"]`)))
		waitFor(t, ctx, "the board for "+q, fmt.Sprintf(`new URLSearchParams(location.search).get('q') === %q && document.readyState === 'complete'`, q))
	}
	search("due:<nextweek")
	msg := eval[string](t, ctx, `(document.querySelector('#board-search-error') || {}).textContent || ''`)
	if !strings.Contains(msg, `"nextweek" is not a day the search can read`) {
		t.Fatalf("message by the search box: %q", msg)
	}
	if eval[string](t, ctx, `document.querySelector('[data-testid="board-search"]').getAttribute('aria-invalid')`) != "true" {
		t.Fatal("the search box is not marked invalid")
	}

	// Nothing matches: the board says so and offers to clear.
	search("nothing like this")
	if got := shown(); len(got) != 0 {
		t.Fatalf("a search that matches nothing shows %v", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="no-match"]').textContent`); !strings.Contains(got, "No task matches nothing like this.") {
		t.Fatalf("no-match says %q", got)
	}
	step(t, ctx, "clear the search", chromedp.Click("", css(`[data-testid="clear-search"]`)))
	waitFor(t, ctx, "the whole board", `location.search === '' && document.querySelector('[data-testid="no-match"]') === null`)
	if got := sorted(shown()); !slices.Equal(got, ids(login, later, docs, other)) {
		t.Fatalf("cleared board shows %v", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="board-search"]').value`); got != "" {
		t.Fatalf("cleared search box holds %q", got)
	}
}
