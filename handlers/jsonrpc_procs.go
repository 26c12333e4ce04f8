package handlers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"hookboard/store"
)

// rpcCall is one procedure call being run.
type rpcCall struct {
	a      *App
	r      *http.Request
	caller rpcCaller
	method string // the procedure's name, for the project check (jsonrpc_access.go)
}

func (c *rpcCall) ctx() context.Context { return c.r.Context() }

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

// written ends every writing procedure: a committed change's events go to
// the notifier and the caller gets result; a failed write gets Kanboard's
// false (or fail's error).
func (c *rpcCall) written(result any, events []string, err error) (any, error) {
	if err != nil {
		return c.fail(err, false)
	}
	c.a.deliver(c.ctx(), events)
	return result, nil
}

// found answers a lookup by id: the row, or Kanboard's null when there is none.
func (c *rpcCall) found(row any, err error) (any, error) {
	if err != nil {
		return c.fail(err, nil)
	}
	return row, nil
}

// rpcProcedure is one procedure of the API.
type rpcProcedure struct {
	params []string // Kanboard's parameter names, in order
	// bind reads a call's params into the procedure's params struct; run
	// takes that struct.
	bind func(raw json.RawMessage) (any, *rpcError)
	run  func(c *rpcCall, params any) (any, error)
}

// procedure registers run, reading its parameter list, arity and argument
// types from P's tags (see jsonrpc_args.go) once, at init.
func procedure[P any](run func(*rpcCall, P) (any, error)) rpcProcedure {
	sig := signatureOf(reflect.TypeFor[P]())
	return rpcProcedure{
		params: sig.params,
		bind: func(raw json.RawMessage) (any, *rpcError) {
			var p P
			if err := sig.bind(raw, reflect.ValueOf(&p).Elem()); err != nil {
				return nil, err
			}
			return p, nil
		},
		run: func(c *rpcCall, p any) (any, error) { return run(c, p.(P)) },
	}
}

