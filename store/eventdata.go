package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// EventContent is what an event is about, in typed form. EncodeEventData
// turns it into the kanboard format's event_data, the one place that knows
// that shape.
type EventContent struct {
	Task TaskSnapshot
	// Changes lists the changed fields of updates and moves.
	Changes map[string]any
	// Move is where a moved task came from (task.move.*).
	Move *MoveFrom
	// Exactly one of these is set on comment, subtask and file events.
	Comment *Comment
	Subtask *Subtask
	File    *TaskFile
	// Project configuration events have no task: Project is set on all of
	// them, and one of Column, Swimlane or Category on theirs.
	Project      *ProjectObject
	Column       *Column
	Swimlane     *Swimlane
	Category     *Category
	ProjectFile  *ProjectFile
	TaskLink     *TaskLink
	ExternalLink *ExternalLink
}

// MoveFrom is a task's place before a move; where it went is in the task.
// DateMoved is the task's date_moved before the move, as Kanboard sends it.
type MoveFrom struct {
	ColumnID   int64
	SwimlaneID int64
	ProjectID  int64 // 0 unless the task changed project
	DateMoved  int64
}

// createFields are the flat fields Kanboard's webhook documentation shows
// on task.create, in its order.
type createFields struct {
	Title            string  `json:"title"`
	Description      string  `json:"description"`
	ProjectID        int64   `json:"project_id"`
	OwnerID          int64   `json:"owner_id"`
	CategoryID       int64   `json:"category_id"`
	SwimlaneID       int64   `json:"swimlane_id"`
	ColumnID         int64   `json:"column_id"`
	ColorID          string  `json:"color_id"`
	Score            int64   `json:"score"`
	TimeEstimated    float64 `json:"time_estimated"`
	DateDue          int64   `json:"date_due"`
	CreatorID        int64   `json:"creator_id"`
	DateCreation     int64   `json:"date_creation"`
	DateModification int64   `json:"date_modification"`
	DateMoved        int64   `json:"date_moved"`
	Position         int64   `json:"position"`
}

// moveFields are the flat fields of task.move.* events.
type moveFields struct {
	ProjectID         int64 `json:"project_id"`
	Position          int64 `json:"position"`
	ColumnID          int64 `json:"column_id"`
	SwimlaneID        int64 `json:"swimlane_id"`
	SrcColumnID       int64 `json:"src_column_id"`
	DstColumnID       int64 `json:"dst_column_id"`
	SrcSwimlaneID     int64 `json:"src_swimlane_id"`
	DstSwimlaneID     int64 `json:"dst_swimlane_id"`
	SrcProjectID      int64 `json:"src_project_id,omitempty"`
	DateMoved         int64 `json:"date_moved"`
	RecurrenceStatus  int   `json:"recurrence_status"`
	RecurrenceTrigger int   `json:"recurrence_trigger"`
}

// Kanboard's comment, subtask and file objects (getComment, getSubtask,
// getAllTaskFiles and the webhooks), in its key order. Migration 007 reads
// stored ones back through them too.
type (
	commentObject struct {
		ID               int64   `json:"id"`
		TaskID           int64   `json:"task_id"`
		UserID           int64   `json:"user_id"`
		DateCreation     int64   `json:"date_creation"`
		DateModification int64   `json:"date_modification"`
		Comment          string  `json:"comment"`
		Reference        string  `json:"reference"`
		Visibility       string  `json:"visibility"`
		Username         *string `json:"username"`
		Name             *string `json:"name"`
		Email            *string `json:"email"`
		AvatarPath       *string `json:"avatar_path"`
	}
	subtaskObject struct {
		ID             int64   `json:"id"`
		Title          string  `json:"title"`
		Status         int     `json:"status"`
		TimeEstimated  float64 `json:"time_estimated"`
		TimeSpent      float64 `json:"time_spent"`
		TaskID         int64   `json:"task_id"`
		UserID         int64   `json:"user_id"`
		Position       int64   `json:"position"`
		Username       *string `json:"username"`
		Name           *string `json:"name"`
		TimerStartDate int64   `json:"timer_start_date"`
		StatusName     string  `json:"status_name"`
		IsTimerStarted bool    `json:"is_timer_started"`
	}
	fileObject struct {
		ID       int64  `json:"id"`
		Name     string `json:"name"`
		Path     string `json:"path"`
		IsImage  int    `json:"is_image"`
		TaskID   int64  `json:"task_id"`
		Date     int64  `json:"date"`
		UserID   int64  `json:"user_id"`
		Size     int64  `json:"size"`
		ETag     string `json:"etag"`
		MimeType string `json:"mime_type"`
	}
)

