package handlers

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"hookboard/store"
)

// TestBrowserColumnLimitOnBoard: a WIP limit set on the project's settings
// page shows on the board as open tasks/limit in that column, in every
// swimlane, counting neither closed tasks nor other columns; set below the
// open count, the column says "over limit" and is marked so.
func TestBrowserColumnLimitOnBoard(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	cols, _ := e.st.Columns(bg, e.projectID)
	lane2, err := e.st.CreateSwimlane(bg, e.projectID, "Urgent")
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := e.st.UserByName(bg, "admin")
	actor := store.Actor{UserID: admin.ID, Username: admin.Username, IsAdmin: true}
	ready := cols[1]
	for _, nt := range []store.NewTask{
		{Title: "Open in Ready", ColumnID: ready.ID},
		{Title: "Open in Ready, urgent", ColumnID: ready.ID, SwimlaneID: lane2},
		{Title: "Closed in Ready", ColumnID: ready.ID},
		{Title: "Open in Backlog", ColumnID: cols[0].ID},
	} {
		nt.ProjectID = e.projectID
		id, _, err := e.st.CreateTask(bg, actor, nt)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(nt.Title, "Closed") {
			if _, err := e.st.CloseTask(bg, actor, id); err != nil {
				t.Fatal(err)
			}
		}
	}

	ctx := newBrowser(t)
	e.browserLogin(t, ctx, "admin", adminPassword)
	setLimit := func(limit int) {
		t.Helper()
		step(t, ctx, "open the project settings", chromedp.Navigate(fmt.Sprintf("%s/projects/%d/settings", e.srv.URL, e.projectID)),
			chromedp.WaitVisible("", css(fmt.Sprintf(`#col-limit-%d`, ready.ID))))
		eval[bool](t, ctx, fmt.Sprintf(`(document.querySelector('#col-limit-%d').value = '%d') !== ''`, ready.ID, limit))
		step(t, ctx, "save the column", chromedp.Click("", css(fmt.Sprintf(`[data-testid="column-row"][data-column-id="%d"] [data-testid="column-save"]`, ready.ID))))
		waitFor(t, ctx, "the saved limit", fmt.Sprintf(`document.querySelector('[data-testid="flash"]') !== null && document.querySelector('#col-limit-%d').value === '%d'`, ready.ID, limit))
		if c, err := e.st.ColumnByID(bg, ready.ID); err != nil || c.TaskLimit != limit {
			t.Fatalf("column limit in the store: %d (%v), want %d", c.TaskLimit, err, limit)
		}
		step(t, ctx, "open the board", chromedp.Navigate(fmt.Sprintf("%s/projects/%d/board", e.srv.URL, e.projectID)),
			chromedp.WaitVisible("", css(`[data-testid="board"]`)))
	}
	// The header of the Ready column in each swimlane, and whether it is marked over its limit.
	headers := func() ([]string, []bool) {
		texts := eval[[]string](t, ctx, fmt.Sprintf(`[...document.querySelectorAll('[data-testid="column-%d"]')].map(c => (c.querySelector('[data-testid="column-limit"]') || {textContent: ''}).textContent.replace(/\s+/g, ' ').trim())`, ready.ID))
		over := eval[[]bool](t, ctx, fmt.Sprintf(`[...document.querySelectorAll('[data-testid="column-%d"]')].map(c => c.classList.contains('over-limit'))`, ready.ID))
		return texts, over
	}

	setLimit(3)
	texts, over := headers()
	if len(texts) != 2 || texts[0] != "2/3" || texts[1] != "2/3" || over[0] || over[1] {
		t.Fatalf("Ready with a limit of 3 shows %q (over limit %v), want 2/3 in both swimlanes", texts, over)
	}
	if n := eval[int](t, ctx, fmt.Sprintf(`document.querySelectorAll('[data-testid="column-%d"] [data-testid="column-limit"]').length`, cols[0].ID)); n != 0 {
		t.Fatalf("Backlog, without a limit, shows %d limits", n)
	}

	setLimit(1)
	texts, over = headers()
	if len(texts) != 2 || texts[0] != "2/1 over limit" || texts[1] != "2/1 over limit" || !over[0] || !over[1] {
		t.Fatalf("Ready with a limit of 1 shows %q (over limit %v), want 2/1 over limit in both swimlanes", texts, over)
	}
}
