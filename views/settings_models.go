package views

import (
	"fmt"
	"strings"
)

// IntegrationsPage is Settings → Integrations.
type IntegrationsPage struct {
	Page
	Items    []IntegrationRow
	Shown    *ShownSecret // a token just created or regenerated
	Projects []Option
	Form     IntegrationForm
}

// IntegrationForm is the create form's values (kept when it is refused).
type IntegrationForm struct {
	Name         string
	Description  string
	Kind         string
	ProjectID    string
	Expires      string
	AllowedIPs   string
	RequireProof bool
}

// IntegrationRow is one integration in the list.
type IntegrationRow struct {
	ID           int64
	Name         string
	Description  string
	Kind         string
	TokenHint    string
	Enabled      bool
	Expired      bool
	Expires      string
	LastUsed     string
	AllowedIPs   string
	RequireProof bool
	Project      string
	Usage        []UsageDay
}

// UsageDay is one day of an integration's request counts.
type UsageDay struct {
	Day   string
	Count int
}

// ShownSecret is a credential shown once.
type ShownSecret struct {
	What      string // e.g. "Integration “CI”"
	Token     string
	AppSecret string
	Curl      string // a ready-to-run command, for incoming integrations
}

// UsageTotal sums the days.
func (r IntegrationRow) UsageTotal() int {
	n := 0
	for _, d := range r.Usage {
		n += d.Count
	}
	return n
}

// SparkBar is one bar of a sparkline, in SVG user units.
type SparkBar struct {
	X, Y, W, H int
	Title      string
}

// Sparkline geometry: seven 8-unit slots, 22 units tall.
const (
	sparkSlot   = 8
	sparkHeight = 22
)

// SparkBars lays out the bars of a usage sparkline: heights relative to the
// busiest day, and a 1-unit stub for days with some use so that they never
// look like zero.
func SparkBars(days []UsageDay) []SparkBar {
	max := 0
	for _, d := range days {
		if d.Count > max {
			max = d.Count
		}
	}
	out := make([]SparkBar, 0, len(days))
	for i, d := range days {
		h := 0
		if max > 0 && d.Count > 0 {
			h = d.Count * (sparkHeight - 2) / max
			if h < 1 {
				h = 1
			}
		}
		out = append(out, SparkBar{X: i*sparkSlot + 1, Y: sparkHeight - 1 - h, W: sparkSlot - 2, H: h,
			Title: fmt.Sprintf("%s: %d", d.Day, d.Count)})
	}
	return out
}

func sparkLabel(days []UsageDay) string {
	parts := make([]string, len(days))
	for i, d := range days {
		parts[i] = fmt.Sprint(d.Count)
	}
	return "Requests over the last 7 days, oldest first: " + strings.Join(parts, ", ")
}

// UsersPage is Settings → Users.
type UsersPage struct {
	Page
	Users []UserRow
	Form  UserForm
}

// UserRow is one user in the list.
type UserRow struct {
	ID       int64
	Username string
	Name     string
	Email    string
	Roles    []Option // the app roles, the user's selected
	IsActive bool
	Created  string
}

// UserForm is the add-user form's values.
type UserForm struct {
	Username, Name, Email string
	Roles                 []Option
}

// UserEditPage is one user's page: name, email and username, a password
// reset, removal.
type UserEditPage struct {
	Page
	ID                    int64
	Username, Name, Email string
}

// MembersPage is a project's members and their roles.
type MembersPage struct {
	Page
	ProjectID   int64
	ProjectName string
	Members     []MemberRow
	Candidates  []Option // users who are not members, for the add form
	Roles       []Option // the project roles, member selected
}

// MemberRow is one member.
type MemberRow struct {
	UserID   int64
	Username string
	Name     string
	Roles    []Option // the project roles, theirs selected
	IsActive bool
}

// AccountPage is Account: password and personal tokens.
type AccountPage struct {
	Page
	Username  string
	Tokens    []TokenRow
	Shown     *ShownSecret
	TokenName string
}

// TokenRow is one personal access token.
type TokenRow struct {
	ID       int64
	Name     string
	Hint     string
	Expires  string
	LastUsed string
}
