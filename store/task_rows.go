package store

import (
	"context"
	"fmt"
)

// ExtendedTaskRow is Kanboard's "extended" task row (TaskFinderModel's
// extended query), the task rows of getBoard, searchTasks and
// getMyDashboard: counts of what hangs on the task, the task's columns and
// the names it refers to, in Kanboard's key order. Hookboard has no
// recurrence: those keys are 0 or null.
type ExtendedTaskRow struct {
	NbComments          int64   `json:"nb_comments"`
	NbFiles             int64   `json:"nb_files"`
	NbSubtasks          int64   `json:"nb_subtasks"`
	NbCompletedSubtasks int64   `json:"nb_completed_subtasks"`
	NbLinks             int64   `json:"nb_links"`
	NbExternalLinks     int64   `json:"nb_external_links"`
	IsMilestone         *int64  `json:"is_milestone"`
	ID                  int64   `json:"id"`
	Reference           string  `json:"reference"`
	Title               string  `json:"title"`
	Description         string  `json:"description"`
	DateCreation        int64   `json:"date_creation"`
	DateModification    int64   `json:"date_modification"`
	DateCompleted       *int64  `json:"date_completed"`
	DateStarted         int64   `json:"date_started"`
	DateDue             int64   `json:"date_due"`
	ColorID             string  `json:"color_id"`
	ProjectID           int64   `json:"project_id"`
	ColumnID            int64   `json:"column_id"`
	SwimlaneID          int64   `json:"swimlane_id"`
	OwnerID             int64   `json:"owner_id"`
	CreatorID           int64   `json:"creator_id"`
	Position            int64   `json:"position"`
	IsActive            int     `json:"is_active"`
	Score               int64   `json:"score"`
	CategoryID          int64   `json:"category_id"`
	Priority            int64   `json:"priority"`
	DateMoved           int64   `json:"date_moved"`
	RecurrenceStatus    int     `json:"recurrence_status"`
	RecurrenceTrigger   int     `json:"recurrence_trigger"`
	RecurrenceFactor    int     `json:"recurrence_factor"`
	RecurrenceTimeframe int     `json:"recurrence_timeframe"`
	RecurrenceBasedate  int     `json:"recurrence_basedate"`
	RecurrenceParent    *int64  `json:"recurrence_parent"`
	RecurrenceChild     *int64  `json:"recurrence_child"`
	TimeEstimated       float64 `json:"time_estimated"`
	TimeSpent           float64 `json:"time_spent"`
	AssigneeUsername    *string `json:"assignee_username"`
	AssigneeName        *string `json:"assignee_name"`
	AssigneeEmail       *string `json:"assignee_email"`
	AssigneeAvatarPath  *string `json:"assignee_avatar_path"`
	CategoryName        *string `json:"category_name"`
	CategoryDescription *string `json:"category_description"`
	CategoryColorID     *string `json:"category_color_id"`
	ColumnName          *string `json:"column_name"`
	ColumnPosition      *int64  `json:"column_position"`
	SwimlaneName        *string `json:"swimlane_name"`
	ProjectName         *string `json:"project_name"`
}

// extendedTaskSelect reads ExtendedTaskRow from tasks t with its project p,
// column col, swimlane sl, category cat and owner ow; callers add WHERE.
const extendedTaskSelect = `SELECT
	(SELECT count(*) FROM comments WHERE task_id = t.id),
	(SELECT count(*) FROM task_files WHERE task_id = t.id),
	(SELECT count(*) FROM subtasks WHERE task_id = t.id),
	(SELECT count(*) FROM subtasks WHERE task_id = t.id AND status = 2),
	(SELECT count(*) FROM task_links WHERE task_id = t.id),
	(SELECT count(*) FROM task_external_links WHERE task_id = t.id),
	(SELECT 1 FROM task_links WHERE task_id = t.id AND link_id = 9 LIMIT 1),
	t.id, t.reference, t.title, t.description, t.created_at, t.modified_at, t.completed_at, t.date_started,
	t.date_due, t.color_id, t.project_id, t.column_id, t.swimlane_id, COALESCE(t.owner_id, 0),
	COALESCE(t.creator_id, 0), t.position, t.is_active, t.score, COALESCE(t.category_id, 0), t.priority,
	t.moved_at, t.time_estimated, t.time_spent, ow.username, NULLIF(ow.name, ''), NULLIF(ow.email, ''),
	cat.name, cat.description, NULLIF(cat.color_id, ''), col.title, col.position, sl.name, p.name
	FROM tasks t
	JOIN projects p ON p.id = t.project_id
	LEFT JOIN columns col ON col.id = t.column_id
	LEFT JOIN swimlanes sl ON sl.id = t.swimlane_id
	LEFT JOIN categories cat ON cat.id = t.category_id
	LEFT JOIN users ow ON ow.id = t.owner_id`

