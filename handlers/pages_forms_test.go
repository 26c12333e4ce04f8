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

// TestLoginNextStaysOnThisSite: after logging in, `next` is followed only
// when it is a path of this site; a tab, a newline or a backslash (which
// browsers drop or read as a slash, so "/\t/evil.example" opens
// evil.example) sends the user to the start page instead.
func TestLoginNextStaysOnThisSite(t *testing.T) {
	e := newPageEnv(t)
	for next, want := range map[string]string{
		"/tasks/1?tab=files": "/tasks/1?tab=files",
		"/%09/evil.example":  "/",
	} {
		c := e.client(t)
		resp := e.postForm(t, c, "/login?next="+next, url.Values{"username": {"admin"}, "password": {adminPassword}})
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != want {
			t.Errorf("next=%s: %d to %q, want %q", next, resp.StatusCode, got, want)
		}
	}
	for next, want := range map[string]string{
		"/board":                "/board",
		"/tasks/1#comments":     "/tasks/1#comments",
		"/\t/evil.example":      "/",
		"/\n/evil.example":      "/",
		"/\r\n/evil":            "/",
		"/\x00/evil":            "/",
		"/\x7f/evil":            "/",
		"/\\evil.example":       "/",
		"/a\\b":                 "/",
		"//evil.example":        "/",
		"https://evil.example/": "/",
		"evil.example":          "/",
		"":                      "/",
	} {
		if got := localNext(next); got != want {
			t.Errorf("localNext(%q) = %q, want %q", next, got, want)
		}
	}
}

// TestFormsRedirectSoReloadDoesNotRepeat: creating an integration or a
// personal token answers with a redirect; the page it leads to shows the
// secret once, and loading that page again creates nothing and shows no
// secret.
func TestFormsRedirectSoReloadDoesNotRepeat(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	c := e.client(t)
	e.login(t, c, "admin", adminPassword)

	for _, f := range []struct {
		path, page string
		form       url.Values
		count      func() int
	}{
		{"/settings/integrations", "/settings/integrations", url.Values{"name": {"Deploy"}, "kind": {"incoming"}}, func() int {
			l, _ := e.st.Integrations(bg)
			return len(l)
		}},
		{"/account/tokens", "/account", url.Values{"name": {"Laptop"}, "expires": {"never"}}, func() int {
			admin, _ := e.st.UserByName(bg, "admin")
			l, _ := e.st.PersonalTokens(bg, admin.ID)
			return len(l)
		}},
	} {
		resp := e.postForm(t, c, f.path, f.form)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != f.page {
			t.Fatalf("POST %s: %d to %q, want 303 to %s", f.path, resp.StatusCode, resp.Header.Get("Location"), f.page)
		}
		_, first := e.get(t, c, f.page)
		token := between(first, `data-testid="shown-token">`, "<")
		if token == "" {
			t.Fatalf("%s: the new secret is not shown after the redirect", f.path)
		}
		_, again := e.get(t, c, f.page) // the reload
		if strings.Contains(again, token) || strings.Contains(again, `data-testid="shown-secret"`) {
			t.Fatalf("%s: the reload shows the secret again", f.path)
		}
		if n := f.count(); n != 1 {
			t.Fatalf("%s: %d made, want 1", f.path, n)
		}
	}
}

// TestBoardNewTaskKeepsTitleOnError: a refused new task brings the board
// back with the typed title in the field, the reason in the banner and by
// the field, tied to it for screen readers.
func TestBoardNewTaskKeepsTitleOnError(t *testing.T) {
	e := newPageEnv(t)
	c := e.client(t)
	e.login(t, c, "member", memberPassword)
	title := strings.Repeat("long ", 13108) // over the 65,535-character limit
	page := e.postFollow(t, c, fmt.Sprintf("/projects/%d/tasks", e.projectID), url.Values{"title": {title}, "color_id": {"blue"}})
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	input := doc.Find("#new-title")
	if v := input.AttrOr("value", ""); v != title {
		t.Fatalf("the title field holds %q, want what was typed", v)
	}
	msg := doc.Find("#new-title-error").Text()
	if !strings.HasPrefix(msg, "Title is longer than") || doc.Find(`[data-testid="form-error"]`).Text() != msg ||
		input.AttrOr("aria-invalid", "") != "true" || input.AttrOr("aria-describedby", "") != "new-title-error" {
		t.Fatalf("error by the field %q, banner %q, aria-describedby %q", msg, doc.Find(`[data-testid="form-error"]`).Text(), input.AttrOr("aria-describedby", ""))
	}
	// Shown once: the next visit has an empty form.
	_, again := e.get(t, c, fmt.Sprintf("/projects/%d/board", e.projectID))
	if strings.Contains(again, "long long") || strings.Contains(again, "new-title-error") {
		t.Fatal("the refused title or its error outlived the next page")
	}
}

