package handlers

import (
	"fmt"
	"net/http"
	"strconv"

	"hookboard/store"
	"hookboard/views"
)

// projectRoleLabels name the project roles on the pages, as Kanboard does.
var projectRoleLabels = []views.Option{{Value: store.ProjectManager, Label: "Project Manager"},
	{Value: store.ProjectMember, Label: "Project Member"}, {Value: store.ProjectViewer, Label: "Project Viewer"}}

// membersPage lists a project's members (its managers and admins only).
func (a *App) membersPage(w http.ResponseWriter, r *http.Request) {
	project, _, ok := a.pathProject(w, r, store.ProjectManager)
	if !ok {
		return
	}
	id := project.ID
	members, err := a.store.ProjectMembers(r.Context(), id)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	users, err := a.store.Users(r.Context())
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	v := views.MembersPage{Page: a.page(r, "Members of "+project.Name, "board"), ProjectID: id, ProjectName: project.Name,
		Roles: roleOptions(projectRoleLabels, store.ProjectMember)}
	in := map[int64]bool{}
	for _, m := range members {
		in[m.ID] = true
		v.Members = append(v.Members, views.MemberRow{UserID: m.ID, Username: m.Username, Name: m.Name,
			Roles: roleOptions(projectRoleLabels, m.ProjectRole), IsActive: m.IsActive})
	}
	for _, u := range users {
		if !in[u.ID] {
			v.Candidates = append(v.Candidates, views.Option{Value: strconv.FormatInt(u.ID, 10), Label: u.Username})
		}
	}
	if err := a.projectGroupRows(r, id, &v); err != nil {
		a.serverError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, views.MembersView(v))
}

// projectGroupRows fills the Members page's groups: those the project is
// shared with, and the others for the add form.
func (a *App) projectGroupRows(r *http.Request, projectID int64, v *views.MembersPage) error {
	shared, err := a.store.ProjectGroups(r.Context(), projectID)
	if err != nil {
		return err
	}
	groups, err := a.store.Groups(r.Context())
	if err != nil {
		return err
	}
	in := map[int64]bool{}
	for _, g := range shared {
		in[g.ID] = true
		v.Groups = append(v.Groups, views.ProjectGroupRow{GroupID: g.ID, Name: g.Name, Users: g.NbUsers,
			Roles: roleOptions(projectRoleLabels, g.ProjectRole)})
	}
	for _, g := range groups {
		if !in[g.ID] {
			v.GroupChoice = append(v.GroupChoice, views.Option{Value: strconv.FormatInt(g.ID, 10), Label: g.Name})
		}
	}
	return nil
}

// memberChange is projectAccessChange for a user.
func (a *App) memberChange(w http.ResponseWriter, r *http.Request, okMsg string, change func(projectID, userID int64) error) {
	a.projectAccessChange(w, r, "user", okMsg, change)
}

// projectAccessChange runs one change of who may use a project (a user,
// or a group with pathKey "group") for its manager or an admin, and goes
// back to the members page.
func (a *App) projectAccessChange(w http.ResponseWriter, r *http.Request, pathKey, okMsg string, change func(projectID, whoID int64) error) {
	id, ok := a.pathID(w, r, "id")
	if !ok || !a.parseForm(w, r) {
		return
	}
	if _, ok := a.allowPage(w, r, id, store.ProjectManager); !ok {
		return
	}
	back := fmt.Sprintf("/projects/%d/members", id)
	var userID int64
	var err error
	if r.PathValue(pathKey) != "" {
		userID, err = strconv.ParseInt(r.PathValue(pathKey), 10, 64)
	} else {
		userID, err = formInt(r, pathKey+"_id")
	}
	if err == nil {
		err = change(id, userID)
	}
	if err != nil {
		a.fail(w, r, err, back)
		return
	}
	a.log.Info("project members changed", "project", id, pathKey, userID, "change", okMsg)
	a.flash(r, okMsg)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (a *App) addMember(w http.ResponseWriter, r *http.Request) {
	a.memberChange(w, r, "Member added.", func(projectID, userID int64) error {
		return a.store.AddProjectMember(r.Context(), projectID, userID, r.PostForm.Get("role"))
	})
}

func (a *App) setMemberRole(w http.ResponseWriter, r *http.Request) {
	a.memberChange(w, r, "Role saved.", func(projectID, userID int64) error {
		return a.store.SetProjectMemberRole(r.Context(), projectID, userID, r.PostForm.Get("role"))
	})
}

func (a *App) removeMember(w http.ResponseWriter, r *http.Request) {
	a.memberChange(w, r, "Member removed.", func(projectID, userID int64) error {
		return a.store.RemoveProjectMember(r.Context(), projectID, userID)
	})
}

func (a *App) addProjectGroup(w http.ResponseWriter, r *http.Request) {
	a.projectAccessChange(w, r, "group", "Group added.", func(projectID, groupID int64) error {
		return a.store.AddProjectGroup(r.Context(), projectID, groupID, r.PostForm.Get("role"))
	})
}

func (a *App) setProjectGroupRole(w http.ResponseWriter, r *http.Request) {
	a.projectAccessChange(w, r, "group", "Group role saved.", func(projectID, groupID int64) error {
		return a.store.SetProjectGroupRole(r.Context(), projectID, groupID, r.PostForm.Get("role"))
	})
}

func (a *App) removeProjectGroup(w http.ResponseWriter, r *http.Request) {
	a.projectAccessChange(w, r, "group", "Group removed.", func(projectID, groupID int64) error {
		return a.store.RemoveProjectGroup(r.Context(), projectID, groupID)
	})
}