// rpcProcedures is the API: DESIGN §5's 29 procedures, a few read-only
// Kanboard helpers scripts call (getTimezone, getDefaultTaskColors,
// getTaskFile, downloadTaskFile), the rest of Kanboard's TaskProcedure and
// its tag procedures.
var rpcProcedures = map[string]rpcProcedure{
	"getVersion":           procedure(procGetVersion),
	"getTimezone":          procedure(procGetTimezone),
	"getDefaultTaskColors": procedure(procGetColors),
	"getMe":                procedure(procGetMe),
	"getAllProjects":       procedure(procGetAllProjects),
	"getProjectById":       procedure(procGetProjectByID),
	"createProject":        procedure(procCreateProject),
	"getColumns":           procedure(procGetColumns),
	"getActiveSwimlanes":   procedure(swimlanes(true)),
	"createTask":           procedure(procCreateTask),
	"getTask":              procedure(procGetTask),
	"getAllTasks":          procedure(procGetAllTasks),
	"updateTask":           procedure(procUpdateTask),
	"openTask":             procedure(taskOp((*store.Store).OpenTask)),
	"closeTask":            procedure(taskOp((*store.Store).CloseTask)),
	"removeTask":           procedure(taskOp((*store.Store).DeleteTask)),
	"moveTaskPosition":     procedure(procMoveTaskPosition),
	"moveTaskToProject":    procedure(procMoveTaskToProject),
	"createComment":        procedure(procCreateComment),
	"getComment":           procedure(procGetComment),
	"getAllComments":       procedure(procGetAllComments),
	"updateComment":        procedure(procUpdateComment),
	"removeComment":        procedure(procRemoveComment),
	"createSubtask":        procedure(procCreateSubtask),
	"getSubtask":           procedure(procGetSubtask),
	"getAllSubtasks":       procedure(procGetAllSubtasks),
	"updateSubtask":        procedure(procUpdateSubtask),
	"removeSubtask":        procedure(procRemoveSubtask),
	"createTaskFile":       procedure(procCreateTaskFile),
	"getAllTaskFiles":      procedure(procGetAllTaskFiles),
	"getTaskFile":          procedure(procGetTaskFile),
	"downloadTaskFile":     procedure(procDownloadTaskFile),
	"removeTaskFile":       procedure(procRemoveTaskFile),
	"removeAllTaskFiles":   procedure(procRemoveAllTaskFiles),

	// Users, app roles and project members (jsonrpc_users.go).
	"getMyDashboard":         procedure(procGetMyDashboard),
	"getMyActivityStream":    procedure(procGetMyActivityStream),
	"createMyPrivateProject": procedure(procCreateMyPrivateProject),
	"getMyProjectsList":      procedure(procGetMyProjectsList),
	"getMyProjects":          procedure(procGetMyProjects),
	"getMyOverdueTasks":      procedure(procGetMyOverdueTasks),
	"getDefaultTaskColor":    procedure(procGetDefaultTaskColor),
	"getColorList":           procedure(procGetColorList),
	"getApplicationRoles":    procedure(procGetApplicationRoles),
	"getProjectRoles":        procedure(procGetProjectRoles),
	"createUser":             procedure(procCreateUser),
	"createLdapUser":         procedure(procCreateLdapUser),
	"getUser":                procedure(procGetUser),
	"getUserByName":          procedure(procGetUserByName),
	"getAllUsers":            procedure(procGetAllUsers),
	"updateUser":             procedure(procUpdateUser),
	"removeUser":             procedure(procRemoveUser),
	"disableUser":            procedure(procDisableUser),
	"enableUser":             procedure(procEnableUser),
	"isActiveUser":           procedure(procIsActiveUser),
	"getProjectUsers":        procedure(procGetProjectUsers),
	"getAssignableUsers":     procedure(procGetAssignableUsers),
	"addProjectUser":         procedure(procAddProjectUser),
	"removeProjectUser":      procedure(procRemoveProjectUser),
	"changeProjectUserRole":  procedure(procChangeProjectUserRole),
	"getProjectUserRole":     procedure(procGetProjectUserRole),

	// Groups, their members, groups in projects (jsonrpc_groups.go).
	"createGroup":            procedure(procCreateGroup),
	"updateGroup":            procedure(procUpdateGroup),
	"removeGroup":            procedure(procRemoveGroup),
	"getGroup":               procedure(procGetGroup),
	"getAllGroups":           procedure(procGetAllGroups),
	"getMemberGroups":        procedure(procGetMemberGroups),
	"getGroupMembers":        procedure(procGetGroupMembers),
	"addGroupMember":         procedure(procAddGroupMember),
	"removeGroupMember":      procedure(procRemoveGroupMember),
	"isGroupMember":          procedure(procIsGroupMember),
	"addProjectGroup":        procedure(procAddProjectGroup),
	"removeProjectGroup":     procedure(procRemoveProjectGroup),
	"changeProjectGroupRole": procedure(procChangeProjectGroupRole),

	// Task lookups and tags (jsonrpc_tasks.go).
	"getTaskByReference":       procedure(procGetTaskByReference),
	"searchTasks":              procedure(procSearchTasks),
	"getOverdueTasks":          procedure(procGetOverdueTasks),
	"getOverdueTasksByProject": procedure(procGetOverdueTasksByProject),
	"duplicateTaskToProject":   procedure(procDuplicateTaskToProject),
	"getAllTags":               procedure(procGetAllTags),
	"getTagsByProject":         procedure(procGetTagsByProject),
	"createTag":                procedure(procCreateTag),
	"updateTag":                procedure(procUpdateTag),
	"removeTag":                procedure(procRemoveTag),
	"setTaskTags":              procedure(procSetTaskTags),
	"getTaskTags":              procedure(procGetTaskTags),
	// Projects, board, columns, swimlanes, categories (jsonrpc_projects.go).
	"getProjectByName":           procedure(procGetProjectByName),
	"getProjectByIdentifier":     procedure(procGetProjectByIdentifier),
	"getProjectByEmail":          procedure(procGetProjectByEmail),
	"updateProject":              procedure(procUpdateProject),
	"removeProject":              procedure(procRemoveProject),
	"enableProject":              procedure(projectActive(true)),
	"disableProject":             procedure(projectActive(false)),
	"enableProjectPublicAccess":  procedure(procEnableProjectPublicAccess),
	"disableProjectPublicAccess": procedure(procDisableProjectPublicAccess),
	"getProjectActivity":         procedure(procGetProjectActivity),
	"getProjectActivities":       procedure(procGetProjectActivities),
	"getBoard":                   procedure(procGetBoard),
	"getColumn":                  procedure(procGetColumn),
	"updateColumn":               procedure(procUpdateColumn),
	"addColumn":                  procedure(procAddColumn),
	"removeColumn":               procedure(procRemoveColumn),
	"changeColumnPosition":       procedure(procChangeColumnPosition),
	"getAllSwimlanes":            procedure(swimlanes(false)),
	"getSwimlaneById":            procedure(procGetSwimlane),
	"getSwimlane":                procedure(procGetSwimlane),
	"getSwimlaneByName":          procedure(procGetSwimlaneByName),
	"addSwimlane":                procedure(procAddSwimlane),
	"updateSwimlane":             procedure(procUpdateSwimlane),
	"removeSwimlane":             procedure(procRemoveSwimlane),
	"enableSwimlane":             procedure(swimlaneActive(true)),
	"disableSwimlane":            procedure(swimlaneActive(false)),
	"changeSwimlanePosition":     procedure(procChangeSwimlanePosition),
	"getCategory":                procedure(procGetCategory),
	"getAllCategories":           procedure(procGetAllCategories),
	"createCategory":             procedure(procCreateCategory),
	"updateCategory":             procedure(procUpdateCategory),
	"removeCategory":             procedure(procRemoveCategory),

	// Links and metadata (jsonrpc_links.go).
	"getLinkById":              procedure(procGetLinkByID),
	"getLinkByLabel":           procedure(procGetLinkByLabel),
	"getOppositeLinkId":        procedure(procGetOppositeLinkID),
	"getAllLinks":              procedure(procGetAllLinks),
	"createLink":               procedure(procCreateLink),
	"updateLink":               procedure(procUpdateLink),
	"removeLink":               procedure(procRemoveLink),
	"getTaskLinkById":          procedure(procGetTaskLinkByID),
	"getAllTaskLinks":          procedure(procGetAllTaskLinks),
	"createTaskLink":           procedure(procCreateTaskLink),
	"updateTaskLink":           procedure(procUpdateTaskLink),
	"removeTaskLink":           procedure(procRemoveTaskLink),
	"getExternalTaskLinkTypes": procedure(procGetExternalTaskLinkTypes),
	"getExternalTaskLinkProviderDependencies": procedure(procGetExternalTaskLinkProviderDependencies),
	"getExternalTaskLinkById":                 procedure(procGetExternalTaskLinkByID),
	"getAllExternalTaskLinks":                 procedure(procGetAllExternalTaskLinks),
	"createExternalTaskLink":                  procedure(procCreateExternalTaskLink),
	"updateExternalTaskLink":                  procedure(procUpdateExternalTaskLink),
	"removeExternalTaskLink":                  procedure(procRemoveExternalTaskLink),
	"getTaskMetadata":                         procedure(procGetTaskMetadata),
	"getTaskMetadataByName":                   procedure(procGetTaskMetadataByName),
	"saveTaskMetadata":                        procedure(procSaveTaskMetadata),
	"removeTaskMetadata":                      procedure(procRemoveTaskMetadata),
	"getProjectMetadata":                      procedure(procGetProjectMetadata),
	"getProjectMetadataByName":                procedure(procGetProjectMetadataByName),
	"saveProjectMetadata":                     procedure(procSaveProjectMetadata),
	"removeProjectMetadata":                   procedure(procRemoveProjectMetadata),

	// Project files and subtask timers (jsonrpc_pfiles.go).
	"getProjectFile":        procedure(procGetProjectFile),
	"getAllProjectFiles":    procedure(procGetAllProjectFiles),
	"downloadProjectFile":   procedure(procDownloadProjectFile),
	"createProjectFile":     procedure(procCreateProjectFile),
	"removeProjectFile":     procedure(procRemoveProjectFile),
	"removeAllProjectFiles": procedure(procRemoveAllProjectFiles),
	"hasSubtaskTimer":       procedure(procHasSubtaskTimer),
	"setSubtaskStartTime":   procedure(procSetSubtaskStartTime),
	"setSubtaskEndTime":     procedure(procSetSubtaskEndTime),
	"getSubtaskTimeSpent":   procedure(procGetSubtaskTimeSpent),

	// Automatic actions (jsonrpc_actions.go).
	"getAvailableActions":       procedure(procGetAvailableActions),
	"getAvailableActionEvents":  procedure(procGetAvailableActionEvents),
	"getCompatibleActionEvents": procedure(procGetCompatibleActionEvents),
	"getActions":                procedure(procGetActions),
	"createAction":              procedure(procCreateAction),
	"removeAction":              procedure(procRemoveAction),
}