func (c Comment) object() commentObject {
	return commentObject{c.ID, c.TaskID, c.UserID, c.CreatedAt, c.ModifiedAt, c.Comment, "", "app-user",
		nullStr(c.Username), nullStr(c.Name), nullStr(c.Email), nil}
}

func (st Subtask) object() subtaskObject {
	return subtaskObject{st.ID, st.Title, st.Status, st.TimeEstimated, st.TimeSpent, st.TaskID, st.UserID, st.Position,
		nullStr(st.Username), nullStr(st.Name), st.TimerStart, SubtaskStatusNames[st.Status], st.TimerStart != 0}
}

func (f TaskFile) object() fileObject {
	return fileObject{f.ID, f.Name, "tasks/" + strconv.FormatInt(f.TaskID, 10) + "/" + strconv.FormatInt(f.ID, 10),
		boolInt(f.IsImage()), f.TaskID, f.CreatedAt, f.UserID, f.Size, f.ETag, f.MimeType}
}

// FileListed is a file as getAllTaskFiles lists it: Kanboard's file
// object with who attached it.
type FileListed TaskFile

// MarshalJSON writes {id, name, path, is_image, task_id, date, user_id,
// size, username, user_name, etag}; the names are null when no user is.
func (f FileListed) MarshalJSON() ([]byte, error) {
	o := TaskFile(f).object()
	return json.Marshal(struct {
		ID       int64   `json:"id"`
		Name     string  `json:"name"`
		Path     string  `json:"path"`
		IsImage  int     `json:"is_image"`
		TaskID   int64   `json:"task_id"`
		Date     int64   `json:"date"`
		UserID   int64   `json:"user_id"`
		Size     int64   `json:"size"`
		Username *string `json:"username"`
		UserName *string `json:"user_name"`
		ETag     string  `json:"etag"`
	}{o.ID, o.Name, o.Path, o.IsImage, o.TaskID, o.Date, o.UserID, o.Size, nullStr(f.Username), nullStr(f.UserName), o.ETag})
}

// MarshalJSON writes Kanboard's comment object.
func (c Comment) MarshalJSON() ([]byte, error) { return json.Marshal(c.object()) }

// MarshalJSON writes Kanboard's subtask object.
func (st Subtask) MarshalJSON() ([]byte, error) { return json.Marshal(st.object()) }

// MarshalJSON writes Kanboard's file object.
func (f TaskFile) MarshalJSON() ([]byte, error) { return json.Marshal(f.object()) }

// eventTask is an event's nested task: the snapshot with its tags, always
// a list.
type eventTask struct {
	TaskSnapshot
	Tags json.RawMessage `json:"tags"`
}

func taskOf(t TaskSnapshot) eventTask {
	tags := t.Tags
	if len(tags) == 0 {
		tags = json.RawMessage("[]")
	}
	return eventTask{t, tags}
}

