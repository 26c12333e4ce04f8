package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"hookboard/store"
	"hookboard/views"
)

// Settings → Groups (admins only): groups and their users. Projects are
// shared with groups on their Members page (pages_members.go).

func (a *App) groupsPage(w http.ResponseWriter, r *http.Request) {
	groups, err := a.store.Groups(r.Context())
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	v := views.GroupsPage{Page: a.page(r, "Groups", "settings")}
	v.Sub = "groups"
	for _, g := range groups {
		v.Groups = append(v.Groups, views.GroupRow{ID: g.ID, Name: g.Name, ExternalID: g.ExternalID, Users: g.NbUsers})
	}
	st := a.popForm(r)
	v.ErrorField, v.Name = st.Field, st.Values.Get("name")
	a.render(w, r, http.StatusOK, views.GroupsView(v))
}

func (a *App) createGroup(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	id, err := a.store.CreateGroup(r.Context(), name, "")
	if err != nil {
		a.formFailure(w, r, err, "/settings/groups", url.Values{"name": {name}}, "name", "group-name", "that already", "group-name")
		return
	}
	a.log.Info("group created", "group", id)
	a.flash(r, fmt.Sprintf("Group %s added.", name))
	http.Redirect(w, r, fmt.Sprintf("/settings/groups/%d", id), http.StatusSeeOther)
}

func (a *App) groupPage(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	g, err := a.store.GroupByID(r.Context(), id)
	if err != nil {
		a.fail(w, r, err, "")
		return
	}
	members, err := a.store.GroupMembers(r.Context(), id)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	users, err := a.store.Users(r.Context())
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	v := views.GroupPage{Page: a.page(r, "Group "+g.Name, "settings"),
		GroupRow: views.GroupRow{ID: g.ID, Name: g.Name, ExternalID: g.ExternalID, Users: g.NbUsers}}
	v.Sub = "groups"
	v.ErrorField = a.popForm(r).Field
	in := map[int64]bool{}
	for _, u := range members {
		in[u.ID] = true
		v.Members = append(v.Members, views.Option{Value: strconv.FormatInt(u.ID, 10), Label: u.Username})
	}
	for _, u := range users {
		if !in[u.ID] {
			v.Candidates = append(v.Candidates, views.Option{Value: strconv.FormatInt(u.ID, 10), Label: u.Username})
		}
	}
	a.render(w, r, http.StatusOK, views.GroupView(v))
}

// groupChange runs one change of a group and goes back to the group's
// page, or to the page change names (the group may be gone).
func (a *App) groupChange(w http.ResponseWriter, r *http.Request, change func(id int64) (msg, back string, err error)) {
	id, ok := a.pathID(w, r, "id")
	if !ok || !a.parseForm(w, r) {
		return
	}
	back := fmt.Sprintf("/settings/groups/%d", id)
	msg, to, err := change(id)
	if err != nil {
		a.formFailure(w, r, err, back, nil, "name", "edit-group-name", "that already", "edit-group-name")
		return
	}
	a.log.Info("group changed", "group", id, "change", msg)
	a.flash(r, msg)
	if to != "" {
		back = to
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func (a *App) editGroup(w http.ResponseWriter, r *http.Request) {
	a.groupChange(w, r, func(id int64) (string, string, error) {
		name, ext := strings.TrimSpace(r.PostForm.Get("name")), strings.TrimSpace(r.PostForm.Get("external_id"))
		return "Group saved.", "", a.store.UpdateGroup(r.Context(), id, &name, &ext)
	})
}

func (a *App) removeGroup(w http.ResponseWriter, r *http.Request) {
	a.groupChange(w, r, func(id int64) (string, string, error) {
		return "Group removed.", "/settings/groups", a.store.RemoveGroup(r.Context(), id)
	})
}

func (a *App) addGroupMember(w http.ResponseWriter, r *http.Request) {
	a.groupChange(w, r, func(id int64) (string, string, error) {
		userID, err := formInt(r, "user_id")
		if err != nil {
			return "", "", err
		}
		return "User added to the group.", "", a.store.AddGroupMember(r.Context(), id, userID)
	})
}

func (a *App) removeGroupMember(w http.ResponseWriter, r *http.Request) {
	a.groupChange(w, r, func(id int64) (string, string, error) {
		userID, err := strconv.ParseInt(r.PathValue("user"), 10, 64)
		if err != nil {
			return "", "", fmt.Errorf("user id: %w", store.ErrNotFound)
		}
		return "User removed from the group.", "", a.store.RemoveGroupMember(r.Context(), id, userID)
	})
}