// runProcedure binds a call's arguments and runs it. A returned *rpcError
// is the call's error reply; errForbidden refuses the whole request.
func (a *App) runProcedure(r *http.Request, caller rpcCaller, req rpcRequest) (any, error) {
	proc, ok := rpcProcedures[req.Method]
	if !ok {
		return nil, &rpcError{Code: rpcMethodNotFound, Message: "Method not found"}
	}
	if !caller.mayCall(req.Method) {
		return nil, errForbidden
	}
	params, perr := proc.bind(req.Params)
	if perr != nil {
		return nil, perr
	}
	result, err := proc.run(&rpcCall{a: a, r: r, caller: caller, method: req.Method}, params)
	if err != nil {
		var re *rpcError
		if !errors.As(err, &re) && !errors.Is(err, errForbidden) {
			a.log.Error("json-rpc procedure failed", "method", req.Method, "err", err)
		}
		return nil, err
	}
	return result, nil
}

// The parameter structs of procedures that take one id.
type (
	noParams      struct{}
	projectParams struct {
		ProjectID int64 `rpc:"project_id,required"`
	}
	taskParams struct {
		TaskID int64 `rpc:"task_id,required"`
	}
	commentParams struct {
		CommentID int64 `rpc:"comment_id,required"`
	}
	subtaskParams struct {
		SubtaskID int64 `rpc:"subtask_id,required"`
	}
	fileParams struct {
		FileID int64 `rpc:"file_id,required"`
	}
)

