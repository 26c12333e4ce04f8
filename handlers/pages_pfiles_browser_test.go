package handlers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hookboard/store"
)

// TestBrowserProjectFiles: a member opens the project's files from the
// board, uploads one, downloads it; a viewer sees and downloads it but gets
// no upload form or delete button; the member removes it after confirming.
func TestBrowserProjectFiles(t *testing.T) {
	e := newPageEnv(t)
	bg := context.Background()
	viewer, err := e.st.CreateUser(bg, "viewer", "viewer-password-1", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddProjectMember(bg, e.projectID, viewer.ID, store.ProjectViewer); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "roadmap.txt")
	if err := os.WriteFile(path, []byte("Q1: ship webhooks"), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx := newBrowser(t)
	e.browserLogin(t, ctx, "member", memberPassword)
	msgs := answerDialogs(t, ctx, true)
	step(t, ctx, "open the files from the board",
		chromedp.Navigate(fmt.Sprintf("%s/projects/%d/board", e.srv.URL, e.projectID)),
		chromedp.Click("", css(`[data-testid="project-files-link"]`)),
		chromedp.WaitVisible("", css(`[data-testid="upload-project-file"]`)),
	)
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="project-files"]').innerText`); !strings.Contains(got, "No files.") {
		t.Errorf("empty files page shows %q", got)
	}
	step(t, ctx, "upload a file",
		chromedp.SetUploadFiles("", []string{path}, css("#project-file-input")),
		chromedp.Click("", css(`[data-testid="upload-project-file"]`)),
	)
	waitFor(t, ctx, "the file in the list", `document.querySelector('[data-testid="project-file-link"]')?.textContent === 'roadmap.txt'`)
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="project-file"]').innerText`); !containsAll(got, "roadmap.txt", "17 bytes", "member") {
		t.Errorf("the file shows %q", got)
	}
	files, err := e.st.ProjectFiles(bg, e.projectID)
	if err != nil || len(files) != 1 || files[0].Name != "roadmap.txt" || files[0].Size != 17 {
		t.Fatalf("project files: %+v %v", files, err)
	}
	if n, _ := e.st.EventCount(bg, store.EventProjectFileCreate); n != 1 {
		t.Errorf("%d project_file.create events, want 1", n)
	}
	download := `(async () => { const r = await fetch(document.querySelector('[data-testid="project-file-link"]').href);
		return r.status + ' ' + r.headers.get('Content-Disposition') + ' ' + await r.text(); })()`
	fetchDownload := func(ctx context.Context) string {
		tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		got, err := chromedp.Run(tctx, chromedp.Evaluate[string](download, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	want := `200 attachment; filename=roadmap.txt Q1: ship webhooks`
	if got := fetchDownload(ctx); got != want {
		t.Errorf("member's download: %q, want %q", got, want)
	}

	vctx := newBrowser(t)
	e.browserLogin(t, vctx, "viewer", "viewer-password-1")
	step(t, vctx, "the viewer opens the files",
		chromedp.Navigate(fmt.Sprintf("%s/projects/%d/files", e.srv.URL, e.projectID)),
		chromedp.WaitVisible("", css(`[data-testid="project-file-link"]`)),
	)
	if eval[bool](t, vctx, `document.querySelector('[data-testid="upload-project-file"], [data-testid="delete-project-file"]') !== null`) {
		t.Error("a viewer is offered to upload or delete")
	}
	if got := fetchDownload(vctx); got != want {
		t.Errorf("viewer's download: %q, want %q", got, want)
	}

	step(t, ctx, "delete the file", chromedp.Click("", css(`[data-testid="delete-project-file"]`)))
	if m := nextDialog(t, msgs); m != "Delete this file?" {
		t.Errorf("dialog %q", m)
	}
	waitFor(t, ctx, "the empty list", `document.querySelector('[data-testid="project-file"]') === null && document.querySelector('[data-testid="flash"]')?.textContent === 'File deleted.'`)
	if n, _ := e.st.EventCount(bg, store.EventProjectFileDelete); n != 1 {
		t.Errorf("%d project_file.delete events, want 1", n)
	}
}

// TestBrowserSubtaskTimer: a member starts a timer on a subtask, and
// stopping it 45 minutes later adds 0.75 h to the subtask, which a viewer
// then sees (without a timer button).
func TestBrowserSubtaskTimer(t *testing.T) {
	var off atomic.Int64
	e := newPageEnvWith(t, envSettings{now: func() time.Time { return time.Now().Add(time.Duration(off.Load())) }})
	bg := context.Background()
	member, _ := e.st.UserByName(bg, "member")
	actor := store.Actor{UserID: member.ID, Username: member.Username}
	task, _, err := e.st.CreateTask(bg, actor, store.NewTask{Title: "Prepare the release", ProjectID: e.projectID})
	if err != nil {
		t.Fatal(err)
	}
	sid, _, err := e.st.CreateSubtask(bg, actor, store.NewSubtask{TaskID: task, Title: "Write the notes"})
	if err != nil {
		t.Fatal(err)
	}
	viewer, err := e.st.CreateUser(bg, "viewer", "viewer-password-1", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddProjectMember(bg, e.projectID, viewer.ID, store.ProjectViewer); err != nil {
		t.Fatal(err)
	}

	ctx := newBrowser(t)
	e.browserLogin(t, ctx, "member", memberPassword)
	taskPage := fmt.Sprintf("%s/tasks/%d", e.srv.URL, task)
	step(t, ctx, "open the task", chromedp.Navigate(taskPage), chromedp.WaitVisible("", css(`[data-testid="subtask-timer"]`)))
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="subtask-timer"]').textContent`); got != "Start timer" {
		t.Fatalf("timer button %q", got)
	}
	step(t, ctx, "start the timer", chromedp.Click("", css(`[data-testid="subtask-timer"]`)))
	waitFor(t, ctx, "the running timer", `document.querySelector('[data-testid="subtask-timer-running"]') !== null &&
		document.querySelector('[data-testid="subtask-timer"]').textContent === 'Stop timer'`)
	if ok, _ := e.st.HasSubtaskTimer(bg, sid, member.ID); !ok {
		t.Fatal("no timer runs in the store")
	}

	off.Store(int64(45 * time.Minute))
	step(t, ctx, "stop the timer", chromedp.Click("", css(`[data-testid="subtask-timer"]`)))
	waitFor(t, ctx, "the time spent", `document.querySelector('[data-testid="subtask-time-spent"]')?.textContent === '0.75 h spent' &&
		document.querySelector('[data-testid="subtask-timer-running"]') === null`)
	st, err := e.st.SubtaskByID(bg, sid)
	if err != nil || st.TimeSpent != 0.75 {
		t.Fatalf("subtask after the timer: %+v %v", st, err)
	}
	if n, _ := e.st.EventCount(bg, store.EventSubtaskUpdate); n != 1 {
		t.Errorf("%d subtask.update events, want 1", n)
	}

	vctx := newBrowser(t)
	e.browserLogin(t, vctx, "viewer", "viewer-password-1")
	step(t, vctx, "the viewer opens the task", chromedp.Navigate(taskPage), chromedp.WaitVisible("", css(`[data-testid="subtask-time-spent"]`)))
	if eval[bool](t, vctx, `document.querySelector('[data-testid="subtask-timer"]') !== null`) {
		t.Error("a viewer is offered a timer button")
	}
}
