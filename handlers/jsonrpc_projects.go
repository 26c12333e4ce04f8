package handlers

import (
	"encoding/json"
	"fmt"
	"html"
	"strings"

	"hookboard/store"
)

// Kanboard's ProjectProcedure, BoardProcedure, ColumnProcedure,
// SwimlaneProcedure and CategoryProcedure (reference §1, §2 Projects,
// Board, Columns, Swimlanes, Categories). Every procedure that names a
// project calls userProject (or ownedBy for a row of a project) before it
// acts.

// --- Projects ---

type createProjectParams struct {
	Name            string `rpc:"name,required"`
	Description     string `rpc:"description"`
	OwnerID         int64  `rpc:"owner_id"`
	Identifier      string `rpc:"identifier"`
	StartDate       string `rpc:"start_date"`
	EndDate         string `rpc:"end_date"`
	PriorityDefault *int64 `rpc:"priority_default"`
	PriorityStart   *int64 `rpc:"priority_start"`
	PriorityEnd     *int64 `rpc:"priority_end"`
	Email           string `rpc:"email"`
}

func procCreateProject(c *rpcCall, p createProjectParams) (any, error) {
	id, events, err := c.a.store.AddProject(c.ctx(), c.caller.actor(), store.NewProject{
		Name: p.Name, Description: p.Description, OwnerID: p.OwnerID, Identifier: p.Identifier,
		StartDate: p.StartDate, EndDate: p.EndDate, Email: p.Email,
		PriorityDefault: p.PriorityDefault, PriorityStart: p.PriorityStart, PriorityEnd: p.PriorityEnd,
	})
	return c.written(id, events, err)
}

// updateProjectParams: an absent or null argument leaves its field as it is.
type updateProjectParams struct {
	ProjectID       int64   `rpc:"project_id,required"`
	Name            *string `rpc:"name"`
	Description     *string `rpc:"description"`
	OwnerID         *int64  `rpc:"owner_id"`
	Identifier      *string `rpc:"identifier"`
	StartDate       *string `rpc:"start_date"`
	EndDate         *string `rpc:"end_date"`
	PriorityDefault *int64  `rpc:"priority_default"`
	PriorityStart   *int64  `rpc:"priority_start"`
	PriorityEnd     *int64  `rpc:"priority_end"`
	Email           *string `rpc:"email"`
}

func procUpdateProject(c *rpcCall, p updateProjectParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	events, err := c.a.store.UpdateProject(c.ctx(), c.caller.actor(), p.ProjectID, store.ProjectUpdate{
		Name: p.Name, Description: p.Description, OwnerID: p.OwnerID, Identifier: p.Identifier,
		StartDate: p.StartDate, EndDate: p.EndDate, Email: p.Email,
		PriorityDefault: p.PriorityDefault, PriorityStart: p.PriorityStart, PriorityEnd: p.PriorityEnd,
	})
	return c.written(true, events, err)
}

type nameParams struct {
	Name string `rpc:"name,required"`
}

type identifierParams struct {
	Identifier string `rpc:"identifier,required"`
}

type emailParams struct {
	Email string `rpc:"email,required"`
}

// projectFoundBy answers getProjectByName/Identifier/Email: Kanboard looks
// the project up first and answers false when there is none, then checks
// the caller may see it.
func projectFoundBy(c *rpcCall, p store.Project, err error) (any, error) {
	if err != nil {
		return c.fail(err, false)
	}
	if err := c.userProject(p.ID); err != nil {
		return nil, err
	}
	return c.a.projectJSON(p), nil
}

func procGetProjectByName(c *rpcCall, p nameParams) (any, error) {
	proj, err := c.a.store.ProjectByName(c.ctx(), p.Name)
	return projectFoundBy(c, proj, err)
}

func procGetProjectByIdentifier(c *rpcCall, p identifierParams) (any, error) {
	proj, err := c.a.store.ProjectByIdentifier(c.ctx(), p.Identifier)
	return projectFoundBy(c, proj, err)
}