func procGetVersion(c *rpcCall, _ noParams) (any, error) {
	if c.a.cfg.Version == "" {
		return "dev", nil
	}
	return c.a.cfg.Version, nil
}

func procGetTimezone(*rpcCall, noParams) (any, error) { return "UTC", nil }

type colorJSON struct {
	Name       string `json:"name"`
	Background string `json:"background"`
	Border     string `json:"border"`
}

func procGetColors(*rpcCall, noParams) (any, error) {
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

// apiProject is Kanboard's project object: the row and its url.
type apiProject struct {
	store.ProjectObject
	URL map[string]string `json:"url"`
}

// projectJSON is Kanboard's project object.
func (a *App) projectJSON(p store.Project) apiProject {
	return apiProject{p.Object(), map[string]string{"board": a.projectURL(p.ID), "list": a.projectURL(p.ID)}}
}

// projectsJSON is a list of Kanboard's project objects.
func (a *App) projectsJSON(list []store.Project) []apiProject {
	out := make([]apiProject, 0, len(list))
	for _, p := range list {
		out = append(out, a.projectJSON(p))
	}
	return out
}

func procGetAllProjects(c *rpcCall, _ noParams) (any, error) {
	list, err := c.a.store.Projects(c.ctx())
	if err != nil {
		return nil, err
	}
	// Kanboard lists them by name.
	slices.SortStableFunc(list, func(a, b store.Project) int { return strings.Compare(a.Name, b.Name) })
	return c.a.projectsJSON(list), nil
}

func procGetProjectByID(c *rpcCall, p projectParams) (any, error) {
	proj, err := c.project(p.ProjectID)
	if err != nil {
		return c.fail(err, nil)
	}
	return c.a.projectJSON(proj), nil
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

type createTaskParams struct {
	Title         string     `rpc:"title,required"`
	ProjectID     int64      `rpc:"project_id,required"`
	ColorID       string     `rpc:"color_id"`
	ColumnID      int64      `rpc:"column_id"`
	OwnerID       int64      `rpc:"owner_id"`
	CreatorID     int64      `rpc:"creator_id"`
	DateDue       rpcDate    `rpc:"date_due"`
	Description   string     `rpc:"description"`
	CategoryID    int64      `rpc:"category_id"`
	Score         int64      `rpc:"score"`
	SwimlaneID    int64      `rpc:"swimlane_id"`
	Priority      int64      `rpc:"priority"`
	_             any        `rpc:"recurrence_status"`
	_             any        `rpc:"recurrence_trigger"`
	_             any        `rpc:"recurrence_factor"`
	_             any        `rpc:"recurrence_timeframe"`
	_             any        `rpc:"recurrence_basedate"`
	Reference     string     `rpc:"reference"`
	Tags          rpcStrings `rpc:"tags"`
	DateStarted   rpcDate    `rpc:"date_started"`
	TimeSpent     float64    `rpc:"time_spent"`
	TimeEstimated float64    `rpc:"time_estimated"`
}

func procCreateTask(c *rpcCall, p createTaskParams) (any, error) {
	if p.ProjectID <= 0 {
		return false, nil
	}
	// Kanboard answers 0 (not false) for an unknown project, column or
	// swimlane; everything else that is wrong is false.
	if _, err := c.project(p.ProjectID); err != nil {
		return c.fail(err, 0)
	}
	if p.ColumnID != 0 {
		if _, err := c.a.store.ColumnByID(c.ctx(), p.ColumnID); err != nil {
			return c.fail(err, 0)
		}
	}
	if p.SwimlaneID != 0 {
		if _, err := c.a.store.SwimlaneByID(c.ctx(), p.SwimlaneID); err != nil {
			return c.fail(err, 0)
		}
	}
	// A user creates tasks as themselves whatever creator_id says, as in
	// Kanboard; only an application may name the creator.
	if c.caller.user != nil {
		p.CreatorID = c.caller.user.ID
	} else if p.CreatorID != 0 {
		if _, err := c.a.store.UserByID(c.ctx(), p.CreatorID); err != nil {
			return c.fail(err, false)
		}
	}
	id, events, err := c.a.store.CreateTask(c.ctx(), c.caller.actor(), store.NewTask{
		Title: p.Title, ProjectID: p.ProjectID, ColorID: p.ColorID, ColumnID: p.ColumnID, OwnerID: p.OwnerID,
		CreatorID: p.CreatorID, DateDue: int64(p.DateDue), Description: p.Description, CategoryID: p.CategoryID,
		Score: p.Score, SwimlaneID: p.SwimlaneID, Priority: p.Priority, Reference: p.Reference,
		DateStarted: int64(p.DateStarted), TimeSpent: p.TimeSpent, TimeEstimated: p.TimeEstimated,
		Tags: p.Tags,
	})
	return c.written(id, events, err)
}

func procGetTask(c *rpcCall, p taskParams) (any, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return nil, err
	}
	t, err := c.a.store.TaskByID(c.ctx(), p.TaskID)
	if err != nil {
		return c.fail(err, nil)
	}
	return c.a.taskJSON(t), nil
}

type getAllTasksParams struct {
	ProjectID int64 `rpc:"project_id,required"`
	StatusID  int64 `rpc:"status_id,default=1"`
}

func procGetAllTasks(c *rpcCall, p getAllTasksParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	if p.StatusID != 0 && p.StatusID != 1 {
		return []apiTask{}, nil
	}
	tasks, err := c.a.store.Tasks(c.ctx(), p.ProjectID, store.TaskStatus(p.StatusID))
	if err != nil {
		return nil, err
	}
	out := make([]apiTask, 0, len(tasks))
	for _, t := range tasks {
		out = append(out, c.a.taskJSON(t))
	}
	return out, nil
}

// updateTaskParams: an absent or null argument leaves its field as it is.
type updateTaskParams struct {
	ID            int64       `rpc:"id,required"`
	Title         *string     `rpc:"title"`
	ColorID       *string     `rpc:"color_id"`
	OwnerID       *int64      `rpc:"owner_id"`
	DateDue       *rpcDate    `rpc:"date_due"`
	Description   *string     `rpc:"description"`
	CategoryID    *int64      `rpc:"category_id"`
	Score         *int64      `rpc:"score"`
	Priority      *int64      `rpc:"priority"`
	_             any         `rpc:"recurrence_status"`
	_             any         `rpc:"recurrence_trigger"`
	_             any         `rpc:"recurrence_factor"`
	_             any         `rpc:"recurrence_timeframe"`
	_             any         `rpc:"recurrence_basedate"`
	Reference     *string     `rpc:"reference"`
	Tags          *rpcStrings `rpc:"tags"`
	DateStarted   *rpcDate    `rpc:"date_started"`
	TimeSpent     *float64    `rpc:"time_spent"`
	TimeEstimated *float64    `rpc:"time_estimated"`
}

func procUpdateTask(c *rpcCall, p updateTaskParams) (any, error) {
	if err := c.taskProject(p.ID); err != nil {
		return nil, err
	}
	events, err := c.a.store.UpdateTask(c.ctx(), c.caller.actor(), p.ID, store.TaskUpdate{
		Title: p.Title, ColorID: p.ColorID, OwnerID: p.OwnerID, DateDue: (*int64)(p.DateDue),
		Description: p.Description, CategoryID: p.CategoryID, Score: p.Score, Priority: p.Priority,
		Reference: p.Reference, DateStarted: (*int64)(p.DateStarted), TimeSpent: p.TimeSpent,
		TimeEstimated: p.TimeEstimated, Tags: (*[]string)(p.Tags),
	})
	return c.written(true, events, err)
}

// taskOp is a procedure that runs one store operation on the task named by
// task_id: openTask, closeTask, removeTask.
func taskOp(op func(s *store.Store, ctx context.Context, actor store.Actor, id int64) ([]string, error)) func(*rpcCall, taskParams) (any, error) {
	return func(c *rpcCall, p taskParams) (any, error) {
		if err := c.taskProject(p.TaskID); err != nil {
			return nil, err
		}
		events, err := op(c.a.store, c.ctx(), c.caller.actor(), p.TaskID)
		return c.written(true, events, err)
	}
}

type moveTaskPositionParams struct {
	ProjectID  int64 `rpc:"project_id,required"`
	TaskID     int64 `rpc:"task_id,required"`
	ColumnID   int64 `rpc:"column_id,required"`
	Position   int64 `rpc:"position,required"`
	SwimlaneID int64 `rpc:"swimlane_id,required"`
}

func procMoveTaskPosition(c *rpcCall, p moveTaskPositionParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	events, err := c.a.store.MoveTask(c.ctx(), c.caller.actor(), p.TaskID,
		store.TaskMove{ProjectID: p.ProjectID, ColumnID: p.ColumnID, Position: p.Position, SwimlaneID: p.SwimlaneID})
	return c.written(true, events, err)
}

// projectMoveParams are the parameters of moveTaskToProject and
// duplicateTaskToProject: a task, and where in a project it goes.
type projectMoveParams struct {
	TaskID     int64  `rpc:"task_id,required"`
	ProjectID  int64  `rpc:"project_id,required"`
	SwimlaneID int64  `rpc:"swimlane_id"`
	ColumnID   int64  `rpc:"column_id"`
	CategoryID *int64 `rpc:"category_id"`
	OwnerID    *int64 `rpc:"owner_id"`
}

// projectMove checks that the caller may reach the task and the project it
// goes to, and answers where it goes.
func (c *rpcCall) projectMove(p projectMoveParams) (store.ProjectMove, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return store.ProjectMove{}, err
	}
	if err := c.userProject(p.ProjectID); err != nil {
		return store.ProjectMove{}, err
	}
	return store.ProjectMove{ProjectID: p.ProjectID, SwimlaneID: p.SwimlaneID, ColumnID: p.ColumnID,
		CategoryID: p.CategoryID, OwnerID: p.OwnerID}, nil
}

