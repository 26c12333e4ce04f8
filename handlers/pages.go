package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"hookboard/store"
	"hookboard/views"
)

// home is the browser's start page: the first project's board.
func (a *App) home(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	a.web.home.ServeHTTP(w, r)
}

func (a *App) homePage(w http.ResponseWriter, r *http.Request) {
	id := a.firstProjectID(r)
	if id == 0 {
		a.errorPage(w, r, http.StatusNotFound, "You are not a member of any project yet. A project manager or an admin can add you on the project's Members page.")
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/projects/%d/board", id), http.StatusSeeOther)
}

// render writes a page. It renders into a buffer first, so a failing
// template becomes a clean 500 rather than half a page.
func (a *App) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		a.log.Error("render", "path", r.URL.Path, "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Pages show secrets once and per-user data: never cache them.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

// page is the layout data for a page of the logged-in user; it takes the
// session's flash message.
func (a *App) page(r *http.Request, title, active string) views.Page {
	p := views.Page{Title: title, Active: active}
	if u, ok := currentUser(r.Context()); ok {
		p.User = &views.Viewer{Username: u.Username, IsAdmin: u.IsAdmin, FirstProjectID: a.firstProjectID(r)}
		p.Flash = a.sess(r).PopString(r.Context(), sessFlash)
		p.Error = a.sess(r).PopString(r.Context(), sessFlashErr)
	}
	return p
}

// errorPage answers a refusal or a missing page in HTML.
func (a *App) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	p := a.page(r, http.StatusText(status), "")
	a.render(w, r, status, views.ErrorView(views.ErrorPage{Page: p, Message: msg}))
}

// notFound answers a path no route serves with the styled 404 page. A path
// that a route serves for another method still answers 405, as the mux
// would without this catch-all.
func (a *App) notFound(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		probe := *r
		probe.Method = m
		if _, pattern := mux.Handler(&probe); pattern != "/" {
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		a.errorPage(w, r, http.StatusMethodNotAllowed, "This page does not answer that kind of request.")
		return
	}
	a.errorPage(w, r, http.StatusNotFound, "There is no such page.")
}

// serverError logs err and answers 500, or 503 when the database is busy.
func (a *App) serverError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrUnavailable) {
		a.log.Warn("database unavailable", "path", r.URL.Path, "err", err)
		a.errorPage(w, r, http.StatusServiceUnavailable, "The database is busy. Try again in a moment.")
		return
	}
	a.log.Error("page", "method", r.Method, "path", r.URL.Path, "err", err)
	a.errorPage(w, r, http.StatusInternalServerError, "Something went wrong. The error has been logged.")
}

// storeFailure answers a failed store call: the user's mistake (a bad
// field, a missing row) in words, anything else as a server error. It
// returns the message shown for bad input so a form can be re-rendered.
func (a *App) storeFailure(err error) (status int, msg string) {
	var inv *store.InvalidError
	switch {
	case errors.As(err, &inv):
		return http.StatusBadRequest, upperFirst(inv.Reason) + "."
	case errors.Is(err, store.ErrInvalid):
		return http.StatusBadRequest, "The form has an invalid value."
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "That no longer exists."
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict, "That already exists."
	case errors.Is(err, store.ErrUnauthorized):
		return http.StatusForbidden, "You may not change that."
	}
	return 0, ""
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// fail answers a store error on a POST: bad input goes back to where the
// user came from with the reason as a flash; other errors are server errors.
func (a *App) fail(w http.ResponseWriter, r *http.Request, err error, back string) {
	status, msg := a.storeFailure(err)
	if status == 0 {
		a.serverError(w, r, err)
		return
	}
	if status == http.StatusNotFound && back == "" {
		a.errorPage(w, r, status, msg)
		return
	}
	a.flashError(r, msg)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// parseForm reads a urlencoded form of bounded size.
func (a *App) parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes)
	if err := r.ParseForm(); err != nil {
		a.errorPage(w, r, http.StatusBadRequest, "The form could not be read (too large or malformed).")
		return false
	}
	return true
}

// pathID reads a numeric path segment; a bad one is a 404.
func (a *App) pathID(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		a.errorPage(w, r, http.StatusNotFound, "There is no such page.")
		return 0, false
	}
	return id, true
}

// formInt reads an optional numeric form field ("" is 0).
func formInt(r *http.Request, name string) (int64, error) {
	v := strings.TrimSpace(r.PostForm.Get(name))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, &store.InvalidError{Reason: name + " must be a number"}
	}
	return n, nil
}

func formatTime(unix int64) string {
	if unix == 0 {
		return ""
	}
	return time.Unix(unix, 0).UTC().Format("2006-01-02 15:04 UTC")
}

func formatDate(unix int64) string {
	if unix == 0 {
		return ""
	}
	return time.Unix(unix, 0).UTC().Format(time.DateOnly)
}

func colorOptions(selected string) []views.Option {
	if selected == "" {
		selected = store.DefaultColor
	}
	out := make([]views.Option, len(store.Colors))
	for i, c := range store.Colors {
		out[i] = views.Option{Value: c.ID, Label: c.Name, Selected: c.ID == selected}
	}
	return out
}

// colorsCSS serves the task colors as CSS classes, made from store.Colors
// so the palette has one source. (The CSP forbids inline styles.)
func (a *App) colorsCSS(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	b.WriteString("/* Kanboard's task colors, generated from store.Colors. */\n")
	for _, c := range store.Colors {
		fmt.Fprintf(&b, ".color-%s { background: %s; border-color: %s; }\n", c.ID, c.Background, c.Border)
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write([]byte(b.String()))
}
