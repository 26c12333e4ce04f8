package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
)

// Earlier versions stored event_data incomplete and HTML-escaped, and
// completed it when sending. Migration 007 reads each such row back into
// EventContent and writes it again with EncodeEventData, so that every
// event, old or new, has one shape from one builder.

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// decodeStored unmarshals raw into v, keeping numbers exact.
func decodeStored(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}

// storedContent reads event_data as an earlier version stored it. Older
// rows may carry the comment's, subtask's or file's keys flat instead of
// nested (a comment's text then under "comment"); both read through
// Kanboard's objects.
func storedContent(name string, data []byte) (EventContent, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return EventContent{}, err
	}
	// nested is the object under key, or the whole data when its fields
	// were stored flat.
	nested := func(key string) []byte {
		if r := top[key]; len(r) > 0 && r[0] == '{' {
			return r
		}
		return data
	}
	var c EventContent
	if r := top["task"]; len(r) > 0 && r[0] == '{' {
		if err := decodeStored(r, &c.Task); err != nil {
			return c, fmt.Errorf("task: %w", err)
		}
	}
	if r := top["changes"]; len(r) > 0 && r[0] == '{' {
		if err := decodeStored(r, &c.Changes); err != nil {
			return c, fmt.Errorf("changes: %w", err)
		}
	}
	// number reads a flat field, then the same key in changes.
	number := func(key string, fallback int64) int64 {
		var n int64
		if r, ok := top[key]; ok && json.Unmarshal(r, &n) == nil {
			return n
		}
		if v, ok := c.Changes[key].(json.Number); ok {
			if n, err := v.Int64(); err == nil {
				return n
			}
		}
		return fallback
	}
	if c.Task.ID == 0 {
		c.Task.ID = number("task_id", 0)
	}
	kind, _, _ := strings.Cut(name, ".")
	switch {
	case kind == "comment":
		var s commentObject
		if err := decodeStored(nested("comment"), &s); err != nil {
			return c, fmt.Errorf("comment: %w", err)
		}
		c.Comment = &Comment{ID: s.ID, TaskID: s.TaskID, UserID: s.UserID, Comment: s.Comment, CreatedAt: s.DateCreation,
			ModifiedAt: s.DateModification, Username: deref(s.Username), Name: deref(s.Name), Email: deref(s.Email)}
	case kind == "subtask":
		var s subtaskObject
		if err := decodeStored(nested("subtask"), &s); err != nil {
			return c, fmt.Errorf("subtask: %w", err)
		}
		if s.Status < 0 || s.Status >= len(SubtaskStatusNames) {
			s.Status = SubtaskTodo
		}
		c.Subtask = &Subtask{ID: s.ID, TaskID: s.TaskID, Title: s.Title, Status: s.Status, UserID: s.UserID,
			TimeEstimated: s.TimeEstimated, TimeSpent: s.TimeSpent, Position: s.Position,
			Username: deref(s.Username), Name: deref(s.Name)}
	case kind == "file":
		var s fileObject
		if err := decodeStored(nested("file"), &s); err != nil {
			return c, fmt.Errorf("file: %w", err)
		}
		c.File = &TaskFile{ID: s.ID, TaskID: s.TaskID, UserID: s.UserID, Name: s.Name, MimeType: s.MimeType,
			Size: s.Size, CreatedAt: s.Date, ETag: s.ETag}
	case strings.HasPrefix(name, "task.move."):
		c.Move = &MoveFrom{
			ColumnID:   number("src_column_id", c.Task.ColumnID),
			SwimlaneID: number("src_swimlane_id", c.Task.SwimlaneID),
			ProjectID:  number("src_project_id", 0),
			DateMoved:  number("date_moved", c.Task.DateMoved),
		}
	}
	return c, nil
}

// completeEventData is migration 007's step: it rewrites the data of every
// event but webhook.test (whose data is its own) with EncodeEventData. A
// row it cannot read stays as it was.
func completeEventData(ctx context.Context, tx *sql.Tx) error {
	type row struct{ id, name, data string }
	var after string
	for {
		rows, err := tx.QueryContext(ctx, `SELECT id, name, data FROM events WHERE id > ? AND name != ? ORDER BY id LIMIT 500`,
			after, EventWebhookTest)
		if err != nil {
			return err
		}
		var page []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.name, &r.data); err != nil {
				rows.Close()
				return err
			}
			page = append(page, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		for _, r := range page {
			c, err := storedContent(r.name, []byte(r.data))
			if err != nil {
				continue
			}
			body, err := EncodeEventData(r.name, c)
			if err != nil {
				return fmt.Errorf("event %s: %w", r.id, err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE events SET data = ? WHERE id = ?`, string(body), r.id); err != nil {
				return err
			}
		}
		after = page[len(page)-1].id
	}
}