func procMoveTaskToProject(c *rpcCall, p projectMoveParams) (any, error) {
	to, err := c.projectMove(p)
	if err != nil {
		return nil, err
	}
	events, err := c.a.store.MoveTaskToProject(c.ctx(), c.caller.actor(), p.TaskID, to)
	return c.written(true, events, err)
}

type createCommentParams struct {
	TaskID  int64  `rpc:"task_id,required"`
	UserID  int64  `rpc:"user_id,required"`
	Content string `rpc:"content,required"`
	_       any    `rpc:"reference"`
	_       any    `rpc:"visibility"`
}

func procCreateComment(c *rpcCall, p createCommentParams) (any, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return nil, err
	}
	// A member writes as themselves only.
	if u := c.caller.user; u != nil && !u.IsAdmin && p.UserID != 0 && p.UserID != u.ID {
		return nil, errForbidden
	}
	id, events, err := c.a.store.CreateComment(c.ctx(), c.caller.actor(), p.TaskID, p.UserID, p.Content)
	return c.written(id, events, err)
}

func procGetComment(c *rpcCall, p commentParams) (any, error) {
	cm, err := c.a.store.CommentByID(c.ctx(), p.CommentID)
	if err := c.taskOwnedBy(cm.TaskID, err); err != nil {
		return c.fail(err, nil)
	}
	return cm, nil
}

