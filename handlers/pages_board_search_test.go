package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"hookboard/store"
)

// TestBoardSearchPage: the board's q= narrows the cards and keeps the
// closed-task toggle's link filtered; a query the search cannot read, or
// one too long, answers 200 with the reason by the box and every card; a
// column's count/limit counts its open tasks whatever the search hides;
// and a move from a filtered board goes back to that board, never anywhere
// else.
func TestBoardSearchPage(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	cols, _ := e.st.Columns(bg, e.projectID)
	admin, _ := e.st.UserByName(bg, "admin")
	actor := store.Actor{UserID: admin.ID, Username: admin.Username, IsAdmin: true}
	if _, err := e.st.UpdateColumn(bg, actor, cols[0].ID, store.ColumnFields{Title: cols[0].Title, TaskLimit: 1}); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, title := range []string{"Fix the login page", "Write the docs"} {
		id, _, err := e.st.CreateTask(bg, actor, store.NewTask{ProjectID: e.projectID, Title: title, ColumnID: cols[0].ID})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	c := e.client(t)
	e.login(t, c, "member", memberPassword)
	board := func(query string) (*goquery.Document, int) {
		t.Helper()
		resp, body := e.get(t, c, fmt.Sprintf("/projects/%d/board?%s", e.projectID, query))
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return doc, resp.StatusCode
	}
	cards := func(doc *goquery.Document) []string {
		var out []string
		doc.Find(`[data-testid="task-card"] [data-testid="task-title"]`).Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
		return out
	}

	doc, status := board("q=login")
	if got := cards(doc); status != http.StatusOK || len(got) != 1 || got[0] != "Fix the login page" {
		t.Fatalf("q=login: %d %v", status, got)
	}
	if got := doc.Find(`[data-testid="column-limit"]`).First().Text(); !strings.Contains(got, "2/1") || !strings.Contains(got, "over limit") {
		t.Fatalf("a filtered column's limit says %q, want its 2 open tasks over 1", got)
	}
	if href, _ := doc.Find(`[data-testid="closed-toggle"]`).Attr("href"); href != fmt.Sprintf("/projects/%d/board?closed=1&q=login", e.projectID) {
		t.Fatalf("show-closed link %q", href)
	}
	if v, _ := doc.Find(`[data-testid="board-search"]`).Attr("value"); v != "login" {
		t.Fatalf("search box holds %q", v)
	}

	for _, tc := range []struct{ query, says string }{
		{"q=" + url.QueryEscape("status:done"), `"status:done" is not a status: write status:open or status:closed.`},
		{"q=" + url.QueryEscape("score:lots"), `"score:lots" is not a number: write score:3 or score:>=2.`},
		{"q=" + strings.Repeat("a", store.MaxSearchLength+1), "The search is longer than 1000 characters."},
		{"q=%00", "The search contains the control character U+0000."},
	} {
		doc, status := board(tc.query)
		if got := doc.Find("#board-search-error").Text(); status != http.StatusOK || got != tc.says {
			t.Errorf("%.40s: %d %q, want 200 %q", tc.query, status, got, tc.says)
		}
		if got := cards(doc); len(got) != 2 {
			t.Errorf("%.40s: a search that cannot run shows %v, want every card", tc.query, got)
		}
	}

	// A move sent from the filtered board goes back to it; board_query
	// carries only the search and the closed-task choice.
	for _, tc := range []struct{ boardQuery, want string }{
		{"q=login", fmt.Sprintf("/projects/%d/board?q=login", e.projectID)},
		{"closed=1&q=a+b&next=//evil.example", fmt.Sprintf("/projects/%d/board?closed=1&q=a+b", e.projectID)},
		{"%zz", fmt.Sprintf("/projects/%d/board", e.projectID)},
	} {
		resp := e.postForm(t, c, fmt.Sprintf("/tasks/%d/move", ids[0]), url.Values{"column_id": {fmt.Sprint(cols[1].ID)},
			"swimlane_id": {"0"}, "back": {"board"}, "board_query": {tc.boardQuery}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tc.want {
			t.Errorf("board_query %q: %d %q, want %q", tc.boardQuery, resp.StatusCode, resp.Header.Get("Location"), tc.want)
		}
	}
}
