package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"hookboard/store"
	"hookboard/views"
)

// The project administration pages: the list of projects with "New
// project", and each project's settings, columns, swimlanes and
// categories. App-admins manage every project, project-managers theirs;
// app-admins and app-managers create projects.

func canCreateProjects(u store.User) bool { return u.IsAdmin || u.Role == store.RoleManager }

// managedProject reads the project named in the path when the logged-in
// user may manage it, and answers the refusal otherwise.
func (a *App) managedProject(w http.ResponseWriter, r *http.Request, id int64) (store.Project, bool) {
	p, err := a.store.ProjectByID(r.Context(), id)
	if err != nil {
		a.fail(w, r, err, "")
		return p, false
	}
	role, err := a.pageRole(r, id)
	if err != nil {
		a.serverError(w, r, err)
		return p, false
	}
	if !store.RoleAllows(role, store.ProjectManager) {
		a.errorPage(w, r, http.StatusForbidden, "Only the project's managers and admins may change its settings.")
		return p, false
	}
	return p, true
}

func settingsURL(projectID int64) string { return fmt.Sprintf("/projects/%d/settings", projectID) }

// projectsAdmin lists the projects the user may manage.
func (a *App) projectsAdmin(w http.ResponseWriter, r *http.Request) {
	u, _ := currentUser(r.Context())
	projects, err := a.store.Projects(r.Context())
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	var managed map[int64]bool
	if !u.IsAdmin {
		if managed, err = a.store.ManagedProjects(r.Context(), u.ID); err != nil {
			a.serverError(w, r, err)
			return
		}
	}
	v := views.ProjectsPage{Page: a.page(r, "Projects", "projects"), CanCreate: canCreateProjects(u)}
	for _, p := range projects {
		v.Projects = append(v.Projects, views.ProjectRow{ID: p.ID, Name: p.Name, Identifier: p.Identifier,
			Active: p.IsActive, Manages: u.IsAdmin || managed[p.ID]})
	}
	st := a.popForm(r)
	v.ErrorField, v.NewName, v.NewIdentifier = st.Field, st.Values.Get("name"), st.Values.Get("identifier")
	a.render(w, r, http.StatusOK, views.ProjectsView(v))
}

// createProjectPage adds a project; its creator becomes its manager.
func (a *App) createProjectPage(w http.ResponseWriter, r *http.Request) {
	u, _ := currentUser(r.Context())
	if !canCreateProjects(u) {
		a.errorPage(w, r, http.StatusForbidden, "Only admins and managers may create projects.")
		return
	}
	if !a.parseForm(w, r) {
		return
	}
	f := r.PostForm
	id, events, err := a.store.AddProject(r.Context(), actorOf(u), store.NewProject{Name: f.Get("name"),
		Description: f.Get("description"), Identifier: f.Get("identifier")})
	if err != nil {
		a.formFailure(w, r, err, "/projects/admin", url.Values{"name": {f.Get("name")}, "identifier": {f.Get("identifier")}},
			"project name", "new-project-name", "identifier", "new-project-identifier")
		return
	}
	a.deliver(r.Context(), events)
	a.flash(r, fmt.Sprintf("Project %s created.", strings.TrimSpace(f.Get("name"))))
	http.Redirect(w, r, settingsURL(id), http.StatusSeeOther)
}

// projectSettings shows a project's administration page.
func (a *App) projectSettings(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	p, ok := a.managedProject(w, r, id)
	if !ok {
		return
	}
	ctx := r.Context()
	cols, err := a.store.Columns(ctx, id)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	lanes, err := a.store.Swimlanes(ctx, id)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	cats, err := a.store.Categories(ctx, id)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	v := views.ProjectSettingsPage{Page: a.page(r, p.Name+" settings", "projects"), ID: p.ID, Name: p.Name,
		Description: p.Description, Identifier: p.Identifier, Email: p.Email, StartDate: p.StartDate,
		EndDate: p.EndDate, Active: p.IsActive}
	st := a.popForm(r)
	v.ErrorField = st.Field
	for key, dst := range map[string]*string{"name": &v.Name, "description": &v.Description, "identifier": &v.Identifier,
		"email": &v.Email, "start_date": &v.StartDate, "end_date": &v.EndDate} {
		if vals, ok := st.Values[key]; ok && len(vals) > 0 {
			*dst = vals[0]
		}
	}
	for i, c := range cols {
		v.Columns = append(v.Columns, views.ColumnRow{ID: c.ID, Title: c.Title, Description: c.Description,
			Position: c.Position, TaskLimit: c.TaskLimit, First: i == 0, Last: i == len(cols)-1})
	}
	active := 0
	for _, l := range lanes {
		if l.IsActive {
			active++
		}
	}
	for _, l := range lanes {
		v.Swimlanes = append(v.Swimlanes, views.SwimlaneRow{ID: l.ID, Name: l.Name, Position: l.Position,
			Active: l.IsActive, First: l.Position == 1, Last: l.Position == active})
	}
	for _, c := range cats {
		name := "no colour"
		if col, ok := store.ColorByID(c.ColorID); ok {
			name = col.Name
		}
		v.Categories = append(v.Categories, views.CategoryRow{ID: c.ID, Name: c.Name, ColorID: c.ColorID,
			ColorName: name, Colors: categoryColors(c.ColorID)})
	}
	v.NewCategoryColors = categoryColors("")
	a.render(w, r, http.StatusOK, views.ProjectSettingsView(v))
}