// The event_data of each kind of event. Go writes the fields of an
// embedded struct flat, after the nested objects; a flat field never
// replaces a nested one of the same name (a comment's text stays in the
// nested "comment", as current Kanboard sends it).
type (
	taskCreateData struct {
		TaskID int64     `json:"task_id"`
		Task   eventTask `json:"task"`
		createFields
	}
	// taskData: every field of the task flat, as Kanboard's documented
	// task.update shows it.
	taskData struct {
		TaskID  int64     `json:"task_id"`
		Task    eventTask `json:"task"`
		Changes any       `json:"changes,omitempty"`
		TaskSnapshot
	}
	moveData struct {
		TaskID  int64     `json:"task_id"`
		Task    eventTask `json:"task"`
		Changes any       `json:"changes"`
		moveFields
	}
	commentData struct {
		Comment commentObject `json:"comment"`
		Changes any           `json:"changes,omitempty"`
		Task    eventTask     `json:"task"`
		commentObject
	}
	subtaskData struct {
		Subtask subtaskObject `json:"subtask"`
		Changes any           `json:"changes,omitempty"`
		Task    eventTask     `json:"task"`
		subtaskObject
	}
	fileData struct {
		File fileObject `json:"file"`
		Task eventTask  `json:"task"`
		fileObject
	}
	// taskLinkData is Kanboard's {task_link, task}, with the link's
	// fields flat as well, like the other objects' events.
	taskLinkData struct {
		TaskLink TaskLink  `json:"task_link"`
		Task     eventTask `json:"task"`
		taskLinkObject
	}
	externalLinkData struct {
		ExternalLink ExternalLink `json:"external_link"`
		Changes      any          `json:"changes,omitempty"`
		Task         eventTask    `json:"task"`
		externalLinkObject
	}
)

// The link objects flat in their events' data.
type (
	taskLinkObject     = TaskLink
	externalLinkObject = ExternalLink
)

// alwaysChanges are the events on which Kanboard sends "changes" even when
// nothing is listed, as [].
var alwaysChanges = map[string]bool{
	EventTaskUpdate: true, EventTaskAssigneeChange: true, EventSubtaskUpdate: true,
	EventTaskMoveColumn: true, EventTaskMovePosition: true, EventTaskMoveSwimlane: true, EventTaskMoveProject: true,
}