func procGetAllComments(c *rpcCall, p taskParams) (any, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return nil, err
	}
	return c.a.store.Comments(c.ctx(), p.TaskID)
}

type updateCommentParams struct {
	ID      int64  `rpc:"id,required"`
	Content string `rpc:"content,required"`
}

func procUpdateComment(c *rpcCall, p updateCommentParams) (any, error) {
	if err := c.partProject(p.ID, c.a.commentTask); err != nil {
		return nil, err
	}
	events, err := c.a.store.UpdateComment(c.ctx(), c.caller.actor(), p.ID, p.Content)
	return c.written(true, events, err)
}

func procRemoveComment(c *rpcCall, p commentParams) (any, error) {
	if err := c.partProject(p.CommentID, c.a.commentTask); err != nil {
		return nil, err
	}
	events, err := c.a.store.DeleteComment(c.ctx(), c.caller.actor(), p.CommentID)
	return c.written(true, events, err)
}

type createSubtaskParams struct {
	TaskID        int64   `rpc:"task_id,required"`
	Title         string  `rpc:"title,required"`
	UserID        int64   `rpc:"user_id"`
	TimeEstimated float64 `rpc:"time_estimated"`
	TimeSpent     float64 `rpc:"time_spent"`
	Status        int64   `rpc:"status"`
}

