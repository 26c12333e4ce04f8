package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
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

// accountPage shows the account, with the token just made or the refused
// form's error, once.
func (a *App) accountPage(w http.ResponseWriter, r *http.Request) {
	v, err := a.accountView(r)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	st := a.popForm(r)
	v.Shown, v.ErrorField, v.TokenName = st.Shown, st.Field, st.Values.Get("name")
	a.render(w, r, http.StatusOK, views.AccountView(v))
}

// changePassword replaces the user's password after checking the current
// one, and ends the user's other sessions (the password's change moves the
// user's session epoch on; this session takes the new one).
func (a *App) changePassword(w http.ResponseWriter, r *http.Request) {
	if !a.parseForm(w, r) {
		return
	}
	u, _ := currentUser(r.Context())
	newPW := r.PostForm.Get("new")
	if newPW != r.PostForm.Get("confirm") {
		a.formError(w, r, "/account", "The new passwords do not match.", "pw-confirm", nil)
		return
	}
	if err := store.ValidatePassword(newPW); err != nil {
		a.formFailure(w, r, err, "/account", nil, "password", "pw-new")
		return
	}
	// Through the same throttle and bcrypt slots as every password check.
	if _, err := a.checkPassword(r, u.Username, r.PostForm.Get("current")); err != nil {
		var throttled *throttledError
		switch {
		case errors.Is(err, store.ErrUnauthorized):
			a.formError(w, r, "/account", "The current password is wrong.", "pw-current", nil)
			return
		case errors.As(err, &throttled):
			a.formError(w, r, "/account", "Too many wrong passwords: try again in "+throttled.retryAfterHeader()+" s.", "pw-current", nil)
			return
		}
		a.serverError(w, r, err)
		return
	}
	if err := a.store.SetPassword(r.Context(), u.Username, newPW); err != nil {
		a.serverError(w, r, err)
		return
	}
	epoch, err := a.store.SessionEpoch(r.Context(), u.ID)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	// Renewing the token logs out a copy of the old session cookie.
	if err := a.sess(r).RenewToken(r.Context()); err != nil {
		a.serverError(w, r, err)
		return
	}
	a.sess(r).Put(r.Context(), sessEpoch, epoch)
	a.log.Info("password changed", "user", u.Username)
	a.flash(r, "Password changed. Your other sessions have been logged out.")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

// createPersonalToken makes a token and shows it once, on the page the
// answer redirects to.
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
		a.formFailure(w, r, err, "/account", url.Values{"name": {name}}, "token name", "tok-name", "token expiry", "tok-expires", "expiry", "tok-expires")
		return
	}
	a.log.Info("personal token created", "user", u.Username, "id", tok.ID)
	a.showOnce(w, r, "/account", &views.ShownSecret{What: fmt.Sprintf("Personal token “%s”", tok.Name), Token: secret})
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
