package handlers

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"hookboard/store"
)

// rpcCall is one procedure call being run.
type rpcCall struct {
	a      *App
	r      *http.Request
	caller rpcCaller
	args   rpcArgs
}

func (c *rpcCall) ctx() context.Context { return c.r.Context() }

// delivered hands a committed change's events to the notifier.
func (c *rpcCall) delivered(events []string) { c.a.deliver(c.ctx(), events) }

// fail turns a store error into Kanboard's answer: a domain failure (bad
// input, unknown id) is the procedure's failure value; a refused permission
// is the whole request's 403; an unavailable database is an error reply.
func (c *rpcCall) fail(err error, failure any) (any, error) {
	switch {
	case errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict):
		c.a.log.Debug("json-rpc call failed", "err", err)
		return failure, nil
	case errors.Is(err, store.ErrUnauthorized):
		return nil, errForbidden
	case errors.Is(err, store.ErrUnavailable):
		return nil, fmt.Errorf("%w: %w", &rpcError{Code: rpcInternalError, Message: "Internal error",
			Data: "Database unavailable, try again"}, err)
	}
	return nil, err
}

// userProject applies Kanboard's rule for user callers: a procedure naming
// a project the user cannot see (here: one that does not exist) is refused
// with 403. Applications get the procedure's failure value instead.
func (c *rpcCall) userProject(projectID int64) error {
	if c.caller.isApp() {
		return nil
	}
	_, err := c.project(projectID)
	return err
}

// project looks a project up under userProject's rule: a user naming a
// project that does not exist is refused (errForbidden), an application
// gets store.ErrNotFound. One query where userProject and a lookup took two.
func (c *rpcCall) project(id int64) (store.Project, error) {
	p, err := c.a.store.ProjectByID(c.ctx(), id)
	if errors.Is(err, store.ErrNotFound) && !c.caller.isApp() {
		return p, errForbidden
	}
	return p, err
}

// rpcProcedure is one procedure: its parameters in Kanboard's order, how
// many are required, and its body.
type rpcProcedure struct {
	params   []string
	required int
	userOnly bool // Kanboard's Me procedures: users only, 403 for applications
	run      func(c *rpcCall) (any, error)
}

// Kanboard's parameter lists (its procedures' PHP signatures).
var (
	createTaskParams = []string{"title", "project_id", "color_id", "column_id", "owner_id", "creator_id", "date_due",
		"description", "category_id", "score", "swimlane_id", "priority", "recurrence_status", "recurrence_trigger",
		"recurrence_factor", "recurrence_timeframe", "recurrence_basedate", "reference", "tags", "date_started",
		"time_spent", "time_estimated"}
	updateTaskParams = []string{"id", "title", "color_id", "owner_id", "date_due", "description", "category_id",
		"score", "priority", "recurrence_status", "recurrence_trigger", "recurrence_factor", "recurrence_timeframe",
		"recurrence_basedate", "reference", "tags", "date_started", "time_spent", "time_estimated"}
	createProjectParams = []string{"name", "description", "owner_id", "identifier", "start_date", "end_date",
		"priority_default", "priority_start", "priority_end", "email"}
)

// rpcProcedures is the API: DESIGN §5's 29 procedures and a few read-only
// Kanboard helpers scripts call (getTimezone, getDefaultTaskColors,
// getTaskFile, downloadTaskFile).
var rpcProcedures map[string]rpcProcedure

