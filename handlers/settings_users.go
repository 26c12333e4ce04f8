package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"hookboard/views"
)

func (a *App) usersView(r *http.Request) (views.UsersPage, error) {
	v := views.UsersPage{Page: a.page(r, "Users", "settings")}
	v.Sub = "users"
	users, err := a.store.Users(r.Context())
	if err != nil {
		return v, err
	}
	for _, u := range users {
		v.Users = append(v.Users, views.UserRow{ID: u.ID, Username: u.Username, IsAdmin: u.IsAdmin,
			IsActive: u.IsActive, Created: formatTime(u.CreatedAt)})
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
	v.Form = views.UserForm{Username: st.Values.Get("username"), IsAdmin: st.Values.Get("admin") == "1"}
	a.render(w, r, http.StatusOK, views.UsersView(v))
}

// createUser adds a user (admins only).
func (a *App) createUser(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	username := strings.TrimSpace(r.PostForm.Get("username"))
	admin := r.PostForm.Get("admin") == "1"
	u, err := a.store.CreateUser(r.Context(), username, r.PostForm.Get("password"), admin)
	if err != nil {
		values := url.Values{"username": {username}}
		if admin {
			values.Set("admin", "1")
		}
		a.formFailure(w, r, err, "/settings/users", values, "username", "user-name", "password", "user-password", "that already", "user-name")
		return
	}
	a.log.Info("user created", "user", u.Username, "admin", u.IsAdmin)
	a.flash(r, fmt.Sprintf("User %s added.", u.Username))
	http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
}

// setUserRole changes a user's role and active flag. The store refuses to
// leave the team without an active admin. An admin taking away their own
// access (deactivating themselves, or their admin role) confirms it first
// on a page of its own, so the step does not rest on JavaScript.
func (a *App) setUserRole(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok || !a.parseForm(w, r) {
		return
	}
	admin, active := r.PostForm.Get("admin") == "1", r.PostForm.Get("active") == "1"
	self, _ := currentUser(r.Context())
	ownAccess := id == self.ID && (!admin || !active)
	if ownAccess && r.PostForm.Get("confirm") != "1" {
		q := url.Values{"admin": {boolForm(admin)}, "active": {boolForm(active)}}
		http.Redirect(w, r, fmt.Sprintf("/settings/users/%d/confirm?%s", id, q.Encode()), http.StatusSeeOther)
		return
	}
	if err := a.store.SetUserRole(r.Context(), id, admin, active); err != nil {
		a.fail(w, r, err, "/settings/users")
		return
	}
	a.log.Info("user role changed", "id", id, "admin", admin, "active", active)
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
	admin, active := q.Get("admin") == "1", q.Get("active") == "1"
	if id != self.ID || (admin && active) {
		http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
		return
	}
	v := views.ConfirmPage{Page: a.page(r, "Confirm", "settings"), Action: fmt.Sprintf("/settings/users/%d/role", id),
		Fields: map[string]string{"admin": boolForm(admin), "active": boolForm(active), "confirm": "1"}, Cancel: "/settings/users"}
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