// EncodeEventData writes the event_data of the kanboard format exactly as
// receivers get it, without HTML escaping (a webhook body is not HTML, and
// receivers compare text such as "<b>" as it was written). It holds both
// generations of Kanboard's payload: the nested objects current Kanboard
// sends (task_id, task, the comment, subtask or file, changes) and the flat
// fields Kanboard's webhook documentation shows, derived from them.
func EncodeEventData(name string, c EventContent) ([]byte, error) {
	var changes any
	if len(c.Changes) > 0 {
		changes = c.Changes
	} else if alwaysChanges[name] {
		changes = []any{}
	}
	t := c.Task
	et := taskOf(t)
	var data any
	switch {
	case c.Project != nil:
		data = configData(c, changes)
	case c.Comment != nil:
		o := c.Comment.object()
		data = commentData{o, changes, et, o}
	case c.Subtask != nil:
		o := c.Subtask.object()
		data = subtaskData{o, changes, et, o}
	case c.File != nil:
		o := c.File.object()
		data = fileData{o, et, o}
	case c.TaskLink != nil:
		data = taskLinkData{*c.TaskLink, et, *c.TaskLink}
	case c.ExternalLink != nil:
		data = externalLinkData{*c.ExternalLink, changes, et, *c.ExternalLink}
	case strings.HasPrefix(name, "task.move."):
		from := MoveFrom{ColumnID: t.ColumnID, SwimlaneID: t.SwimlaneID, DateMoved: t.DateMoved}
		if c.Move != nil {
			from = *c.Move
		}
		data = moveData{t.ID, et, changes, moveFields{t.ProjectID, t.Position, t.ColumnID, t.SwimlaneID,
			from.ColumnID, t.ColumnID, from.SwimlaneID, t.SwimlaneID, from.ProjectID, from.DateMoved,
			t.RecurrenceStatus, t.RecurrenceTrigger}}
	case name == EventTaskCreate:
		data = taskCreateData{t.ID, et, createFields{t.Title, t.Description, t.ProjectID, t.OwnerID, t.CategoryID,
			t.SwimlaneID, t.ColumnID, t.ColorID, t.Score, t.TimeEstimated, t.DateDue, t.CreatorID, t.DateCreation,
			t.DateModification, t.DateMoved, t.Position}}
	default:
		data = taskData{t.ID, et, changes, t}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(data); err != nil {
		return nil, fmt.Errorf("encode %s event data: %w", name, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// createOnTask is how a comment, subtask or file is made: in one
// transaction it reads the task, lets insert write the row and return its
// id, reads the row back as its event shows it, and writes the event.
func (s *Store) createOnTask(ctx context.Context, what, name string, actor Actor, taskID int64,
	insert func(ctx context.Context, tx *sql.Tx, task TaskSnapshot) (int64, error),
	readBack func(ctx context.Context, tx *sql.Tx, id int64) (EventContent, error)) (int64, []string, error) {
	var id int64
	events, err := s.taskMutation(ctx, what, func(ctx context.Context, tx *sql.Tx) ([]string, error) {
		task, err := s.taskSnapshot(ctx, tx, taskID)
		if err != nil {
			return nil, fmt.Errorf("task %d: %w", taskID, err)
		}
		if id, err = insert(ctx, tx, task); err != nil {
			return nil, err
		}
		c, err := readBack(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		return s.emitAbout(ctx, tx, actor, name, task, c)
	})
	if err != nil {
		return 0, nil, err
	}
	return id, events, nil
}

// emitOnTask writes an event about something on a task (a comment, subtask
// or file, in c), with the task as it is now.
func (s *Store) emitOnTask(ctx context.Context, tx *sql.Tx, actor Actor, name string, taskID int64, c EventContent) ([]string, error) {
	task, err := s.taskSnapshot(ctx, tx, taskID)
	if err != nil {
		return nil, err
	}
	return s.emitAbout(ctx, tx, actor, name, task, c)
}

// emitAbout writes the event named name about c on task.
func (s *Store) emitAbout(ctx context.Context, tx *sql.Tx, actor Actor, name string, task TaskSnapshot, c EventContent) ([]string, error) {
	c.Task = task
	return s.emit(ctx, tx, actor, name, task.ProjectID, task.ID, c)
}

// configData is the event_data of project, column, swimlane and category
// events, shaped like a comment event's: <object>_id (as task_id leads task
// events), the nested object, changes on updates, the nested project, and
// the object's own fields flat beside them.
func configData(c EventContent, changes any) any {
	p := *c.Project
	switch {
	case c.Column != nil:
		o := c.Column.object()
		return struct {
			ColumnID int64         `json:"column_id"`
			Column   columnObject  `json:"column"`
			Changes  any           `json:"changes,omitempty"`
			Project  ProjectObject `json:"project"`
			columnObject
		}{o.ID, o, changes, p, o}
	case c.Swimlane != nil:
		o := c.Swimlane.object()
		return struct {
			SwimlaneID int64          `json:"swimlane_id"`
			Swimlane   swimlaneObject `json:"swimlane"`
			Changes    any            `json:"changes,omitempty"`
			Project    ProjectObject  `json:"project"`
			swimlaneObject
		}{o.ID, o, changes, p, o}
	case c.Category != nil:
		o := c.Category.object()
		return struct {
			CategoryID int64          `json:"category_id"`
			Category   categoryObject `json:"category"`
			Changes    any            `json:"changes,omitempty"`
			Project    ProjectObject  `json:"project"`
			categoryObject
		}{o.ID, o, changes, p, o}
	case c.ProjectFile != nil:
		o := c.ProjectFile.object()
		return struct {
			FileID  int64             `json:"file_id"`
			File    projectFileObject `json:"file"`
			Project ProjectObject     `json:"project"`
			projectFileObject
		}{o.ID, o, p, o}
	}
	return struct {
		ProjectID int64         `json:"project_id"`
		Project   ProjectObject `json:"project"`
		Changes   any           `json:"changes,omitempty"`
		ProjectObject
	}{p.ID, p, changes, p}
}