func init() {
	rpcProcedures = map[string]rpcProcedure{
		"getVersion":           {run: procGetVersion},
		"getTimezone":          {run: func(*rpcCall) (any, error) { return "UTC", nil }},
		"getDefaultTaskColors": {run: procGetColors},
		"getMe":                {userOnly: true, run: procGetMe},
		"getAllProjects":       {run: procGetAllProjects},
		"getProjectById":       {params: []string{"project_id"}, required: 1, run: procGetProjectByID},
		"createProject":        {params: createProjectParams, required: 1, run: procCreateProject},
		"getColumns":           {params: []string{"project_id"}, required: 1, run: procGetColumns},
		"getActiveSwimlanes":   {params: []string{"project_id"}, required: 1, run: procGetActiveSwimlanes},
		"createTask":           {params: createTaskParams, required: 2, run: procCreateTask},
		"getTask":              {params: []string{"task_id"}, required: 1, run: procGetTask},
		"getAllTasks":          {params: []string{"project_id", "status_id"}, required: 1, run: procGetAllTasks},
		"updateTask":           {params: updateTaskParams, required: 1, run: procUpdateTask},
		"openTask":             {params: []string{"task_id"}, required: 1, run: procOpenTask},
		"closeTask":            {params: []string{"task_id"}, required: 1, run: procCloseTask},
		"removeTask":           {params: []string{"task_id"}, required: 1, run: procRemoveTask},
		"moveTaskPosition": {params: []string{"project_id", "task_id", "column_id", "position", "swimlane_id"},
			required: 5, run: procMoveTaskPosition},
		"moveTaskToProject": {params: []string{"task_id", "project_id", "swimlane_id", "column_id", "category_id", "owner_id"},
			required: 2, run: procMoveTaskToProject},
		"createComment":  {params: []string{"task_id", "user_id", "content", "reference", "visibility"}, required: 3, run: procCreateComment},
		"getComment":     {params: []string{"comment_id"}, required: 1, run: procGetComment},
		"getAllComments": {params: []string{"task_id"}, required: 1, run: procGetAllComments},
		"updateComment":  {params: []string{"id", "content"}, required: 2, run: procUpdateComment},
		"removeComment":  {params: []string{"comment_id"}, required: 1, run: procRemoveComment},
		"createSubtask": {params: []string{"task_id", "title", "user_id", "time_estimated", "time_spent", "status"},
			required: 2, run: procCreateSubtask},
		"getSubtask":     {params: []string{"subtask_id"}, required: 1, run: procGetSubtask},
		"getAllSubtasks": {params: []string{"task_id"}, required: 1, run: procGetAllSubtasks},
		"updateSubtask": {params: []string{"id", "task_id", "title", "user_id", "time_estimated", "time_spent", "status"},
			required: 2, run: procUpdateSubtask},
		"removeSubtask":    {params: []string{"subtask_id"}, required: 1, run: procRemoveSubtask},
		"createTaskFile":   {params: []string{"project_id", "task_id", "filename", "blob"}, required: 4, run: procCreateTaskFile},
		"getAllTaskFiles":  {params: []string{"task_id"}, required: 1, run: procGetAllTaskFiles},
		"getTaskFile":      {params: []string{"file_id"}, required: 1, run: procGetTaskFile},
		"downloadTaskFile": {params: []string{"file_id"}, required: 1, run: procDownloadTaskFile},
		"removeTaskFile":   {params: []string{"file_id"}, required: 1, run: procRemoveTaskFile},
	}
}

// runProcedure binds a call's arguments and runs it. A returned *rpcError
// is the call's error reply; errForbidden refuses the whole request.
func (a *App) runProcedure(r *http.Request, caller rpcCaller, req rpcRequest) (any, error) {
	proc, ok := rpcProcedures[req.Method]
	if !ok {
		return nil, &rpcError{Code: rpcMethodNotFound, Message: "Method not found"}
	}
	if proc.userOnly && caller.isApp() {
		return nil, errForbidden
	}
	args, perr := bindArgs(proc.params, proc.required, req.Params)
	if perr != nil {
		return nil, perr
	}
	result, err := proc.run(&rpcCall{a: a, r: r, caller: caller, args: args})
	if err != nil {
		var re *rpcError
		if !errors.As(err, &re) && !errors.Is(err, errForbidden) {
			a.log.Error("json-rpc procedure failed", "method", req.Method, "err", err)
		}
		return nil, err
	}
	return result, nil
}

