package handlers

import (
	"fmt"
	"net/http"
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
		status, msg := a.storeFailure(err)
		if status == 0 {
			a.serverError(w, r, err)
			return
		}
		v, verr := a.usersView(r)
		if verr != nil {
			a.serverError(w, r, verr)
			return
		}
		v.Error, v.Form = msg, views.UserForm{Username: username, IsAdmin: admin}
		a.render(w, r, status, views.UsersView(v))
		return
	}
	a.log.Info("user created", "user", u.Username, "admin", u.IsAdmin)
	a.flash(r, fmt.Sprintf("User %s added.", u.Username))
	http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
}

// setUserRole changes a user's role and active flag. The store refuses to
// leave the team without an active admin.
func (a *App) setUserRole(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok || !a.parseForm(w, r) {
		return
	}
	admin, active := r.PostForm.Get("admin") == "1", r.PostForm.Get("active") == "1"
	if err := a.store.SetUserRole(r.Context(), id, admin, active); err != nil {
		a.fail(w, r, err, "/settings/users")
		return
	}
	a.log.Info("user role changed", "id", id, "admin", admin, "active", active)
	a.flash(r, "User saved.")
	http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
}