func procGetProjectByEmail(c *rpcCall, p emailParams) (any, error) {
	proj, err := c.a.store.ProjectByEmail(c.ctx(), p.Email)
	return projectFoundBy(c, proj, err)
}

func procRemoveProject(c *rpcCall, p projectParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	events, err := c.a.store.DeleteProject(c.ctx(), c.caller.actor(), p.ProjectID)
	return c.written(true, events, err)
}

// projectActive is enableProject and disableProject.
func projectActive(active bool) func(*rpcCall, projectParams) (any, error) {
	return func(c *rpcCall, p projectParams) (any, error) {
		if err := c.userProject(p.ProjectID); err != nil {
			return nil, err
		}
		events, err := c.a.store.SetProjectActive(c.ctx(), c.caller.actor(), p.ProjectID, active)
		return c.written(true, events, err)
	}
}

// Hookboard has no public boards (no RSS, iCal or token URL): enabling
// public access fails, and disabling it succeeds on any project, which is
// never public.
func procEnableProjectPublicAccess(c *rpcCall, p projectParams) (any, error) {
	if _, err := c.project(p.ProjectID); err != nil {
		return c.fail(err, false)
	}
	return false, nil
}

func procDisableProjectPublicAccess(c *rpcCall, p projectParams) (any, error) {
	if _, err := c.project(p.ProjectID); err != nil {
		return c.fail(err, false)
	}
	return true, nil
}

// activityLimit is how many events Kanboard's project activity returns.
const activityLimit = 50

type projectIDsParams struct {
	ProjectIDs []int64 `rpc:"project_ids,required"`
}

func procGetProjectActivities(c *rpcCall, p projectIDsParams) (any, error) {
	for _, id := range p.ProjectIDs {
		if err := c.userProject(id); err != nil {
			return nil, err
		}
	}
	return c.activity(p.ProjectIDs)
}

func procGetProjectActivity(c *rpcCall, p projectParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	return c.activity([]int64{p.ProjectID})
}

// activity is Kanboard's activity stream of some projects, newest first.
func (c *rpcCall) activity(projectIDs []int64) (any, error) {
	events, err := c.a.store.ProjectEvents(c.ctx(), projectIDs, activityLimit)
	if err != nil {
		return nil, err
	}
	return c.activityRows(events)
}

// activityRows are events as Kanboard's activity streams show them: each
// event's row, its author, its stored data merged in, and a title. Unlike
// Kanboard, changes made with an application token are listed too
// (Hookboard records every change).
func (c *rpcCall) activityRows(events []store.Event) ([]map[string]any, error) {
	users := map[int64]store.User{}
	out := make([]map[string]any, 0, len(events))
	for _, ev := range events {
		row := map[string]any{}
		if err := json.Unmarshal(ev.Data, &row); err != nil {
			return nil, fmt.Errorf("event %s data: %w", ev.ID, err)
		}
		u, seen := users[ev.UserID]
		if !seen && ev.UserID != 0 {
			u, _ = c.a.store.UserByID(c.ctx(), ev.UserID)
			users[ev.UserID] = u
		}
		author := "API"
		switch {
		case u.Name != "":
			author = u.Name
		case ev.AuthorName != "":
			author = ev.AuthorName
		case ev.IntegrationID == 0:
			author = "Hookboard"
		}
		title := author + " " + activityWhat(ev, row)
		for k, v := range map[string]any{
			"id": ev.ID, "date_creation": ev.CreatedAt.Unix(), "event_name": ev.Name, "creator_id": ev.UserID,
			"project_id": ev.ProjectID, "task_id": ev.TaskID, "author_username": nullIfEmpty(ev.AuthorName),
			"author_name": nullIfEmpty(u.Name), "email": nullIfEmpty(u.Email), "avatar_path": nil,
			"author": author, "event_title": title, "event_content": "<p>" + html.EscapeString(title) + "</p>",
		} {
			row[k] = v
		}
		out = append(out, row)
	}
	return out, nil
}

