package handlers

import (
	"bytes"
	"encoding/json"
	"strconv"

	"hookboard/store"
)

// The Me, App, User and project-member procedures (Kanboard's
// MeProcedure, AppProcedure, UserProcedure and the user half of
// ProjectPermissionProcedure). Who may call them is in jsonrpc_access.go.

// jsonObject is a JSON object whose keys keep their order (Kanboard's
// id → name maps are sorted by name, which a Go map would lose).
type jsonObject []jsonMember

type jsonMember struct {
	Key   string
	Value any
}

// MarshalJSON writes {} when empty, never null: Kanboard casts these to objects.
func (o jsonObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.Key)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(m.Value)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// userJSON is Kanboard's users row. Hookboard keeps no LDAP, OAuth or
// two-factor data, and never shows a password hash: "password" is there,
// always "".
func userJSON(u store.User) map[string]any {
	return map[string]any{
		"id": u.ID, "username": u.Username, "password": "", "is_ldap_user": 0, "name": nullIfEmpty(u.Name),
		"email":     nullIfEmpty(u.Email),
		"google_id": nil, "github_id": nil, "notifications_enabled": 0, "timezone": nil, "language": nil,
		"disable_login_form": 0, "twofactor_activated": 0, "twofactor_secret": nil, "token": "",
		"notifications_filter": 4, "nb_failed_login": 0, "lock_expiration_date": 0, "gitlab_id": nil,
		"role": u.Role, "is_active": boolNum(u.IsActive), "avatar_path": nil, "api_access_token": nil,
		"filter": nil, "theme": "light",
	}
}

// procGetMe is the caller's row, as authentication read it, without what
// Kanboard strips (password, is_admin, is_project_admin), with its booleans
// as booleans.
func procGetMe(c *rpcCall, _ noParams) (any, error) {
	row := userJSON(*c.caller.user)
	delete(row, "password")
	row["is_ldap_user"], row["twofactor_activated"] = false, false
	return row, nil
}

func procGetMyProjects(c *rpcCall, _ noParams) (any, error) {
	list, err := c.a.store.UserProjects(c.ctx(), c.caller.user.ID, true)
	if err != nil {
		return nil, err
	}
	return c.a.projectsJSON(list), nil
}

func procGetMyProjectsList(c *rpcCall, _ noParams) (any, error) {
	list, err := c.a.store.UserProjects(c.ctx(), c.caller.user.ID, false)
	if err != nil {
		return nil, err
	}
	out := jsonObject{}
	for _, p := range list {
		out = append(out, jsonMember{strconv.FormatInt(p.ID, 10), p.Name})
	}
	return out, nil
}

type createMyPrivateProjectParams struct {
	Name        string `rpc:"name,required"`
	Description string `rpc:"description"`
}

func procCreateMyPrivateProject(c *rpcCall, p createMyPrivateProjectParams) (any, error) {
	id, events, err := c.a.store.AddProject(c.ctx(), c.caller.actor(), store.NewProject{Name: p.Name, Description: p.Description, Private: true})
	return c.written(id, events, err)
}

func procGetMyOverdueTasks(c *rpcCall, _ noParams) (any, error) {
	return c.a.store.OverdueTasks(c.ctx(), c.caller.user.ID, 0)
}

func procGetMyDashboard(c *rpcCall, _ noParams) (any, error) {
	return c.a.store.DashboardTasks(c.ctx(), c.caller.user.ID)
}

func procGetMyActivityStream(c *rpcCall, _ noParams) (any, error) {
	events, err := c.a.store.UserActivity(c.ctx(), c.caller.user.ID, 100)
	if err != nil {
		return nil, err
	}
	return c.activityRows(events)
}

// App procedures.

func procGetDefaultTaskColor(*rpcCall, noParams) (any, error) { return store.DefaultColor, nil }

func procGetColorList(*rpcCall, noParams) (any, error) {
	out := jsonObject{}
	for _, col := range store.Colors {
		out = append(out, jsonMember{col.ID, col.Name})
	}
	return out, nil
}

func procGetApplicationRoles(*rpcCall, noParams) (any, error) {
	return jsonObject{{store.RoleAdmin, "Administrator"}, {store.RoleManager, "Manager"}, {store.RoleUser, "User"}}, nil
}

func procGetProjectRoles(*rpcCall, noParams) (any, error) {
	return jsonObject{{store.ProjectManager, "Project Manager"}, {store.ProjectMember, "Project Member"},
		{store.ProjectViewer, "Project Viewer"}}, nil
}

// User procedures (app-admins and the app token).

type userIDParams struct {
	UserID int64 `rpc:"user_id,required"`
}

type createUserParams struct {
	Username string `rpc:"username,required"`
	Password string `rpc:"password,required"`
	Name     string `rpc:"name"`
	Email    string `rpc:"email"`
	Role     string `rpc:"role"`
}

func procCreateUser(c *rpcCall, p createUserParams) (any, error) {
	u, err := c.a.store.AddUser(c.ctx(), store.NewUser{Username: p.Username, Password: p.Password, Name: p.Name,
		Email: p.Email, Role: p.Role})
	return c.written(u.ID, nil, err)
}