// ints reads several integer arguments (absent: 0), stopping at the first
// that is not an integer.
func (c *rpcCall) ints(names ...string) ([]int64, error) {
	out := make([]int64, len(names))
	for i, n := range names {
		v, err := c.args.int(n, 0)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func procGetVersion(c *rpcCall) (any, error) {
	if c.a.cfg.Version == "" {
		return "dev", nil
	}
	return c.a.cfg.Version, nil
}

type colorJSON struct {
	Name       string `json:"name"`
	Background string `json:"background"`
	Border     string `json:"border"`
}

func procGetColors(*rpcCall) (any, error) {
	return orderedColors{}, nil
}

// orderedColors marshals Kanboard's color map in Kanboard's order.
type orderedColors struct{}

// MarshalJSON writes {"yellow": {"name", "background", "border"}, …}.
func (orderedColors) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, col := range store.Colors {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:{%q:%q,%q:%q,%q:%q}", col.ID, "name", col.Name, "background", col.Background, "border", col.Border)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

func procGetMe(c *rpcCall) (any, error) {
	u := c.caller.user
	role := "app-user"
	if u.IsAdmin {
		role = "app-admin"
	}
	return map[string]any{
		"id": u.ID, "username": u.Username, "is_ldap_user": false, "name": nullIfEmpty(u.Name),
		"email": nullIfEmpty(u.Email), "google_id": nil, "github_id": nil, "notifications_enabled": 0,
		"timezone": nil, "language": nil, "disable_login_form": 0, "twofactor_activated": false,
		"twofactor_secret": nil, "token": "", "notifications_filter": 4, "nb_failed_login": 0,
		"lock_expiration_date": 0, "gitlab_id": nil, "role": role, "is_active": boolNum(u.IsActive),
		"avatar_path": nil, "api_access_token": nil, "filter": nil, "theme": "light",
	}, nil
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func boolNum(b bool) int {
	if b {
		return 1
	}
	return 0
}

// projectURL and taskURL are the browser's pages for a project and a task.
func (a *App) projectURL(id int64) string {
	return strings.TrimSuffix(a.cfg.BaseURL, "/") + "/projects/" + strconv.FormatInt(id, 10) + "/board"
}

func (a *App) taskURL(projectID, id int64) string {
	return a.projectURL(projectID) + "#task-" + strconv.FormatInt(id, 10)
}

// projectJSON is Kanboard's project object.
func (a *App) projectJSON(p store.Project) map[string]any {
	return map[string]any{
		"id": p.ID, "name": p.Name, "is_active": boolNum(p.IsActive), "token": "", "last_modified": p.ModifiedAt,
		"is_public": 0, "is_private": 0, "is_everybody_allowed": 0, "default_swimlane": store.DefaultSwimlaneName,
		"show_default_swimlane": 1, "description": nullIfEmpty(p.Description), "identifier": p.Identifier,
		"start_date": "", "end_date": "", "owner_id": p.OwnerID, "priority_default": 0, "priority_start": 0,
		"priority_end": 3, "email": nil, "predefined_email_subjects": nil, "per_swimlane_task_limits": 0,
		"task_limit": 0, "enable_global_tags": 1,
		"url": map[string]string{"board": a.projectURL(p.ID), "list": a.projectURL(p.ID)},
	}
}

func procGetAllProjects(c *rpcCall) (any, error) {
	list, err := c.a.store.Projects(c.ctx())
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(list))
	for _, p := range list {
		out = append(out, c.a.projectJSON(p))
	}
	return out, nil
}

func procGetProjectByID(c *rpcCall) (any, error) {
	id, err := c.args.int("project_id", 0)
	if err != nil {
		return nil, err
	}
	p, err := c.project(id)
	if err != nil {
		return c.fail(err, nil)
	}
	return c.a.projectJSON(p), nil
}

func procCreateProject(c *rpcCall) (any, error) {
	// Projects are board configuration: admins and applications only.
	if !c.caller.isAdmin() {
		return nil, errForbidden
	}
	name, err := c.args.str("name")
	if err != nil {
		return nil, err
	}
	desc, err := c.args.str("description")
	if err != nil {
		return nil, err
	}
	owner, err := c.args.int("owner_id", 0)
	if err != nil {
		return nil, err
	}
	if owner != 0 {
		if _, err := c.a.store.UserByID(c.ctx(), owner); err != nil {
			return c.fail(err, false)
		}
	}
	id, err := c.a.store.CreateProject(c.ctx(), name, desc, owner)
	if err != nil {
		return c.fail(err, false)
	}
	return id, nil
}

func procGetColumns(c *rpcCall) (any, error) {
	id, err := c.args.int("project_id", 0)
	if err != nil {
		return nil, err
	}
	if err := c.userProject(id); err != nil {
		return nil, err
	}
	cols, err := c.a.store.Columns(c.ctx(), id)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(cols))
	for _, col := range cols {
		out = append(out, map[string]any{"id": col.ID, "title": col.Title, "position": col.Position,
			"project_id": col.ProjectID, "task_limit": col.TaskLimit, "description": col.Description, "hide_in_dashboard": 0})
	}
	return out, nil
}

func procGetActiveSwimlanes(c *rpcCall) (any, error) {
	id, err := c.args.int("project_id", 0)
	if err != nil {
		return nil, err
	}
	if err := c.userProject(id); err != nil {
		return nil, err
	}
	lanes, err := c.a.store.Swimlanes(c.ctx(), id)
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, l := range lanes {
		if !l.IsActive {
			continue
		}
		out = append(out, map[string]any{"id": l.ID, "name": l.Name, "position": l.Position, "is_active": 1,
			"project_id": l.ProjectID, "description": l.Description, "task_limit": 0})
	}
	return out, nil
}

// apiTask is getTask's object: the task with names, its URL and its color.
type apiTask struct {
	store.TaskSnapshot
	URL   string    `json:"url"`
	Color colorJSON `json:"color"`
}

func (a *App) taskJSON(t store.TaskSnapshot) apiTask {
	col, _ := store.ColorByID(t.ColorID)
	return apiTask{TaskSnapshot: t, URL: a.taskURL(t.ProjectID, t.ID),
		Color: colorJSON{Name: col.Name, Background: col.Background, Border: col.Border}}
}

func procCreateTask(c *rpcCall) (any, error) {
	title, err := c.args.str("title")
	if err != nil {
		return nil, err
	}
	ids, err := c.ints("project_id", "column_id", "owner_id", "creator_id", "category_id", "score", "swimlane_id", "priority")
	if err != nil {
		return nil, err
	}
	t := store.NewTask{Title: title, ProjectID: ids[0], ColumnID: ids[1], OwnerID: ids[2], CreatorID: ids[3],
		CategoryID: ids[4], Score: ids[5], SwimlaneID: ids[6], Priority: ids[7]}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"color_id", &t.ColorID}, {"description", &t.Description}, {"reference", &t.Reference}} {
		if *f.dst, err = c.args.str(f.name); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		name string
		dst  *int64
	}{{"date_due", &t.DateDue}, {"date_started", &t.DateStarted}} {
		d, err := c.args.optDate(f.name)
		if err != nil {
			return nil, err
		}
		if d != nil {
			*f.dst = *d
		}
	}
	for _, f := range []struct {
		name string
		dst  *float64
	}{{"time_spent", &t.TimeSpent}, {"time_estimated", &t.TimeEstimated}} {
		v, err := c.args.optFloat(f.name)
		if err != nil {
			return nil, err
		}
		if v != nil {
			*f.dst = *v
		}
	}
	if t.ProjectID <= 0 {
		return false, nil
	}
	// Kanboard answers 0 (not false) for an unknown project, column or
	// swimlane; everything else that is wrong is false.
	if _, err := c.project(t.ProjectID); err != nil {
		return c.fail(err, 0)
	}
	if t.ColumnID != 0 {
		if _, err := c.a.store.ColumnByID(c.ctx(), t.ColumnID); err != nil {
			return c.fail(err, 0)
		}
	}
	if t.SwimlaneID != 0 {
		if _, err := c.a.store.SwimlaneByID(c.ctx(), t.SwimlaneID); err != nil {
			return c.fail(err, 0)
		}
	}
	if t.CreatorID != 0 {
		if _, err := c.a.store.UserByID(c.ctx(), t.CreatorID); err != nil {
			return c.fail(err, false)
		}
	}
	if t.CreatorID == 0 && c.caller.user != nil {
		t.CreatorID = c.caller.user.ID
	}
	id, events, err := c.a.store.CreateTask(c.ctx(), c.caller.actor(), t)
	if err != nil {
		return c.fail(err, false)
	}
	c.delivered(events)
	return id, nil
}