// activityWhat says what an event did, after its author's name.
func activityWhat(ev store.Event, data map[string]any) string {
	kind, action, _ := strings.Cut(ev.Name, ".")
	verb := map[string]string{"create": "created", "update": "updated", "delete": "removed", "close": "closed",
		"open": "opened", "assignee_change": "changed the assignee of"}[action]
	if strings.HasPrefix(action, "move.") {
		verb = "moved"
	}
	if verb == "" {
		verb = action
	}
	named := func(key, field string) string {
		if o, ok := data[key].(map[string]any); ok {
			return fmt.Sprintf("%s %q", key, fmt.Sprint(o[field]))
		}
		return key
	}
	switch kind {
	case "task":
		return fmt.Sprintf("%s the task #%d", verb, ev.TaskID)
	case "comment", "subtask", "file":
		return fmt.Sprintf("%s a %s on the task #%d", verb, kind, ev.TaskID)
	case "column":
		return verb + " the " + named("column", "title")
	case "swimlane", "category", "project":
		return verb + " the " + named(kind, "name")
	}
	return verb
}

// --- Board ---

// boardColumn is one column of one swimlane in getBoard.
type boardColumn struct {
	store.Column
	NbOpenTasks                     int         `json:"nb_open_tasks"`
	Tasks                           []boardTask `json:"tasks"`
	NbTasks                         int         `json:"nb_tasks"`
	Score                           int64       `json:"score"`
	ColumnNbOpenTasks               int         `json:"column_nb_open_tasks"`
	NbVisibleTasksAcrossSwimlane    int         `json:"nb_visible_tasks_across_swimlane"`
	NbUnfilteredTasksAcrossSwimlane int         `json:"nb_unfiltered_tasks_across_swimlane"`
	CumulativeScoreAcrossSwimlane   int64       `json:"cumulative_score_across_swimlane"`
}

// MarshalJSON writes the column's row keys first, then the board's, as
// Kanboard's BoardFormatter.
func (b boardColumn) MarshalJSON() ([]byte, error) {
	type board struct {
		NbOpenTasks                     int         `json:"nb_open_tasks"`
		Tasks                           []boardTask `json:"tasks"`
		NbTasks                         int         `json:"nb_tasks"`
		Score                           int64       `json:"score"`
		ColumnNbOpenTasks               int         `json:"column_nb_open_tasks"`
		NbVisibleTasksAcrossSwimlane    int         `json:"nb_visible_tasks_across_swimlane"`
		NbUnfilteredTasksAcrossSwimlane int         `json:"nb_unfiltered_tasks_across_swimlane"`
		CumulativeScoreAcrossSwimlane   int64       `json:"cumulative_score_across_swimlane"`
	}
	return joinObjects(b.Column, board{b.NbOpenTasks, b.Tasks, b.NbTasks, b.Score, b.ColumnNbOpenTasks,
		b.NbVisibleTasksAcrossSwimlane, b.NbUnfilteredTasksAcrossSwimlane, b.CumulativeScoreAcrossSwimlane})
}

type boardTask struct {
	store.ExtendedTaskRow
	Tags        []store.TaskTag `json:"tags"`
	IsDraggable bool            `json:"is_draggable"`
}

type boardSwimlane struct {
	store.Swimlane
	Columns     []*boardColumn
	NbSwimlanes int
	NbColumns   int
	NbTasks     int
	Score       int64
}

// MarshalJSON writes the swimlane's row keys first, then the board's.
func (b boardSwimlane) MarshalJSON() ([]byte, error) {
	return joinObjects(b.Swimlane, struct {
		Columns     []*boardColumn `json:"columns"`
		NbSwimlanes int            `json:"nb_swimlanes"`
		NbColumns   int            `json:"nb_columns"`
		NbTasks     int            `json:"nb_tasks"`
		Score       int64          `json:"score"`
	}{b.Columns, b.NbSwimlanes, b.NbColumns, b.NbTasks, b.Score})
}

// joinObjects writes two values that encode as JSON objects as one object,
// a's keys first.
func joinObjects(a, b any) ([]byte, error) {
	ja, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	jb, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	if len(ja) == 2 {
		return jb, nil
	}
	return append(append(ja[:len(ja)-1:len(ja)-1], ','), jb[1:]...), nil
}

