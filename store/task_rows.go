package store

import (
	"database/sql"
	"errors"
)

// TaskRow is Kanboard's extended task row (TaskFinderModel's extended
// query), what searchTasks, getBoard and getMyDashboard answer: the task's
// own columns with counts of what hangs on it and the names it refers to.
// Field order and names follow Kanboard; it has no url, color,
// external_provider or external_uri.
type TaskRow struct {
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

// taskRowQuery selects TaskRows; callers add WHERE and ORDER BY on t.
// Hookboard has no task links yet, so their counts are 0.
const taskRowQuery = `SELECT
	(SELECT count(*) FROM comments WHERE task_id = t.id),
	(SELECT count(*) FROM task_files WHERE task_id = t.id),
	(SELECT count(*) FROM subtasks WHERE task_id = t.id),
	(SELECT count(*) FROM subtasks WHERE task_id = t.id AND status = 2),
	t.id, t.reference, t.title, t.description, t.created_at, t.modified_at, t.completed_at, t.date_started,
	t.date_due, t.color_id, t.project_id, t.column_id, t.swimlane_id, COALESCE(t.owner_id, 0),
	COALESCE(t.creator_id, 0), t.position, t.is_active, t.score, COALESCE(t.category_id, 0), t.priority,
	t.moved_at, t.time_estimated, t.time_spent,
	ow.username, NULLIF(ow.name, ''), NULLIF(ow.email, ''),
	cat.name, NULLIF(cat.description, ''), NULLIF(cat.color_id, ''), col.title, col.position, sl.name, p.name
	FROM tasks t
	JOIN projects p ON p.id = t.project_id
	LEFT JOIN columns col ON col.id = t.column_id
	LEFT JOIN swimlanes sl ON sl.id = t.swimlane_id
	LEFT JOIN categories cat ON cat.id = t.category_id
	LEFT JOIN users ow ON ow.id = t.owner_id`

func scanTaskRow(row interface{ Scan(...any) error }) (TaskRow, error) {
	var r TaskRow
	err := row.Scan(&r.NbComments, &r.NbFiles, &r.NbSubtasks, &r.NbCompletedSubtasks,
		&r.ID, &r.Reference, &r.Title, &r.Description, &r.DateCreation, &r.DateModification, &r.DateCompleted,
		&r.DateStarted, &r.DateDue, &r.ColorID, &r.ProjectID, &r.ColumnID, &r.SwimlaneID, &r.OwnerID,
		&r.CreatorID, &r.Position, &r.IsActive, &r.Score, &r.CategoryID, &r.Priority,
		&r.DateMoved, &r.TimeEstimated, &r.TimeSpent,
		&r.AssigneeUsername, &r.AssigneeName, &r.AssigneeEmail,
		&r.CategoryName, &r.CategoryDescription, &r.CategoryColorID, &r.ColumnName, &r.ColumnPosition,
		&r.SwimlaneName, &r.ProjectName)
	if errors.Is(err, sql.ErrNoRows) {
		return TaskRow{}, ErrNotFound
	}
	return r, err
}
