// Package views renders Hookboard's HTML pages. Components take the plain
// view-model structs of this file, never store rows, so that handlers decide
// what a page shows and tests can render any state without a database.
package views

// Page is what every page's layout needs.
type Page struct {
	Title  string
	User   *Viewer // nil when nobody is logged in
	Active string  // top navigation key: "board", "settings", "account"
	Sub    string  // settings tab: "webhooks", "integrations", "users"
	Flash  string  // a one-time success message
	Error  string  // what went wrong with the last form, in words for the user
	// ErrorField is the id of the input Error is about, if one: the page
	// shows Error by that input too.
	ErrorField string
}

// Viewer is the logged-in user.
type Viewer struct {
	Username string
	IsAdmin  bool
	// FirstProjectID links the "Board" tab.
	FirstProjectID int64
}

// Option is one choice of a select or checkbox list.
type Option struct {
	Value    string
	Label    string
	Selected bool
}

// LoginPage is the login form.
type LoginPage struct {
	Page
	Username string
	Next     string // where to go after logging in
}

// ErrorPage explains a refusal or a missing page.
type ErrorPage struct {
	Page
	Message string
}

// ConfirmPage asks to confirm a form: a POST to Action with Fields.
type ConfirmPage struct {
	Page
	Question string
	Detail   string
	Action   string
	Fields   map[string]string
	Button   string
	Cancel   string // where Cancel leads
}
