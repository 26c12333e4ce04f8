package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/alexedwards/scs/sqlite3store"
	"github.com/alexedwards/scs/v2"

	"hookboard/store"
	"hookboard/views"
)

// Session keys.
const (
	sessUserID = "user_id"
	sessFlash  = "flash"
	// sessFlashErr carries a form error across a redirect.
	sessFlashErr = "flash_error"
	// sessEpoch is the user's session epoch when the session began; a new
	// password moves the user's epoch on and so ends older sessions.
	sessEpoch = "epoch"
	// sessForm carries what a form page shows after a redirect: a secret
	// shown once, or the typed values and the field an error is about.
	sessForm = "form"
)

// web is the state of the browser side: sessions and login limits.
type web struct {
	// Two managers over one store, identical but for the cookie's Secure
	// flag: scs fixes the flag per manager, and a session cookie must be
	// Secure exactly when the request came over HTTPS (directly, or through
	// a trusted proxy saying so), while plain HTTP on 127.0.0.1 must work.
	plain, secure *scs.SessionManager
	store         sessionStore
	passwords     *passwordGate
	home          http.Handler
}

// sessionStore is scs's store of the database's dialect: sessions live in
// the database, so every instance on it knows every session.
type sessionStore interface {
	scs.Store
	StopCleanup()
}

func newWeb(st *store.Store) *web {
	var ss sessionStore
	if st.Postgres() {
		ss = postgresstore.NewWithCleanupInterval(st.SessionDB(), 10*time.Minute)
	} else {
		ss = sqlite3store.NewWithCleanupInterval(st.SessionDB(), 10*time.Minute)
	}
	mk := func(secure bool) *scs.SessionManager {
		m := scs.New()
		m.Store = ss
		// A week at most, and a day without use ends a session. The idle
		// timeout costs one small write per page view (scs re-saves the
		// expiry); a team's page views are few next to the API's writes.
		m.Lifetime = 7 * 24 * time.Hour
		m.IdleTimeout = 24 * time.Hour
		// The store keeps only a hash of the token: a copy of the database
		// does not hand out live sessions.
		m.HashTokenInStore = true
		m.Cookie.Name = "hookboard_session"
		m.Cookie.HttpOnly = true
		m.Cookie.SameSite = http.SameSiteLaxMode
		m.Cookie.Secure = secure
		m.Cookie.Path = "/"
		return m
	}
	return &web{plain: mk(false), secure: mk(true), store: ss, passwords: newPasswordGate()}
}

// Close stops the session store's background cleanup.
func (a *App) Close() {
	if a.web != nil {
		a.web.store.StopCleanup()
	}
}

// isHTTPS tells whether the browser reached us over HTTPS.
func (a *App) isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	peer, ok := parseHostAddr(r.RemoteAddr)
	return ok && a.trusted(peer) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// sess is the session manager that loaded this request's session.
func (a *App) sess(r *http.Request) *scs.SessionManager {
	if a.isHTTPS(r) {
		return a.web.secure
	}
	return a.web.plain
}

// withSession loads and saves the session around next.
func (a *App) withSession(next http.Handler) http.Handler {
	plain, secure := a.web.plain.LoadAndSave(next), a.web.secure.LoadAndSave(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.isHTTPS(r) {
			secure.ServeHTTP(w, r)
			return
		}
		plain.ServeHTTP(w, r)
	})
}

type userKey struct{}

// currentUser is the logged-in user, set by requireUser.
func currentUser(ctx context.Context) (store.User, bool) {
	u, ok := ctx.Value(userKey{}).(store.User)
	return u, ok
}

// actor is who the logged-in user is to the store.
func actorOf(u store.User) store.Actor {
	return store.Actor{UserID: u.ID, Username: u.Username, IsAdmin: u.IsAdmin}
}