func procGetBoard(c *rpcCall, p projectParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	ctx := c.ctx()
	project, err := c.a.store.ProjectByID(ctx, p.ProjectID)
	if err != nil {
		return c.fail(err, []any{})
	}
	lanes, err := c.a.store.Swimlanes(ctx, p.ProjectID)
	if err != nil {
		return nil, err
	}
	cols, err := c.a.store.Columns(ctx, p.ProjectID)
	if err != nil {
		return nil, err
	}
	tasks, err := c.a.store.ProjectTaskRows(ctx, p.ProjectID)
	if err != nil {
		return nil, err
	}
	tags, err := c.a.store.ProjectTaskTags(ctx, p.ProjectID)
	if err != nil {
		return nil, err
	}
	board := []boardSwimlane{}
	for _, l := range lanes {
		if l.IsActive {
			board = append(board, boardSwimlane{Swimlane: l})
		}
	}
	if len(board) == 0 || len(cols) == 0 {
		return []any{}, nil
	}
	// Open tasks per column, over every swimlane (Kanboard's nb_open_tasks),
	// and per column and swimlane.
	openInColumn := map[int64]int{}
	openInCell := map[[2]int64]int{}
	for _, t := range tasks {
		if t.IsActive == 1 {
			openInColumn[t.ColumnID]++
			openInCell[[2]int64{t.ColumnID, t.SwimlaneID}]++
		}
	}
	visible := map[int64]int{}
	cumulative := map[int64]int64{}
	for i := range board {
		lane := &board[i]
		lane.NbSwimlanes, lane.NbColumns = len(board), len(cols)
		for _, col := range cols {
			bc := &boardColumn{Column: col, NbOpenTasks: openInColumn[col.ID], Tasks: []boardTask{},
				NbUnfilteredTasksAcrossSwimlane: openInColumn[col.ID], ColumnNbOpenTasks: openInColumn[col.ID]}
			if project.PerSwimlaneTaskLimits {
				bc.ColumnNbOpenTasks = openInCell[[2]int64{col.ID, lane.ID}]
			}
			for _, t := range tasks {
				if t.ColumnID != col.ID || t.SwimlaneID != lane.ID {
					continue
				}
				tt := tags[t.ID]
				if tt == nil {
					tt = []store.TaskTag{}
				}
				// Dragging needs a browser session, which the API never has
				// for an application (Kanboard's rule), and an open task.
				bc.Tasks = append(bc.Tasks, boardTask{t, tt, t.IsActive == 1 && !c.caller.isApp()})
				bc.Score += t.Score
			}
			bc.NbTasks = len(bc.Tasks)
			visible[col.ID] += bc.NbTasks
			cumulative[col.ID] += bc.Score
			lane.NbTasks += bc.NbTasks
			lane.Score += bc.Score
			lane.Columns = append(lane.Columns, bc)
		}
	}
	for _, lane := range board {
		for _, bc := range lane.Columns {
			bc.NbVisibleTasksAcrossSwimlane = visible[bc.ID]
			bc.CumulativeScoreAcrossSwimlane = cumulative[bc.ID]
		}
	}
	return board, nil
}

// --- Columns ---

type columnParams struct {
	ColumnID int64 `rpc:"column_id,required"`
}

func procGetColumns(c *rpcCall, p projectParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	return c.a.store.Columns(c.ctx(), p.ProjectID)
}

func procGetColumn(c *rpcCall, p columnParams) (any, error) {
	col, err := c.a.store.ColumnByID(c.ctx(), p.ColumnID)
	if err := c.ownedBy(col.ProjectID, err); err != nil {
		return c.fail(err, nil)
	}
	return col, nil
}

type updateColumnParams struct {
	ColumnID    int64  `rpc:"column_id,required"`
	Title       string `rpc:"title,required"`
	TaskLimit   int64  `rpc:"task_limit"`
	Description string `rpc:"description"`
}

