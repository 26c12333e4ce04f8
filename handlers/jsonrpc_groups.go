package handlers

import (
	"hookboard/store"
)

// Kanboard's GroupProcedure and GroupMemberProcedure (app-admins and the
// app token) and the group half of ProjectPermissionProcedure (project
// managers). Kanboard sends no notification for groups, and neither does
// Hookboard: a membership change writes no event.

type groupParams struct {
	GroupID int64 `rpc:"group_id,required"`
}

type groupUserParams struct {
	GroupID int64 `rpc:"group_id,required"`
	UserID  int64 `rpc:"user_id,required"`
}

// groupJSON is Kanboard's groups row.
func groupJSON(g store.Group) map[string]any {
	return map[string]any{"id": g.ID, "external_id": g.ExternalID, "name": g.Name}
}

type createGroupParams struct {
	Name       string `rpc:"name,required"`
	ExternalID string `rpc:"external_id"`
}

func procCreateGroup(c *rpcCall, p createGroupParams) (any, error) {
	id, err := c.a.store.CreateGroup(c.ctx(), p.Name, p.ExternalID)
	return c.written(id, nil, err)
}

type updateGroupParams struct {
	GroupID    int64   `rpc:"group_id,required"`
	Name       *string `rpc:"name"`
	ExternalID *string `rpc:"external_id"`
}

func procUpdateGroup(c *rpcCall, p updateGroupParams) (any, error) {
	return c.written(true, nil, c.a.store.UpdateGroup(c.ctx(), p.GroupID, p.Name, p.ExternalID))
}

func procRemoveGroup(c *rpcCall, p groupParams) (any, error) {
	return c.written(true, nil, c.a.store.RemoveGroup(c.ctx(), p.GroupID))
}

func procGetGroup(c *rpcCall, p groupParams) (any, error) {
	g, err := c.a.store.GroupByID(c.ctx(), p.GroupID)
	if err != nil {
		return c.fail(err, nil)
	}
	return groupJSON(g), nil
}

func procGetAllGroups(c *rpcCall, _ noParams) (any, error) {
	groups, err := c.a.store.Groups(c.ctx())
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(groups))
	for _, g := range groups {
		row := groupJSON(g)
		row["nb_users"] = g.NbUsers
		out = append(out, row)
	}
	return out, nil
}

func procGetMemberGroups(c *rpcCall, p userIDParams) (any, error) {
	groups, err := c.a.store.UserGroups(c.ctx(), p.UserID)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(groups))
	for _, g := range groups {
		out = append(out, groupJSON(g))
	}
	return out, nil
}

// procGetGroupMembers answers Kanboard's group_has_users ⋈ users rows:
// the user row (without its password hash, as everywhere here) with
// group_id and user_id.
func procGetGroupMembers(c *rpcCall, p groupParams) (any, error) {
	users, err := c.a.store.GroupMembers(c.ctx(), p.GroupID)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(users))
	for _, u := range users {
		row := userJSON(u)
		row["group_id"], row["user_id"] = p.GroupID, u.ID
		out = append(out, row)
	}
	return out, nil
}

func procAddGroupMember(c *rpcCall, p groupUserParams) (any, error) {
	return c.written(true, nil, c.a.store.AddGroupMember(c.ctx(), p.GroupID, p.UserID))
}

func procRemoveGroupMember(c *rpcCall, p groupUserParams) (any, error) {
	return c.written(true, nil, c.a.store.RemoveGroupMember(c.ctx(), p.GroupID, p.UserID))
}

func procIsGroupMember(c *rpcCall, p groupUserParams) (any, error) {
	return c.a.store.IsGroupMember(c.ctx(), p.GroupID, p.UserID)
}

// Groups in projects.

type projectGroupParams struct {
	ProjectID int64 `rpc:"project_id,required"`
	GroupID   int64 `rpc:"group_id,required"`
}

type addProjectGroupParams struct {
	ProjectID int64  `rpc:"project_id,required"`
	GroupID   int64  `rpc:"group_id,required"`
	Role      string `rpc:"role"`
}

func procAddProjectGroup(c *rpcCall, p addProjectGroupParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	if p.Role == "" {
		p.Role = store.ProjectMember
	}
	return c.written(true, nil, c.a.store.AddProjectGroup(c.ctx(), p.ProjectID, p.GroupID, p.Role))
}

func procRemoveProjectGroup(c *rpcCall, p projectGroupParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	return c.written(true, nil, c.a.store.RemoveProjectGroup(c.ctx(), p.ProjectID, p.GroupID))
}

type changeProjectGroupRoleParams struct {
	ProjectID int64  `rpc:"project_id,required"`
	GroupID   int64  `rpc:"group_id,required"`
	Role      string `rpc:"role,required"`
}

func procChangeProjectGroupRole(c *rpcCall, p changeProjectGroupRoleParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	return c.written(true, nil, c.a.store.SetProjectGroupRole(c.ctx(), p.ProjectID, p.GroupID, p.Role))
}
