package views

import (
	"fmt"
	"time"
)

// IntegrationsPage is Settings → Integrations.
type IntegrationsPage struct {
	Page
	Items    []IntegrationRow
	Shown    *ShownSecret // a token just created or regenerated
	Projects []Option
	// Columns and Swimlanes are every project's, labelled with the
	// project's name, for the edit forms' default placement.
	Columns   []Option
	Swimlanes []Option
	Form      IntegrationForm
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
	Edit         IntegrationEditForm
}

// IntegrationEditForm is one integration's edit form: its current values,
// or what the admin typed when the edit was refused.
type IntegrationEditForm struct {
	Open         bool // unfolded, because it was just refused
	Name         string
	Description  string
	Expires      string // "keep", "never" or a choice such as "30d"
	ProjectID    string
	ColumnID     string
	SwimlaneID   string
	AllowedIPs   string
	RequireProof bool
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

// UsageChart is the integration's requests per day as a bar chart with
// the days' names under the bars.
func (r IntegrationRow) UsageChart() Chart {
	c := Chart{Label: "Requests per day, last 7 days", Series: []ChartSeries{{Name: "requests"}}, Width: 260, TestID: "usage-chart"}
	top := 0
	for _, d := range r.Usage {
		top = max(top, d.Count)
		label, when := d.Day, d.Day
		if t, err := time.Parse(time.DateOnly, d.Day); err == nil {
			label, when = t.Format("Mon"), t.Format("Mon 2 Jan")
		}
		unit := "requests"
		if d.Count == 1 {
			unit = "request"
		}
		c.Slots = append(c.Slots, ChartSlot{Label: label, Values: []float64{float64(d.Count)}, Text: fmt.Sprintf("%s: %d %s", when, d.Count, unit)})
	}
	c.Max = float64(max(top, 1))
	c.MaxText = fmt.Sprint(max(top, 1))
	c.Summary = fmt.Sprintf("%d requests in 7 days", r.UsageTotal())
	return c
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
	Groups      []ProjectGroupRow
	GroupChoice []Option // groups the project is not shared with
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

// GroupsPage is Settings → Groups.
type GroupsPage struct {
	Page
	Groups []GroupRow
	Name   string // the create form's value after a refusal
}

// GroupRow is one group in a list.
type GroupRow struct {
	ID         int64
	Name       string
	ExternalID string
	Users      int64
}

// GroupPage is one group: its names and its users.
type GroupPage struct {
	Page
	GroupRow
	Members    []Option // Value the user id, Label the username
	Candidates []Option // users not in the group
}

// ProjectGroupRow is a group on a project's Members page.
type ProjectGroupRow struct {
	GroupID int64
	Name    string
	Users   int64
	Roles   []Option // the project roles, the group's selected
}
