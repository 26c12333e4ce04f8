package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Event names (DESIGN §6).
const (
	EventTaskCreate         = "task.create"
	EventTaskUpdate         = "task.update"
	EventTaskClose          = "task.close"
	EventTaskOpen           = "task.open"
	EventTaskMoveColumn     = "task.move.column"
	EventTaskMovePosition   = "task.move.position"
	EventTaskMoveSwimlane   = "task.move.swimlane"
	EventTaskMoveProject    = "task.move.project"
	EventTaskAssigneeChange = "task.assignee_change"
	EventTaskDelete         = "task.delete"
	EventCommentCreate      = "comment.create"
	EventCommentUpdate      = "comment.update"
	EventCommentDelete      = "comment.delete"
	EventSubtaskCreate      = "subtask.create"
	EventSubtaskUpdate      = "subtask.update"
	EventSubtaskDelete      = "subtask.delete"
	EventFileCreate         = "file.create"
	EventFileDelete         = "file.delete"
	// Project configuration: Kanboard sends no webhook for these.
	EventProjectCreate  = "project.create"
	EventProjectUpdate  = "project.update"
	EventProjectDelete  = "project.delete"
	EventColumnCreate   = "column.create"
	EventColumnUpdate   = "column.update"
	EventColumnDelete   = "column.delete"
	EventSwimlaneCreate = "swimlane.create"
	EventSwimlaneUpdate = "swimlane.update"
	EventSwimlaneDelete = "swimlane.delete"
	EventCategoryCreate = "category.create"
	EventCategoryUpdate = "category.update"
	EventCategoryDelete = "category.delete"
	// Files attached to a project (not to a task): Kanboard sends no
	// webhook for these.
	EventProjectFileCreate = "project_file.create"
	EventProjectFileDelete = "project_file.delete"
	// Links between tasks, named as Kanboard names them: one event per
	// direction of the link, each about its own task.
	EventTaskLinkCreateUpdate = "task_internal_link.create_update"
	EventTaskLinkDelete       = "task_internal_link.delete"
	// External links: Kanboard sends no webhook for these.
	EventExternalLinkCreate = "task_external_link.create"
	EventExternalLinkUpdate = "task_external_link.update"
	EventExternalLinkDelete = "task_external_link.delete"
	EventWebhookTest        = "webhook.test"
)

// TaskEventNames are the events about tasks and what hangs on them: the
// ones Kanboard sends (reference/kanboard-outgoing-payloads.json), and
// external links', which Kanboard has no webhook for.
var TaskEventNames = []string{
	EventTaskCreate, EventTaskUpdate, EventTaskClose, EventTaskOpen,
	EventTaskMoveColumn, EventTaskMovePosition, EventTaskMoveSwimlane, EventTaskMoveProject,
	EventTaskAssigneeChange, EventTaskDelete,
	EventCommentCreate, EventCommentUpdate, EventCommentDelete,
	EventSubtaskCreate, EventSubtaskUpdate, EventSubtaskDelete,
	EventFileCreate, EventFileDelete,
	EventTaskLinkCreateUpdate, EventTaskLinkDelete,
	EventExternalLinkCreate, EventExternalLinkUpdate, EventExternalLinkDelete,
}

// ConfigEventNames are the events of a project's configuration and files,
// which Kanboard has no webhook for; each carries the project.
var ConfigEventNames = []string{
	EventProjectCreate, EventProjectUpdate, EventProjectDelete,
	EventColumnCreate, EventColumnUpdate, EventColumnDelete,
	EventSwimlaneCreate, EventSwimlaneUpdate, EventSwimlaneDelete,
	EventCategoryCreate, EventCategoryUpdate, EventCategoryDelete,
	EventProjectFileCreate, EventProjectFileDelete,
}

// EventNames is the catalog an endpoint can subscribe to (webhook.test is
// sent only by the Test button, to one endpoint).
var EventNames = append(slices.Clone(TaskEventNames), ConfigEventNames...)

// Actor is who makes a change: a user, an integration, or (both zero) the
// system itself, e.g. the CLI.
type Actor struct {
	UserID        int64
	IntegrationID int64
	Username      string // "" for an integration
	IsAdmin       bool
}

