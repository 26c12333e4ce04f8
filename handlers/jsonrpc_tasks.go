package handlers

import "hookboard/store"

// Task lookups and tags: the rest of Kanboard's TaskProcedure, its
// TagProcedure and TaskTagProcedure. Their registry lines are in
// rpcProcedures (jsonrpc_procs.go).

// me is the caller's user id, 0 for an application ("assignee:me" then
// means nobody, as in Kanboard).
func (c *rpcCall) me() int64 {
	if c.caller.user == nil {
		return 0
	}
	return c.caller.user.ID
}

type taskByReferenceParams struct {
	ProjectID int64  `rpc:"project_id,required"`
	Reference string `rpc:"reference,required"`
}

func procGetTaskByReference(c *rpcCall, p taskByReferenceParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	t, err := c.a.store.TaskByReference(c.ctx(), p.ProjectID, p.Reference)
	if err != nil {
		return c.fail(err, nil)
	}
	return c.a.taskJSON(t), nil
}

type searchTasksParams struct {
	ProjectID int64  `rpc:"project_id,required"`
	Query     string `rpc:"query,required"`
}

func procSearchTasks(c *rpcCall, p searchTasksParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	return c.a.store.SearchTasks(c.ctx(), p.ProjectID, p.Query, c.me())
}

func procGetOverdueTasks(c *rpcCall, _ noParams) (any, error) {
	return c.a.store.OverdueTasks(c.ctx(), 0, 0)
}

func procGetOverdueTasksByProject(c *rpcCall, p projectParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	if p.ProjectID <= 0 {
		return []store.OverdueTask{}, nil
	}
	return c.a.store.OverdueTasks(c.ctx(), 0, p.ProjectID)
}

// procDuplicateTaskToProject answers the copy's id, or Kanboard's 0.
func procDuplicateTaskToProject(c *rpcCall, p projectMoveParams) (any, error) {
	to, err := c.projectMove(p)
	if err != nil {
		return nil, err
	}
	id, events, err := c.a.store.DuplicateTask(c.ctx(), c.caller.actor(), p.TaskID, to)
	if err != nil {
		return c.fail(err, 0)
	}
	return c.written(id, events, nil)
}

func procGetAllTags(c *rpcCall, _ noParams) (any, error) {
	return c.a.store.AllTags(c.ctx(), c.me(), c.caller.isApp() || c.caller.user.IsAdmin)
}

func procGetTagsByProject(c *rpcCall, p projectParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	return c.a.store.TagsByProject(c.ctx(), p.ProjectID)
}

type createTagParams struct {
	ProjectID int64  `rpc:"project_id,required"`
	Tag       string `rpc:"tag,required"`
	ColorID   string `rpc:"color_id"`
}

// procCreateTag: project_id 0 makes a global tag, which only applications
// may (Kanboard refuses users with 403).
func procCreateTag(c *rpcCall, p createTagParams) (any, error) {
	if err := c.tagProject(p.ProjectID); err != nil {
		return nil, err
	}
	id, err := c.a.store.CreateTag(c.ctx(), p.ProjectID, p.Tag, p.ColorID)
	return c.written(id, nil, err)
}

// tagProject applies Kanboard's rule for a tag's project: a user may not
// touch global tags (403), and needs the project otherwise.
func (c *rpcCall) tagProject(projectID int64) error {
	if projectID == 0 && !c.caller.isApp() {
		return errForbidden
	}
	if projectID == 0 {
		return nil
	}
	return c.userProject(projectID)
}

// existingTag looks a tag up for updateTag and removeTag: an unknown tag is
// the procedure's false (Kanboard runs no project check on one).
func (c *rpcCall) existingTag(id int64) (store.Tag, error) {
	t, err := c.a.store.TagByID(c.ctx(), id)
	if err != nil {
		return t, err
	}
	return t, c.tagProject(t.ProjectID)
}

type updateTagParams struct {
	TagID   int64  `rpc:"tag_id,required"`
	Tag     string `rpc:"tag,required"`
	ColorID string `rpc:"color_id"`
}

func procUpdateTag(c *rpcCall, p updateTagParams) (any, error) {
	if _, err := c.existingTag(p.TagID); err != nil {
		return c.fail(err, false)
	}
	return c.written(true, nil, c.a.store.UpdateTag(c.ctx(), p.TagID, p.Tag, p.ColorID))
}

type tagParams struct {
	TagID int64 `rpc:"tag_id,required"`
}

func procRemoveTag(c *rpcCall, p tagParams) (any, error) {
	if _, err := c.existingTag(p.TagID); err != nil {
		return c.fail(err, false)
	}
	events, err := c.a.store.RemoveTag(c.ctx(), c.caller.actor(), p.TagID)
	return c.written(true, events, err)
}

type setTaskTagsParams struct {
	ProjectID int64      `rpc:"project_id,required"`
	TaskID    int64      `rpc:"task_id,required"`
	Tags      rpcStrings `rpc:"tags,required"`
}

func procSetTaskTags(c *rpcCall, p setTaskTagsParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	if err := c.taskProject(p.TaskID); err != nil {
		return c.fail(err, false)
	}
	events, err := c.a.store.SetTaskTags(c.ctx(), c.caller.actor(), p.ProjectID, p.TaskID, p.Tags)
	return c.written(true, events, err)
}

func procGetTaskTags(c *rpcCall, p taskParams) (any, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return c.fail(err, map[string]string{})
	}
	tags, err := c.a.store.TaskTags(c.ctx(), p.TaskID)
	if err != nil {
		return nil, err
	}
	// Kanboard's {tag_id: name} object, {} when there is none.
	out := make(map[int64]string, len(tags))
	for _, t := range tags {
		out[t.ID] = t.Name
	}
	return out, nil
}