func scanExtendedTaskRow(row interface{ Scan(...any) error }) (ExtendedTaskRow, error) {
	var t ExtendedTaskRow
	err := row.Scan(&t.NbComments, &t.NbFiles, &t.NbSubtasks, &t.NbCompletedSubtasks,
		&t.NbLinks, &t.NbExternalLinks, &t.IsMilestone, &t.ID, &t.Reference, &t.Title, &t.Description, &t.DateCreation, &t.DateModification, &t.DateCompleted,
		&t.DateStarted, &t.DateDue, &t.ColorID, &t.ProjectID, &t.ColumnID, &t.SwimlaneID, &t.OwnerID,
		&t.CreatorID, &t.Position, &t.IsActive, &t.Score, &t.CategoryID, &t.Priority,
		&t.DateMoved, &t.TimeEstimated, &t.TimeSpent, &t.AssigneeUsername, &t.AssigneeName, &t.AssigneeEmail,
		&t.CategoryName, &t.CategoryDescription, &t.CategoryColorID, &t.ColumnName, &t.ColumnPosition,
		&t.SwimlaneName, &t.ProjectName)
	return t, err
}

// ProjectTaskRows lists a project's tasks, open and closed, as extended rows by
// position then id: the task rows of getBoard.
func (s *Store) ProjectTaskRows(ctx context.Context, projectID int64) ([]ExtendedTaskRow, error) {
	return s.extendedTasks(ctx, `t.project_id = ? ORDER BY t.position, t.id`, projectID)
}

// extendedTasks lists extended task rows. where is an SQL condition over
// t (tasks), p, col, sl, cat and ow (see extendedTaskSelect), optionally
// followed by ORDER BY, with its args.
func (s *Store) extendedTasks(ctx context.Context, where string, args ...any) ([]ExtendedTaskRow, error) {
	out, err := listRows(ctx, s.reader, []ExtendedTaskRow{}, scanExtendedTaskRow, extendedTaskSelect+` WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: extended tasks: %w", err)
	}
	return out, nil
}

// TaskTag is a tag on a task as getBoard and getMyDashboard show it.
type TaskTag struct {
	ID      int64   `json:"id"`
	Name    string  `json:"name"`
	ColorID *string `json:"color_id"`
	TaskID  int64   `json:"task_id"`
}

// taskTagColumns read a TaskTag from task_tags tt joined to tags g.
const taskTagColumns = `g.id, g.name, NULLIF(g.color_id, ''), tt.task_id`

func scanTaskTag(row interface{ Scan(...any) error }) (TaskTag, error) {
	var t TaskTag
	err := row.Scan(&t.ID, &t.Name, &t.ColorID, &t.TaskID)
	return t, err
}

// ProjectTaskTags lists the tags of a project's tasks by task id, each
// task's by name.
func (s *Store) ProjectTaskTags(ctx context.Context, projectID int64) (map[int64][]TaskTag, error) {
	rows, err := listRows(ctx, s.reader, nil, scanTaskTag, `SELECT `+taskTagColumns+` FROM task_tags tt
		JOIN tags g ON g.id = tt.tag_id JOIN tasks t ON t.id = tt.task_id
		WHERE t.project_id = ? ORDER BY g.name, g.id`, projectID)
	if err != nil {
		return nil, fmt.Errorf("store: task tags: %w", err)
	}
	out := map[int64][]TaskTag{}
	for _, t := range rows {
		out[t.TaskID] = append(out[t.TaskID], t)
	}
	return out, nil
}
