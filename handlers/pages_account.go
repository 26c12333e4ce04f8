package handlers

import (
	"errors"
	"net/http"

	"hookboard/store"
	"hookboard/views"
)

func (a *App) accountView(r *http.Request) (views.AccountPage, error) {
	u, _ := currentUser(r.Context())
	v := views.AccountPage{Page: a.page(r, "Account", "account"), Username: u.Username}
	return v, nil
}

func (a *App) accountPage(w http.ResponseWriter, r *http.Request) {
	v, err := a.accountView(r)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, views.AccountView(v))
}

// changePassword replaces the user's password after checking the current one.
func (a *App) changePassword(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	u, _ := currentUser(r.Context())
	fail := func(status int, msg string) {
		v, err := a.accountView(r)
		if err != nil {
			a.serverError(w, r, err)
			return
		}
		v.Error = msg
		a.render(w, r, status, views.AccountView(v))
	}
	newPW := r.PostForm.Get("new")
	if newPW != r.PostForm.Get("confirm") {
		fail(http.StatusBadRequest, "The new passwords do not match.")
		return
	}
	if err := store.ValidatePassword(newPW); err != nil {
		_, msg := a.storeFailure(err)
		fail(http.StatusBadRequest, msg)
		return
	}
	if _, err := a.store.CheckPassword(r.Context(), u.Username, r.PostForm.Get("current")); err != nil {
		if errors.Is(err, store.ErrUnauthorized) {
			fail(http.StatusBadRequest, "The current password is wrong.")
			return
		}
		a.serverError(w, r, err)
		return
	}
	if err := a.store.SetPassword(r.Context(), u.Username, newPW); err != nil {
		a.serverError(w, r, err)
		return
	}
	// Renewing the token logs out a copy of the old session cookie.
	if err := a.sess(r).RenewToken(r.Context()); err != nil {
		a.serverError(w, r, err)
		return
	}
	a.log.Info("password changed", "user", u.Username)
	a.flash(r, "Password changed.")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}