// categoryColors are the colour choices of a category, "none" first.
func categoryColors(selected string) []views.Option {
	out := []views.Option{{Value: "", Label: "No colour", Selected: selected == ""}}
	for _, c := range store.Colors {
		out = append(out, views.Option{Value: c.ID, Label: c.Name, Selected: c.ID == selected})
	}
	return out
}

// projectChange runs one change of a project's configuration for the
// logged-in user once the user may manage the project, delivers its
// events and goes back to the settings page.
func (a *App) projectChange(w http.ResponseWriter, r *http.Request, projectID int64, okMsg string,
	change func(actor store.Actor) ([]string, error)) {
	if _, ok := a.managedProject(w, r, projectID); !ok {
		return
	}
	if !a.parseForm(w, r) {
		return
	}
	u, _ := currentUser(r.Context())
	events, err := change(actorOf(u))
	if err != nil {
		a.fail(w, r, err, settingsURL(projectID))
		return
	}
	a.deliver(r.Context(), events)
	a.flash(r, okMsg)
	http.Redirect(w, r, settingsURL(projectID), http.StatusSeeOther)
}

// updateProjectSettings saves the project form: name, description,
// identifier, email and dates.
func (a *App) updateProjectSettings(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	if _, ok := a.managedProject(w, r, id); !ok || !a.parseForm(w, r) {
		return
	}
	f := r.PostForm
	get := func(k string) *string { v := f.Get(k); return &v }
	u, _ := currentUser(r.Context())
	events, err := a.store.UpdateProject(r.Context(), actorOf(u), id, store.ProjectUpdate{Name: get("name"),
		Description: get("description"), Identifier: get("identifier"), Email: get("email"),
		StartDate: get("start_date"), EndDate: get("end_date")})
	if err != nil {
		values := url.Values{}
		for _, k := range []string{"name", "description", "identifier", "email", "start_date", "end_date"} {
			values.Set(k, f.Get(k))
		}
		a.formFailure(w, r, err, settingsURL(id), values, "project name", "project-name", "identifier", "project-identifier",
			"email", "project-email", "start_date", "project-start", "end_date", "project-end")
		return
	}
	a.deliver(r.Context(), events)
	a.flash(r, fmt.Sprintf("Project %s saved.", strings.TrimSpace(f.Get("name"))))
	http.Redirect(w, r, settingsURL(id), http.StatusSeeOther)
}

func (a *App) setProjectActive(active bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := a.pathID(w, r, "id")
		if !ok {
			return
		}
		msg := "Project disabled: it stays as it is, and new tasks no longer go to it by default."
		if active {
			msg = "Project enabled."
		}
		a.projectChange(w, r, id, msg, func(actor store.Actor) ([]string, error) {
			return a.store.SetProjectActive(r.Context(), actor, id, active)
		})
	}
}

// deleteProjectPage removes a project with everything on it.
func (a *App) deleteProjectPage(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	p, ok := a.managedProject(w, r, id)
	if !ok || !a.parseForm(w, r) {
		return
	}
	u, _ := currentUser(r.Context())
	events, err := a.store.DeleteProject(r.Context(), actorOf(u), id)
	if err != nil {
		a.fail(w, r, err, settingsURL(id))
		return
	}
	a.deliver(r.Context(), events)
	a.flash(r, fmt.Sprintf("Project %s removed.", p.Name))
	http.Redirect(w, r, "/projects/admin", http.StatusSeeOther)
}

// --- Columns ---

func (a *App) addColumnPage(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	a.projectChange(w, r, id, "Column added.", func(actor store.Actor) ([]string, error) {
		limit, err := formInt(r, "task_limit")
		if err != nil {
			return nil, err
		}
		_, events, err := a.store.AddColumn(r.Context(), actor, id, store.ColumnFields{Title: r.PostForm.Get("title"),
			TaskLimit: limit, Description: r.PostForm.Get("description")})
		return events, err
	})
}

// columnChange is projectChange for the column in the path.
func (a *App) columnChange(w http.ResponseWriter, r *http.Request, okMsg string, change func(actor store.Actor, c store.Column) ([]string, error)) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	c, err := a.store.ColumnByID(r.Context(), id)
	if err != nil {
		a.fail(w, r, err, "")
		return
	}
	a.projectChange(w, r, c.ProjectID, okMsg, func(actor store.Actor) ([]string, error) { return change(actor, c) })
}

