package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hookboard/store"
	"hookboard/views"
)

// taskPage shows one task with its comments, subtasks and files.
func (a *App) taskPage(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	_, role, ok := a.allowTaskPage(w, r, id, store.ProjectViewer)
	if !ok {
		return
	}
	v, err := a.taskView(r, id, store.RoleAllows(role, store.ProjectMember))
	if errors.Is(err, store.ErrNotFound) {
		a.errorPage(w, r, http.StatusNotFound, "There is no such task.")
		return
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, views.TaskPageView(v))
}

// taskView builds the task page; canEdit (a member's role) shows the
// forms that change the task.
func (a *App) taskView(r *http.Request, id int64, canEdit bool) (views.TaskPage, error) {
	ctx := r.Context()
	t, err := a.store.TaskByID(ctx, id)
	if err != nil {
		return views.TaskPage{}, err
	}
	color, _ := store.ColorByID(t.ColorID)
	v := views.TaskPage{
		Page: a.page(r, fmt.Sprintf("#%d %s", t.ID, t.Title), "board"),
		Task: views.TaskView{
			ID: t.ID, Title: t.Title, Description: t.Description, ColorID: t.ColorID, ColorName: color.Name,
			ProjectID: t.ProjectID, ProjectName: deref(t.ProjectName), Column: deref(t.ColumnTitle),
			Swimlane: deref(t.SwimlaneName), Owner: deref(t.AssigneeUsername), Category: deref(t.CategoryName),
			Closed: t.IsActive == 0, DateDue: formatDate(t.DateDue), Score: t.Score, Priority: t.Priority,
			Reference: t.Reference, Created: formatTime(t.DateCreation), Modified: formatTime(t.DateModification),
			Creator: deref(t.CreatorUsername),
		},
		Colors:  colorOptions(t.ColorID),
		MaxFile: humanBytes(a.cfg.MaxFileBytes),
		CanEdit: canEdit,
	}
	cols, err := a.store.Columns(ctx, t.ProjectID)
	if err != nil {
		return v, err
	}
	for _, c := range cols {
		v.Columns = append(v.Columns, views.Option{Value: strconv.FormatInt(c.ID, 10), Label: c.Title, Selected: c.ID == t.ColumnID})
	}
	lanes, err := a.store.Swimlanes(ctx, t.ProjectID)
	if err != nil {
		return v, err
	}
	for _, l := range lanes {
		if l.IsActive || l.ID == t.SwimlaneID {
			v.Swimlanes = append(v.Swimlanes, views.Option{Value: strconv.FormatInt(l.ID, 10), Label: l.Name, Selected: l.ID == t.SwimlaneID})
		}
	}
	if v.Owners, err = a.ownerOptions(ctx, t.ProjectID, t.OwnerID, deref(t.AssigneeUsername)); err != nil {
		return v, err
	}
	cats, err := a.store.Categories(ctx, t.ProjectID)
	if err != nil {
		return v, err
	}
	for _, c := range cats {
		v.Categories = append(v.Categories, views.Option{Value: strconv.FormatInt(c.ID, 10), Label: c.Name, Selected: c.ID == t.CategoryID})
	}
	viewer, _ := currentUser(ctx)
	comments, err := a.store.Comments(ctx, id)
	if err != nil {
		return v, err
	}
	for _, c := range comments {
		author := c.Username
		if author == "" {
			author = "An integration"
		}
		v.Comments = append(v.Comments, views.CommentView{ID: c.ID, Author: author, When: formatTime(c.CreatedAt), Text: c.Comment,
			CanDelete: canEdit && (viewer.IsAdmin || viewer.ID == c.UserID)})
	}
	subtasks, err := a.store.Subtasks(ctx, id)
	if err != nil {
		return v, err
	}
	timers, err := a.store.SubtaskTimers(ctx, id, viewer.ID)
	if err != nil {
		return v, err
	}
	for _, s := range subtasks {
		since := ""
		if start, ok := timers[s.ID]; ok {
			since = formatTime(start)
		}
		v.Subtasks = append(v.Subtasks, views.SubtaskView{ID: s.ID, Title: s.Title, Status: s.Status, Assignee: s.Username,
			TimeSpent: hoursText(s.TimeSpent), TimerSince: since})
	}
	files, err := a.store.Files(ctx, id)
	if err != nil {
		return v, err
	}
	for _, f := range files {
		v.Files = append(v.Files, views.FileView{ID: f.ID, Name: f.Name, Size: humanBytes(f.Size), When: formatTime(f.CreatedAt), By: f.Username})
	}
	v.Links, err = a.linksView(ctx, id)
	v.Links.CanEdit = canEdit
	return v, err
}

