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
}

// MoveFrom is a task's place before a move; where it went is in the task.
// DateMoved is the task's date_moved before the move, as Kanboard sends it.
type MoveFrom struct {
	ColumnID   int64
	SwimlaneID int64
	ProjectID  int64 // 0 unless the task changed project
	DateMoved  int64
}

// field is one key of a JSON object whose key order is part of the shape.
type field struct {
	key string
	val any
}

// object is a JSON object that keeps its key order.
type object []field

// MarshalJSON writes the object without HTML escaping: a webhook body is
// not HTML, and receivers compare text such as "<b>" as it was written.
func (o object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := enc.Encode(f.key); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		buf.WriteByte(':')
		if err := enc.Encode(f.val); err != nil {
			return nil, fmt.Errorf("%s: %w", f.key, err)
		}
		buf.Truncate(buf.Len() - 1)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func (o object) get(key string) any {
	for _, f := range o {
		if f.key == key {
			return f.val
		}
	}
	return nil
}

// columns are the task's own fields in Kanboard's order, without the names
// it refers to: what task events show flat beside the nested task.
func (t TaskSnapshot) columns() object {
	return object{
		{"id", t.ID}, {"title", t.Title}, {"description", t.Description}, {"date_creation", t.DateCreation},
		{"color_id", t.ColorID}, {"project_id", t.ProjectID}, {"column_id", t.ColumnID}, {"owner_id", t.OwnerID},
		{"position", t.Position}, {"is_active", t.IsActive}, {"date_completed", t.DateCompleted}, {"score", t.Score},
		{"date_due", t.DateDue}, {"category_id", t.CategoryID}, {"creator_id", t.CreatorID},
		{"date_modification", t.DateModification}, {"reference", t.Reference}, {"date_started", t.DateStarted},
		{"time_spent", t.TimeSpent}, {"time_estimated", t.TimeEstimated}, {"swimlane_id", t.SwimlaneID},
		{"date_moved", t.DateMoved}, {"recurrence_status", t.RecurrenceStatus},
		{"recurrence_trigger", t.RecurrenceTrigger}, {"recurrence_factor", t.RecurrenceFactor},
		{"recurrence_timeframe", t.RecurrenceTimeframe}, {"recurrence_basedate", t.RecurrenceBasedate},
		{"recurrence_parent", t.RecurrenceParent}, {"recurrence_child", t.RecurrenceChild},
		{"priority", t.Priority}, {"external_provider", t.ExternalProvider}, {"external_uri", t.ExternalURI},
	}
}

// createKeys are the flat fields Kanboard's webhook documentation shows on
// task.create, after task_id.
var createKeys = []string{"title", "description", "project_id", "owner_id", "category_id", "swimlane_id",
	"column_id", "color_id", "score", "time_estimated", "date_due", "creator_id", "date_creation",
	"date_modification", "date_moved", "position"}

// Kanboard's comment, subtask and file objects (getComment, getSubtask,
// getAllTaskFiles and the webhooks), in its key order.

func (c Comment) fields() object {
	return object{
		{"id", c.ID}, {"task_id", c.TaskID}, {"user_id", c.UserID}, {"date_creation", c.CreatedAt},
		{"date_modification", c.ModifiedAt}, {"comment", c.Comment}, {"reference", ""}, {"visibility", "app-user"},
		{"username", nullStr(c.Username)}, {"name", nullStr(c.Name)}, {"email", nullStr(c.Email)}, {"avatar_path", nil},
	}
}

func (st Subtask) fields() object {
	return object{
		{"id", st.ID}, {"title", st.Title}, {"status", st.Status}, {"time_estimated", st.TimeEstimated},
		{"time_spent", st.TimeSpent}, {"task_id", st.TaskID}, {"user_id", st.UserID}, {"position", st.Position},
		{"username", nullStr(st.Username)}, {"name", nullStr(st.Name)}, {"timer_start_date", 0},
		{"status_name", SubtaskStatusNames[st.Status]}, {"is_timer_started", false},
	}
}

func (f TaskFile) fields() object {
	return object{
		{"id", f.ID}, {"name", f.Name}, {"path", "tasks/" + strconv.FormatInt(f.TaskID, 10) + "/" + strconv.FormatInt(f.ID, 10)},
		{"is_image", boolInt(f.IsImage())}, {"task_id", f.TaskID}, {"date", f.CreatedAt}, {"user_id", f.UserID},
		{"size", f.Size}, {"etag", f.ETag}, {"mime_type", f.MimeType},
	}
}

// MarshalJSON writes Kanboard's comment object.
func (c Comment) MarshalJSON() ([]byte, error) { return c.fields().MarshalJSON() }

// MarshalJSON writes Kanboard's subtask object.
func (st Subtask) MarshalJSON() ([]byte, error) { return st.fields().MarshalJSON() }

// MarshalJSON writes Kanboard's file object.
func (f TaskFile) MarshalJSON() ([]byte, error) { return f.fields().MarshalJSON() }

// alwaysChanges are the events on which Kanboard sends "changes" even when
// nothing is listed, as [].
var alwaysChanges = map[string]bool{
	EventTaskUpdate: true, EventTaskAssigneeChange: true, EventSubtaskUpdate: true,
	EventTaskMoveColumn: true, EventTaskMovePosition: true, EventTaskMoveSwimlane: true, EventTaskMoveProject: true,
}

// EncodeEventData writes the event_data of the kanboard format exactly as
// receivers get it. It holds both generations of Kanboard's payload: the
// nested objects current Kanboard sends (task_id, task, the comment,
// subtask or file, changes) and the flat fields Kanboard's webhook
// documentation shows, derived from them. A flat field never replaces a
// nested one: comment events keep "comment" as the object.
func EncodeEventData(name string, c EventContent) ([]byte, error) {
	var d object
	var changes any
	if len(c.Changes) > 0 {
		changes = c.Changes
	} else if alwaysChanges[name] {
		changes = []any{}
	}
	withChanges := func() {
		if changes != nil {
			d = append(d, field{"changes", changes})
		}
	}
	// nested puts the comment, subtask or file first, then its fields flat.
	nested := func(key string, obj object) {
		d = append(d, field{key, obj})
		withChanges()
		d = append(d, field{"task", c.Task})
		for _, f := range obj {
			if f.key != key {
				d = append(d, f)
			}
		}
	}
	switch {
	case c.Comment != nil:
		nested("comment", c.Comment.fields())
	case c.Subtask != nil:
		nested("subtask", c.Subtask.fields())
	case c.File != nil:
		nested("file", c.File.fields())
	case strings.HasPrefix(name, "task.move."):
		t, from := c.Task, MoveFrom{ColumnID: c.Task.ColumnID, SwimlaneID: c.Task.SwimlaneID, DateMoved: c.Task.DateMoved}
		if c.Move != nil {
			from = *c.Move
		}
		d = object{{"task_id", t.ID}, {"task", t}}
		withChanges()
		d = append(d, object{
			{"project_id", t.ProjectID}, {"position", t.Position}, {"column_id", t.ColumnID},
			{"swimlane_id", t.SwimlaneID}, {"src_column_id", from.ColumnID}, {"dst_column_id", t.ColumnID},
			{"src_swimlane_id", from.SwimlaneID}, {"dst_swimlane_id", t.SwimlaneID},
		}...)
		if from.ProjectID != 0 {
			d = append(d, field{"src_project_id", from.ProjectID})
		}
		d = append(d, object{{"date_moved", from.DateMoved}, {"recurrence_status", t.RecurrenceStatus},
			{"recurrence_trigger", t.RecurrenceTrigger}}...)
	default:
		d = object{{"task_id", c.Task.ID}, {"task", c.Task}}
		withChanges()
		cols := c.Task.columns()
		if name == EventTaskCreate {
			for _, k := range createKeys {
				d = append(d, field{k, cols.get(k)})
			}
		} else {
			d = append(d, cols...)
		}
	}
	body, err := d.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("encode %s event data: %w", name, err)
	}
	return body, nil
}

