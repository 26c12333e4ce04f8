package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"hookboard/store"
	"hookboard/views"
)

func (a *App) accountView(r *http.Request) (views.AccountPage, error) {
	u, _ := currentUser(r.Context())
	v := views.AccountPage{Page: a.page(r, "Account", "account"), Username: u.Username}
	tokens, err := a.store.PersonalTokens(r.Context(), u.ID)
	if err != nil {
		return v, err
	}
	now := a.now()
	for _, t := range tokens {
		row := views.TokenRow{ID: t.ID, Name: t.Name, Hint: t.TokenHint, Expires: formatTime(t.ExpiresAt),
			LastUsed: formatTime(t.LastUsedAt)}
		if t.Expired(now) {
			row.Expires = "expired " + row.Expires
		}
		if row.LastUsed == "" {
			row.LastUsed = "never"
		}
		v.Tokens = append(v.Tokens, row)
	}
	return v, nil
}

func (a *App) accountPage(w http.ResponseWriter, r *http.Request) {
	a.accountAnswer(w, r, http.StatusOK, func(*views.AccountPage) {})
}

// accountAnswer renders the account page with what this answer adds to
// it: a form error, or a token shown once.
func (a *App) accountAnswer(w http.ResponseWriter, r *http.Request, status int, add func(*views.AccountPage)) {
	v, err := a.accountView(r)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	add(&v)
	a.render(w, r, status, views.AccountView(v))
}

// accountError re-renders the account page with a form error.
func (a *App) accountError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	a.accountAnswer(w, r, status, func(v *views.AccountPage) { v.Error = msg })
}

// changePassword replaces the user's password after checking the current one.
func (a *App) changePassword(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	u, _ := currentUser(r.Context())
	newPW := r.PostForm.Get("new")
	if newPW != r.PostForm.Get("confirm") {
		a.accountError(w, r, http.StatusBadRequest, "The new passwords do not match.")
		return
	}
	if err := store.ValidatePassword(newPW); err != nil {
		_, msg := a.storeFailure(err)
		a.accountError(w, r, http.StatusBadRequest, msg)
		return
	}
	if _, err := a.store.CheckPassword(r.Context(), u.Username, r.PostForm.Get("current")); err != nil {
		if errors.Is(err, store.ErrUnauthorized) {
			a.accountError(w, r, http.StatusBadRequest, "The current password is wrong.")
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

// createPersonalToken makes a token and shows it once, in the POST's answer.
func (a *App) createPersonalToken(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	u, _ := currentUser(r.Context())
	name := strings.TrimSpace(r.PostForm.Get("name"))
	expires, err := parseExpiryChoice(r.PostForm.Get("expires"))
	var tok store.PersonalToken
	var secret string
	if err == nil {
		tok, secret, err = a.store.CreatePersonalToken(r.Context(), u.ID, name, expires)
	}
	if err != nil {
		status, msg := a.storeFailure(err)
		if status == 0 {
			a.serverError(w, r, err)
			return
		}
		a.accountAnswer(w, r, status, func(v *views.AccountPage) { v.Error, v.TokenName = msg, name })
		return
	}
	a.log.Info("personal token created", "user", u.Username, "id", tok.ID)
	a.accountAnswer(w, r, http.StatusOK, func(v *views.AccountPage) {
		v.Shown = &views.ShownSecret{What: fmt.Sprintf("Personal token “%s”", tok.Name), Token: secret}
	})
}

// deletePersonalToken revokes one of the user's own tokens.
func (a *App) deletePersonalToken(w http.ResponseWriter, r *http.Request) {
	id, ok := a.pathID(w, r, "id")
	if !ok {
		return
	}
	u, _ := currentUser(r.Context())
	if err := a.store.DeletePersonalToken(r.Context(), id, u.ID); err != nil {
		a.fail(w, r, err, "/account")
		return
	}
	a.flash(r, "Token deleted.")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}