func procCreateSubtask(c *rpcCall, p createSubtaskParams) (any, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return nil, err
	}
	if p.Status < 0 || p.Status > store.SubtaskDone {
		return false, nil
	}
	id, events, err := c.a.store.CreateSubtask(c.ctx(), c.caller.actor(), store.NewSubtask{
		TaskID: p.TaskID, Title: p.Title, UserID: p.UserID, Status: int(p.Status),
		TimeEstimated: p.TimeEstimated, TimeSpent: p.TimeSpent,
	})
	return c.written(id, events, err)
}

func procGetSubtask(c *rpcCall, p subtaskParams) (any, error) {
	st, err := c.a.store.SubtaskByID(c.ctx(), p.SubtaskID)
	if err := c.taskOwnedBy(st.TaskID, err); err != nil {
		return c.fail(err, nil)
	}
	return st, nil
}

func procGetAllSubtasks(c *rpcCall, p taskParams) (any, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return nil, err
	}
	subtasks, err := c.a.store.Subtasks(c.ctx(), p.TaskID)
	if err != nil || c.caller.isApp() {
		return subtasks, err
	}
	// Kanboard shows the calling user's own timers.
	timers, err := c.a.store.SubtaskTimers(c.ctx(), p.TaskID, c.caller.user.ID)
	for i := range subtasks {
		subtasks[i].TimerStart = timers[subtasks[i].ID]
	}
	return subtasks, err
}