// requireUser lets logged-in, active users through; others go to the login
// page (GET) or get 401 (other methods, which must not be replayed after
// login).
func (a *App) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := a.sess(r).GetInt64(r.Context(), sessUserID)
		var u store.User
		var epoch int64
		var err error
		if id != 0 {
			u, err = a.store.UserByID(r.Context(), id)
			if err == nil {
				epoch, err = a.store.SessionEpoch(r.Context(), id)
			}
		}
		ended := err == nil && (!u.IsActive || epoch != a.sess(r).GetInt64(r.Context(), sessEpoch))
		if id == 0 || errors.Is(err, store.ErrNotFound) || ended {
			if id != 0 {
				a.sess(r).Remove(r.Context(), sessUserID)
			}
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			a.errorPage(w, r, http.StatusUnauthorized, "Your session has ended. Log in again.")
			return
		}
		if err != nil {
			a.serverError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, u)))
	})
}

// requireAdmin is requireUser for admins only: members get 403.
func (a *App) requireAdmin(next http.Handler) http.Handler {
	return a.requireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, _ := currentUser(r.Context()); !u.IsAdmin {
			a.errorPage(w, r, http.StatusForbidden, "Settings are for admins only.")
			return
		}
		next.ServeHTTP(w, r)
	}))
}

// securePageHeaders are sent with every page: no inline scripts or styles,
// no framing, no type sniffing, no referrer leaking paths elsewhere.
func securePageHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// loginPage shows the login form.
func (a *App) loginPage(w http.ResponseWriter, r *http.Request) {
	if a.sess(r).GetInt64(r.Context(), sessUserID) != 0 {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	p := views.Page{Title: "Log in", Flash: a.sess(r).PopString(r.Context(), sessFlash)}
	a.render(w, r, http.StatusOK, views.LoginView(views.LoginPage{Page: p, Next: r.URL.Query().Get("next")}))
}

// login checks a username and password and starts a session.
func (a *App) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		a.errorPage(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	username := strings.TrimSpace(r.PostForm.Get("username"))
	password := r.PostForm.Get("password")
	page := views.LoginPage{Page: views.Page{Title: "Log in"}, Username: username, Next: r.URL.Query().Get("next")}

	ip, _ := a.clientIP(r)
	u, err := a.checkPassword(r, username, password)
	if t, ok := isThrottled(err); ok {
		a.log.Warn("login rate limited", "user", loggedName(username), "ip", ip.String())
		w.Header().Set("Retry-After", t.retryAfterHeader())
		page.Error = "Too many login attempts. Wait a minute and try again."
		a.render(w, r, http.StatusTooManyRequests, views.LoginView(page))
		return
	}
	if errors.Is(err, store.ErrUnauthorized) {
		a.log.Info("login failed", "user", loggedName(username), "ip", ip.String())
		page.Error = "Wrong username or password."
		a.render(w, r, http.StatusUnauthorized, views.LoginView(page))
		return
	}
	if r.Context().Err() != nil {
		return // the client left while waiting for its password check
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	sm := a.sess(r)
	// A new token on login: a session id planted before login is worthless.
	if err := sm.RenewToken(r.Context()); err != nil {
		a.serverError(w, r, err)
		return
	}
	epoch, err := a.store.SessionEpoch(r.Context(), u.ID)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	sm.Put(r.Context(), sessUserID, u.ID)
	sm.Put(r.Context(), sessEpoch, epoch)
	a.log.Info("login", "user", u.Username, "ip", ip.String())
	http.Redirect(w, r, localNext(r.URL.Query().Get("next")), http.StatusSeeOther)
}

// localNext keeps a post-login redirect on this site: a path of our own,
// with no scheme or host. Browsers drop tabs and newlines from a URL and
// read a backslash as a slash, so "/\t/host" or "/\\host" would name
// another site: any control character or backslash sends the user home.
func localNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') ||
		strings.IndexFunc(next, func(c rune) bool { return c < 0x20 || c == 0x7f }) >= 0 {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}

// logout ends the session.
func (a *App) logout(w http.ResponseWriter, r *http.Request) {
	if err := a.sess(r).Destroy(r.Context()); err != nil {
		a.serverError(w, r, err)
		return
	}
	// The message lives in a new, anonymous session that the login page
	// empties.
	a.flash(r, "You are logged out.")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// flash stores a one-time message for the next page.
func (a *App) flash(r *http.Request, msg string) {
	a.sess(r).Put(r.Context(), sessFlash, msg)
}

// flashError stores a one-time error (what went wrong) for the next page.
func (a *App) flashError(r *http.Request, msg string) {
	a.sess(r).Put(r.Context(), sessFlashErr, msg)
}