func procUpdateColumn(c *rpcCall, p updateColumnParams) (any, error) {
	col, err := c.a.store.ColumnByID(c.ctx(), p.ColumnID)
	if err := c.ownedBy(col.ProjectID, err); err != nil {
		return c.fail(err, false)
	}
	events, err := c.a.store.UpdateColumn(c.ctx(), c.caller.actor(), p.ColumnID,
		store.ColumnFields{Title: p.Title, TaskLimit: p.TaskLimit, Description: p.Description})
	return c.written(true, events, err)
}

type addColumnParams struct {
	ProjectID   int64  `rpc:"project_id,required"`
	Title       string `rpc:"title,required"`
	TaskLimit   int64  `rpc:"task_limit"`
	Description string `rpc:"description"`
}

func procAddColumn(c *rpcCall, p addColumnParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	id, events, err := c.a.store.AddColumn(c.ctx(), c.caller.actor(), p.ProjectID,
		store.ColumnFields{Title: p.Title, TaskLimit: p.TaskLimit, Description: p.Description})
	return c.written(id, events, err)
}

func procRemoveColumn(c *rpcCall, p columnParams) (any, error) {
	col, err := c.a.store.ColumnByID(c.ctx(), p.ColumnID)
	if err := c.ownedBy(col.ProjectID, err); err != nil {
		return c.fail(err, false)
	}
	events, err := c.a.store.RemoveColumn(c.ctx(), c.caller.actor(), p.ColumnID)
	return c.written(true, events, err)
}

type changeColumnPositionParams struct {
	ProjectID int64 `rpc:"project_id,required"`
	ColumnID  int64 `rpc:"column_id,required"`
	Position  int64 `rpc:"position,required"`
}

func procChangeColumnPosition(c *rpcCall, p changeColumnPositionParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	events, err := c.a.store.MoveColumn(c.ctx(), c.caller.actor(), p.ProjectID, p.ColumnID, p.Position)
	return c.written(true, events, err)
}

// --- Swimlanes ---

type swimlaneParams struct {
	SwimlaneID int64 `rpc:"swimlane_id,required"`
}

type projectSwimlaneParams struct {
	ProjectID  int64 `rpc:"project_id,required"`
	SwimlaneID int64 `rpc:"swimlane_id,required"`
}

// swimlanes is getActiveSwimlanes (active only) and getAllSwimlanes.
func swimlanes(activeOnly bool) func(*rpcCall, projectParams) (any, error) {
	return func(c *rpcCall, p projectParams) (any, error) {
		if err := c.userProject(p.ProjectID); err != nil {
			return nil, err
		}
		lanes, err := c.a.store.Swimlanes(c.ctx(), p.ProjectID)
		if err != nil || !activeOnly {
			return lanes, err
		}
		out := []store.Swimlane{}
		for _, l := range lanes {
			if l.IsActive {
				out = append(out, l)
			}
		}
		return out, nil
	}
}

func procGetSwimlane(c *rpcCall, p swimlaneParams) (any, error) {
	l, err := c.a.store.SwimlaneByID(c.ctx(), p.SwimlaneID)
	if err := c.ownedBy(l.ProjectID, err); err != nil {
		return c.fail(err, nil)
	}
	return l, nil
}

type swimlaneByNameParams struct {
	ProjectID int64  `rpc:"project_id,required"`
	Name      string `rpc:"name,required"`
}

func procGetSwimlaneByName(c *rpcCall, p swimlaneByNameParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	return c.found(c.a.store.SwimlaneByName(c.ctx(), p.ProjectID, p.Name))
}

type addSwimlaneParams struct {
	ProjectID   int64  `rpc:"project_id,required"`
	Name        string `rpc:"name,required"`
	Description string `rpc:"description"`
}

func procAddSwimlane(c *rpcCall, p addSwimlaneParams) (any, error) {
	// Kanboard answers 0 for an unknown project, false for the rest.
	if _, err := c.project(p.ProjectID); err != nil {
		return c.fail(err, 0)
	}
	id, events, err := c.a.store.AddSwimlane(c.ctx(), c.caller.actor(), p.ProjectID, p.Name, p.Description)
	return c.written(id, events, err)
}

