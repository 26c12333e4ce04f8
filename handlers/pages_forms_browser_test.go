package handlers

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"hookboard/store"
)

// TestBrowserReloadAfterCreateMakesNoSecond: creating an integration or a
// personal token and then pressing reload leaves one, not two, and the
// reloaded page no longer shows the secret.
func TestBrowserReloadAfterCreateMakesNoSecond(t *testing.T) {
	e := newPageEnv(t)
	ctx := newBrowser(t)
	bg := context.Background()
	e.browserLogin(t, ctx, "admin", adminPassword)
	admin, _ := e.st.UserByName(bg, "admin")

	for _, f := range []struct {
		page, input, submit, rows string
		count                     func() int
	}{
		{"/settings/integrations", `[data-testid="integration-name-input"]`, `[data-testid="create-integration"]`, `[data-testid="integration-row"]`, func() int {
			l, _ := e.st.Integrations(bg)
			return len(l)
		}},
		{"/account", "#tok-name", `form[action="/account/tokens"] button[type="submit"]`, `[data-testid="token-row"]`, func() int {
			l, _ := e.st.PersonalTokens(bg, admin.ID)
			return len(l)
		}},
	} {
		step(t, ctx, "create on "+f.page,
			chromedp.Navigate(e.srv.URL+f.page),
			chromedp.SendKeys("", "Made once", css(f.input)),
			chromedp.Click("", css(f.submit)),
			chromedp.WaitVisible("", css(`[data-testid="shown-token"]`)))
		token := eval[string](t, ctx, `document.querySelector('[data-testid="shown-token"]').textContent`)
		step(t, ctx, "reload "+f.page, chromedp.Reload(), chromedp.WaitReady("", css("main")))
		if n := f.count(); n != 1 {
			t.Fatalf("%s: %d after a reload, want 1", f.page, n)
		}
		if n := eval[int](t, ctx, fmt.Sprintf(`document.querySelectorAll('%s').length`, f.rows)); n != 1 {
			t.Fatalf("%s: the page lists %d, want 1", f.page, n)
		}
		if html := eval[string](t, ctx, `document.documentElement.outerHTML`); strings.Contains(html, token) {
			t.Fatalf("%s: the reloaded page shows the secret again", f.page)
		}
	}
}

// TestBrowserLongWordsWrap: a 300-character word in a task's description
// and comment, an integration's name and a user's name, and a
// 5,000-character one in a task's and a subtask's title, never makes a page
// wider than the window, at a desktop's and a phone's width.
func TestBrowserLongWordsWrap(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	word := strings.Repeat("Supercalifragilistic", 15)
	title := strings.Repeat("Supercalifragilistic", 250)
	admin, _ := e.st.UserByName(bg, "admin")
	actor := store.Actor{UserID: admin.ID, Username: "admin", IsAdmin: true}
	id, _, err := e.st.CreateTask(bg, actor, store.NewTask{ProjectID: e.projectID, Title: title, Description: "See " + word})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.CreateComment(bg, actor, id, 0, word); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.CreateSubtask(bg, actor, store.NewSubtask{TaskID: id, Title: title}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.CreateIntegration(bg, store.NewIntegration{Name: word[:200], Description: word, Kind: store.KindIncoming}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.CreateUser(bg, word[:50], "long-user-password", false); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	e.login(t, c, "admin", adminPassword)
	e.postFollow(t, c, "/account/tokens", url.Values{"name": {word[:100]}, "expires": {"never"}})

	for _, width := range []int64{1280, phoneWidth} {
		ctx := newBrowser(t)
		step(t, ctx, "viewport", chromedp.EmulateViewport(width, 900))
		e.browserLogin(t, ctx, "admin", adminPassword)
		for _, p := range []string{
			fmt.Sprintf("/tasks/%d", id),
			fmt.Sprintf("/projects/%d/board", e.projectID),
			"/settings/integrations",
			"/settings/users",
			"/account",
		} {
			step(t, ctx, "open "+p, chromedp.Navigate(e.srv.URL+p), chromedp.WaitReady("", css("main")))
			got := eval[[]int](t, ctx, `[document.documentElement.scrollWidth, window.innerWidth]`)
			if got[0] > got[1] {
				t.Errorf("%s at %d px: the page is %d px wide in a %d px window", p, width, got[0], got[1])
			}
		}
	}
}