func (a *App) editColumnPage(w http.ResponseWriter, r *http.Request) {
	a.columnChange(w, r, "Column saved.", func(actor store.Actor, c store.Column) ([]string, error) {
		limit, err := formInt(r, "task_limit")
		if err != nil {
			return nil, err
		}
		return a.store.UpdateColumn(r.Context(), actor, c.ID, store.ColumnFields{Title: r.PostForm.Get("title"),
			TaskLimit: limit, Description: r.PostForm.Get("description")})
	})
}

// moveStep reads a move form's direction: -1 (up, left) or +1.
func moveStep(r *http.Request) int64 {
	if r.PostForm.Get("direction") == "up" {
		return -1
	}
	return 1
}

func (a *App) moveColumnPage(w http.ResponseWriter, r *http.Request) {
	a.columnChange(w, r, "Column moved.", func(actor store.Actor, c store.Column) ([]string, error) {
		return a.store.MoveColumn(r.Context(), actor, c.ProjectID, c.ID, int64(c.Position)+moveStep(r))
	})
}

func (a *App) deleteColumnPage(w http.ResponseWriter, r *http.Request) {
	a.columnChange(w, r, "Column removed.", func(actor store.Actor, c store.Column) ([]string, error) {
		return a.store.RemoveColumn(r.Context(), actor, c.ID)
	})
}

// --- Swimlanes ---

func (a *App) addSwimlanePage(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	a.projectChange(w, r, id, "Swimlane added.", func(actor store.Actor) ([]string, error) {
		_, events, err := a.store.AddSwimlane(r.Context(), actor, id, r.PostForm.Get("name"), r.PostForm.Get("description"))
		return events, err
	})
}

func (a *App) swimlaneChange(w http.ResponseWriter, r *http.Request, okMsg string, change func(actor store.Actor, l store.Swimlane) ([]string, error)) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	l, err := a.store.SwimlaneByID(r.Context(), id)
	if err != nil {
		a.fail(w, r, err, "")
		return
	}
	a.projectChange(w, r, l.ProjectID, okMsg, func(actor store.Actor) ([]string, error) { return change(actor, l) })
}

func (a *App) editSwimlanePage(w http.ResponseWriter, r *http.Request) {
	a.swimlaneChange(w, r, "Swimlane saved.", func(actor store.Actor, l store.Swimlane) ([]string, error) {
		return a.store.UpdateSwimlane(r.Context(), actor, l.ProjectID, l.ID, r.PostForm.Get("name"), nil)
	})
}

func (a *App) moveSwimlanePage(w http.ResponseWriter, r *http.Request) {
	a.swimlaneChange(w, r, "Swimlane moved.", func(actor store.Actor, l store.Swimlane) ([]string, error) {
		return a.store.MoveSwimlane(r.Context(), actor, l.ProjectID, l.ID, int64(l.Position)+moveStep(r))
	})
}

func (a *App) setSwimlaneActivePage(active bool) http.HandlerFunc {
	msg := "Swimlane disabled: its row is hidden on the board."
	if active {
		msg = "Swimlane enabled."
	}
	return func(w http.ResponseWriter, r *http.Request) {
		a.swimlaneChange(w, r, msg, func(actor store.Actor, l store.Swimlane) ([]string, error) {
			return a.store.SetSwimlaneActive(r.Context(), actor, l.ProjectID, l.ID, active)
		})
	}
}

func (a *App) deleteSwimlanePage(w http.ResponseWriter, r *http.Request) {
	a.swimlaneChange(w, r, "Swimlane removed.", func(actor store.Actor, l store.Swimlane) ([]string, error) {
		return a.store.RemoveSwimlane(r.Context(), actor, l.ProjectID, l.ID)
	})
}

// --- Categories ---

func (a *App) addCategoryPage(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	a.projectChange(w, r, id, "Category added.", func(actor store.Actor) ([]string, error) {
		_, events, err := a.store.AddCategory(r.Context(), actor, id, r.PostForm.Get("name"), r.PostForm.Get("color_id"))
		return events, err
	})
}

func (a *App) categoryChange(w http.ResponseWriter, r *http.Request, okMsg string, change func(actor store.Actor, c store.Category) ([]string, error)) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	c, err := a.store.CategoryByID(r.Context(), id)
	if err != nil {
		a.fail(w, r, err, "")
		return
	}
	a.projectChange(w, r, c.ProjectID, okMsg, func(actor store.Actor) ([]string, error) { return change(actor, c) })
}

func (a *App) editCategoryPage(w http.ResponseWriter, r *http.Request) {
	a.categoryChange(w, r, "Category saved.", func(actor store.Actor, c store.Category) ([]string, error) {
		return a.store.UpdateCategory(r.Context(), actor, c.ID, r.PostForm.Get("name"), r.PostForm.Get("color_id"))
	})
}

func (a *App) deleteCategoryPage(w http.ResponseWriter, r *http.Request) {
	a.categoryChange(w, r, "Category removed.", func(actor store.Actor, c store.Category) ([]string, error) {
		return a.store.RemoveCategory(r.Context(), actor, c.ID)
	})
}
