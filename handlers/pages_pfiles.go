package handlers

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"hookboard/store"
	"hookboard/views"
)

// projectFilesPage lists a project's files: viewers download, members
// upload and remove.
func (a *App) projectFilesPage(w http.ResponseWriter, r *http.Request) {
	project, role, ok := a.pathProject(w, r, store.ProjectViewer)
	if !ok {
		return
	}
	id := project.ID
	files, err := a.store.ProjectFiles(r.Context(), id)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	v := views.ProjectFilesPage{Page: a.page(r, "Files of "+project.Name, "board"), ProjectID: id, ProjectName: project.Name,
		CanEdit: store.RoleAllows(role, store.ProjectMember), MaxFile: humanBytes(a.cfg.MaxFileBytes)}
	for _, f := range files {
		v.Files = append(v.Files, views.FileView{ID: f.ID, Name: f.Name, Size: humanBytes(f.Size), When: formatTime(f.CreatedAt), By: f.Username})
	}
	a.render(w, r, http.StatusOK, views.ProjectFilesView(v))
}

// uploadProjectFile attaches a file to a project (members).
func (a *App) uploadProjectFile(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	if _, ok := a.allowPage(w, r, id, store.ProjectMember); !ok {
		return
	}
	back := fmt.Sprintf("/projects/%d/files", id)
	name, mt, data, ok := a.readUpload(w, r, back)
	if !ok {
		return
	}
	u, _ := currentUser(r.Context())
	_, events, err := a.store.CreateProjectFile(r.Context(), actorOf(u), id, name, mt, data, a.cfg.MaxFileBytes)
	if err != nil {
		a.fail(w, r, err, back)
		return
	}
	a.deliver(r.Context(), events)
	a.flash(r, "File attached.")
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// projectFileProject is the project of the file in the path, or a 404.
func (a *App) projectFileProject(w http.ResponseWriter, r *http.Request) (fileID, projectID int64, ok bool) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return 0, 0, false
	}
	pid, err := a.store.ProjectFileProject(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		a.errorPage(w, r, http.StatusNotFound, "There is no such file.")
		return 0, 0, false
	}
	if err != nil {
		a.serverError(w, r, err)
		return 0, 0, false
	}
	return id, pid, true
}

// downloadProjectFile sends a project's file by the task files' rules
// (serveFile).
func (a *App) downloadProjectFile(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	f, data, err := a.store.ProjectFileData(r.Context(), 0, id)
	if errors.Is(err, store.ErrNotFound) {
		a.errorPage(w, r, http.StatusNotFound, "There is no such file.")
		return
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if _, ok := a.allowPage(w, r, f.ProjectID, store.ProjectViewer); !ok {
		return
	}
	serveFile(w, r, f.Name, f.MimeType, f.ETag, f.IsImage(), f.CreatedAt, data)
}

func (a *App) deleteProjectFile(w http.ResponseWriter, r *http.Request) {
	id, pid, ok := a.projectFileProject(w, r)
	if !ok || !a.parseForm(w, r) {
		return
	}
	if _, ok := a.allowPage(w, r, pid, store.ProjectMember); !ok {
		return
	}
	back := fmt.Sprintf("/projects/%d/files", pid)
	u, _ := currentUser(r.Context())
	events, err := a.store.DeleteProjectFile(r.Context(), actorOf(u), pid, id)
	if err != nil {
		a.fail(w, r, err, back)
		return
	}
	a.deliver(r.Context(), events)
	a.flash(r, "File deleted.")
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// toggleSubtaskTimer starts the logged-in user's timer on a subtask, or
// stops it (adding the time to the subtask) when it runs.
func (a *App) toggleSubtaskTimer(w http.ResponseWriter, r *http.Request) {
	a.taskPartChange(w, r, "", a.subtaskTask, func(actor store.Actor, id, _ int64) ([]string, error) {
		running, err := a.store.HasSubtaskTimer(r.Context(), id, actor.UserID)
		if err != nil {
			return nil, err
		}
		if running {
			events, err := a.store.StopSubtaskTimer(r.Context(), actor, id, actor.UserID)
			if err == nil {
				a.flash(r, "Timer stopped.")
			}
			return events, err
		}
		err = a.store.StartSubtaskTimer(r.Context(), id, actor.UserID)
		if err == nil {
			a.flash(r, "Timer started.")
		}
		return nil, err
	})
}

// hoursText is a subtask's time for people: "1.5 h", "" for none.
func hoursText(h float64) string {
	if h <= 0 {
		return ""
	}
	return strconv.FormatFloat(math.Round(h*100)/100, 'f', -1, 64) + " h"
}
