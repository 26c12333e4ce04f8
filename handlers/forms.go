package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"hookboard/views"
)

// formState is what a form's page shows after the redirect that answers the
// form's POST: every POST answers with a redirect, so reloading the page
// that follows never sends the form again.
type formState struct {
	// Shown is a secret just made, shown once: popped from the session by
	// the page that shows it, so a reload no longer has it.
	Shown *views.ShownSecret `json:"shown,omitempty"`
	// Field is the id of the input the error is about.
	Field string `json:"field,omitempty"`
	// Values are what the user typed, to fill the form again (never a
	// password).
	Values url.Values `json:"values,omitempty"`
}

// keepForm stores st for the next page of this session. It is kept as JSON
// text so the session store needs no registered types.
func (a *App) keepForm(r *http.Request, st formState) {
	b, err := json.Marshal(st)
	if err != nil {
		return // a plain struct of strings always encodes
	}
	a.sess(r).Put(r.Context(), sessForm, string(b))
}

// popForm takes what keepForm stored, if anything.
func (a *App) popForm(r *http.Request) formState {
	var st formState
	if s := a.sess(r).PopString(r.Context(), sessForm); s != "" {
		json.Unmarshal([]byte(s), &st)
	}
	return st
}

// formError sends the user back to the form's page with the error in the
// banner and by the field, and what they typed.
func (a *App) formError(w http.ResponseWriter, r *http.Request, back, msg, field string, values url.Values) {
	a.flashError(r, msg)
	a.keepForm(r, formState{Field: field, Values: values})
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// formFailure is formError for a store error: bad input goes back to the
// form, other errors are server errors. fields pairs how a reason starts
// ("title") with the id of the input it is about ("new-title").
func (a *App) formFailure(w http.ResponseWriter, r *http.Request, err error, back string, values url.Values, fields ...string) {
	status, msg := a.storeFailure(err)
	if status == 0 {
		a.serverError(w, r, err)
		return
	}
	a.formError(w, r, back, msg, fieldFor(msg, fields...), values)
}

// fieldFor finds the input an error message is about from how it starts.
func fieldFor(msg string, fields ...string) string {
	for i := 0; i+1 < len(fields); i += 2 {
		if len(msg) >= len(fields[i]) && strings.EqualFold(msg[:len(fields[i])], fields[i]) {
			return fields[i+1]
		}
	}
	return ""
}

// showOnce redirects to back, where the secret is shown once.
func (a *App) showOnce(w http.ResponseWriter, r *http.Request, back string, s *views.ShownSecret) {
	a.keepForm(r, formState{Shown: s})
	http.Redirect(w, r, back, http.StatusSeeOther)
}
