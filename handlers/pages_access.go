package handlers

import (
	"errors"
	"net/http"

	"hookboard/store"
)

// Project access on the pages. An app-admin manages every project here, as
// in Kanboard's web UI (the API gives admins no such bypass); everybody
// else has the role their membership gives, and no membership is no access.

// pageRole is the logged-in user's role in a project, "" for none.
func (a *App) pageRole(r *http.Request, projectID int64) (string, error) {
	u, _ := currentUser(r.Context())
	if u.IsAdmin {
		return store.ProjectManager, nil
	}
	return a.store.ProjectRole(r.Context(), projectID, u.ID)
}

// allowPage answers 403 and returns false when the logged-in user lacks
// need in projectID: a viewer sees the board but changes nothing.
func (a *App) allowPage(w http.ResponseWriter, r *http.Request, projectID int64, need string) (role string, ok bool) {
	role, err := a.pageRole(r, projectID)
	if err != nil {
		a.serverError(w, r, err)
		return "", false
	}
	if !store.RoleAllows(role, need) {
		msg := "You are not a member of this project."
		if role != "" {
			msg = "Your role in this project does not allow that."
		}
		a.errorPage(w, r, http.StatusForbidden, msg)
		return role, false
	}
	return role, true
}

// pathProject reads the project the path's {id} names and checks, as
// allowPage does, that the logged-in user holds need in it. It answers
// the project and the user's role there; on false it has answered.
func (a *App) pathProject(w http.ResponseWriter, r *http.Request, need string) (store.Project, string, bool) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return store.Project{}, "", false
	}
	project, err := a.store.ProjectByID(r.Context(), id)
	if err != nil {
		a.fail(w, r, err, "")
		return project, "", false
	}
	role, ok := a.allowPage(w, r, id, need)
	return project, role, ok
}

// allowTaskPage is allowPage for the project of a task (404 for an
// unknown task); it also answers that project.
func (a *App) allowTaskPage(w http.ResponseWriter, r *http.Request, taskID int64, need string) (projectID int64, role string, ok bool) {
	projectID, err := a.store.TaskProjectID(r.Context(), taskID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			a.errorPage(w, r, http.StatusNotFound, "There is no such task.")
			return 0, "", false
		}
		a.serverError(w, r, err)
		return 0, "", false
	}
	role, ok = a.allowPage(w, r, projectID, need)
	return projectID, role, ok
}

// visibleProjects are the projects the logged-in user may open: all of
// them for an admin, else those they have a role in.
func (a *App) visibleProjects(r *http.Request) ([]store.Project, error) {
	u, _ := currentUser(r.Context())
	if u.IsAdmin {
		return a.store.Projects(r.Context())
	}
	return a.store.UserProjects(r.Context(), u.ID, false)
}

// firstProjectID is where the Board link goes: the first project the user
// may open (the lowest id), 0 when there is none.
func (a *App) firstProjectID(r *http.Request) int64 {
	u, _ := currentUser(r.Context())
	var member int64 // an admin may open every project
	if !u.IsAdmin {
		member = u.ID
	}
	id, _ := a.store.FirstProjectID(r.Context(), member)
	return id
}