// createOnTask is how a comment, subtask or file is made: in one
// transaction it reads the task, lets insert write the row and return its
// id, reads the row back as its event shows it, and writes the event.
func (s *Store) createOnTask(ctx context.Context, what, name string, actor Actor, taskID int64,
	insert func(tx *sql.Tx, task TaskSnapshot) (int64, error),
	readBack func(tx *sql.Tx, id int64) (EventContent, error)) (int64, []string, error) {
	var id int64
	events, err := s.taskMutation(ctx, what, func(tx *sql.Tx) ([]string, error) {
		task, err := taskSnapshot(ctx, tx, taskID)
		if err != nil {
			return nil, fmt.Errorf("task %d: %w", taskID, err)
		}
		if id, err = insert(tx, task); err != nil {
			return nil, err
		}
		c, err := readBack(tx, id)
		if err != nil {
			return nil, err
		}
		c.Task = task
		ev, err := s.emit(ctx, tx, actor, name, task.ProjectID, taskID, c)
		if err != nil {
			return nil, err
		}
		return []string{ev}, nil
	})
	if err != nil {
		return 0, nil, err
	}
	return id, events, nil
}

// emitOnTask writes an event about something on a task (a comment, subtask
// or file, in c), with the task as it is now.
func (s *Store) emitOnTask(ctx context.Context, tx *sql.Tx, actor Actor, name string, taskID int64, c EventContent) ([]string, error) {
	task, err := taskSnapshot(ctx, tx, taskID)
	if err != nil {
		return nil, err
	}
	c.Task = task
	ev, err := s.emit(ctx, tx, actor, name, task.ProjectID, taskID, c)
	if err != nil {
		return nil, err
	}
	return []string{ev}, nil
}