// TestMovesAndSubtasksSayWhatHappened: moving a task, setting a subtask's
// status and logging out show a message on the page that follows.
func TestMovesAndSubtasksSayWhatHappened(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	c := e.client(t)
	e.login(t, c, "member", memberPassword)
	member, _ := e.st.UserByName(bg, "member")
	actor := store.Actor{UserID: member.ID, Username: "member"}
	id, _, err := e.st.CreateTask(bg, actor, store.NewTask{ProjectID: e.projectID, Title: "Ship it"})
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := e.st.CreateSubtask(bg, actor, store.NewSubtask{TaskID: id, Title: "Write notes"})
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := e.st.Columns(bg, e.projectID)
	flash := func(page string) string {
		doc, _ := goquery.NewDocumentFromReader(strings.NewReader(page))
		return doc.Find(`[data-testid="flash"]`).Text()
	}
	page := e.postFollow(t, c, fmt.Sprintf("/tasks/%d/move", id), url.Values{"column_id": {fmt.Sprint(cols[1].ID)}, "back": {"board"}})
	if got := flash(page); got != fmt.Sprintf("Task #%d moved.", id) {
		t.Errorf("after a move the board says %q", got)
	}
	page = e.postFollow(t, c, fmt.Sprintf("/subtasks/%d/status", st), url.Values{"status": {"2"}})
	if got := flash(page); got != "Subtask marked done." {
		t.Errorf("after setting a subtask's status the task says %q", got)
	}
	page = e.postFollow(t, c, fmt.Sprintf("/subtasks/%d/status", st), url.Values{"status": {"1"}})
	if got := flash(page); got != "Subtask marked in progress." {
		t.Errorf("after setting a subtask's status the task says %q", got)
	}
	// A refused move goes back to the board it was made on, with the reason.
	page = e.postFollow(t, c, fmt.Sprintf("/tasks/%d/move", id), url.Values{"column_id": {"999999"}, "back": {"board"}})
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(page))
	if doc.Find(`[data-testid="board"]`).Length() != 1 || doc.Find(`[data-testid="form-error"]`).Text() == "" {
		t.Errorf("a refused move from the board shows %q", doc.Find("main").Text())
	}
	page = e.postFollow(t, c, "/logout", nil)
	if got := flash(page); got != "You are logged out." {
		t.Errorf("after logging out the login page says %q", got)
	}
	if resp, _ := e.get(t, c, fmt.Sprintf("/projects/%d/board", e.projectID)); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the board after logging out answers %d, want a redirect to log in", resp.StatusCode)
	}
}

// TestAdminDeactivatingThemselvesConfirmsFirst: an admin who unticks their
// own Active box is asked on a page of its own (no JavaScript needed);
// confirming logs them out to the login page, which says why.
func TestAdminDeactivatingThemselvesConfirmsFirst(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	if _, err := e.st.CreateUser(bg, "second-admin", "second-password-1", true); err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	e.login(t, c, "admin", adminPassword)
	admin, _ := e.st.UserByName(bg, "admin")
	role := fmt.Sprintf("/settings/users/%d/role", admin.ID)

	page := e.postFollow(t, c, role, url.Values{"role": {"app-admin"}})
	if u, _ := e.st.UserByName(bg, "admin"); !u.IsActive {
		t.Fatal("deactivated without confirmation")
	}
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(page))
	form := doc.Find(`[data-testid="confirm"] form`)
	if !strings.Contains(doc.Find("h1").Text(), "Deactivate your own account?") || form.AttrOr("action", "") != role {
		t.Fatalf("no confirmation page: %q", doc.Find("h1").Text())
	}
	confirm := url.Values{}
	form.Find(`input[type="hidden"]`).Each(func(_ int, in *goquery.Selection) {
		confirm.Set(in.AttrOr("name", ""), in.AttrOr("value", ""))
	})
	resp := e.postForm(t, c, role, confirm)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("confirm: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if u, _ := e.st.UserByName(bg, "admin"); u.IsActive || !u.IsAdmin {
		t.Fatalf("after confirming: active %v admin %v", u.IsActive, u.IsAdmin)
	}
	_, login := e.get(t, c, "/login")
	if !strings.Contains(login, "You deactivated your own account") {
		t.Fatal("the login page does not say why the admin was logged out")
	}
	if resp, _ := e.get(t, c, "/settings/users"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("still logged in: %d", resp.StatusCode)
	}
}

// TestUnknownPathIsTheStyledPage: a path no route serves answers the
// styled 404 page (title, language, stylesheet), not the plain text of Go's
// mux; a known path asked with the wrong method still answers 405.
func TestUnknownPathIsTheStyledPage(t *testing.T) {
	e := newPageEnv(t)
	c := e.client(t)
	resp, body := e.get(t, c, "/no/such/page")
	if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, "<title>Not Found · Hookboard</title>") ||
		!strings.Contains(body, `data-testid="error-page"`) {
		t.Fatalf("unknown path: %d %q\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if resp, _ := e.get(t, c, "/logout"); resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("GET /logout: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

// TestFavicon: every page links the icon, and it is served as SVG.
func TestFavicon(t *testing.T) {
	e := newPageEnv(t)
	c := e.client(t)
	_, login := e.get(t, c, "/login")
	if !strings.Contains(login, `<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">`) {
		t.Fatal("the layout does not link the favicon")
	}
	resp, body := e.get(t, c, "/static/favicon.svg")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(body, "<svg") {
		t.Fatalf("favicon: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