// Event is one row of the outbox.
type Event struct {
	ID            string
	Name          string
	ProjectID     int64
	TaskID        int64
	UserID        int64
	IntegrationID int64
	AuthorName    string // username; "" when an integration or the system made the change
	CreatedAt     time.Time
	// Data is the kanboard format's event_data as receivers get it, taken
	// in the change's transaction (see EncodeEventData).
	Data json.RawMessage
}

// deliveryLease is how long the deliveries of a fresh event are reserved
// for the request that made it. If that process dies before it records
// their outcomes, the retry worker takes them once the lease has passed,
// or at once when the process is known to be gone (see migration 026).
const deliveryLease = 30 * time.Second

// emit writes an event and, when enabled endpoints match it, the fanout
// row that owes them their deliveries, inside the change's transaction;
// then it runs the project's automatic actions the event triggers, in the
// same transaction (actions.go). It returns the event's id followed by the
// ids of the events the actions' changes wrote, in the order written.
func (s *Store) emit(ctx context.Context, tx *sql.Tx, actor Actor, name string, projectID, taskID int64, c EventContent) ([]string, error) {
	v, err := configVersion(ctx, tx)
	if err != nil {
		return nil, err
	}
	return s.emitAt(ctx, tx, v, actor, name, projectID, taskID, c)
}

// emitAt is emit for a caller that read the transaction's config_version
// already, v.
func (s *Store) emitAt(ctx context.Context, tx *sql.Tx, v int64, actor Actor, name string, projectID, taskID int64, c EventContent) ([]string, error) {
	id, err := s.writeEvent(ctx, tx, v, actor, name, projectID, taskID, c)
	if err != nil {
		return nil, err
	}
	more, err := s.runActions(ctx, tx, v, actor, name, projectID, c)
	if err != nil {
		return nil, err
	}
	return append([]string{id}, more...), nil
}

// writeEvent writes the event and its fanout row and returns its id.
func (s *Store) writeEvent(ctx context.Context, tx *sql.Tx, v int64, actor Actor, name string, projectID, taskID int64, c EventContent) (string, error) {
	body, err := EncodeEventData(name, c)
	if err != nil {
		return "", err
	}
	now := s.now()
	id, err := insertEvent(ctx, tx, now, actor, name, projectID, taskID, body)
	if err != nil {
		return "", err
	}
	endpoints, longest, err := s.matchingEndpoints(ctx, tx, v, name, projectID)
	if err != nil {
		return "", err
	}
	if len(endpoints) == 0 {
		s.quiet.add(id)
	} else {
		lease := now.Add(deliveryLease + longest).UnixMilli()
		if _, err := tx.ExecContext(ctx, `INSERT INTO fanouts (event_id, endpoint_ids, lease_until_ms, created_at_ms, owner)
			VALUES (?, ?, ?, ?, ?)`, id, strings.Join(endpoints, ","), lease, now.UnixMilli(), s.run); err != nil {
			return "", fmt.Errorf("insert fanout: %w", err)
		}
	}
	return id, nil
}

// matchingEndpoints lists the ids of the enabled endpoints subscribed to
// event name in project projectID, and the longest of their timeouts.
func (s *Store) matchingEndpoints(ctx context.Context, tx *sql.Tx, v int64, name string, projectID int64) ([]string, time.Duration, error) {
	eps, err := s.endpointFilters(ctx, tx, v)
	if err != nil {
		return nil, 0, err
	}
	project := strconv.FormatInt(projectID, 10)
	var ids []string
	var longest time.Duration
	for _, e := range eps {
		if filterMatches(e.events, name) && filterMatches(e.projects, project) {
			ids = append(ids, strconv.FormatInt(e.id, 10))
			longest = max(longest, e.timeout)
		}
	}
	return ids, longest, nil
}