// procCreateLdapUser answers that Hookboard has no LDAP, rather than a
// false that would look like a refused username.
func procCreateLdapUser(*rpcCall, struct {
	Username string `rpc:"username,required"`
}) (any, error) {
	return nil, &rpcError{Code: 0, Message: "LDAP is not supported: Hookboard has no LDAP directory; use createUser"}
}

func procGetUser(c *rpcCall, p userIDParams) (any, error) {
	u, err := c.a.store.UserByID(c.ctx(), p.UserID)
	if err != nil {
		return c.fail(err, nil)
	}
	return userJSON(u), nil
}

// procGetUserByName matches the username exactly (Kanboard's SQLite is
// case-sensitive here, while logins are not).
func procGetUserByName(c *rpcCall, p struct {
	Username string `rpc:"username,required"`
}) (any, error) {
	u, err := c.a.store.UserByName(c.ctx(), p.Username)
	if err != nil {
		return c.fail(err, nil)
	}
	if u.Username != p.Username {
		return nil, nil
	}
	return userJSON(u), nil
}

func procGetAllUsers(c *rpcCall, _ noParams) (any, error) {
	users, err := c.a.store.Users(c.ctx())
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(users))
	for _, u := range users {
		out = append(out, userJSON(u))
	}
	return out, nil
}

type updateUserParams struct {
	ID       int64   `rpc:"id,required"`
	Username *string `rpc:"username"`
	Name     *string `rpc:"name"`
	Email    *string `rpc:"email"`
	Role     *string `rpc:"role"`
}

func procUpdateUser(c *rpcCall, p updateUserParams) (any, error) {
	err := c.a.store.UpdateUser(c.ctx(), p.ID, store.UserUpdate{Username: p.Username, Name: p.Name, Email: p.Email, Role: p.Role})
	return c.written(true, nil, err)
}

func procRemoveUser(c *rpcCall, p userIDParams) (any, error) {
	return c.written(true, nil, c.a.store.RemoveUser(c.ctx(), p.UserID))
}

func procDisableUser(c *rpcCall, p userIDParams) (any, error) {
	return c.written(true, nil, c.a.store.SetUserActive(c.ctx(), p.UserID, false))
}

func procEnableUser(c *rpcCall, p userIDParams) (any, error) {
	return c.written(true, nil, c.a.store.SetUserActive(c.ctx(), p.UserID, true))
}

func procIsActiveUser(c *rpcCall, p userIDParams) (any, error) {
	u, err := c.a.store.UserByID(c.ctx(), p.UserID)
	if err != nil {
		return c.fail(err, false)
	}
	return u.IsActive, nil
}

// Project members.

type projectUserParams struct {
	ProjectID int64 `rpc:"project_id,required"`
	UserID    int64 `rpc:"user_id,required"`
}

func procGetProjectUsers(c *rpcCall, p projectParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	members, err := c.a.store.ProjectUsers(c.ctx(), p.ProjectID)
	if err != nil {
		return nil, err
	}
	out := jsonObject{}
	for _, m := range members {
		out = append(out, jsonMember{strconv.FormatInt(m.ID, 10), m.DisplayName()})
	}
	return out, nil
}

type assignableUsersParams struct {
	ProjectID         int64 `rpc:"project_id,required"`
	PrependUnassigned int64 `rpc:"prepend_unassigned"`
}

func procGetAssignableUsers(c *rpcCall, p assignableUsersParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	users, err := c.a.store.AssignableUsers(c.ctx(), p.ProjectID)
	if err != nil {
		return nil, err
	}
	out := jsonObject{}
	if p.PrependUnassigned != 0 {
		out = append(out, jsonMember{"0", "Unassigned"})
	}
	for _, u := range users {
		out = append(out, jsonMember{strconv.FormatInt(u.ID, 10), u.DisplayName()})
	}
	return out, nil
}

type addProjectUserParams struct {
	ProjectID int64  `rpc:"project_id,required"`
	UserID    int64  `rpc:"user_id,required"`
	Role      string `rpc:"role"`
}

func procAddProjectUser(c *rpcCall, p addProjectUserParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	if p.Role == "" {
		p.Role = store.ProjectMember
	}
	return c.written(true, nil, c.a.store.AddProjectMember(c.ctx(), p.ProjectID, p.UserID, p.Role))
}

func procRemoveProjectUser(c *rpcCall, p projectUserParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	return c.written(true, nil, c.a.store.RemoveProjectMember(c.ctx(), p.ProjectID, p.UserID))
}

type changeProjectUserRoleParams struct {
	ProjectID int64  `rpc:"project_id,required"`
	UserID    int64  `rpc:"user_id,required"`
	Role      string `rpc:"role,required"`
}

func procChangeProjectUserRole(c *rpcCall, p changeProjectUserRoleParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	return c.written(true, nil, c.a.store.SetProjectMemberRole(c.ctx(), p.ProjectID, p.UserID, p.Role))
}

func procGetProjectUserRole(c *rpcCall, p projectUserParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	return c.a.store.ProjectRole(c.ctx(), p.ProjectID, p.UserID)
}