func procGetTask(c *rpcCall) (any, error) {
	id, err := c.args.int("task_id", 0)
	if err != nil {
		return nil, err
	}
	t, err := c.a.store.TaskByID(c.ctx(), id)
	if err != nil {
		return c.fail(err, nil)
	}
	return c.a.taskJSON(t), nil
}

func procGetAllTasks(c *rpcCall) (any, error) {
	pid, err := c.args.int("project_id", 0)
	if err != nil {
		return nil, err
	}
	status, err := c.args.int("status_id", 1)
	if err != nil {
		return nil, err
	}
	if err := c.userProject(pid); err != nil {
		return nil, err
	}
	if status != 0 && status != 1 {
		return []apiTask{}, nil
	}
	tasks, err := c.a.store.Tasks(c.ctx(), pid, store.TaskStatus(status))
	if err != nil {
		return nil, err
	}
	out := make([]apiTask, 0, len(tasks))
	for _, t := range tasks {
		out = append(out, c.a.taskJSON(t))
	}
	return out, nil
}

func procUpdateTask(c *rpcCall) (any, error) {
	id, err := c.args.int("id", 0)
	if err != nil {
		return nil, err
	}
	var u store.TaskUpdate
	for _, f := range []struct {
		name string
		dst  **string
	}{{"title", &u.Title}, {"color_id", &u.ColorID}, {"description", &u.Description}, {"reference", &u.Reference}} {
		if *f.dst, err = c.args.optStr(f.name); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		name string
		dst  **int64
	}{{"owner_id", &u.OwnerID}, {"category_id", &u.CategoryID}, {"score", &u.Score}, {"priority", &u.Priority}} {
		if *f.dst, err = c.args.optInt(f.name); err != nil {
			return nil, err
		}
	}
	if u.DateDue, err = c.args.optDate("date_due"); err != nil {
		return nil, err
	}
	if u.DateStarted, err = c.args.optDate("date_started"); err != nil {
		return nil, err
	}
	if u.TimeSpent, err = c.args.optFloat("time_spent"); err != nil {
		return nil, err
	}
	if u.TimeEstimated, err = c.args.optFloat("time_estimated"); err != nil {
		return nil, err
	}
	events, err := c.a.store.UpdateTask(c.ctx(), c.caller.actor(), id, u)
	if err != nil {
		return c.fail(err, false)
	}
	c.delivered(events)
	return true, nil
}