// ownerOptions are the users a task of the project may be given to (its
// active members who are not viewers, as the store requires), and the
// task's current owner, if it has one, even when no longer assignable, so
// that saving the form leaves the owner as it is.
func (a *App) ownerOptions(ctx context.Context, projectID, ownerID int64, ownerName string) ([]views.Option, error) {
	users, err := a.store.AssignableUsers(ctx, projectID)
	if err != nil {
		return nil, err
	}
	var out []views.Option
	listed := false
	for _, u := range users {
		out = append(out, views.Option{Value: strconv.FormatInt(u.ID, 10), Label: u.Username, Selected: u.ID == ownerID})
		listed = listed || u.ID == ownerID
	}
	if ownerID != 0 && !listed {
		out = append(out, views.Option{Value: strconv.FormatInt(ownerID, 10), Label: ownerName + " (not assignable)", Selected: true})
	}
	return out, nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// taskChange runs one store change of a task for the logged-in user,
// delivers its events and goes back to the task (or where `back` says).
func (a *App) taskChange(w http.ResponseWriter, r *http.Request, taskID int64, okMsg string, change func(actor store.Actor) ([]string, error)) {
	projectID, _, ok := a.allowTaskPage(w, r, taskID, store.ProjectMember)
	if !ok {
		return
	}
	back := fmt.Sprintf("/tasks/%d", taskID)
	// A change made on the board (its buttons, a drag) goes back there, with
	// its message or its error.
	if r.PostForm.Get("back") == "board" {
		back = boardBack(r, projectID)
	}
	u, _ := currentUser(r.Context())
	events, err := change(actorOf(u))
	if err != nil {
		a.fail(w, r, err, back)
		return
	}
	a.deliver(r.Context(), events)
	if okMsg != "" {
		a.flash(r, okMsg)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// taskForm is the common start of a task POST: the id and the form.
func (a *App) taskForm(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, ok := a.pathID(w, r, "id")
	return id, ok && a.parseForm(w, r)
}

// editTask saves the edit form. Every field is sent, so the store compares
// and writes only what changed (an owner change alone is
// task.assignee_change).
func (a *App) editTask(w http.ResponseWriter, r *http.Request) {
	id, ok := a.taskForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	title, desc, color, ref := strings.TrimSpace(f.Get("title")), f.Get("description"), f.Get("color_id"), strings.TrimSpace(f.Get("reference"))
	upd := store.TaskUpdate{Title: &title, Description: &desc, ColorID: &color, Reference: &ref}
	var errs []error
	num := func(name string) *int64 {
		if _, present := f[name]; !present {
			return nil
		}
		n, err := formInt(r, name)
		errs = append(errs, err)
		return &n
	}
	upd.OwnerID, upd.CategoryID, upd.Score, upd.Priority = num("owner_id"), num("category_id"), num("score"), num("priority")
	if _, present := f["date_due"]; present {
		due, err := parseDateField(f.Get("date_due"))
		errs = append(errs, err)
		upd.DateDue = &due
	}
	a.taskChange(w, r, id, "Task saved.", func(actor store.Actor) ([]string, error) {
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		return a.store.UpdateTask(r.Context(), actor, id, upd)
	})
}

// parseDateField reads an <input type=date> value as midnight UTC.
func parseDateField(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, &store.InvalidError{Reason: fmt.Sprintf("due date %q is not a date (YYYY-MM-DD)", s)}
	}
	return t.Unix(), nil
}

// moveTask moves a task to a column, swimlane and position.
func (a *App) moveTask(w http.ResponseWriter, r *http.Request) {
	id, ok := a.taskForm(w, r)
	if !ok {
		return
	}
	var m store.TaskMove
	var err error
	if m.ColumnID, err = formInt(r, "column_id"); err == nil {
		if m.SwimlaneID, err = formInt(r, "swimlane_id"); err == nil {
			m.Position, err = formInt(r, "position")
		}
	}
	a.taskChange(w, r, id, fmt.Sprintf("Task #%d moved.", id), func(actor store.Actor) ([]string, error) {
		if err != nil {
			return nil, err
		}
		if m.Position == 0 {
			// Empty means the bottom: a position past the end is the end.
			m.Position = 1 << 40
		}
		return a.store.MoveTask(r.Context(), actor, id, m)
	})
}

func (a *App) closeTask(w http.ResponseWriter, r *http.Request) {
	id, ok := a.taskForm(w, r)
	if !ok {
		return
	}
	a.taskChange(w, r, id, "Task closed.", func(actor store.Actor) ([]string, error) {
		return a.store.CloseTask(r.Context(), actor, id)
	})
}

func (a *App) openTask(w http.ResponseWriter, r *http.Request) {
	id, ok := a.taskForm(w, r)
	if !ok {
		return
	}
	a.taskChange(w, r, id, "Task reopened.", func(actor store.Actor) ([]string, error) {
		return a.store.OpenTask(r.Context(), actor, id)
	})
}

func (a *App) deleteTask(w http.ResponseWriter, r *http.Request) {
	id, ok := a.taskForm(w, r)
	if !ok {
		return
	}
	projectID, _, ok := a.allowTaskPage(w, r, id, store.ProjectMember)
	if !ok {
		return
	}
	u, _ := currentUser(r.Context())
	events, err := a.store.DeleteTask(r.Context(), actorOf(u), id)
	if err != nil {
		a.fail(w, r, err, fmt.Sprintf("/tasks/%d", id))
		return
	}
	a.deliver(r.Context(), events)
	a.flash(r, fmt.Sprintf("Task #%d deleted.", id))
	http.Redirect(w, r, fmt.Sprintf("/projects/%d/board", projectID), http.StatusSeeOther)
}

func (a *App) addComment(w http.ResponseWriter, r *http.Request) {
	id, ok := a.taskForm(w, r)
	if !ok {
		return
	}
	a.taskChange(w, r, id, "Comment added.", func(actor store.Actor) ([]string, error) {
		_, events, err := a.store.CreateComment(r.Context(), actor, id, 0, r.PostForm.Get("comment"))
		return events, err
	})
}

func (a *App) deleteComment(w http.ResponseWriter, r *http.Request) {
	a.taskPartChange(w, r, "Comment deleted.", func(ctx context.Context, id int64) (int64, error) {
		c, err := a.store.CommentByID(ctx, id)
		return c.TaskID, err
	}, func(actor store.Actor, id, _ int64) ([]string, error) {
		return a.store.DeleteComment(r.Context(), actor, id)
	})
}

// taskPartChange is taskChange for a comment, subtask or file: the path
// id is the part's, and taskOf finds the task it belongs to.
func (a *App) taskPartChange(w http.ResponseWriter, r *http.Request, okMsg string,
	taskOf func(ctx context.Context, id int64) (int64, error),
	change func(actor store.Actor, id, taskID int64) ([]string, error)) {
	id, ok := a.taskForm(w, r)
	if !ok {
		return
	}
	taskID, err := taskOf(r.Context(), id)
	if err != nil {
		a.fail(w, r, err, "")
		return
	}
	a.taskChange(w, r, taskID, okMsg, func(actor store.Actor) ([]string, error) {
		return change(actor, id, taskID)
	})
}

// subtaskTask is the task a subtask belongs to.
func (a *App) subtaskTask(ctx context.Context, id int64) (int64, error) {
	st, err := a.store.SubtaskByID(ctx, id)
	return st.TaskID, err
}

func (a *App) addSubtask(w http.ResponseWriter, r *http.Request) {
	id, ok := a.taskForm(w, r)
	if !ok {
		return
	}
	a.taskChange(w, r, id, "Subtask added.", func(actor store.Actor) ([]string, error) {
		_, events, err := a.store.CreateSubtask(r.Context(), actor, store.NewSubtask{TaskID: id, Title: strings.TrimSpace(r.PostForm.Get("title"))})
		return events, err
	})
}

// subtaskStatusWords name a subtask's statuses in the message after a change.
var subtaskStatusWords = []string{store.SubtaskTodo: "to do", store.SubtaskInProgress: "in progress", store.SubtaskDone: "done"}

func (a *App) setSubtaskStatus(w http.ResponseWriter, r *http.Request) {
	a.taskPartChange(w, r, "", a.subtaskTask, func(actor store.Actor, id, taskID int64) ([]string, error) {
		n, err := formInt(r, "status")
		if err != nil {
			return nil, err
		}
		status := int(n)
		events, err := a.store.UpdateSubtask(r.Context(), actor, id, taskID, store.SubtaskUpdate{Status: &status})
		if err == nil {
			a.flash(r, "Subtask marked "+subtaskStatusWords[status]+".")
		}
		return events, err
	})
}

func (a *App) deleteSubtask(w http.ResponseWriter, r *http.Request) {
	a.taskPartChange(w, r, "Subtask deleted.", a.subtaskTask, func(actor store.Actor, id, _ int64) ([]string, error) {
		return a.store.DeleteSubtask(r.Context(), actor, id)
	})
}

// uploadFile attaches a file from a multipart form.
func (a *App) uploadFile(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	name, mt, data, ok := a.readUpload(w, r, fmt.Sprintf("/tasks/%d", id))
	if !ok {
		return
	}
	a.taskChange(w, r, id, "File attached.", func(actor store.Actor) ([]string, error) {
		_, events, err := a.store.CreateFile(r.Context(), actor,
			store.NewFile{TaskID: id, Name: name, MimeType: mt, Data: data}, a.cfg.MaxFileBytes)
		return events, err
	})
}

// readUpload reads the "file" part of a multipart form (task or project
// file), bounded by the size limit. Without a file, or with one too large,
// it goes back with a message and answers false.
func (a *App) readUpload(w http.ResponseWriter, r *http.Request, back string) (name, mimeType string, data []byte, ok bool) {
	// The form's other parts are tiny; allow the file plus some framing.
	r.Body = http.MaxBytesReader(w, r.Body, a.cfg.MaxFileBytes+64<<10)
	file, hdr, err := r.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		msg := "Choose a file to upload."
		if errors.As(err, &tooBig) {
			msg = fmt.Sprintf("The file is larger than %s.", humanBytes(a.cfg.MaxFileBytes))
		}
		a.flashError(r, msg)
		http.Redirect(w, r, back, http.StatusSeeOther)
		return "", "", nil, false
	}
	defer file.Close()
	data, err = io.ReadAll(io.LimitReader(file, a.cfg.MaxFileBytes+1))
	if err != nil {
		a.serverError(w, r, err)
		return "", "", nil, false
	}
	mimeType = hdr.Header.Get("Content-Type")
	if _, _, err := mime.ParseMediaType(mimeType); err != nil || mimeType == "" {
		mimeType = http.DetectContentType(data)
	}
	return hdr.Filename, mimeType, data, true
}

// downloadFile sends a task's attachment (see serveFile).
func (a *App) downloadFile(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	f, data, err := a.store.FileData(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		a.errorPage(w, r, http.StatusNotFound, "There is no such file.")
		return
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if _, _, ok := a.allowTaskPage(w, r, f.TaskID, store.ProjectViewer); !ok {
		return
	}
	serveFile(w, r, f.Name, f.MimeType, f.ETag, f.IsImage(), f.CreatedAt, data)
}

// serveFile sends a stored file, task's or project's. Only known image
// types are shown inline; anything else is a download with a neutral type,
// so an uploaded HTML file can never run as a page of this site.
func serveFile(w http.ResponseWriter, r *http.Request, name, mimeType, etag string, isImage bool, created int64, data []byte) {
	h := w.Header()
	disposition := "attachment"
	ctype := "application/octet-stream"
	if isImage {
		disposition, ctype = "inline", mimeType
	}
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": name}))
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, no-cache")
	h.Set("ETag", `"`+etag+`"`)
	http.ServeContent(w, r, "", time.Unix(created, 0), bytes.NewReader(data))
}

func (a *App) deleteFile(w http.ResponseWriter, r *http.Request) {
	a.taskPartChange(w, r, "File deleted.", func(ctx context.Context, id int64) (int64, error) {
		f, err := a.store.File(ctx, id)
		return f.TaskID, err
	}, func(actor store.Actor, id, _ int64) ([]string, error) {
		return a.store.DeleteFile(r.Context(), actor, id)
	})
}