type updateSwimlaneParams struct {
	ProjectID   int64   `rpc:"project_id,required"`
	SwimlaneID  int64   `rpc:"swimlane_id,required"`
	Name        string  `rpc:"name,required"`
	Description *string `rpc:"description"`
}

func procUpdateSwimlane(c *rpcCall, p updateSwimlaneParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	events, err := c.a.store.UpdateSwimlane(c.ctx(), c.caller.actor(), p.ProjectID, p.SwimlaneID, p.Name, p.Description)
	return c.written(true, events, err)
}

func procRemoveSwimlane(c *rpcCall, p projectSwimlaneParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	events, err := c.a.store.RemoveSwimlane(c.ctx(), c.caller.actor(), p.ProjectID, p.SwimlaneID)
	return c.written(true, events, err)
}

// swimlaneActive is enableSwimlane and disableSwimlane.
func swimlaneActive(active bool) func(*rpcCall, projectSwimlaneParams) (any, error) {
	return func(c *rpcCall, p projectSwimlaneParams) (any, error) {
		if err := c.userProject(p.ProjectID); err != nil {
			return nil, err
		}
		events, err := c.a.store.SetSwimlaneActive(c.ctx(), c.caller.actor(), p.ProjectID, p.SwimlaneID, active)
		return c.written(true, events, err)
	}
}

type changeSwimlanePositionParams struct {
	ProjectID  int64 `rpc:"project_id,required"`
	SwimlaneID int64 `rpc:"swimlane_id,required"`
	Position   int64 `rpc:"position,required"`
}

func procChangeSwimlanePosition(c *rpcCall, p changeSwimlanePositionParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	events, err := c.a.store.MoveSwimlane(c.ctx(), c.caller.actor(), p.ProjectID, p.SwimlaneID, p.Position)
	return c.written(true, events, err)
}

// --- Categories ---

type categoryParams struct {
	CategoryID int64 `rpc:"category_id,required"`
}

func procGetCategory(c *rpcCall, p categoryParams) (any, error) {
	cat, err := c.a.store.CategoryByID(c.ctx(), p.CategoryID)
	if err := c.ownedBy(cat.ProjectID, err); err != nil {
		return c.fail(err, nil)
	}
	return cat, nil
}

func procGetAllCategories(c *rpcCall, p projectParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	return c.a.store.Categories(c.ctx(), p.ProjectID)
}

func procRemoveCategory(c *rpcCall, p categoryParams) (any, error) {
	cat, err := c.a.store.CategoryByID(c.ctx(), p.CategoryID)
	if err := c.ownedBy(cat.ProjectID, err); err != nil {
		return c.fail(err, false)
	}
	events, err := c.a.store.RemoveCategory(c.ctx(), c.caller.actor(), p.CategoryID)
	return c.written(true, events, err)
}

type createCategoryParams struct {
	ProjectID int64  `rpc:"project_id,required"`
	Name      string `rpc:"name,required"`
	ColorID   string `rpc:"color_id"`
}

func procCreateCategory(c *rpcCall, p createCategoryParams) (any, error) {
	if err := c.userProject(p.ProjectID); err != nil {
		return nil, err
	}
	id, events, err := c.a.store.AddCategory(c.ctx(), c.caller.actor(), p.ProjectID, p.Name, p.ColorID)
	return c.written(id, events, err)
}

type updateCategoryParams struct {
	ID      int64  `rpc:"id,required"`
	Name    string `rpc:"name,required"`
	ColorID string `rpc:"color_id"`
}

func procUpdateCategory(c *rpcCall, p updateCategoryParams) (any, error) {
	cat, err := c.a.store.CategoryByID(c.ctx(), p.ID)
	if err := c.ownedBy(cat.ProjectID, err); err != nil {
		return c.fail(err, false)
	}
	events, err := c.a.store.UpdateCategory(c.ctx(), c.caller.actor(), p.ID, p.Name, p.ColorID)
	return c.written(true, events, err)
}