// taskOp runs a store operation on the task named by task_id and answers
// true, or false when it failed.
func taskOp(op func(s *store.Store, ctx context.Context, actor store.Actor, id int64) ([]string, error)) func(c *rpcCall) (any, error) {
	return func(c *rpcCall) (any, error) {
		id, err := c.args.int("task_id", 0)
		if err != nil {
			return nil, err
		}
		events, err := op(c.a.store, c.ctx(), c.caller.actor(), id)
		if err != nil {
			return c.fail(err, false)
		}
		c.delivered(events)
		return true, nil
	}
}

var (
	procOpenTask   = taskOp((*store.Store).OpenTask)
	procCloseTask  = taskOp((*store.Store).CloseTask)
	procRemoveTask = taskOp((*store.Store).DeleteTask)
)

func procMoveTaskPosition(c *rpcCall) (any, error) {
	v, err := c.ints("project_id", "task_id", "column_id", "position", "swimlane_id")
	if err != nil {
		return nil, err
	}
	if err := c.userProject(v[0]); err != nil {
		return nil, err
	}
	events, err := c.a.store.MoveTask(c.ctx(), c.caller.actor(), v[1],
		store.TaskMove{ProjectID: v[0], ColumnID: v[2], Position: v[3], SwimlaneID: v[4]})
	if err != nil {
		return c.fail(err, false)
	}
	c.delivered(events)
	return true, nil
}