// insertEvent writes one row of the outbox, made at now, and returns its id.
// Zero project and task ids are stored as NULL.
func insertEvent(ctx context.Context, tx *sql.Tx, now time.Time, actor Actor, name string, projectID, taskID int64, data []byte) (string, error) {
	id := newEventID(now)
	var author sql.NullString
	if actor.Username != "" {
		author = sql.NullString{String: actor.Username, Valid: true}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO events
		(id, name, project_id, task_id, author_user_id, author_integration_id, author_name, created_at_ms, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, name, nullInt(projectID), nullInt(taskID), nullInt(actor.UserID), nullInt(actor.IntegrationID),
		author, now.UnixMilli(), string(data)); err != nil {
		return "", fmt.Errorf("insert event: %w", err)
	}
	return id, nil
}

// filterMatches reads an endpoint filter: "all" or a comma list.
func filterMatches(filter, value string) bool {
	if filter == "all" || filter == "" {
		return true
	}
	return slices.Contains(strings.Split(filter, ","), value)
}

const eventColumns = `id, name, COALESCE(project_id, 0), COALESCE(task_id, 0), COALESCE(author_user_id, 0),
	COALESCE(author_integration_id, 0), COALESCE(author_name, ''), created_at_ms, data`

func scanEvent(row interface{ Scan(...any) error }) (Event, error) {
	var e Event
	var ms int64
	var data string
	err := row.Scan(&e.ID, &e.Name, &e.ProjectID, &e.TaskID, &e.UserID, &e.IntegrationID, &e.AuthorName, &ms, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return Event{}, ErrNotFound
	}
	e.CreatedAt = time.UnixMilli(ms).UTC()
	e.Data = json.RawMessage(data)
	return e, err
}

// EventByID reads one event.
func (s *Store) EventByID(ctx context.Context, id string) (Event, error) {
	return scanEvent(s.reader.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE id = ?`, id))
}

// Events lists the newest events first, at most limit of them.
func (s *Store) Events(ctx context.Context, limit int) ([]Event, error) {
	out, err := listRows(ctx, s.reader, nil, scanEvent, `SELECT `+eventColumns+` FROM events ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list events: %w", err)
	}
	return out, nil
}

// TaskSnapshot is a task as Kanboard's webhooks and getTask show it: its
// columns plus the names of what it refers to. Field order and names follow
// Kanboard; "none" references are 0 and empty names are null, as there.
type TaskSnapshot struct {
	ID                  int64   `json:"id"`
	Title               string  `json:"title"`
	Description         string  `json:"description"`
	DateCreation        int64   `json:"date_creation"`
	ColorID             string  `json:"color_id"`
	ProjectID           int64   `json:"project_id"`
	ColumnID            int64   `json:"column_id"`
	OwnerID             int64   `json:"owner_id"`
	Position            int64   `json:"position"`
	IsActive            int     `json:"is_active"`
	DateCompleted       *int64  `json:"date_completed"`
	Score               int64   `json:"score"`
	DateDue             int64   `json:"date_due"`
	CategoryID          int64   `json:"category_id"`
	CreatorID           int64   `json:"creator_id"`
	DateModification    int64   `json:"date_modification"`
	Reference           string  `json:"reference"`
	DateStarted         int64   `json:"date_started"`
	TimeSpent           float64 `json:"time_spent"`
	TimeEstimated       float64 `json:"time_estimated"`
	SwimlaneID          int64   `json:"swimlane_id"`
	DateMoved           int64   `json:"date_moved"`
	RecurrenceStatus    int     `json:"recurrence_status"`
	RecurrenceTrigger   int     `json:"recurrence_trigger"`
	RecurrenceFactor    int     `json:"recurrence_factor"`
	RecurrenceTimeframe int     `json:"recurrence_timeframe"`
	RecurrenceBasedate  int     `json:"recurrence_basedate"`
	RecurrenceParent    *int64  `json:"recurrence_parent"`
	RecurrenceChild     *int64  `json:"recurrence_child"`
	Priority            int64   `json:"priority"`
	ExternalProvider    *string `json:"external_provider"`
	ExternalURI         *string `json:"external_uri"`
	CategoryName        *string `json:"category_name"`
	SwimlaneName        *string `json:"swimlane_name"`
	ProjectName         *string `json:"project_name"`
	ColumnTitle         *string `json:"column_title"`
	AssigneeUsername    *string `json:"assignee_username"`
	AssigneeName        *string `json:"assignee_name"`
	CreatorUsername     *string `json:"creator_username"`
	CreatorName         *string `json:"creator_name"`
	CategoryDescription *string `json:"category_description"`
	ColumnPosition      *int64  `json:"column_position"`
	// Tags is the task's tags as a JSON array in taskTagsColumn's shape.
	// Events show them; getTask does not (Kanboard's task row has none).
	Tags json.RawMessage `json:"-"`
}

// TagNames lists the names of the task's tags.
func (t TaskSnapshot) TagNames() []string {
	var tags []struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(t.Tags, &tags) // written by taskTagsColumn, so well formed
	names := make([]string, 0, len(tags))
	for _, tg := range tags {
		names = append(names, tg.Name)
	}
	return names
}

// taskColumns are a task's own columns in the order of taskFields, each
// name after prefix: "t." in taskSnapshotQuery, "" in the RETURNING of the
// INSERT that creates a task.
func taskColumns(prefix string) string {
	return strings.ReplaceAll(`{t}id, {t}title, {t}description, {t}created_at, {t}color_id, {t}project_id, {t}column_id,
	COALESCE({t}owner_id, 0), {t}position, {t}is_active, {t}completed_at, {t}score, {t}date_due, COALESCE({t}category_id, 0),
	COALESCE({t}creator_id, 0), {t}modified_at, {t}reference, {t}date_started, {t}time_spent, {t}time_estimated,
	{t}swimlane_id, {t}moved_at, {t}priority`, "{t}", prefix)
}

// taskFields are where taskColumns are read to.
func (t *TaskSnapshot) taskFields() []any {
	return []any{&t.ID, &t.Title, &t.Description, &t.DateCreation, &t.ColorID, &t.ProjectID, &t.ColumnID,
		&t.OwnerID, &t.Position, &t.IsActive, &t.DateCompleted, &t.Score, &t.DateDue, &t.CategoryID,
		&t.CreatorID, &t.DateModification, &t.Reference, &t.DateStarted, &t.TimeSpent, &t.TimeEstimated,
		&t.SwimlaneID, &t.DateMoved, &t.Priority}
}

// taskNameColumns are the names a task refers to, in the order of
// nameFields, from its project p, column col, swimlane sl, category cat,
// owner ow and creator cr.
const taskNameColumns = `cat.name, sl.name, p.name, col.title, ow.username, NULLIF(ow.name, ''),
	cr.username, NULLIF(cr.name, ''), cat.description, col.position`

// nameFields are where taskNameColumns are read to (NULL: nil).
func (t *TaskSnapshot) nameFields() []any {
	return []any{&t.CategoryName, &t.SwimlaneName, &t.ProjectName, &t.ColumnTitle, &t.AssigneeUsername,
		&t.AssigneeName, &t.CreatorUsername, &t.CreatorName, &t.CategoryDescription, &t.ColumnPosition}
}

var (
	taskSnapshotQuerySQLite   = `SELECT ` + taskColumns("t.") + `, ` + taskNameColumns + `, ` + taskTagsColumnSQLite + taskSnapshotFrom
	taskSnapshotQueryPostgres = `SELECT ` + taskColumns("t.") + `, ` + taskNameColumns + `, ` + taskTagsColumnPostgres + taskSnapshotFrom
)

// taskSnapshotQuery is the query of a task's snapshot in the database's
// dialect (see taskTagsColumn).
func (s *Store) taskSnapshotQuery() string {
	if s.pg {
		return taskSnapshotQueryPostgres
	}
	return taskSnapshotQuerySQLite
}

// taskSnapshotFrom joins a task t to the rows its names come from.
const taskSnapshotFrom = `
	FROM tasks t
	JOIN projects p ON p.id = t.project_id
	LEFT JOIN columns col ON col.id = t.column_id
	LEFT JOIN swimlanes sl ON sl.id = t.swimlane_id
	LEFT JOIN categories cat ON cat.id = t.category_id
	LEFT JOIN users ow ON ow.id = t.owner_id
	LEFT JOIN users cr ON cr.id = t.creator_id`

func scanTaskSnapshot(row interface{ Scan(...any) error }) (TaskSnapshot, error) {
	var t TaskSnapshot
	var tags string
	err := row.Scan(append(append(t.taskFields(), t.nameFields()...), &tags)...)
	if errors.Is(err, sql.ErrNoRows) {
		return TaskSnapshot{}, ErrNotFound
	}
	if err != nil {
		return TaskSnapshot{}, err
	}
	t.Tags = json.RawMessage(tags)
	return t, nil
}

// q is what both *sql.DB and *sql.Tx offer for reads.
type q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *Store) taskSnapshot(ctx context.Context, db q, id int64) (TaskSnapshot, error) {
	return scanTaskSnapshot(db.QueryRowContext(ctx, s.taskSnapshotQuery()+` WHERE t.id = ?`, id))
}

// TaskByID reads a task with the names it refers to.
func (s *Store) TaskByID(ctx context.Context, id int64) (TaskSnapshot, error) {
	return s.taskSnapshot(ctx, s.reader, id)
}
