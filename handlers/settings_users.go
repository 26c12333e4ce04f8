package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"hookboard/store"
	"hookboard/views"
)

// appRoleLabels name the app roles on the pages, as Kanboard does.
var appRoleLabels = []views.Option{{Value: store.RoleUser, Label: "User"}, {Value: store.RoleManager, Label: "Manager"},
	{Value: store.RoleAdmin, Label: "Administrator"}}

// roleOptions are opts with selected chosen.
func roleOptions(opts []views.Option, selected string) []views.Option {
	out := make([]views.Option, len(opts))
	for i, o := range opts {
		o.Selected = o.Value == selected
		out[i] = o
	}
	return out
}

func (a *App) usersView(r *http.Request) (views.UsersPage, error) {
	v := views.UsersPage{Page: a.page(r, "Users", "settings")}
	v.Sub = "users"
	users, err := a.store.Users(r.Context())
	if err != nil {
		return v, err
	}
	for _, u := range users {
		v.Users = append(v.Users, views.UserRow{ID: u.ID, Username: u.Username, Name: u.Name, Email: u.Email,
			Roles: roleOptions(appRoleLabels, u.Role), IsActive: u.IsActive, Created: formatTime(u.CreatedAt)})
	}
	return v, nil
}

func (a *App) usersPage(w http.ResponseWriter, r *http.Request) {
	v, err := a.usersView(r)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	st := a.popForm(r)
	v.ErrorField = st.Field
	role := st.Values.Get("role")
	if role == "" {
		role = store.RoleUser
	}
	v.Form = views.UserForm{Username: st.Values.Get("username"), Name: st.Values.Get("name"), Email: st.Values.Get("email"),
		Roles: roleOptions(appRoleLabels, role)}
	a.render(w, r, http.StatusOK, views.UsersView(v))
}

// createUser adds a user (admins only).
func (a *App) createUser(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	f := r.PostForm
	nu := store.NewUser{Username: strings.TrimSpace(f.Get("username")), Password: f.Get("password"),
		Name: strings.TrimSpace(f.Get("name")), Email: strings.TrimSpace(f.Get("email")), Role: f.Get("role")}
	u, err := a.store.AddUser(r.Context(), nu)
	if err != nil {
		values := url.Values{"username": {nu.Username}, "name": {nu.Name}, "email": {nu.Email}, "role": {nu.Role}}
		a.formFailure(w, r, err, "/settings/users", values, "username", "user-name", "password", "user-password",
			"email", "user-email", "that already", "user-name")
		return
	}
	a.log.Info("user created", "user", u.Username, "role", u.Role)
	a.flash(r, fmt.Sprintf("User %s added.", u.Username))
	http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
}

// setUserRole changes a user's app role and active flag. The store refuses
// to leave the team without an active admin. An admin taking away their own
// access (deactivating themselves, or their admin role) confirms it first
// on a page of its own, so the step does not rest on JavaScript.
func (a *App) setUserRole(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok || !a.parseForm(w, r) {
		return
	}
	role, active := r.PostForm.Get("role"), r.PostForm.Get("active") == "1"
	self, _ := currentUser(r.Context())
	ownAccess := id == self.ID && (role != store.RoleAdmin || !active)
	if ownAccess && r.PostForm.Get("confirm") != "1" {
		q := url.Values{"role": {role}, "active": {boolForm(active)}}
		http.Redirect(w, r, fmt.Sprintf("/settings/users/%d/confirm?%s", id, q.Encode()), http.StatusSeeOther)
		return
	}
	if err := a.store.SetUserRole(r.Context(), id, role, active); err != nil {
		a.fail(w, r, err, "/settings/users")
		return
	}
	a.log.Info("user role changed", "id", id, "role", role, "active", active)
	switch {
	case ownAccess && !active:
		// The session is of no use any more: end it, and say why on the
		// login page it leads to.
		if err := a.sess(r).Destroy(r.Context()); err != nil {
			a.serverError(w, r, err)
			return
		}
		a.flash(r, "You deactivated your own account, so you have been logged out. Another admin can activate it again.")
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	case ownAccess:
		a.flash(r, "You are no longer an admin. Another admin can give the role back.")
		http.Redirect(w, r, "/", http.StatusSeeOther)
	default:
		a.flash(r, "User saved.")
		http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
	}
}