func procMoveTaskToProject(c *rpcCall) (any, error) {
	v, err := c.ints("task_id", "project_id", "swimlane_id", "column_id")
	if err != nil {
		return nil, err
	}
	m := store.ProjectMove{ProjectID: v[1], SwimlaneID: v[2], ColumnID: v[3]}
	if m.CategoryID, err = c.args.optInt("category_id"); err != nil {
		return nil, err
	}
	if m.OwnerID, err = c.args.optInt("owner_id"); err != nil {
		return nil, err
	}
	if err := c.userProject(m.ProjectID); err != nil {
		return nil, err
	}
	events, err := c.a.store.MoveTaskToProject(c.ctx(), c.caller.actor(), v[0], m)
	if err != nil {
		return c.fail(err, false)
	}
	c.delivered(events)
	return true, nil
}

func procCreateComment(c *rpcCall) (any, error) {
	v, err := c.ints("task_id", "user_id")
	if err != nil {
		return nil, err
	}
	content, err := c.args.str("content")
	if err != nil {
		return nil, err
	}
	// A member writes as themselves only.
	if u := c.caller.user; u != nil && !u.IsAdmin && v[1] != 0 && v[1] != u.ID {
		return nil, errForbidden
	}
	id, events, err := c.a.store.CreateComment(c.ctx(), c.caller.actor(), v[0], v[1], content)
	if err != nil {
		return c.fail(err, false)
	}
	c.delivered(events)
	return id, nil
}

func procGetComment(c *rpcCall) (any, error) {
	id, err := c.args.int("comment_id", 0)
	if err != nil {
		return nil, err
	}
	cm, err := c.a.store.CommentByID(c.ctx(), id)
	if err != nil {
		return c.fail(err, nil)
	}
	return cm, nil
}

func procGetAllComments(c *rpcCall) (any, error) {
	id, err := c.args.int("task_id", 0)
	if err != nil {
		return nil, err
	}
	return c.a.store.Comments(c.ctx(), id)
}

func procUpdateComment(c *rpcCall) (any, error) {
	id, err := c.args.int("id", 0)
	if err != nil {
		return nil, err
	}
	content, err := c.args.str("content")
	if err != nil {
		return nil, err
	}
	events, err := c.a.store.UpdateComment(c.ctx(), c.caller.actor(), id, content)
	if err != nil {
		return c.fail(err, false)
	}
	c.delivered(events)
	return true, nil
}

func procRemoveComment(c *rpcCall) (any, error) {
	id, err := c.args.int("comment_id", 0)
	if err != nil {
		return nil, err
	}
	events, err := c.a.store.DeleteComment(c.ctx(), c.caller.actor(), id)
	if err != nil {
		return c.fail(err, false)
	}
	c.delivered(events)
	return true, nil
}

func procCreateSubtask(c *rpcCall) (any, error) {
	v, err := c.ints("task_id", "user_id", "status")
	if err != nil {
		return nil, err
	}
	title, err := c.args.str("title")
	if err != nil {
		return nil, err
	}
	n := store.NewSubtask{TaskID: v[0], Title: title, UserID: v[1], Status: int(v[2])}
	if v[2] < 0 || v[2] > store.SubtaskDone {
		return false, nil
	}
	for _, f := range []struct {
		name string
		dst  *float64
	}{{"time_estimated", &n.TimeEstimated}, {"time_spent", &n.TimeSpent}} {
		x, err := c.args.optFloat(f.name)
		if err != nil {
			return nil, err
		}
		if x != nil {
			*f.dst = *x
		}
	}
	id, events, err := c.a.store.CreateSubtask(c.ctx(), c.caller.actor(), n)
	if err != nil {
		return c.fail(err, false)
	}
	c.delivered(events)
	return id, nil
}