// updateSubtaskParams: an absent or null argument leaves its field as it is.
type updateSubtaskParams struct {
	ID            int64    `rpc:"id,required"`
	TaskID        int64    `rpc:"task_id,required"`
	Title         *string  `rpc:"title"`
	UserID        *int64   `rpc:"user_id"`
	TimeEstimated *float64 `rpc:"time_estimated"`
	TimeSpent     *float64 `rpc:"time_spent"`
	Status        *int64   `rpc:"status"`
	Position      *int64   `rpc:"position"`
}

func procUpdateSubtask(c *rpcCall, p updateSubtaskParams) (any, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return nil, err
	}
	if p.TaskID == 0 {
		return false, nil
	}
	u := store.SubtaskUpdate{Title: p.Title, UserID: p.UserID, TimeEstimated: p.TimeEstimated, TimeSpent: p.TimeSpent,
		Position: p.Position}
	if p.Status != nil {
		if *p.Status < 0 || *p.Status > store.SubtaskDone {
			return false, nil
		}
		st := int(*p.Status)
		u.Status = &st
	}
	events, err := c.a.store.UpdateSubtask(c.ctx(), c.caller.actor(), p.ID, p.TaskID, u)
	return c.written(true, events, err)
}

func procRemoveSubtask(c *rpcCall, p subtaskParams) (any, error) {
	if err := c.partProject(p.SubtaskID, c.a.subtaskTask); err != nil {
		return nil, err
	}
	events, err := c.a.store.DeleteSubtask(c.ctx(), c.caller.actor(), p.SubtaskID)
	return c.written(true, events, err)
}

type createTaskFileParams struct {
	ProjectID int64  `rpc:"project_id,required"`
	TaskID    int64  `rpc:"task_id,required"`
	Filename  string `rpc:"filename,required"`
	Blob      string `rpc:"blob,required"` // base64
}

func procCreateTaskFile(c *rpcCall, p createTaskFileParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	data, err := base64.StdEncoding.DecodeString(strings.TrimSpace(p.Blob))
	if err != nil {
		return false, nil
	}
	id, events, err := c.a.store.CreateFile(c.ctx(), c.caller.actor(),
		store.NewFile{ProjectID: p.ProjectID, TaskID: p.TaskID, Name: p.Filename, Data: data}, c.a.cfg.MaxFileBytes)
	return c.written(id, events, err)
}

func procGetAllTaskFiles(c *rpcCall, p taskParams) (any, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return nil, err
	}
	files, err := c.a.store.Files(c.ctx(), p.TaskID)
	if err != nil {
		return nil, err
	}
	// Kanboard lists them by name.
	slices.SortStableFunc(files, func(a, b store.TaskFile) int { return strings.Compare(a.Name, b.Name) })
	out := make([]store.FileListed, 0, len(files))
	for _, f := range files {
		out = append(out, store.FileListed(f))
	}
	return out, nil
}

func procGetTaskFile(c *rpcCall, p fileParams) (any, error) {
	if err := c.partProject(p.FileID, c.a.fileTask); err != nil {
		return nil, err
	}
	f, _, err := c.a.store.FileData(c.ctx(), p.FileID)
	if err != nil {
		return c.fail(err, nil)
	}
	return f, nil
}

func procDownloadTaskFile(c *rpcCall, p fileParams) (any, error) {
	if err := c.partProject(p.FileID, c.a.fileTask); err != nil {
		return nil, err
	}
	_, data, err := c.a.store.FileData(c.ctx(), p.FileID)
	if err != nil {
		return c.fail(err, "")
	}
	// encoding/json writes a byte slice as standard base64, straight into
	// the reply: no second copy of a large file as a string.
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

func procRemoveAllTaskFiles(c *rpcCall, p taskParams) (any, error) {
	if err := c.taskProject(p.TaskID); err != nil {
		return nil, err
	}
	events, err := c.a.store.DeleteTaskFiles(c.ctx(), c.caller.actor(), p.TaskID)
	return c.written(true, events, err)
}

func procRemoveTaskFile(c *rpcCall, p fileParams) (any, error) {
	if err := c.partProject(p.FileID, c.a.fileTask); err != nil {
		return nil, err
	}
	events, err := c.a.store.DeleteFile(c.ctx(), c.caller.actor(), p.FileID)
	return c.written(true, events, err)
}