// confirmOwnRole asks an admin to confirm taking away their own access.
func (a *App) confirmOwnRole(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	self, _ := currentUser(r.Context())
	q := r.URL.Query()
	role, active := q.Get("role"), q.Get("active") == "1"
	if id != self.ID || (role == store.RoleAdmin && active) || !store.IsAppRole(role) {
		http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
		return
	}
	v := views.ConfirmPage{Page: a.page(r, "Confirm", "settings"), Action: fmt.Sprintf("/settings/users/%d/role", id),
		Fields: map[string]string{"role": role, "active": boolForm(active), "confirm": "1"}, Cancel: "/settings/users"}
	v.Sub = "users"
	if !active {
		v.Question, v.Button = "Deactivate your own account?", "Deactivate my account"
		v.Detail = "You will be logged out at once and cannot log in again until another admin activates your account."
	} else {
		v.Question, v.Button = "Give up your admin role?", "Give up admin"
		v.Detail = "You will no longer see the settings until another admin gives the role back."
	}
	a.render(w, r, http.StatusOK, views.ConfirmView(v))
}

func boolForm(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// userPage shows one user: profile, password reset, removal.
func (a *App) userPage(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	u, err := a.store.UserByID(r.Context(), id)
	if err != nil {
		a.fail(w, r, err, "")
		return
	}
	v := views.UserEditPage{Page: a.page(r, "User "+u.Username, "settings"), ID: u.ID, Username: u.Username, Name: u.Name, Email: u.Email}
	v.Sub = "users"
	st := a.popForm(r)
	v.ErrorField = st.Field
	if st.Values != nil {
		v.Username, v.Name, v.Email = st.Values.Get("username"), st.Values.Get("name"), st.Values.Get("email")
	}
	a.render(w, r, http.StatusOK, views.UserEditView(v))
}

// editUser saves a user's username, name and email.
func (a *App) editUser(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok || !a.parseForm(w, r) {
		return
	}
	f := r.PostForm
	username, name, email := strings.TrimSpace(f.Get("username")), strings.TrimSpace(f.Get("name")), strings.TrimSpace(f.Get("email"))
	back := fmt.Sprintf("/settings/users/%d", id)
	if err := a.store.UpdateUser(r.Context(), id, store.UserUpdate{Username: &username, Name: &name, Email: &email}); err != nil {
		a.formFailure(w, r, err, back, url.Values{"username": {username}, "name": {name}, "email": {email}},
			"username", "edit-username", "email", "edit-email", "that already", "edit-username")
		return
	}
	a.log.Info("user edited", "id", id)
	a.flash(r, "User saved.")
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// resetUserPassword sets another user's password (admins only); their
// browser sessions end.
func (a *App) resetUserPassword(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok || !a.parseForm(w, r) {
		return
	}
	back := fmt.Sprintf("/settings/users/%d", id)
	if err := a.store.SetUserPassword(r.Context(), id, r.PostForm.Get("password")); err != nil {
		a.formFailure(w, r, err, back, nil, "password", "reset-password")
		return
	}
	a.log.Info("user password reset", "id", id)
	a.flash(r, "Password set. The user's browser sessions have ended.")
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// removeUser deletes a user by Kanboard's rule (store.RemoveUser).
func (a *App) removeUser(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok || !a.parseForm(w, r) {
		return
	}
	if err := a.store.RemoveUser(r.Context(), id); err != nil {
		a.fail(w, r, err, fmt.Sprintf("/settings/users/%d", id))
		return
	}
	a.log.Info("user removed", "id", id)
	a.flash(r, "User removed.")
	http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
}