func procGetSubtask(c *rpcCall) (any, error) {
	id, err := c.args.int("subtask_id", 0)
	if err != nil {
		return nil, err
	}
	st, err := c.a.store.SubtaskByID(c.ctx(), id)
	if err != nil {
		return c.fail(err, nil)
	}
	return st, nil
}

func procGetAllSubtasks(c *rpcCall) (any, error) {
	id, err := c.args.int("task_id", 0)
	if err != nil {
		return nil, err
	}
	return c.a.store.Subtasks(c.ctx(), id)
}

func procUpdateSubtask(c *rpcCall) (any, error) {
	v, err := c.ints("id", "task_id")
	if err != nil {
		return nil, err
	}
	if v[1] == 0 {
		return false, nil
	}
	var u store.SubtaskUpdate
	if u.Title, err = c.args.optStr("title"); err != nil {
		return nil, err
	}
	if u.UserID, err = c.args.optInt("user_id"); err != nil {
		return nil, err
	}
	if u.TimeEstimated, err = c.args.optFloat("time_estimated"); err != nil {
		return nil, err
	}
	if u.TimeSpent, err = c.args.optFloat("time_spent"); err != nil {
		return nil, err
	}
	status, err := c.args.optInt("status")
	if err != nil {
		return nil, err
	}
	if status != nil {
		if *status < 0 || *status > store.SubtaskDone {
			return false, nil
		}
		st := int(*status)
		u.Status = &st
	}
	events, err := c.a.store.UpdateSubtask(c.ctx(), c.caller.actor(), v[0], v[1], u)
	if err != nil {
		return c.fail(err, false)
	}
	c.delivered(events)
	return true, nil
}

func procRemoveSubtask(c *rpcCall) (any, error) {
	id, err := c.args.int("subtask_id", 0)
	if err != nil {
		return nil, err
	}
	events, err := c.a.store.DeleteSubtask(c.ctx(), c.caller.actor(), id)
	if err != nil {
		return c.fail(err, false)
	}
	c.delivered(events)
	return true, nil
}

func procCreateTaskFile(c *rpcCall) (any, error) {
	v, err := c.ints("project_id", "task_id")
	if err != nil {
		return nil, err
	}
	name, err := c.args.str("filename")
	if err != nil {
		return nil, err
	}
	blob, err := c.args.str("blob")
	if err != nil {
		return nil, err
	}
	if err := c.userProject(v[0]); err != nil {
		return nil, err
	}
	data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(blob))
	if err != nil {
		return false, nil
	}
	id, events, err := c.a.store.CreateFile(c.ctx(), c.caller.actor(),
		store.NewFile{ProjectID: v[0], TaskID: v[1], Name: name, Data: data}, c.a.cfg.MaxFileBytes)
	if err != nil {
		return c.fail(err, false)
	}
	c.delivered(events)
	return id, nil
}

func procGetAllTaskFiles(c *rpcCall) (any, error) {
	id, err := c.args.int("task_id", 0)
	if err != nil {
		return nil, err
	}
	return c.a.store.Files(c.ctx(), id)
}

func procGetTaskFile(c *rpcCall) (any, error) {
	id, err := c.args.int("file_id", 0)
	if err != nil {
		return nil, err
	}
	f, _, err := c.a.store.FileData(c.ctx(), id)
	if err != nil {
		return c.fail(err, nil)
	}
	return f, nil
}

func procDownloadTaskFile(c *rpcCall) (any, error) {
	id, err := c.args.int("file_id", 0)
	if err != nil {
		return nil, err
	}
	_, data, err := c.a.store.FileData(c.ctx(), id)
	if err != nil {
		return c.fail(err, "")
	}
	return base64.StdEncoding.EncodeToString(data), nil
}

func procRemoveTaskFile(c *rpcCall) (any, error) {
	id, err := c.args.int("file_id", 0)
	if err != nil {
		return nil, err
	}
	events, err := c.a.store.DeleteFile(c.ctx(), c.caller.actor(), id)
	if err != nil {
		return c.fail(err, false)
	}
	c.delivered(events)
	return true, nil
}
